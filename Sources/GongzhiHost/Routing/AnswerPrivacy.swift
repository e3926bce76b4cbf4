import GongzhiObjects
import GongzhiRPC

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Personal data in a plugin's answers, as the host enforces it on every routed call: for a caller without the
/// personal-data grant the output's sensitive fields are removed from each answer (unary or streamed), and for
/// a caller with it every answer that shows them is audited — as for reads of objects. The plugin's schema
/// says where the fields are, so a plugin cannot leak personal data through an answer by mistake.
struct AnswerPrivacy: Sendable {
    /// The response metadata entry that lists the fields removed from a unary answer, comma-separated.
    static let redactedMetadataKey = "gongzhi-redacted-fields"

    let plugin: String
    let service: String
    let method: String
    let outputType: String
    let sensitive: SensitiveFields
    let principal: Principal
    let seesPersonalData: Bool
    let audit: AuditLog

    /// Nil when the method's answers hold no personal data (or the plugin registered no descriptors).
    init?(
        plugin: String,
        service: String,
        method: ServiceSchema.Method?,
        principal: Principal,
        seesPersonalData: Bool,
        audit: AuditLog
    ) {
        guard let method, !method.sensitiveOutput.isEmpty else { return nil }
        self.plugin = plugin
        self.service = service
        self.method = method.name
        self.outputType = method.outputType
        self.sensitive = method.sensitiveOutput
        self.principal = principal
        self.seesPersonalData = seesPersonalData
        self.audit = audit
    }

    /// The answer as the caller may see it, and the paths of the fields removed from it.
    func present(_ payload: Data) throws(RPCError) -> (payload: Data, removed: [String]) {
        do {
            if seesPersonalData {
                let shown = try WireRedaction.sensitivePaths(in: payload, fields: sensitive)
                if !shown.isEmpty { record(shown) }
                return (payload, [])
            }
            let redacted = try WireRedaction.redact(payload, fields: sensitive)
            return (redacted.data, redacted.removed)
        } catch {
            // An answer that cannot be read field by field cannot be redacted: it is not passed on.
            audit.record(
                principal: principal.description,
                action: "\(service)/\(method)",
                target: "plugin:\(plugin)",
                outcome: "failed",
                detail: "the plugin's answer is not a valid \(outputType): \(error)"
            )
            throw RPCError(
                code: .internal,
                message: "plugin \(plugin) answered \(service)/\(method) with bytes that are not a valid "
                    + "\(outputType) (\(error)); the host does not pass on an answer it cannot check for personal data"
            )
        }
    }

    private func record(_ fields: [String]) {
        audit.record(
            principal: principal.description,
            action: "\(service)/\(method)",
            target: "plugin:\(plugin)",
            outcome: "personal-data",
            detail: "shown \(fields.joined(separator: ", ")) in a \(outputType)"
        )
    }
}
