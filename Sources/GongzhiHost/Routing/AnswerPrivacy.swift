import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Personal data and places in a plugin's answers, as the host enforces them on every routed call.
///
/// For a caller without the personal-data grant the output's sensitive fields are removed from each answer (unary
/// or streamed), and for a caller with it every answer that shows them is audited — as for reads of objects. For
/// a person held to places, every message in an answer that says its place (the `(gongzhi.core.v1.place)`
/// option) and lies outside the places where their roles allow the method is removed, an answer that itself lies
/// outside is refused, and personal data is shown only when everything the answer holds lies where a role shows
/// the person personal data. The plugin's schema says where the fields are, so a plugin cannot leak personal data
/// or another place's objects through an answer by mistake.
struct AnswerPrivacy: Sendable {
    /// The response metadata entry that lists the fields removed from a unary answer, comma-separated.
    static let redactedMetadataKey = "gongzhi-redacted-fields"

    let plugin: String
    let service: String
    let method: String
    let outputType: String
    let sensitive: SensitiveFields
    let places: PlaceFields
    let principal: Principal
    let seesPersonalData: Bool
    /// For a person: where the method is allowed, and where personal data is shown.
    let person: RoutedPerson?
    let audit: AuditLog

    /// Nil when the method's answers hold neither personal data nor (for a person held to places) places, or the
    /// plugin registered no descriptors.
    init?(
        plugin: String,
        service: String,
        method: ServiceSchema.Method?,
        principal: Principal,
        seesPersonalData: Bool,
        person: RoutedPerson? = nil,
        audit: AuditLog
    ) {
        guard let method else { return nil }
        let heldToPlaces = person.map { !$0.places.isEverywhere } ?? false
        guard !method.sensitiveOutput.isEmpty || (heldToPlaces && !method.placeOutput.isEmpty) else { return nil }
        self.plugin = plugin
        self.service = service
        self.method = method.name
        self.outputType = method.outputType
        self.sensitive = method.sensitiveOutput
        self.places = heldToPlaces ? method.placeOutput : .none
        self.principal = principal
        self.seesPersonalData = seesPersonalData
        self.person = person
        self.audit = audit
    }

    /// The answer as the caller may see it, and the paths of the fields removed from it.
    func present(_ payload: Data) throws(RPCError) -> (payload: Data, removed: [String]) {
        do {
            var payload = payload
            var showsPersonalData = seesPersonalData
            if let person, !places.isEmpty {
                let filtered = try WirePlaces.filter(payload, fields: places, within: person.places)
                if let own = filtered.place, !person.places.covers(own) {
                    let message =
                        "the answer of \(service)/\(method) lies in \(own.isEmpty ? "no place" : own), outside the "
                        + "places where person \(person.id)'s roles (\(person.roles.joined(separator: ", "))) allow "
                        + "it (\(person.places))"
                    audit.record(
                        principal: principal.description,
                        action: "\(service)/\(method)",
                        target: "plugin:\(plugin)",
                        outcome: "denied",
                        detail: message
                    )
                    throw RPCError(code: .permissionDenied, message: message)
                }
                payload = filtered.data
                // Personal data only when all the answer holds lies where a role shows it to the person.
                showsPersonalData =
                    showsPersonalData && !filtered.kept.isEmpty
                    && filtered.kept.allSatisfy { person.personalDataPlaces.covers($0) }
            } else if let person, !person.personalDataPlaces.isEverywhere {
                // An answer that says no place: personal data only for a person who sees it everywhere they
                // may call the method.
                showsPersonalData =
                    showsPersonalData
                    && person.places.codes.map {
                        $0.allSatisfy { person.personalDataPlaces.covers($0) }
                    } ?? false
            }
            if sensitive.isEmpty { return (payload, []) }
            if showsPersonalData {
                let shown = try WireRedaction.sensitivePaths(in: payload, fields: sensitive)
                if !shown.isEmpty { record(shown) }
                return (payload, [])
            }
            let redacted = try WireRedaction.redact(payload, fields: sensitive)
            return (redacted.data, redacted.removed)
        } catch let refusal as RPCError {
            throw refusal
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
                + (person.map { "; shown by role \($0.roles.joined(separator: ", ")) in \($0.personalDataPlaces)" }
                    ?? "")
        )
    }
}
