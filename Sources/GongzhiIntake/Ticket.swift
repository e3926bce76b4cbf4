/// A point in degrees, in the datum its source declares until it is converted.
public struct Coordinate: Equatable, Sendable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// A ticket as intake reads it from any source (an Open311 request, a CSV row, a JSON line): what dedupe,
/// locating and routing need, with the source's own category still unmapped.
public struct Ticket: Equatable, Sendable {
    /// The source's own id (工单编号), empty when it has none.
    public var externalID: String = ""
    /// The category or service code as the source writes it.
    public var sourceCategory: String = ""
    public var description: String = ""
    /// In the source's datum.
    public var coordinate: Coordinate?
    public var address: String = ""
    public var addressID: String = ""
    public var reporterName: String = ""
    public var reporterPhone: String = ""

    public init() {}

    /// The longest description Open311 allows, in characters; the same limit holds for every source.
    public static let maximumDescriptionLength = 4_000
}

extension SourceMapping {
    /// Reads a record's fields (by the source's field names) into a ticket. `line` places the errors: a
    /// missing category (`field.missing`), a coordinate that is not a number or out of range (`field.type`,
    /// `value.implausible`), a latitude without its longitude (`field.missing`), a description over 4,000
    /// characters (`field.too_long`). Empty fields count as absent.
    public func ticket(from record: [String: String], line: Int) throws(InputError) -> Ticket {
        func value(_ name: String?) -> String {
            guard let name, let text = record[name] else { return "" }
            return text.trimmingSpaces()
        }
        var ticket = Ticket()
        ticket.externalID = value(fields.externalID)
        ticket.sourceCategory = value(fields.category)
        if ticket.sourceCategory.isEmpty {
            throw InputError(
                code: "field.missing",
                message: "the category field \"\(fields.category)\" is empty",
                line: line
            )
        }
        ticket.description = value(fields.description)
        if ticket.description.count > Ticket.maximumDescriptionLength {
            throw InputError(
                code: "field.too_long",
                message: "the description has \(ticket.description.count) characters, more than "
                    + "\(Ticket.maximumDescriptionLength)",
                line: line
            )
        }
        let latitude = value(fields.latitude)
        let longitude = value(fields.longitude)
        ticket.coordinate = try Self.coordinate(
            latitude: latitude.isEmpty ? nil : (latitude, fields.latitude ?? "latitude"),
            longitude: longitude.isEmpty ? nil : (longitude, fields.longitude ?? "longitude"),
            line: line
        )
        ticket.address = value(fields.address)
        ticket.addressID = value(fields.addressID)
        ticket.reporterName = value(fields.reporterName)
        ticket.reporterPhone = value(fields.reporterPhone)
        return ticket
    }

    /// A coordinate from the texts of its latitude and longitude, both or neither.
    static func coordinate(
        latitude: (text: String, name: String)?,
        longitude: (text: String, name: String)?,
        line: Int,
        column: Int = 0
    ) throws(InputError) -> Coordinate? {
        switch (latitude, longitude) {
        case (nil, nil):
            return nil
        case (let latitude?, nil):
            throw InputError(
                code: "field.missing",
                message: "\"\(latitude.name)\" is given without a longitude; give both or neither",
                line: line,
                column: column
            )
        case (nil, let longitude?):
            throw InputError(
                code: "field.missing",
                message: "\"\(longitude.name)\" is given without a latitude; give both or neither",
                line: line,
                column: column
            )
        case (let latitude?, let longitude?):
            let lat = try degrees(latitude.text, name: latitude.name, limit: 90, line: line, column: column)
            let lon = try degrees(longitude.text, name: longitude.name, limit: 180, line: line, column: column)
            return Coordinate(latitude: lat, longitude: lon)
        }
    }

    static func degrees(
        _ text: String,
        name: String,
        limit: Double,
        line: Int,
        column: Int
    ) throws(InputError)
        -> Double
    {
        guard let number = Double(text), number.isFinite else {
            throw InputError(
                code: "field.type",
                message: "\"\(name)\" must be a number of degrees",
                line: line,
                column: column
            )
        }
        guard abs(number) <= limit else {
            throw InputError(
                code: "value.implausible",
                message: "\"\(name)\" lies outside -\(Int(limit))…\(Int(limit)) degrees",
                line: line,
                column: column
            )
        }
        return number
    }
}
