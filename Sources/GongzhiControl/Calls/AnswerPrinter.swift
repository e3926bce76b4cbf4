import GongzhiDocuments
import GongzhiRPC

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Prints the answers of `gongzhictl call` as they come: for people a unary answer as indented JSON and a
/// stream's answers one JSON document a line; with `-o json` every answer on one line; with `-o yaml` a YAML
/// document each. Notes for people (fields the descriptors do not define, personal data the host withheld)
/// go to standard error, each once.
struct AnswerPrinter {
    let context: ControlContext
    let format: OutputFormat
    let decoder: BinaryToJSON
    /// The full name of the answers' message.
    let messageName: String
    /// Whether more than one answer may come.
    let streaming: Bool
    private var noted: Set<String> = []

    /// The response metadata entry in which the host lists the fields it removed from an answer.
    static let redactedFieldsKey = "gongzhi-redacted-fields"

    init(context: ControlContext, format: OutputFormat, decoder: BinaryToJSON, messageName: String, streaming: Bool) {
        self.context = context
        self.format = format
        self.decoder = decoder
        self.messageName = messageName
        self.streaming = streaming
    }

    /// Prints one answer.
    mutating func print(_ payload: Data) throws(ControlError) {
        let decoded: BinaryToJSON.Decoded
        do {
            decoded = try decoder.decode([UInt8](payload), messageName: messageName)
        } catch {
            throw ControlError(
                "the answer is not a valid \(messageName): \(error) (do the plugin's descriptors match what it sends?)",
                exitCode: ControlExitCode.failed
            )
        }
        switch format {
        case .table where !streaming: context.writeOutput(JSONText.pretty(decoded.json) + "\n")
        case .table, .json: context.writeOutput(JSONText.compact(decoded.json) + "\n")
        case .yaml: context.writeOutput((streaming ? "---\n" : "") + YAMLText.document(decoded.json))
        }
        for text in decoded.notes { note(text) }
    }

    /// Tells people about the fields the host withheld, from the response metadata.
    mutating func noteWithheld(_ metadata: Metadata) {
        let fields = metadata.values(for: Self.redactedFieldsKey).flatMap { $0.split(separator: ",") }
        guard !fields.isEmpty else { return }
        note(
            "the host withheld personal data from the answer: \(fields.joined(separator: ", ")) "
                + "(the caller lacks the grant to read it)"
        )
    }

    private mutating func note(_ text: String) {
        if noted.insert(text).inserted { context.writeError("note: \(text)\n") }
    }
}
