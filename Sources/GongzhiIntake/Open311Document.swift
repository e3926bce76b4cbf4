import GongzhiIntakeSchemas

/// One service request as GeoReport v2's GET requests answers it; empty strings are written as null (JSON) or
/// an empty element (XML).
public struct Open311ServiceRequest: Equatable, Sendable {
    public var serviceRequestID = ""
    public var status = ""
    public var statusNotes = ""
    public var serviceName = ""
    public var serviceCode = ""
    public var description = ""
    public var agencyResponsible = ""
    public var serviceNotice = ""
    /// Times in milliseconds since the epoch; 0 is absent.
    public var requestedAtMs: Int64 = 0
    public var updatedAtMs: Int64 = 0
    public var expectedAtMs: Int64 = 0
    public var address = ""
    public var addressID = ""
    public var zipcode = ""
    public var coordinate: Coordinate?
    public var mediaURL = ""

    public init() {}

    /// An item as Open311 shows it. Its description and address are personal data: only with
    /// `showPersonalData` (the submitter's own GET with a key).
    public init(item: Gongzhi_Intake_V1_IntakeItem, serviceName: String, showPersonalData: Bool) {
        let status = Open311Status.of(item: item)
        serviceRequestID = item.serviceRequestID
        self.status = status.status
        statusNotes = status.notes
        self.serviceName = serviceName
        serviceCode = item.serviceCode
        agencyResponsible = item.agency
        requestedAtMs = item.receivedAtMs
        updatedAtMs = item.closedAtMs != 0 ? item.closedAtMs : item.updatedAtMs
        expectedAtMs = item.expectedAtMs
        addressID = item.addressID
        if item.hasLocation {
            coordinate = Coordinate(latitude: item.location.latitude, longitude: item.location.longitude)
        }
        mediaURL = item.media.first ?? ""
        if showPersonalData {
            description = item.description_p
            address = item.address
        }
    }
}

/// The bodies GeoReport v2 answers with, in its two formats: XML (required by the spec) and JSON (its "Spark
/// convention" mapping: a list is a bare array). Times are written in W3C form with the offset of China
/// Standard Time, `2026-12-07T10:00:00+08:00`. Identifiers are written as JSON strings, since an id such as a
/// service code `006` is not a JSON number.
public enum Open311Document {
    /// A format GeoReport v2 serves.
    public enum Format: String, Sendable {
        case xml
        case json

        /// The Content-Type of an answer in the format.
        public var contentType: String {
            switch self {
            case .xml: return "text/xml; charset=utf-8"
            case .json: return "application/json; charset=utf-8"
            }
        }

        /// The media type alone, as service discovery lists it (`text/xml`, `application/json`).
        public var mediaType: String {
            switch self {
            case .xml: return "text/xml"
            case .json: return "application/json"
            }
        }
    }

    /// A member of an answer's element: a string, a number, a boolean, or a list of elements (an absent member
    /// is nil).
    indirect enum Value {
        case text(String)
        case number(Double)
        case bool(Bool)
        /// Elements named `element` in XML, a bare array in JSON.
        case list(element: String, items: [[(String, Value?)]])
        /// Texts in elements named `element` in XML, an array of strings in JSON (discovery's `formats`).
        case texts(element: String, items: [String])

        static func optionalText(_ text: String) -> Value? { text.isEmpty ? nil : .text(text) }
    }

    /// GET requests and GET requests/{id}: `service_requests` of `request`s.
    public static func serviceRequests(_ requests: [Open311ServiceRequest], format: Format) -> String {
        render(
            requests.map { request in
                [
                    ("service_request_id", Value.optionalText(request.serviceRequestID)),
                    ("status", .optionalText(request.status)),
                    ("status_notes", .optionalText(request.statusNotes)),
                    ("service_name", .optionalText(request.serviceName)),
                    ("service_code", .optionalText(request.serviceCode)),
                    ("description", .optionalText(request.description)),
                    ("agency_responsible", .optionalText(request.agencyResponsible)),
                    ("service_notice", .optionalText(request.serviceNotice)),
                    ("requested_datetime", time(request.requestedAtMs)),
                    ("updated_datetime", time(request.updatedAtMs)),
                    ("expected_datetime", time(request.expectedAtMs)),
                    ("address", .optionalText(request.address)),
                    ("address_id", .optionalText(request.addressID)),
                    ("zipcode", .optionalText(request.zipcode)),
                    ("lat", request.coordinate.map { .number($0.latitude) }),
                    ("long", request.coordinate.map { .number($0.longitude) }),
                    ("media_url", .optionalText(request.mediaURL)),
                ]
            },
            root: "service_requests",
            element: "request",
            format: format
        )
    }

    /// GET services: the `services` a jurisdiction offers.
    public static func services(_ services: [Open311Service], format: Format) -> String {
        render(
            services.map { service in
                [
                    ("service_code", Value.optionalText(service.code)),
                    ("service_name", .optionalText(service.name)),
                    ("description", .optionalText(service.description)),
                    ("metadata", .bool(!service.attributes.isEmpty)),
                    ("type", .text(service.type.rawValue)),
                    ("keywords", .optionalText(service.keywords.joined(separator: ", "))),
                    ("group", .optionalText(service.group)),
                ]
            },
            root: "services",
            element: "service",
            format: format
        )
    }

    /// GET services/{service_code}: the `service_definition` with the service's attributes, in their order.
    public static func serviceDefinition(_ service: Open311Service, format: Format) -> String {
        let attributes = service.attributes.enumerated().map { (index, attribute) -> [(String, Value?)] in
            var fields: [(String, Value?)] = [
                ("variable", .bool(attribute.variable)),
                ("code", .optionalText(attribute.code)),
                ("datatype", .text(attribute.datatype.rawValue)),
                ("required", .bool(attribute.required)),
                ("datatype_description", .optionalText(attribute.datatypeDescription)),
                ("order", .number(Double(index + 1))),
                ("description", .optionalText(attribute.description)),
            ]
            if !attribute.values.isEmpty {
                fields.append(
                    (
                        "values",
                        .list(
                            element: "value",
                            items: attribute.values.map { [("key", .text($0.key)), ("name", .optionalText($0.name))] }
                        )
                    )
                )
            }
            return fields
        }
        return renderObject(
            [
                ("service_code", .optionalText(service.code)),
                ("attributes", .list(element: "attribute", items: attributes)),
            ],
            root: "service_definition",
            format: format
        )
    }

    /// The answer to POST requests: the id (realtime services) or the token (batch services), never both.
    public static func created(_ response: Gongzhi_Intake_V1_SubmitTicketResponse, format: Format) -> String {
        var fields: [(String, Value?)] = []
        if !response.token.isEmpty, response.serviceRequestID.isEmpty {
            fields.append(("token", .text(response.token)))
        } else {
            fields.append(("service_request_id", .optionalText(response.serviceRequestID)))
        }
        fields.append(("service_notice", .optionalText(response.serviceNotice)))
        fields.append(("account_id", .optionalText(response.accountID)))
        return render([fields], root: "service_requests", element: "request", format: format)
    }

    /// The answer to GET tokens/{token}.
    public static func token(serviceRequestID: String, token: String, format: Format) -> String {
        render(
            [[("service_request_id", .optionalText(serviceRequestID)), ("token", .optionalText(token))]],
            root: "service_requests",
            element: "request",
            format: format
        )
    }

    /// One endpoint of service discovery: where a GeoReport v2 endpoint is and what it speaks.
    public struct DiscoveryEndpoint: Equatable, Sendable {
        /// The endpoint's base URL, without a trailing slash (`http://host:8311/open311/hotline-12345/v2`).
        public var url: String
        /// When the endpoint last changed, in milliseconds since the epoch.
        public var changedAtMs: Int64
        /// `production` or `test`.
        public var type: String

        public init(url: String, changedAtMs: Int64, type: String = "production") {
            self.url = url
            self.changedAtMs = changedAtMs
            self.type = type
        }
    }

    /// The specification every endpoint follows, as service discovery names it.
    public static let specification = "http://wiki.open311.org/GeoReport_v2"

    /// GET discovery: who to contact, where keys come from, and each endpoint with both formats (XML first, as
    /// the spec requires it).
    public static func discovery(
        changedAtMs: Int64,
        contact: String,
        keyService: String,
        endpoints: [DiscoveryEndpoint],
        format: Format
    ) -> String {
        let formats = [Format.xml, Format.json].map(\.mediaType)
        return renderObject(
            [
                ("changeset", time(changedAtMs)),
                ("contact", .optionalText(contact)),
                ("key_service", .optionalText(keyService)),
                (
                    "endpoints",
                    .list(
                        element: "endpoint",
                        items: endpoints.map { endpoint in
                            [
                                ("specification", .text(specification)),
                                ("url", .text(endpoint.url)),
                                ("changeset", time(endpoint.changedAtMs)),
                                ("type", .text(endpoint.type)),
                                ("formats", .texts(element: "format", items: formats)),
                            ]
                        }
                    )
                ),
            ],
            root: "discovery",
            format: format
        )
    }

    /// An error answer: `errors` of `error` {code, description}; the code is an HTTP status or a finer one.
    public static func errors(_ errors: [(code: Int, description: String)], format: Format) -> String {
        render(
            errors.map { [("code", Value.number(Double($0.code))), ("description", .optionalText($0.description))] },
            root: "errors",
            element: "error",
            format: format
        )
    }

    static func time(_ ms: Int64) -> Value? {
        ms == 0 ? nil : .text(RFC3339.format(unixMilliseconds: ms))
    }

    static func render(_ elements: [[(String, Value?)]], root: String, element: String, format: Format) -> String {
        switch format {
        case .json:
            return json(.list(element: element, items: elements))
        case .xml:
            return xmlDeclaration + xml(root, .list(element: element, items: elements), indent: "")
        }
    }

    /// An answer that is one element, not a list (a service definition).
    static func renderObject(_ fields: [(String, Value?)], root: String, format: Format) -> String {
        switch format {
        case .json:
            return jsonObject(fields)
        case .xml:
            var text = xmlDeclaration + "<\(root)>\n"
            for (name, value) in fields { text += xml(name, value, indent: "  ") }
            return text + "</\(root)>\n"
        }
    }

    static let xmlDeclaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"

    static func xml(_ name: String, _ value: Value?, indent: String) -> String {
        switch value {
        case nil:
            return "\(indent)<\(name)/>\n"
        case .list(let element, let items)?:
            var text = "\(indent)<\(name)>\n"
            for fields in items {
                text += "\(indent)  <\(element)>\n"
                for (member, memberValue) in fields { text += xml(member, memberValue, indent: indent + "    ") }
                text += "\(indent)  </\(element)>\n"
            }
            return text + "\(indent)</\(name)>\n"
        case .texts(let element, let items)?:
            var text = "\(indent)<\(name)>\n"
            for item in items { text += "\(indent)  <\(element)>\(xmlEscaped(item))</\(element)>\n" }
            return text + "\(indent)</\(name)>\n"
        case let scalar?:
            return "\(indent)<\(name)>\(xmlEscaped(plain(scalar)))</\(name)>\n"
        }
    }

    static func jsonObject(_ fields: [(String, Value?)]) -> String {
        "{" + fields.map { "\(jsonString($0.0)):\(json($0.1))" }.joined(separator: ",") + "}"
    }

    static func plain(_ value: Value) -> String {
        switch value {
        case .text(let text): return text
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? "\(Int64(number))" : "\(number)"
        case .bool(let flag): return flag ? "true" : "false"
        case .list(_, let items): return items.map(jsonObject).joined(separator: ",")
        case .texts(_, let items): return items.joined(separator: ",")
        }
    }

    static func json(_ value: Value?) -> String {
        switch value {
        case nil: return "null"
        case .text(let text)?: return jsonString(text)
        case .list(_, let items)?: return "[" + items.map(jsonObject).joined(separator: ",") + "]"
        case .texts(_, let items)?: return "[" + items.map(jsonString).joined(separator: ",") + "]"
        case let scalar?: return plain(scalar)
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest as UTF-8.
    public static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Text for an XML element: `&`, `<`, `>` escaped, and the control characters XML 1.0 forbids dropped.
    public static func xmlEscaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            default:
                if scalar.value < 0x20, scalar != "\n", scalar != "\r", scalar != "\t" { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
