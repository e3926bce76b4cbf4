import GRDB

/// The SQL of one list page.
///
/// With an equality requirement, the query starts from the `labels_by_value` index, which yields exactly the
/// objects with that label, in id order; otherwise it walks the kind's objects in id order (by parent through
/// `objects_by_parent` when one is given). Every other requirement is an `EXISTS` test on the object's labels.
struct SQLiteListQuery {
    private(set) var sql: String
    private(set) var arguments: StatementArguments

    private static let columns = SQLiteRecords.objectColumns
        .split(separator: ", ")
        .map { "o.\($0)" }
        .joined(separator: ", ")

    init(kind: String, labels: [LabelRequirement], parent: String?, after: String?, limit: Int) {
        var requirements = labels
        let idColumn: String
        if let driver = requirements.firstIndex(where: { if case .equals = $0 { true } else { false } }),
            case .equals(let key, let value) = requirements.remove(at: driver)
        {
            // CROSS JOIN keeps SQLite from reordering the loops: labels first, in id order.
            sql = """
                SELECT \(Self.columns) FROM labels AS d CROSS JOIN objects AS o ON o.kind = d.kind AND o.id = d.id
                WHERE d.kind = ? AND d.key = ? AND d.value = ?
                """
            arguments = [kind, key, value]
            idColumn = "d.id"
        } else {
            sql = "SELECT \(Self.columns) FROM objects AS o WHERE o.kind = ?"
            arguments = [kind]
            idColumn = "o.id"
        }
        if let after, !after.isEmpty {
            sql += " AND \(idColumn) > ?"
            arguments += [after]
        }
        if let parent {
            sql += " AND o.parent = ?"
            arguments += [parent]
        }
        for requirement in requirements {
            append(requirement)
        }
        sql += " ORDER BY \(idColumn) LIMIT ?"
        arguments += [limit]
    }

    private mutating func append(_ requirement: LabelRequirement) {
        let label = "SELECT 1 FROM labels AS l WHERE l.kind = o.kind AND l.id = o.id AND l.key = ?"
        switch requirement {
        case .equals(let key, let value):
            sql += " AND EXISTS (\(label) AND l.value = ?)"
            arguments += [key, value]
        case .notEquals(let key, let value):
            sql += " AND NOT EXISTS (\(label) AND l.value = ?)"
            arguments += [key, value]
        case .exists(let key):
            sql += " AND EXISTS (\(label))"
            arguments += [key]
        case .notExists(let key):
            sql += " AND NOT EXISTS (\(label))"
            arguments += [key]
        case .in(let key, let values):
            sql += " AND EXISTS (\(label) AND l.value IN (\(Self.placeholders(values.count))))"
            arguments += [key]
            arguments += StatementArguments(values)
        case .notIn(let key, let values):
            sql += " AND NOT EXISTS (\(label) AND l.value IN (\(Self.placeholders(values.count))))"
            arguments += [key]
            arguments += StatementArguments(values)
        }
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
