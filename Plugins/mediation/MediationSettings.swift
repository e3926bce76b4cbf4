import Foundation
import GongzhiCalendar
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC

/// What the host's config gives the plugin in its environment (`[plugins.mediation] env = { … }`):
///
/// - `MEDIATION_CLOCK_FILE`: for tests, a file holding the current time in milliseconds since the epoch; the
///   plugin reads it whenever it needs the time, so a test can move time forward.
/// - `MEDIATION_ALERT_INTERVAL_MS`: how often the clocks are looked at for ones that ran out (default 60,000;
///   10 or more).
/// - `MEDIATION_DISPUTE_CATEGORIES`: the grid categories whose cases are disputes and may be handed over,
///   separated by commas (default `E0701,E0704,E0705`).
/// - `MEDIATION_COMMITTEE_NAME`: the committee's name on printed documents (default: the dispute's community
///   code and 人民调解委员会).
/// - `MEDIATION_REST_DAYS_FILE`: the public holidays of years the built-in table does not hold, as the State
///   Council announces them (the format of ``RestDays/parse(_:)``; see Docs/mediation.md).
///
/// A bad value stops the start with a message naming the variable.
struct MediationSettings: Sendable {
    static let defaultDisputeCategories = ["E0701", "E0704", "E0705"]

    var clock: PluginClock
    var alertInterval: Duration
    /// The grid categories of disputes, in the order given.
    var disputeCategories: [String]
    /// The committee's name; nil for each dispute's community's own.
    var committeeName: String?
    /// The days on which no legal period ends: the built-in table, and the file's years.
    var restDays: RestDays = .standard

    init(
        clock: PluginClock = .system,
        alertInterval: Duration = .seconds(60),
        disputeCategories: [String] = MediationSettings.defaultDisputeCategories,
        committeeName: String? = nil
    ) {
        self.clock = clock
        self.alertInterval = alertInterval
        self.disputeCategories = disputeCategories
        self.committeeName = committeeName
    }

    static func fromEnvironment() throws(RPCError) -> MediationSettings {
        try parse(PluginEnvironment.processVariable)
    }

    /// The settings the variables `lookup` answers give; INVALID_ARGUMENT naming the variable for a bad value.
    static func parse(_ lookup: (String) -> String?) throws(RPCError) -> MediationSettings {
        func value(_ name: String) -> String? {
            guard let text = lookup(name)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        var settings = MediationSettings(clock: PluginClock(file: value("MEDIATION_CLOCK_FILE")))
        if let text = value("MEDIATION_ALERT_INTERVAL_MS") {
            guard let milliseconds = Int64(text), milliseconds >= 10 else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "MEDIATION_ALERT_INTERVAL_MS is \"\(text)\"; give a number of milliseconds, 10 or more"
                )
            }
            settings.alertInterval = .milliseconds(milliseconds)
        }
        if let text = value("MEDIATION_DISPUTE_CATEGORIES") {
            let codes = text.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let wellFormed =
                !codes.isEmpty
                && codes.allSatisfy { code in
                    !code.isEmpty && code.count <= 32
                        && code.unicodeScalars.allSatisfy { $0.isASCII && CharacterSet.alphanumerics.contains($0) }
                }
            guard wellFormed else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "MEDIATION_DISPUTE_CATEGORIES is \"\(text)\"; give grid category codes separated by "
                        + "commas, such as \(defaultDisputeCategories.joined(separator: ","))"
                )
            }
            var seen: Set<String> = []
            settings.disputeCategories = codes.filter { seen.insert($0).inserted }
        }
        if let text = value("MEDIATION_COMMITTEE_NAME") {
            guard text.count <= 100 else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "MEDIATION_COMMITTEE_NAME has \(text.count) characters; give a name of at most 100"
                )
            }
            settings.committeeName = text
        }
        if let path = value("MEDIATION_REST_DAYS_FILE") {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "MEDIATION_REST_DAYS_FILE names \(path), which cannot be read as UTF-8 text"
                )
            }
            do {
                settings.restDays = RestDays.standard.adding(try RestDays.parse(text))
            } catch {
                throw RPCError(code: .invalidArgument, message: "MEDIATION_REST_DAYS_FILE \(path), \(error)")
            }
        }
        return settings
    }

    /// The committee's name on `dispute`'s documents.
    func committee(of dispute: Gongzhi_Mediation_V1_Dispute) -> String {
        committeeName ?? "\(dispute.communityCode)人民调解委员会"
    }
}

/// The mediation plugin's kind, for registering it with the host.
enum MediationKinds {
    /// The descriptors the service's stubs carry, which define Dispute and everything it uses.
    static func fileDescriptorSet() throws -> Data {
        guard let set = RPCFileDescriptorSet(base64: Gongzhi_Mediation_V1_Mediation.fileDescriptorSetBase64) else {
            throw RPCError(code: .internal, message: "the embedded descriptors of the mediation service do not decode")
        }
        return set.bytes
    }
}
