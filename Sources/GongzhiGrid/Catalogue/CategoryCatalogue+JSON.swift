import GongzhiDocuments
import GongzhiGridSchemas
import GongzhiSchemas

extension CategoryCatalogue {
    /// Reads a catalogue from JSON, e.g. a file the operator configures in place of `standard`:
    ///
    /// ```json
    /// {
    ///   "duplicate_radius_m": 50,
    ///   "duplicate_window_minutes": 1440,
    ///   "escalation_deadline_minutes": {"community": 2880, "street": 7200, "joint": 14400},
    ///   "categories": [
    ///     {"code": "E0101", "name": "暴露垃圾", "type": "event", "tier": "grid",
    ///      "deadline_minutes": 1440, "auto_dispatch": true}
    ///   ]
    /// }
    /// ```
    ///
    /// `categories` is required and not empty; each needs `code` (1–32 letters, digits, '-' or '_', unique),
    /// `name`, `type` ("part" or "event"), `tier` ("grid", "community", "street" or "joint") and
    /// `deadline_minutes` (1…525,600); `auto_dispatch` (default false) is for grid-tier categories only. The
    /// other members are optional: `duplicate_radius_m` (0…10,000, default 50), `duplicate_window_minutes`
    /// (0…43,200, default 1,440) and `escalation_deadline_minutes` per tier a case can be escalated to
    /// ("community", "street", "joint"; 1…525,600; missing ones keep the defaults). Unknown members are errors,
    /// so that a misspelt one is not silently ignored.
    ///
    /// Throws `invalidArgument` with a message naming `name`, the line, and the entry at fault, e.g.
    /// `grid-categories.json:14: categories[2] ("E0101"): tier "county" is not grid, community, street or joint`.
    public static func parse(json: [UInt8], name: String) throws(WorkflowError) -> CategoryCatalogue {
        let document: SourceValue
        do {
            document = try JSONText.value(in: json, maximumDepth: 64)
        } catch {
            throw .invalidArgument("\(name):\(error.line):\(error.column): not valid JSON: \(error.problem)")
        }
        var reader = CatalogueReader(file: name)
        return try reader.catalogue(document)
    }
}

/// Reads the members of a catalogue document, naming the file, line and entry in each error.
private struct CatalogueReader {
    let file: String

    init(file: String) {
        self.file = file
    }

    func fail(_ node: SourceValue, _ entry: String, _ message: String) -> WorkflowError {
        .invalidArgument("\(file):\(node.line): \(entry.isEmpty ? "" : entry + ": ")\(message)")
    }

    func members(
        _ node: SourceValue,
        _ entry: String,
        allowed: [String]
    ) throws(WorkflowError) -> [String: SourceValue] {
        guard case .object(let pairs) = node.content else {
            throw fail(node, entry, "expected an object but found \(node.jsonTypeDescription)")
        }
        // The reader refuses a member given twice.
        var result: [String: SourceValue] = [:]
        for member in pairs {
            guard allowed.contains(member.key) else {
                throw fail(
                    member.value,
                    entry,
                    "unknown member \"\(member.key)\"; the members are \(allowed.joined(separator: ", "))"
                )
            }
            result[member.key] = member.value
        }
        return result
    }

    func string(_ node: SourceValue, _ entry: String, _ member: String) throws(WorkflowError) -> String {
        guard let text = node.string else {
            throw fail(node, entry, "\(member) must be a string, not \(node.jsonTypeDescription)")
        }
        return text
    }

    /// A number as a person would write it: whole numbers without a fraction.
    static func shown(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    func number(
        _ node: SourceValue,
        _ entry: String,
        _ member: String,
        in range: ClosedRange<Double>
    ) throws(WorkflowError) -> Double {
        guard let number = node.number else {
            throw fail(node, entry, "\(member) must be a number, not \(node.jsonTypeDescription)")
        }
        guard range.contains(number) else {
            throw fail(
                node,
                entry,
                "\(member) is \(Self.shown(number)); it must be within \(range.lowerBound)…\(range.upperBound)"
            )
        }
        return number
    }

    func minutes(
        _ node: SourceValue,
        _ entry: String,
        _ member: String,
        in range: ClosedRange<UInt32>
    ) throws(WorkflowError) -> UInt32 {
        guard let number = node.number else {
            throw fail(node, entry, "\(member) must be a whole number of minutes, not \(node.jsonTypeDescription)")
        }
        guard number == number.rounded(.towardZero) else {
            throw fail(node, entry, "\(member) is \(Self.shown(number)); it must be a whole number of minutes")
        }
        guard number >= Double(range.lowerBound) && number <= Double(range.upperBound) else {
            throw fail(
                node,
                entry,
                "\(member) is \(Self.shown(number)); it must be within \(range.lowerBound)…\(range.upperBound)"
            )
        }
        return UInt32(number)
    }

    mutating func catalogue(_ document: SourceValue) throws(WorkflowError) -> CategoryCatalogue {
        let top = try members(
            document,
            "",
            allowed: ["duplicate_radius_m", "duplicate_window_minutes", "escalation_deadline_minutes", "categories"]
        )
        var catalogue = CategoryCatalogue(categories: [])
        if let node = top["duplicate_radius_m"] {
            catalogue.duplicateRadiusMeters = try number(node, "", "duplicate_radius_m", in: 0...10_000)
        }
        if let node = top["duplicate_window_minutes"] {
            catalogue.duplicateWindowMinutes = try minutes(node, "", "duplicate_window_minutes", in: 0...43_200)
        }
        if let node = top["escalation_deadline_minutes"] {
            let tiers: [(String, Gongzhi_Grid_V1_Tier)] = [
                ("community", .community), ("street", .street), ("joint", .joint),
            ]
            let entry = "escalation_deadline_minutes"
            let given = try members(node, entry, allowed: tiers.map(\.0))
            for (key, tier) in tiers {
                if let value = given[key] {
                    catalogue.escalationDeadlineMinutes[tier] = try minutes(value, entry, key, in: 1...525_600)
                }
            }
        }
        guard let list = top["categories"] else {
            throw fail(document, "", "the member \"categories\" is required: a list of categories")
        }
        guard let entries = list.array else {
            throw fail(list, "", "categories must be an array, not \(list.jsonTypeDescription)")
        }
        if entries.isEmpty {
            throw fail(list, "", "categories is empty; a catalogue needs at least one category")
        }
        var categories: [Gongzhi_Grid_V1_Category] = []
        var seen: [String: (index: Int, line: Int)] = [:]
        for (index, node) in entries.enumerated() {
            let category = try self.category(node, index: index)
            if let first = seen[category.code] {
                throw fail(
                    node,
                    "categories[\(index)] (\"\(category.code)\")",
                    "the code \(category.code) is also categories[\(first.index)]'s (line \(first.line)); codes are unique"
                )
            }
            seen[category.code] = (index, node.line)
            categories.append(category)
        }
        catalogue.categories = categories
        return catalogue
    }

    func category(_ node: SourceValue, index: Int) throws(WorkflowError) -> Gongzhi_Grid_V1_Category {
        var entry = "categories[\(index)]"
        let given = try members(
            node,
            entry,
            allowed: ["code", "name", "type", "tier", "deadline_minutes", "auto_dispatch"]
        )
        func required(_ member: String) throws(WorkflowError) -> SourceValue {
            guard let value = given[member] else { throw fail(node, entry, "the member \"\(member)\" is required") }
            return value
        }
        var category = Gongzhi_Grid_V1_Category()

        let codeNode = try required("code")
        category.code = try string(codeNode, entry, "code")
        let codeIsValid =
            (1...32).contains(category.code.utf8.count)
            && category.code.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "_")
            }
        guard codeIsValid else {
            throw fail(codeNode, entry, "the code \"\(category.code)\" must be 1–32 letters, digits, '-' or '_'")
        }
        entry += " (\"\(category.code)\")"

        let nameNode = try required("name")
        category.name = try string(nameNode, entry, "name")
        if category.name.allSatisfy(\.isWhitespace) {
            throw fail(nameNode, entry, "name is empty; give the category's name, e.g. 暴露垃圾")
        }

        let typeNode = try required("type")
        switch try string(typeNode, entry, "type") {
        case "part": category.type = .part
        case "event": category.type = .event
        case let other: throw fail(typeNode, entry, "type \"\(other)\" is not part or event")
        }

        let tierNode = try required("tier")
        let tierName = try string(tierNode, entry, "tier")
        guard let tier = Gongzhi_Grid_V1_Tier.known.first(where: { $0.wording == tierName }) else {
            throw fail(tierNode, entry, "tier \"\(tierName)\" is not grid, community, street or joint")
        }
        category.tier = tier

        category.deadlineMinutes = try minutes(
            try required("deadline_minutes"),
            entry,
            "deadline_minutes",
            in: 1...525_600
        )

        if let autoNode = given["auto_dispatch"] {
            guard case .bool(let auto) = autoNode.content else {
                throw fail(autoNode, entry, "auto_dispatch must be true or false, not \(autoNode.jsonTypeDescription)")
            }
            if auto && tier != .grid {
                throw fail(
                    autoNode,
                    entry,
                    "auto_dispatch is for grid-tier categories (it goes to the grid's worker), and this one is \(tierName)"
                )
            }
            category.autoDispatch = auto
        }
        return category
    }
}
