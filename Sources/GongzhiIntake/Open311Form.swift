import GongzhiIntakeSchemas

/// The body of an Open311 GeoReport v2 POST service request (`application/x-www-form-urlencoded`), read into
/// the request intake stores. The key names the client; the rest is the ticket.
public struct Open311Form: Equatable, Sendable {
    /// The `api_key` parameter, empty when absent (the HTTP front end answers 403 then).
    public var apiKey: String
    public var request: Gongzhi_Intake_V1_SubmitTicketRequest

    /// The parameters with a single value that a request takes; others are ignored, as the spec allows.
    static let singleParameters: Set<String> = [
        "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
        "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
    ]

    /// Decodes a form body: percent-escapes and `+` for a space, `attribute[code]=v` and the multivaluelist
    /// form `attribute[code][]=v1&attribute[code][]=v2`. Errors carry the column (in characters) of the
    /// parameter at fault on line 1: a broken escape or bytes that are not UTF-8 (`form.encoding`), a
    /// parameter given twice (`field.repeated`), no service_code or no location (`field.missing`), lat without
    /// long (`field.missing`), coordinates that are not numbers (`field.type`), a description over 4,000
    /// characters (`field.too_long`).
    public static func decode(_ body: String) throws(InputError) -> Open311Form {
        var values: [String: (value: String, column: Int)] = [:]
        var attributes: [Gongzhi_Intake_V1_Attribute] = []
        var column = 1
        for pair in body.split(separator: "&", omittingEmptySubsequences: false) {
            defer { column += pair.count + 1 }
            if pair.isEmpty { continue }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try percentDecode(parts[0], column: column)
            let valueColumn = column + parts[0].count + 1
            let value = parts.count > 1 ? try percentDecode(parts[1], column: valueColumn) : ""
            if let code = attributeCode(name) {
                if let existing = attributes.firstIndex(where: { $0.code == code.code }) {
                    if !code.multiple {
                        throw InputError(
                            code: "field.repeated",
                            message: "attribute[\(code.code)] is given twice; a multivaluelist is written "
                                + "attribute[\(code.code)][]",
                            line: 1,
                            column: column
                        )
                    }
                    attributes[existing].values.append(value)
                } else {
                    var attribute = Gongzhi_Intake_V1_Attribute()
                    attribute.code = code.code
                    attribute.values = [value]
                    attributes.append(attribute)
                }
                continue
            }
            guard singleParameters.contains(name) else { continue }
            if values[name] != nil {
                throw InputError(code: "field.repeated", message: "\"\(name)\" is given twice", line: 1, column: column)
            }
            values[name] = (value, column)
        }

        func text(_ name: String) -> String { values[name]?.value.trimmingSpaces() ?? "" }
        var request = Gongzhi_Intake_V1_SubmitTicketRequest()
        request.serviceCode = text("service_code")
        if request.serviceCode.isEmpty {
            throw InputError(
                code: "field.missing",
                message: "\"service_code\" is required: the code of a service from services.json",
                line: 1,
                column: values["service_code"]?.column ?? 0
            )
        }
        request.jurisdictionID = text("jurisdiction_id")
        let latitude = text("lat")
        let longitude = text("long")
        let coordinate = try SourceMapping.coordinate(
            latitude: latitude.isEmpty ? nil : (latitude, "lat"),
            longitude: longitude.isEmpty ? nil : (longitude, "long"),
            line: 1,
            column: values["lat"]?.column ?? values["long"]?.column ?? 0
        )
        if let coordinate {
            request.lat = coordinate.latitude
            request.long = coordinate.longitude
        }
        request.addressString = text("address_string")
        request.addressID = text("address_id")
        if coordinate == nil, request.addressString.isEmpty, request.addressID.isEmpty {
            throw InputError(
                code: "field.missing",
                message: "a location is required: lat and long, address_string or address_id",
                line: 1
            )
        }
        request.email = text("email")
        request.deviceID = text("device_id")
        request.accountID = text("account_id")
        request.firstName = text("first_name")
        request.lastName = text("last_name")
        request.phone = text("phone")
        request.description_p = values["description"]?.value ?? ""
        if request.description_p.count > Ticket.maximumDescriptionLength {
            throw InputError(
                code: "field.too_long",
                message: "\"description\" has \(request.description_p.count) characters; Open311 allows "
                    + "\(Ticket.maximumDescriptionLength)",
                line: 1,
                column: values["description"]?.column ?? 0
            )
        }
        request.mediaURL = text("media_url")
        request.attributes = attributes
        return Open311Form(apiKey: text("api_key"), request: request)
    }

    /// The name-value pairs of a query string or form body, in order, repeated names kept: percent-escapes
    /// and `+` for a space decoded, a pair without `=` read with an empty value. Errors as `decode`'s
    /// (`form.encoding`, with the column on line 1).
    public static func parameters(_ text: String) throws(InputError) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        var column = 1
        for pair in text.split(separator: "&", omittingEmptySubsequences: false) {
            defer { column += pair.count + 1 }
            if pair.isEmpty { continue }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try percentDecode(parts[0], column: column)
            let value = parts.count > 1 ? try percentDecode(parts[1], column: column + parts[0].count + 1) : ""
            pairs.append((name, value))
        }
        return pairs
    }

    /// `attribute[code]` or `attribute[code][]`.
    static func attributeCode(_ name: String) -> (code: String, multiple: Bool)? {
        guard name.hasPrefix("attribute["), name.hasSuffix("]") else { return nil }
        var inner = name.dropFirst("attribute[".count).dropLast()
        var multiple = false
        if inner.hasSuffix("][") {
            inner = inner.dropLast(2)
            multiple = true
        }
        guard !inner.isEmpty, !inner.contains("["), !inner.contains("]") else { return nil }
        return (String(inner), multiple)
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; the bytes must be UTF-8.
    static func percentDecode(_ text: Substring, column: Int) throws(InputError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < utf8.count,
                    let high = JSONDocument.hexDigit(Unicode.Scalar(utf8[index + 1])),
                    let low = JSONDocument.hexDigit(Unicode.Scalar(utf8[index + 2]))
                else {
                    let offset = String(decoding: utf8[..<index], as: UTF8.self).count
                    throw InputError(
                        code: "form.encoding",
                        message: "'%' must be followed by two hexadecimal digits",
                        line: 1,
                        column: column + offset
                    )
                }
                bytes.append(UInt8(high * 16 + low))
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw InputError(
                code: "form.encoding",
                message: "the percent-escaped bytes are not UTF-8; Open311 bodies are UTF-8",
                line: 1,
                column: column
            )
        }
        return decoded
    }
}
