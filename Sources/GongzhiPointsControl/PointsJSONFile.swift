import GongzhiControl
import GongzhiPointsSchemas
import SwiftProtobuf

/// Messages read from JSON files in protobuf's JSON mapping (`transfers --file`, `rules put --file`), with
/// refusals that say which item is wrong and how.
enum PointsJSONFile {
    /// The most transfers one CreateTransfers call takes.
    static let batchLimit = 8_190

    /// The transfers of a batch file: a JSON list of Transfer, or `{"transfers": [...]}`.
    static func transfers(in bytes: [UInt8], name: String) throws(ControlError) -> [Gongzhi_Points_V1_Transfer] {
        let start = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let transfers: [Gongzhi_Points_V1_Transfer]
        if start == UInt8(ascii: "{") {
            do {
                transfers = try Gongzhi_Points_V1_CreateTransfersRequest(jsonUTF8Bytes: bytes).transfers
            } catch {
                throw refusal(name, "is not a list of transfers: \(describe(error))")
            }
        } else if start == UInt8(ascii: "[") {
            do {
                transfers = try Gongzhi_Points_V1_Transfer.array(fromJSONUTF8Bytes: bytes)
            } catch {
                throw refusal(name, firstProblem(in: bytes) ?? "is not a list of transfers: \(describe(error))")
            }
        } else {
            throw refusal(name, "is not a JSON list of transfers (it should start with [)")
        }
        guard !transfers.isEmpty else { throw refusal(name, "holds no transfers") }
        guard transfers.count <= batchLimit else {
            throw refusal(
                name,
                "holds \(TextLayout.grouped(transfers.count)) transfers; one call takes at most "
                    + "\(TextLayout.grouped(batchLimit)): split the file"
            )
        }
        return transfers
    }

    /// An earning rule from a JSON object.
    static func rule(in bytes: [UInt8], name: String) throws(ControlError) -> Gongzhi_Points_V1_EarningRule {
        do {
            return try Gongzhi_Points_V1_EarningRule(jsonUTF8Bytes: bytes)
        } catch {
            throw refusal(name, "is not an earning rule: \(describe(error))")
        }
    }

    /// Which item of a list does not read as a transfer, and why; nil when the list itself does not parse.
    private static func firstProblem(in bytes: [UInt8]) -> String? {
        guard let list = try? Google_Protobuf_ListValue(jsonUTF8Bytes: bytes) else { return nil }
        for (index, item) in list.values.enumerated() {
            guard case .structValue(let object) = item.kind else {
                return "transfer \(index + 1) is not a JSON object"
            }
            let id: String =
                if case .stringValue(let id) = object.fields["id"]?.kind { " (id \(id))" } else { "" }
            do {
                _ = try Gongzhi_Points_V1_Transfer(jsonString: try item.jsonString())
            } catch {
                return "transfer \(index + 1)\(id): \(describe(error))"
            }
        }
        return nil
    }

    private static func refusal(_ name: String, _ problem: String) -> ControlError {
        ControlError("\(name) \(problem)", exitCode: ControlExitCode.failed)
    }

    /// SwiftProtobuf's JSON decoding error in words.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? JSONDecodingError else { return "\(error)" }
        switch error {
        case .unknownField(let name):
            return "unknown field \"\(name)\" (fields are named as in the .proto, e.g. debit_account_id)"
        case .malformedNumber, .numberRange: return "a number is not a whole number in range"
        case .malformedBool: return "a flag is not true or false"
        case .malformedString: return "a string is malformed"
        case .unrecognizedEnumValue: return "a value is not one of its enum's names"
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
