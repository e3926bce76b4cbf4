import GongzhiDocuments

/// Why a message could not be converted between JSON and protobuf's binary form, and where in it:
/// `point.longitude: expected a number, not "abc"`.
struct CodecProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field path as the JSON spells it (`point.longitude`, `media[2]`, `labels["zone"]`); empty for
    /// the message itself.
    var path: String
    /// The line of the JSON text the problem is on, when the message was read from text.
    var line: Int?
    var problem: String

    init(path: String, line: Int? = nil, problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    /// The path, then the problem.
    var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}

/// Field paths, as the codec's messages write them.
enum FieldPath {
    /// `parent.key`, or `key` at the top.
    static func member(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : parent + "." + key
    }

    /// `parent[index]`.
    static func item(_ parent: String, _ index: Int) -> String {
        "\(parent)[\(index)]"
    }

    /// `parent["key"]`, a map entry.
    static func entry(_ parent: String, _ key: String) -> String {
        var quoted = ""
        JSONText.writeString(key, into: &quoted)
        return "\(parent)[\(quoted)]"
    }
}

extension SourceValue {
    /// The value as a message quotes it: a string in quotes (cut short when long), a number or literal as
    /// written, `a list` and `an object` for the rest.
    var quoted: String {
        switch content {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text), .plain(let text): return text
        case .string(let text):
            var out = ""
            JSONText.writeString(text.count > 40 ? String(text.prefix(40)) + "…" : text, into: &out)
            return out
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}
