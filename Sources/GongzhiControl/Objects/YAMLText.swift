import GongzhiDocuments
import Yams

/// Reading YAML (with Yams, keeping each value's line and leaving plain scalars untyped until a schema
/// says what they are) and writing it (block style, strings quoted only where YAML would read them as
/// something else).
enum YAMLText {
    /// Where YAML text stops being YAML, and why.
    struct SyntaxError: Error, Equatable, Sendable {
        /// The 1-based number of the document the problem is in.
        var document: Int
        var line: Int
        var column: Int
        var problem: String
    }

    /// The documents of a YAML stream (separated by `---`), with their 1-based numbers; empty documents
    /// are left out but counted.
    static func documents(in text: String) throws(SyntaxError) -> [(number: Int, value: SourceValue)] {
        var documents: [(number: Int, value: SourceValue)] = []
        var number = 0
        do {
            // The basic resolver types nothing: plain scalars stay text, typed later by where they stand.
            let parser = try Parser(yaml: text, resolver: .basic)
            while true {
                number += 1
                guard let root = try parser.nextRoot() else { break }
                let value = try sourceValue(root, depth: 0)
                if case .plain(let scalar) = value.content, PlainScalar.isNull(scalar) { continue }
                documents.append((number, value))
            }
        } catch var error as SyntaxError {
            error.document = number
            throw error
        } catch {
            throw syntaxError(error, document: max(number, 1))
        }
        return documents
    }

    private static func syntaxError(_ error: any Error, document: Int) -> SyntaxError {
        guard let error = error as? YamlError else {
            return SyntaxError(document: document, line: 1, column: 1, problem: "\(error)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var text = problem
            if let context { text += " (\(context.text) at line \(context.mark.line))" }
            return SyntaxError(document: document, line: mark.line, column: mark.column, problem: text)
        case .reader(let problem, _, _, _):
            return SyntaxError(document: document, line: 1, column: 1, problem: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SyntaxError(
                document: document,
                line: context.mark.line,
                column: context.mark.column,
                problem: "the key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) appears twice"
            )
        default:
            return SyntaxError(document: document, line: 1, column: 1, problem: "\(error)")
        }
    }

    /// Deeper than this is not a document a person wrote.
    private static let maximumDepth = 200

    private static func sourceValue(_ node: Node, depth: Int) throws -> SourceValue {
        let line = node.mark?.line ?? 1
        let column = node.mark?.column ?? 1
        guard depth < maximumDepth else {
            throw SyntaxError(document: 0, line: line, column: column, problem: "values are nested too deeply")
        }
        switch node {
        case .scalar(let scalar):
            return SourceValue(scalar.style == .plain ? .plain(scalar.string) : .string(scalar.string), line: line)
        case .sequence(let sequence):
            return SourceValue(.array(try sequence.map { try sourceValue($0, depth: depth + 1) }), line: line)
        case .mapping(let mapping):
            var members: [SourceMember] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw SyntaxError(
                        document: 0,
                        line: key.mark?.line ?? line,
                        column: key.mark?.column ?? column,
                        problem: "a key must be a plain string, not a list or mapping"
                    )
                }
                members.append(
                    SourceMember(
                        key: keyScalar.string,
                        keyLine: keyScalar.mark?.line ?? line,
                        value: try sourceValue(value, depth: depth + 1)
                    )
                )
            }
            return SourceValue(.object(members), line: line)
        case .alias:
            throw SyntaxError(document: 0, line: line, column: column, problem: "aliases are not supported")
        }
    }

    // MARK: Writing

    /// A value as a block-style YAML document, ending with a newline.
    static func document(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, inline: false, into: &out)
        return out
    }

    /// `inline`: the line is already started (after `- `), so the first line needs no indentation.
    private static func write(_ value: JSONValue, indent: Int, inline: Bool, into out: inout String) {
        let padding = String(repeating: " ", count: indent)
        switch value {
        case .object(let members) where !members.isEmpty:
            for (index, member) in members.enumerated() {
                if index > 0 || !inline { out += padding }
                out += scalar(member.key) + ":"
                switch member.value {
                case .object(let inner) where !inner.isEmpty:
                    out += "\n"
                    write(member.value, indent: indent + 2, inline: false, into: &out)
                case .array(let items) where !items.isEmpty:
                    out += "\n"
                    write(member.value, indent: indent + 2, inline: false, into: &out)
                default:
                    out += " " + scalarText(member.value) + "\n"
                }
            }
        case .array(let items) where !items.isEmpty:
            for (index, item) in items.enumerated() {
                if index > 0 || !inline { out += padding }
                out += "- "
                write(item, indent: indent + 2, inline: true, into: &out)
            }
        default:
            if !inline { out += padding }
            out += scalarText(value) + "\n"
        }
    }

    /// A scalar, or an empty object or list, as YAML text.
    private static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return text
        case .string(let text): return scalar(text)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// A string plain where YAML reads it back as the same string, else double-quoted with JSON's escapes
    /// (which YAML's double-quoted style shares).
    static func scalar(_ text: String) -> String {
        needsQuotes(text) ? JSONString.quoted(text) : text
    }

    private static func needsQuotes(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return true }
        if "-?:,[]{}#&*!|>'\"%@` ".unicodeScalars.contains(first) || last == " " || last == ":" { return true }
        if text.contains(": ") || text.contains(" #") { return true }
        if text.unicodeScalars.contains(where: JSONString.needsEscape) { return true }
        if PlainScalar.isNull(text) || PlainScalar.bool(text) != nil || text == "<<" || text == "=" { return true }
        // Numbers, dates and times, and .inf and .nan, all of which a YAML reader may take for other types.
        let scalars = Array(text.unicodeScalars.prefix(2))
        if ("0"..."9").contains(first) { return true }
        if "+-.".unicodeScalars.contains(first), scalars.count > 1,
            ("0"..."9").contains(scalars[1]) || scalars[1] == "."
        {
            return true
        }
        return [".inf", "+.inf", "-.inf", ".nan"].contains(text.lowercased())
    }
}
