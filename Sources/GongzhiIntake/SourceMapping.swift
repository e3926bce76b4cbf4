import GongzhiGridSchemas
import GongzhiIntakeSchemas

/// How one source's records are read and routed, as a big-data bureau writes it in a mapping file (JSON):
/// which of the source's fields hold the external id, the category, the location, the description and the
/// reporter; how the source's categories map to the grid catalogue's categories and routes; the datum of its
/// coordinates; the grid report source its complaints carry.
///
/// ```json
/// {
///   "source": "hotline-12345",
///   "grid_source": "hotline",
///   "datum": "gcj02",
///   "dedupe_window_minutes": 10,
///   "fields": {"external_id": "工单编号", "category": "诉求分类", "description": "诉求内容",
///              "latitude": "纬度", "longitude": "经度", "address": "地址"},
///   "categories": {
///     "道路积水": {"type": "complaint", "category": "E0405"},
///     "政策咨询": {"type": "consultation"}
///   }
/// }
/// ```
public struct SourceMapping: Equatable, Sendable {
    /// The datum of a source's coordinates.
    public enum Datum: String, Equatable, Sendable {
        /// WGS-84, as GPS and Open311 give them.
        case wgs84
        /// GCJ-02 (火星坐标), as WeChat and Amap give them: converted to WGS-84 on intake.
        case gcj02
    }

    /// Which of the source's field names hold what intake reads. Only `category` is required.
    public struct FieldNames: Equatable, Sendable {
        public var externalID: String?
        public var category: String
        public var description: String?
        public var latitude: String?
        public var longitude: String?
        public var address: String?
        public var addressID: String?
        public var reporterName: String?
        public var reporterPhone: String?

        public init(category: String) {
            self.category = category
        }
    }

    /// Where a source category goes: its item type, the catalogue category of a grid report, and a department
    /// named outright (otherwise the category's responsible department, if any, is found at routing time).
    public struct Route: Equatable, Sendable {
        public var type: Gongzhi_Intake_V1_ItemType
        public var categoryCode: String
        public var departmentID: String

        public init(type: Gongzhi_Intake_V1_ItemType, categoryCode: String = "", departmentID: String = "") {
            self.type = type
            self.categoryCode = categoryCode
            self.departmentID = departmentID
        }
    }

    /// The source's configured name.
    public var source: String
    public var datum: Datum
    /// The grid report source complaints and reports carry (`SOURCE_HOTLINE` for 12345).
    public var gridSource: Gongzhi_Grid_V1_Source
    public var fields: FieldNames
    /// Source category (as the source writes it) → route.
    public var routes: [String: Route]
    /// Two records with the same content within this many milliseconds are one.
    public var dedupeWindowMs: Int64

    /// The default window of content dedupe: 10 minutes.
    public static let defaultDedupeWindowMs: Int64 = 10 * 60 * 1000

    public init(
        source: String,
        datum: Datum = .wgs84,
        gridSource: Gongzhi_Grid_V1_Source,
        fields: FieldNames,
        routes: [String: Route],
        dedupeWindowMs: Int64 = SourceMapping.defaultDedupeWindowMs
    ) {
        self.source = source
        self.datum = datum
        self.gridSource = gridSource
        self.fields = fields
        self.routes = routes
        self.dedupeWindowMs = dedupeWindowMs
    }

    /// The route of a source category, nil when the mapping has none (the record waits for a person).
    public func route(forCategory category: String) -> Route? {
        routes[category.trimmingSpaces()]
    }
}

extension SourceMapping {
    static let gridSources: [String: Gongzhi_Grid_V1_Source] = [
        "patrol": .patrol, "visit": .visit, "online": .online, "hotline": .hotline, "sensor": .sensor,
        "assigned": .assigned,
    ]
    static let itemTypes: [String: Gongzhi_Intake_V1_ItemType] = [
        "complaint": .complaint, "report": .report, "consultation": .consultation, "help": .help,
        "suggestion": .suggestion,
    ]

    /// Reads a mapping file. Every problem is an error with the line and column of the member at fault (code
    /// `mapping.invalid`, or `json.syntax` for a file that is not JSON): an unknown member (a misspelt name),
    /// a missing one, a wrong type, an unknown item type or grid source, a complaint without a category code.
    public static func parse(_ text: String) throws(InputError) -> SourceMapping {
        let root = try JSONDocument.parse(text)
        let top = try MappingObject(root, path: "the mapping")
        try top.allow(["source", "datum", "grid_source", "fields", "categories", "dedupe_window_minutes"])
        let source = try top.requiredString("source")
        let datumNode = top.member("datum")
        var datum = Datum.wgs84
        if let datumNode {
            let text = try MappingObject.string(datumNode, path: "\"datum\"")
            guard let parsed = Datum(rawValue: text) else {
                throw datumNode.error("mapping.invalid", "\"datum\" must be \"wgs84\" or \"gcj02\", not \"\(text)\"")
            }
            datum = parsed
        }
        let gridSourceNode = try top.required("grid_source")
        let gridSourceName = try MappingObject.string(gridSourceNode, path: "\"grid_source\"")
        guard let gridSource = gridSources[gridSourceName] else {
            throw gridSourceNode.error(
                "mapping.invalid",
                "\"grid_source\" must be one of \(gridSources.keys.sorted().joined(separator: ", ")), "
                    + "not \"\(gridSourceName)\""
            )
        }
        var window = defaultDedupeWindowMs
        if let windowNode = top.member("dedupe_window_minutes") {
            guard case .number(let minutes, _) = windowNode.value, minutes >= 0, minutes <= 7 * 24 * 60,
                minutes == minutes.rounded()
            else {
                throw windowNode.error(
                    "mapping.invalid",
                    "\"dedupe_window_minutes\" must be a whole number of minutes from 0 to 10080 (a week)"
                )
            }
            window = Int64(minutes) * 60_000
        }

        let fieldsObject = try MappingObject(try top.required("fields"), path: "\"fields\"")
        try fieldsObject.allow([
            "external_id", "category", "description", "latitude", "longitude", "address", "address_id",
            "reporter_name", "reporter_phone",
        ])
        var fields = FieldNames(category: try fieldsObject.requiredString("category"))
        fields.externalID = try fieldsObject.optionalString("external_id")
        fields.description = try fieldsObject.optionalString("description")
        fields.latitude = try fieldsObject.optionalString("latitude")
        fields.longitude = try fieldsObject.optionalString("longitude")
        fields.address = try fieldsObject.optionalString("address")
        fields.addressID = try fieldsObject.optionalString("address_id")
        fields.reporterName = try fieldsObject.optionalString("reporter_name")
        fields.reporterPhone = try fieldsObject.optionalString("reporter_phone")
        if (fields.latitude == nil) != (fields.longitude == nil) {
            throw fieldsObject.node.error(
                "mapping.invalid",
                "\"fields\" names \(fields.latitude == nil ? "\"longitude\" without \"latitude\"" : "\"latitude\" without \"longitude\""); name both or neither"
            )
        }

        let categoriesNode = try top.required("categories")
        guard case .object(let members) = categoriesNode.value else {
            throw categoriesNode.error(
                "mapping.invalid",
                "\"categories\" must be an object, not \(categoriesNode.typeName)"
            )
        }
        if members.isEmpty {
            throw categoriesNode.error("mapping.invalid", "\"categories\" maps no category; add at least one")
        }
        var routes: [String: Route] = [:]
        for member in members {
            let path = "the category \"\(member.key)\""
            let entry = try MappingObject(member.node, path: path)
            try entry.allow(["type", "category", "department"])
            let typeNode = try entry.required("type")
            let typeName = try MappingObject.string(typeNode, path: "\"type\" of \(path)")
            guard let type = itemTypes[typeName] else {
                throw typeNode.error(
                    "mapping.invalid",
                    "\"type\" of \(path) must be one of complaint, report, consultation, help, suggestion, "
                        + "not \"\(typeName)\""
                )
            }
            let code = try entry.optionalString("category") ?? ""
            if let codeNode = entry.member("category"), !isCatalogueCode(code) {
                throw codeNode.error(
                    "mapping.invalid",
                    "\"category\" of \(path) must be a catalogue code like E0405 (a capital letter and four digits)"
                )
            }
            if type == .complaint || type == .report, code.isEmpty {
                throw member.node.error(
                    "mapping.invalid",
                    "\(path) is a \(typeName) and becomes a grid report: give its catalogue \"category\""
                )
            }
            let department = try entry.optionalString("department") ?? ""
            routes[member.key.trimmingSpaces()] = Route(type: type, categoryCode: code, departmentID: department)
        }
        return SourceMapping(
            source: source,
            datum: datum,
            gridSource: gridSource,
            fields: fields,
            routes: routes,
            dedupeWindowMs: window
        )
    }

    /// A grid catalogue code: a capital letter and four digits (E0405 道路积水).
    public static func isCatalogueCode(_ code: String) -> Bool {
        let scalars = Array(code.unicodeScalars)
        guard scalars.count == 5, ("A"..."Z").contains(scalars[0]) else { return false }
        return scalars.dropFirst().allSatisfy { ("0"..."9").contains($0) }
    }
}

/// An object of a mapping file, read with errors that name the member and its place.
struct MappingObject {
    let node: JSONNode
    let members: [JSONNode.Member]
    let path: String

    init(_ node: JSONNode, path: String) throws(InputError) {
        guard case .object(let members) = node.value else {
            throw node.error("mapping.invalid", "\(path) must be an object, not \(node.typeName)")
        }
        self.node = node
        self.members = members
        self.path = path
    }

    func allow(_ names: Set<String>) throws(InputError) {
        for member in members where !names.contains(member.key) {
            throw InputError(
                code: "mapping.invalid",
                message: "\(path) has no member \"\(member.key)\"; it takes \(names.sorted().joined(separator: ", "))",
                line: member.keyLine,
                column: member.keyColumn
            )
        }
    }

    func member(_ name: String) -> JSONNode? {
        members.first { $0.key == name }?.node
    }

    func required(_ name: String) throws(InputError) -> JSONNode {
        guard let found = member(name) else {
            throw node.error("mapping.invalid", "\(path) needs the member \"\(name)\"")
        }
        return found
    }

    func requiredString(_ name: String) throws(InputError) -> String {
        try Self.string(try required(name), path: "\"\(name)\"")
    }

    func optionalString(_ name: String) throws(InputError) -> String? {
        guard let found = member(name) else { return nil }
        return try Self.string(found, path: "\"\(name)\"")
    }

    static func string(_ node: JSONNode, path: String) throws(InputError) -> String {
        guard case .string(let text) = node.value else {
            throw node.error("mapping.invalid", "\(path) must be a string, not \(node.typeName)")
        }
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty { throw node.error("mapping.invalid", "\(path) must not be empty") }
        return trimmed
    }
}
