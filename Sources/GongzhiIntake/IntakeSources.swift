import GongzhiIntakeSchemas

/// The intake module's sources file (`INTAKE_SOURCES`): the district's Open311 jurisdiction, the HTTP front
/// end, and every source with its kind, address, mapping and budget. Read with errors that name their line
/// and column; mapping files are named relative to the sources file and read by the caller.
public struct IntakeSources: Equatable, Sendable {
    /// Where an MQTT source's broker listens.
    public enum Broker: Equatable, Sendable, CustomStringConvertible {
        case unixSocket(path: String)
        case tcp(host: String, port: Int)

        public var description: String {
            switch self {
            case .unixSocket(let path): return "unix:\(path)"
            case .tcp(let host, let port): return "\(host):\(port)"
            }
        }
    }

    /// The format of a file source's records.
    public enum FileFormat: String, Equatable, Sendable {
        case csv
        case jsonl
    }

    /// One configured source.
    public struct Source: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// Sensor readings from a broker: its address, client id, topic filters, and the catalogue
            /// category of each sensor kind's critical alerts.
            case mqtt(broker: Broker, clientID: String, topics: [String], alertCategories: [String: String])
            /// Tickets over Open311: the services offered and the attribute holding the ticket number.
            case open311(services: [Open311Service], ticketNumberAttribute: String)
            /// Department files imported with `gongzhictl intake import`.
            case file(format: FileFormat, encoding: String)
        }

        public var name: String
        public var kind: Kind
        /// The mapping file (as written, relative to the sources file), for Open311 and file sources.
        public var mappingPath: String
        public var maximumInFlight: Int

        public init(name: String, kind: Kind, mappingPath: String = "", maximumInFlight: Int) {
            self.name = name
            self.kind = kind
            self.mappingPath = mappingPath
            self.maximumInFlight = maximumInFlight
        }

        /// The kind as the service reports it.
        public var sourceKind: Gongzhi_Intake_V1_SourceKind {
            switch kind {
            case .mqtt: return .mqtt
            case .open311: return .open311
            case .file: return .file
            }
        }
    }

    /// The Open311 jurisdiction (the district's code); a POST naming another is refused.
    public var jurisdictionID: String
    /// The HTTP front end's address ("127.0.0.1:8311" by default: loopback).
    public var httpAddress: String
    /// Open311 discovery's contact and key service texts.
    public var contact: String
    public var keyService: String
    public var sources: [Source]

    public static let defaultHTTPAddress = "127.0.0.1:8311"
    static let defaultBudgets: [String: Int] = ["mqtt": 100_000, "open311": 10_000, "file": 50_000]

    public init(
        jurisdictionID: String,
        httpAddress: String = defaultHTTPAddress,
        contact: String = "",
        keyService: String = "",
        sources: [Source]
    ) {
        self.jurisdictionID = jurisdictionID
        self.httpAddress = httpAddress
        self.contact = contact
        self.keyService = keyService
        self.sources = sources
    }

    /// The source of this name, if configured.
    public func source(named name: String) -> Source? {
        sources.first { $0.name == name }
    }

    /// Reads a sources file. Every problem is an error naming its line and column (`sources.invalid`, or
    /// `json.syntax`): an unknown member, a missing or mistyped one, a duplicate source name, an unknown kind,
    /// a broker address that is neither `unix:PATH` nor `HOST:PORT`, an Open311 service without a code.
    public static func parse(_ text: String) throws(InputError) -> IntakeSources {
        do {
            return try parseMapping(text)
        } catch {
            throw InputError(
                code: error.code == "mapping.invalid" ? "sources.invalid" : error.code,
                message: error.message,
                line: error.line,
                column: error.column
            )
        }
    }

    private static func parseMapping(_ text: String) throws(InputError) -> IntakeSources {
        let root = try JSONDocument.parse(text)
        let top = try MappingObject(root, path: "the sources file")
        try top.allow(["jurisdiction_id", "http", "sources"])
        var sources = IntakeSources(jurisdictionID: try top.requiredString("jurisdiction_id"), sources: [])
        if let httpNode = top.member("http") {
            let http = try MappingObject(httpNode, path: "\"http\"")
            try http.allow(["address", "contact", "key_service"])
            if let address = try http.optionalString("address") {
                guard HTTPAddress(address) != nil else {
                    throw (http.member("address") ?? httpNode).error(
                        "mapping.invalid",
                        "\"address\" must be HOST:PORT, like 127.0.0.1:8311, not \"\(address)\""
                    )
                }
                sources.httpAddress = address
            }
            sources.contact = try http.optionalString("contact") ?? ""
            sources.keyService = try http.optionalString("key_service") ?? ""
        }
        let listNode = try top.required("sources")
        guard case .array(let items) = listNode.value else {
            throw listNode.error("mapping.invalid", "\"sources\" must be an array, not \(listNode.typeName)")
        }
        for item in items {
            let source = try parseSource(item)
            if sources.source(named: source.name) != nil {
                throw item.error("mapping.invalid", "the source \"\(source.name)\" is configured twice")
            }
            sources.sources.append(source)
        }
        return sources
    }

    private static func parseSource(_ node: JSONNode) throws(InputError) -> Source {
        let object = try MappingObject(node, path: "a source")
        let name = try object.requiredString("name")
        guard
            name.unicodeScalars.allSatisfy({
                $0.isASCII && ($0 == "-" || $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0))
            })
        else {
            throw (object.member("name") ?? node).error(
                "mapping.invalid",
                "the source name \"\(name)\" may hold only ASCII letters, digits, - and _ (it appears in URLs)"
            )
        }
        let path = "the source \"\(name)\""
        let kindNode = try object.required("kind")
        let kindName = try MappingObject.string(kindNode, path: "\"kind\" of \(path)")
        var budget = defaultBudgets[kindName] ?? 10_000
        if let budgetNode = object.member("max_in_flight") {
            guard case .number(let number, _) = budgetNode.value, number >= 1, number <= 10_000_000,
                number == number.rounded()
            else {
                throw budgetNode.error(
                    "mapping.invalid",
                    "\"max_in_flight\" of \(path) must be a whole number from 1 to 10000000"
                )
            }
            budget = Int(number)
        }
        switch kindName {
        case "mqtt":
            try object.allow(["name", "kind", "broker", "client_id", "topics", "alert_categories", "max_in_flight"])
            let brokerNode = try object.required("broker")
            let brokerText = try MappingObject.string(brokerNode, path: "\"broker\" of \(path)")
            guard let broker = parseBroker(brokerText) else {
                throw brokerNode.error(
                    "mapping.invalid",
                    "\"broker\" of \(path) must be unix:/path/to/socket or HOST:PORT, not \"\(brokerText)\""
                )
            }
            let clientID = try object.optionalString("client_id") ?? "gongzhi-intake-\(name)"
            let topics = try strings(try object.required("topics"), path: "\"topics\" of \(path)")
            if topics.isEmpty {
                throw node.error("mapping.invalid", "\"topics\" of \(path) names no topic filter")
            }
            var categories: [String: String] = [:]
            if let categoriesNode = object.member("alert_categories") {
                let table = try MappingObject(categoriesNode, path: "\"alert_categories\" of \(path)")
                for member in table.members {
                    let code = try MappingObject.string(member.node, path: "the category of \"\(member.key)\"")
                    guard SourceMapping.isCatalogueCode(code) else {
                        throw member.node.error(
                            "mapping.invalid",
                            "the category of sensor kind \"\(member.key)\" must be a catalogue code like E0405"
                        )
                    }
                    categories[member.key] = code
                }
            }
            return Source(
                name: name,
                kind: .mqtt(broker: broker, clientID: clientID, topics: topics, alertCategories: categories),
                maximumInFlight: budget
            )
        case "open311":
            try object.allow(["name", "kind", "mapping", "services", "ticket_number_attribute", "max_in_flight"])
            let servicesNode = try object.required("services")
            guard case .array(let serviceNodes) = servicesNode.value else {
                throw servicesNode.error("mapping.invalid", "\"services\" of \(path) must be an array")
            }
            var services: [Open311Service] = []
            for serviceNode in serviceNodes {
                let service = try parseService(serviceNode, sourcePath: path)
                if services.contains(where: { $0.code == service.code }) {
                    throw serviceNode.error("mapping.invalid", "\(path) offers the service \"\(service.code)\" twice")
                }
                services.append(service)
            }
            if services.isEmpty { throw servicesNode.error("mapping.invalid", "\(path) offers no service") }
            return Source(
                name: name,
                kind: .open311(
                    services: services,
                    ticketNumberAttribute: try object.optionalString("ticket_number_attribute") ?? ""
                ),
                mappingPath: try object.requiredString("mapping"),
                maximumInFlight: budget
            )
        case "file":
            try object.allow(["name", "kind", "mapping", "format", "encoding", "max_in_flight"])
            var format = FileFormat.csv
            if let formatNode = object.member("format") {
                let text = try MappingObject.string(formatNode, path: "\"format\" of \(path)")
                guard let parsed = FileFormat(rawValue: text) else {
                    throw formatNode.error("mapping.invalid", "\"format\" of \(path) must be csv or jsonl")
                }
                format = parsed
            }
            let encoding = try object.optionalString("encoding") ?? "utf-8"
            guard ["utf-8", "gb18030"].contains(encoding) else {
                throw (object.member("encoding") ?? node).error(
                    "mapping.invalid",
                    "\"encoding\" of \(path) must be utf-8 or gb18030"
                )
            }
            return Source(
                name: name,
                kind: .file(format: format, encoding: encoding),
                mappingPath: try object.requiredString("mapping"),
                maximumInFlight: budget
            )
        default:
            throw kindNode.error("mapping.invalid", "\"kind\" of \(path) must be mqtt, open311 or file")
        }
    }

    private static func parseService(_ node: JSONNode, sourcePath: String) throws(InputError) -> Open311Service {
        let object = try MappingObject(node, path: "a service of \(sourcePath)")
        try object.allow(["code", "name", "description", "type", "keywords", "group", "attributes"])
        let code = try object.requiredString("code")
        var service = Open311Service(code: code, name: try object.requiredString("name"))
        service.description = try object.optionalString("description") ?? ""
        if let typeNode = object.member("type") {
            let text = try MappingObject.string(typeNode, path: "\"type\" of the service \"\(code)\"")
            guard let type = Open311Service.ServiceType(rawValue: text) else {
                throw typeNode.error(
                    "mapping.invalid",
                    "\"type\" of the service \"\(code)\" must be realtime, batch or blackbox"
                )
            }
            service.type = type
        }
        if let keywords = object.member("keywords") {
            service.keywords = try strings(keywords, path: "\"keywords\" of the service \"\(code)\"")
        }
        service.group = try object.optionalString("group") ?? ""
        if let attributesNode = object.member("attributes") {
            guard case .array(let attributeNodes) = attributesNode.value else {
                throw attributesNode.error(
                    "mapping.invalid",
                    "\"attributes\" of the service \"\(code)\" must be an array"
                )
            }
            for attributeNode in attributeNodes {
                let attribute = try MappingObject(attributeNode, path: "an attribute of the service \"\(code)\"")
                try attribute.allow([
                    "code", "datatype", "required", "description", "datatype_description", "variable", "values",
                ])
                let attributeCode = try attribute.requiredString("code")
                let datatypeNode = try attribute.required("datatype")
                let datatypeText = try MappingObject.string(datatypeNode, path: "\"datatype\" of \"\(attributeCode)\"")
                guard let datatype = Open311Service.Attribute.Datatype(rawValue: datatypeText) else {
                    throw datatypeNode.error(
                        "mapping.invalid",
                        "\"datatype\" of \"\(attributeCode)\" must be string, number, datetime, text, "
                            + "singlevaluelist or multivaluelist"
                    )
                }
                var values: [(key: String, name: String)] = []
                if let valuesNode = attribute.member("values") {
                    let table = try MappingObject(valuesNode, path: "\"values\" of \"\(attributeCode)\"")
                    for member in table.members {
                        values.append((member.key, try MappingObject.string(member.node, path: "\"\(member.key)\"")))
                    }
                }
                service.attributes.append(
                    Open311Service.Attribute(
                        variable: try bool(attribute.member("variable"), default: true),
                        code: attributeCode,
                        datatype: datatype,
                        required: try bool(attribute.member("required"), default: false),
                        datatypeDescription: try attribute.optionalString("datatype_description") ?? "",
                        description: try attribute.requiredString("description"),
                        values: values
                    )
                )
            }
        }
        return service
    }

    private static func strings(_ node: JSONNode, path: String) throws(InputError) -> [String] {
        guard case .array(let items) = node.value else {
            throw node.error("mapping.invalid", "\(path) must be an array of strings, not \(node.typeName)")
        }
        var result: [String] = []
        for item in items { result.append(try MappingObject.string(item, path: path)) }
        return result
    }

    private static func bool(_ node: JSONNode?, default value: Bool) throws(InputError) -> Bool {
        guard let node else { return value }
        guard case .bool(let flag) = node.value else {
            throw node.error("mapping.invalid", "this member must be true or false, not \(node.typeName)")
        }
        return flag
    }

    /// `unix:/path` or `HOST:PORT`.
    public static func parseBroker(_ text: String) -> Broker? {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            return path.isEmpty ? nil : .unixSocket(path: path)
        }
        guard let address = HTTPAddress(text) else { return nil }
        return .tcp(host: address.host, port: address.port)
    }
}

/// A HOST:PORT address (port 0: any free port).
public struct HTTPAddress: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads HOST:PORT; nil when it is not one.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
