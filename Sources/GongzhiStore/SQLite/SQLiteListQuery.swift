import GRDB

/// The SQL of one list page.
///
/// With an equality requirement, the query starts from the `labels` table, which yields exactly the objects with
/// that label, in id order; otherwise it walks the kind's objects in id order (by parent through `objects_by_parent`
/// when one is given). Every other requirement is checked on each row's own labels (``matches(_:)``).
struct SQLiteListQuery {
    private(set) var sql: String
    private(set) var arguments: StatementArguments
    /// The requirements that the SQL does not check: the caller checks each row's labels with ``matches(_:)``.
    private(set) var remaining: [LabelRequirement]

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
        remaining = requirements
        sql += " ORDER BY \(idColumn)"
        // Objects that other requirements may still refuse are read until the page is full, so no LIMIT then.
        if requirements.isEmpty {
            sql += " LIMIT ?"
            arguments += [limit]
        }
    }

    /// Whether `labels` meet the requirements the SQL leaves to the caller.
    func matches(_ labels: [String: String]) -> Bool {
        remaining.allSatisfy { $0.matches(labels) }
    }
}
