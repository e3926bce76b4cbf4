import GongzhiMediationSchemas
import SwiftProtobuf

/// The files that load X社区's mediation committee with `gongzhictl`, as `Deploy/samples/load.sh` runs them from
/// their folder:
///
/// - `mediators.jsonl`: the part-time mediators (Person) and their bindings (RoleBinding), for `gongzhictl apply -f`;
/// - `applications.commands`: the applications of the disputes the host does not hold yet (`mediation apply … --key
///   x-mediation-NN -o json`), one command a line, its arguments separated by tabs;
/// - `steps.commands`: the steps of the disputes the host holds that are not taken yet, with the disputes' ids;
/// - `parties-NN.json` and `agreement-NN.json`: what the applications and the drafts read;
/// - `disputes.tsv`: every dispute of the sample, where it lies, who its parties are and the state it is left in.
///
/// What the host holds is told with `--disputes`: the plugin's answers (ListDisputes, or a dispute) in protobuf's
/// JSON mapping, one a line. A dispute of the sample is found by its application's key; each of its steps adds one
/// entry to its history, so the steps already taken are those its history holds, and they must be the sample's.
extension XCommunityMediation {
    /// A file's name and its bytes.
    struct File {
        var name: String
        var bytes: [UInt8]
    }

    /// Why the disputes the host holds cannot be brought to the sample's states.
    struct Conflict: Error, CustomStringConvertible {
        var description: String
    }

    /// The files for a host that holds `known` disputes (none: nothing loaded yet).
    func files(known: [Gongzhi_Mediation_V1_Dispute] = []) throws -> [File] {
        var files = [
            File(name: "mediators.jsonl", bytes: try mediatorDocuments()),
            File(name: "disputes.tsv", bytes: table()),
        ]
        let resumed = try resume(known)
        files.append(File(name: "applications.commands", bytes: XCommunityPoints.commands(resumed.applications)))
        files.append(File(name: "steps.commands", bytes: XCommunityPoints.commands(resumed.steps)))
        for dispute in disputes {
            files.append(
                File(
                    name: dispute.partiesFile,
                    bytes: try XCommunityPoints.list("parties", dispute.application.parties)
                )
            )
            for step in dispute.steps {
                if let agreement = step.agreement {
                    files.append(File(name: Dispute.agreementFile(dispute.number), bytes: try Self.json(agreement)))
                }
            }
        }
        return files
    }

    /// The Persons, then their RoleBindings, as `gongzhictl apply -f` reads them.
    func mediatorDocuments() throws -> [UInt8] {
        var bytes: [UInt8] = []
        for record in mediators {
            try Document(kind: "Person", id: record.person.id, data: record.person).write(to: &bytes)
        }
        for record in mediators {
            try Document(kind: "RoleBinding", id: record.binding.id, data: record.binding).write(to: &bytes)
        }
        return bytes
    }

    /// The command that applies for `dispute`, printing the dispute it opened (or the earlier one with its key).
    func applyCommand(_ dispute: Dispute) -> [String] {
        let request = dispute.application
        var command = [
            "mediation", "apply", "--type", Self.word(request.type), "--source", "application", "--place",
            request.placeCode, "--title", request.title,
        ]
        if !request.buildingID.isEmpty { command += ["--building", request.buildingID] }
        command += [
            "--compound", request.compound, "--level", Self.word(request.level), "--facts", request.facts,
            "--narrative", request.narrative, "--parties-file", dispute.partiesFile, "--key", dispute.key, "--as",
            Plan.clerk, "-o", "json",
        ]
        return command
    }

    /// The applications still to make, and the steps still to take, for a host that holds `known` disputes.
    func resume(_ known: [Gongzhi_Mediation_V1_Dispute]) throws -> (applications: [[String]], steps: [[String]]) {
        var applications: [[String]] = []
        var steps: [[String]] = []
        for dispute in disputes {
            // The sample's dispute: the one with its key and place; of two (applied by two administrators), the one
            // further along.
            let found = known.filter {
                $0.idempotencyKey == dispute.key && $0.placeCode == dispute.application.placeCode
            }.max { ($0.history.count, $1.id) < ($1.history.count, $0.id) }
            guard let found else {
                applications.append(applyCommand(dispute))
                continue
            }
            let planned = [Action.apply] + dispute.steps.map(\.action)
            for (index, entry) in found.history.prefix(planned.count).enumerated() where entry.action != planned[index]
            {
                throw Conflict(
                    description: "dispute \(found.id) (\(dispute.key), \(dispute.application.title)) was changed "
                        + "outside the sample: its step \(index + 1) was \(Self.word(entry.action)), where the sample "
                        + "takes \(Self.word(planned[index])); the sample cannot bring it to "
                        + "\(Self.word(dispute.state)). Load the sample into a host without it."
                )
            }
            for step in dispute.steps.dropFirst(max(0, found.history.count - 1)) {
                steps.append(step.arguments.map { $0 == Self.disputePlaceholder ? found.id : $0 })
            }
        }
        return (applications, steps)
    }

    /// The disputes the plugin answered with, from `text`: JSON lines, each a ListDisputes answer or a dispute.
    static func known(fromJSONLines text: String, name: String) throws -> [Gongzhi_Mediation_V1_Dispute] {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        var disputes: [Gongzhi_Mediation_V1_Dispute] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            do {
                let list = try Gongzhi_Mediation_V1_ListDisputesResponse(jsonString: String(line), options: options)
                if !list.disputes.isEmpty || line.contains("\"disputes\"") {
                    disputes += list.disputes
                    continue
                }
                // A dispute; or an empty list, which protobuf's JSON mapping writes as {}.
                let dispute = try Gongzhi_Mediation_V1_Dispute(jsonString: String(line), options: options)
                if !dispute.id.isEmpty { disputes.append(dispute) }
            } catch {
                throw Conflict(
                    description: "\(name), line \(index + 1): not the mediation plugin's answer in JSON (\(error))"
                )
            }
        }
        return disputes
    }

    // MARK: - The table

    /// `number  key  title  type  state  place  building  parties`, a header and a line a dispute; parties as
    /// `p1 applicant 张三 R-0000123`, separated by `; `.
    func table() -> [UInt8] {
        var text = "number\tkey\ttitle\ttype\tstate\tplace\tbuilding\tparties\n"
        for dispute in disputes {
            let request = dispute.application
            let parties = request.parties.map { party in
                [
                    party.id, Self.word(party.role), party.name,
                    party.kind == .resident ? party.residentID : party.organizationID,
                ].joined(separator: " ")
            }
            text +=
                [
                    String(dispute.number), dispute.key, request.title, Self.word(request.type),
                    Self.word(dispute.state),
                    request.placeCode, request.buildingID, parties.joined(separator: "; "),
                ].joined(separator: "\t") + "\n"
        }
        return Array(text.utf8)
    }

    // MARK: - Summary

    /// What the sample holds, for `--summary`.
    func summary() -> String {
        var lines = [
            "\(Plan.committee) (\(XCommunityPlan.communityCode)): synthetic sample data, deadlines from "
                + "\(XCommunityPoints.isoDay(atMs))",
            "",
            "mediators (bound as mediator in \(XCommunityPlan.communityCode)): \(Plan.clerk), \(Plan.staffMediator) "
                + "(staff of x-community) and",
        ]
        for record in mediators {
            let resident = record.person.residentID.isEmpty ? "" : "  resident \(record.person.residentID)"
            let partner = record.person.partnerID.isEmpty ? "" : "  for partner \(record.person.partnerID)"
            lines.append("  \(record.person.id)  \(record.person.name)  \(record.person.title)\(resident)\(partner)")
        }
        lines += ["", "disputes (key, title, type, state after the load, place, parties)"]
        for dispute in disputes {
            let request = dispute.application
            let parties = request.parties.map {
                "\($0.name) (\($0.kind == .resident ? $0.residentID : $0.organizationID))"
            }
            lines.append(
                "  \(dispute.key)  \(request.title)  \(Self.word(request.type))  \(Self.word(dispute.state))  "
                    + "\(request.placeCode)  \(parties.joined(separator: ", "))  "
                    + (dispute.steps.isEmpty
                        ? "applied for only"
                        : "applied for, then \(dispute.steps.count) step\(dispute.steps.count == 1 ? "" : "s")")
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Words

    /// A message in protobuf's JSON mapping with the .proto's field names, and a newline.
    static func json(_ message: some SwiftProtobuf.Message) throws -> [UInt8] {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return Array((try message.jsonString(options: options) + "\n").utf8)
    }

    /// The word gongzhictl takes for a type: property-service.
    static func word(_ type: Gongzhi_Mediation_V1_DisputeType) -> String {
        switch type {
        case .family: "family"
        case .neighbour: "neighbour"
        case .propertyService: "property-service"
        case .renovation: "renovation"
        case .propertyRights: "property-rights"
        case .labour: "labour"
        default: "other"
        }
    }

    /// The word gongzhictl prints for a state: agreement-drafted.
    static func word(_ state: Gongzhi_Mediation_V1_DisputeState) -> String {
        switch state {
        case .applied: "applied"
        case .accepted: "accepted"
        case .mediating: "mediating"
        case .agreementDrafted: "agreement-drafted"
        case .agreed: "agreed"
        case .performed: "performed"
        case .failed: "failed"
        case .refused: "refused"
        case .declined: "declined"
        default: "unspecified"
        }
    }

    static func word(_ level: Gongzhi_Mediation_V1_MediationLevel) -> String {
        switch level {
        case .grid: "grid"
        case .street: "street"
        case .above: "above"
        default: "community"
        }
    }

    static func word(_ role: Gongzhi_Mediation_V1_PartyRole) -> String {
        switch role {
        case .applicant: "applicant"
        case .respondent: "respondent"
        default: "other"
        }
    }

    /// A step as the gongzhictl verb that takes it: session, follow-up.
    static func word(_ action: Action) -> String {
        switch action {
        case .apply: "apply"
        case .accept: "accept"
        case .decline: "decline"
        case .refuse: "refuse"
        case .assignMediators: "assign"
        case .recordSession: "session"
        case .draftAgreement: "draft"
        case .sign: "sign"
        case .seal: "seal"
        case .fail: "fail"
        case .extend: "extend"
        case .informConfirmation: "inform"
        case .applyForConfirmation: "apply-confirmation"
        case .recordCourtDecision: "court"
        case .remediate: "remediate"
        case .recordFollowUp: "follow-up"
        case .recordPerformance: "performance"
        default: "an unknown step"
        }
    }
}
