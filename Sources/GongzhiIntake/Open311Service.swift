/// A service a jurisdiction offers through Open311 (GET services), as a source's configuration declares it:
/// the 12345 hotline's categories, or a mini-program's.
public struct Open311Service: Equatable, Sendable {
    /// How a POST for the service is answered.
    public enum ServiceType: String, Equatable, Sendable {
        /// With the service_request_id at once.
        case realtime
        /// With a token, exchanged for the id later (GET tokens/{token}).
        case batch
        /// With nothing to follow.
        case blackbox
    }

    /// One question a request for the service answers (`attribute[code]`).
    public struct Attribute: Equatable, Sendable {
        /// The kinds of answer GeoReport v2 defines.
        public enum Datatype: String, Equatable, Sendable {
            case string, number, datetime, text, singlevaluelist, multivaluelist
        }

        /// False for an attribute that only informs the person and takes no answer.
        public var variable: Bool
        public var code: String
        public var datatype: Datatype
        public var required: Bool
        public var datatypeDescription: String
        public var description: String
        /// The choices of a singlevaluelist or multivaluelist: key and name.
        public var values: [(key: String, name: String)]

        public init(
            variable: Bool = true,
            code: String,
            datatype: Datatype,
            required: Bool,
            datatypeDescription: String = "",
            description: String,
            values: [(key: String, name: String)] = []
        ) {
            self.variable = variable
            self.code = code
            self.datatype = datatype
            self.required = required
            self.datatypeDescription = datatypeDescription
            self.description = description
            self.values = values
        }

        public static func == (lhs: Attribute, rhs: Attribute) -> Bool {
            lhs.variable == rhs.variable && lhs.code == rhs.code && lhs.datatype == rhs.datatype
                && lhs.required == rhs.required && lhs.datatypeDescription == rhs.datatypeDescription
                && lhs.description == rhs.description && lhs.values.map(\.key) == rhs.values.map(\.key)
                && lhs.values.map(\.name) == rhs.values.map(\.name)
        }
    }

    public var code: String
    public var name: String
    public var description: String
    public var type: ServiceType
    public var keywords: [String]
    public var group: String
    /// The attributes, in the order they are shown (`order` 1, 2, …); a service with any has `metadata` true.
    public var attributes: [Attribute]

    public init(
        code: String,
        name: String,
        description: String = "",
        type: ServiceType = .realtime,
        keywords: [String] = [],
        group: String = "",
        attributes: [Attribute] = []
    ) {
        self.code = code
        self.name = name
        self.description = description
        self.type = type
        self.keywords = keywords
        self.group = group
        self.attributes = attributes
    }
}
