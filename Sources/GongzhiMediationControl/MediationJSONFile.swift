import GongzhiControl
import GongzhiDocuments
import GongzhiMediationSchemas
import SwiftProtobuf

/// Messages read from JSON files in protobuf's JSON mapping (`--parties-file`, `draft --file`), with refusals
/// that say which item is wrong and how.
enum MediationJSONFile {
    /// The parties of a file: a JSON list of Party, or `{"parties": [...]}`.
    static func parties(in bytes: [UInt8], name: String) throws(ControlError) -> [Gongzhi_Mediation_V1_Party] {
        let document = try value(in: bytes, name: name)
        let items: [SourceValue]
        if let list = document.array {
            items = list
        } else if let list = document["parties"]?.array {
            items = list
        } else {
            throw refusal(name, "is not a list of parties (write [{\"role\": \"PARTY_ROLE_APPLICANT\", …}, …])")
        }
        guard !items.isEmpty else { throw refusal(name, "holds no parties") }
        var parties: [Gongzhi_Mediation_V1_Party] = []
        for (index, item) in items.enumerated() {
            guard case .object = item.content else {
                throw refusal(name, "party \(index + 1) (line \(item.line)) is not a JSON object")
            }
            let label = item["name"]?.string.map { " (\($0))" } ?? ""
            do {
                parties.append(try Gongzhi_Mediation_V1_Party(jsonString: JSONText.compact(item.json)))
            } catch {
                throw refusal(name, "party \(index + 1)\(label), line \(item.line): \(describe(error))")
            }
        }
        return parties
    }

    /// An agreement: a JSON object in protobuf's JSON mapping of Agreement. An obligation's deadline may be
    /// given as `"deadline": "2026-12-31"`, its last day in China Standard Time, instead of `deadline_ms`.
    static func agreement(in bytes: [UInt8], name: String) throws(ControlError) -> Gongzhi_Mediation_V1_Agreement {
        let document = try value(in: bytes, name: name)
        guard case .object(var members) = document.content else {
            throw refusal(name, "is not an agreement: it should be a JSON object, {\"party_ids\": [\"p1\", \"p2\"], …}")
        }
        if let index = members.firstIndex(where: { $0.key == "obligations" }), let list = members[index].value.array {
            var obligations: [SourceValue] = []
            for (number, item) in list.enumerated() {
                obligations.append(try withDeadline(item, obligation: number + 1, name: name))
            }
            members[index].value = SourceValue(.array(obligations), line: members[index].value.line)
        }
        do {
            return try Gongzhi_Mediation_V1_Agreement(
                jsonString: JSONText.compact(SourceValue(.object(members), line: 1).json)
            )
        } catch {
            throw refusal(name, "is not an agreement: \(describe(error))")
        }
    }

    /// An obligation with `deadline` (a day) turned into `deadline_ms`: the first moment after that day.
    private static func withDeadline(
        _ item: SourceValue,
        obligation number: Int,
        name: String
    ) throws(ControlError) -> SourceValue {
        guard case .object(var members) = item.content,
            let index = members.firstIndex(where: { $0.key == "deadline" })
        else { return item }
        let member = members[index]
        if members.contains(where: { $0.key == "deadline_ms" || $0.key == "deadlineMs" }) {
            throw refusal(name, "obligation \(number), line \(member.keyLine): give deadline or deadline_ms, not both")
        }
        guard let text = member.value.string, let day = try? MediationDay(parsing: text), day.day != nil else {
            throw refusal(
                name,
                "obligation \(number), line \(member.keyLine): deadline is the last day, written \"2026-12-31\""
            )
        }
        members[index] = SourceMember(
            key: "deadline_ms",
            keyLine: member.keyLine,
            value: SourceValue(.string(String(day.endMs)), line: member.value.line)
        )
        return SourceValue(.object(members), line: item.line)
    }

    private static func value(in bytes: [UInt8], name: String) throws(ControlError) -> SourceValue {
        do {
            return try JSONText.value(in: bytes)
        } catch {
            throw refusal(name, "is not JSON: line \(error.line), column \(error.column): \(error.problem)")
        }
    }

    private static func refusal(_ name: String, _ problem: String) -> ControlError {
        ControlError("\(name) \(problem)", exitCode: ControlExitCode.failed)
    }

    /// SwiftProtobuf's JSON decoding error in words.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? JSONDecodingError else { return "\(error)" }
        switch error {
        case .unknownField(let name):
            return "unknown field \"\(name)\" (fields are named as in the .proto, e.g. resident_id or party_ids)"
        case .malformedNumber, .numberRange: return "a number is not a whole number in range"
        case .malformedBool: return "a flag is not true or false"
        case .malformedString: return "a string is malformed"
        case .unrecognizedEnumValue:
            return "a value is not one of its enum's names (e.g. PARTY_ROLE_APPLICANT, PARTY_KIND_RESIDENT, "
                + "MATTER_KIND_CIVIL)"
        case .illegalNull: return "null where a value is needed"
        case .truncated: return "the JSON ends too soon"
        case .trailingGarbage: return "something follows the JSON value"
        case .invalidUTF8: return "the text is not UTF-8"
        case .schemaMismatch, .failure: return "a value has the wrong type for its field"
        case .leadingZero: return "a number has a leading zero"
        default: return "the JSON does not fit the message (\(error))"
        }
    }
}
