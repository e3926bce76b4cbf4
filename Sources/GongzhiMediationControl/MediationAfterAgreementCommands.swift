import ArgumentParser
import GongzhiControl
import GongzhiMediationSchemas

extension MediationCommand {
    /// `gongzhictl mediation inform ID --party p1 --party p2`.
    struct Inform: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that parties were told of their right to apply for judicial confirmation (Art 33).",
            discussion: """
                The parties may apply jointly to a court within 30 days of the agreement taking effect; each \
                party told is recorded.

                Example:
                  gongzhictl mediation inform MD-0a1b2c3d4e5f --party p1 --party p2
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(
            name: .customLong("party"),
            help: ArgumentHelp("A party who was told (p1, p2, …); repeat for each.", valueName: "party")
        )
        var parties: [String] = []

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if parties.isEmpty { throw ValidationError("name the parties who were told: --party p1 --party p2") }
            try PartyIDs.checkDistinct(parties, option: "--party", each: "party")
        }

        var request: Gongzhi_Mediation_V1_InformConfirmationRequest {
            Gongzhi_Mediation_V1_InformConfirmationRequest.with {
                $0.disputeID = dispute.id
                $0.partyIds = parties
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.informConfirmation, request)
        }
    }

    /// `gongzhictl mediation apply-confirmation ID --court NAME`.
    struct ApplyConfirmation: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply-confirmation",
            abstract: "Record the parties' joint application to a court for judicial confirmation (司法确认).",
            discussion: """
                Within 30 days of the agreement taking effect; the court then has 3 days to accept and 15 \
                (25 when extended) to decide. mediation package prints the application and the agreement to \
                bring.

                Example:
                  gongzhictl mediation apply-confirmation MD-0a1b2c3d4e5f --court 杭州市西湖区人民法院 \\
                    --at 2025-11-24T10:00
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("The court applied to.", valueName: "name"))
        var court: String

        @Option(help: .at("the parties applied"), transform: { text in try MediationTime(parsing: text) })
        var at: MediationTime?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if court.allSatisfy(\.isWhitespace) { throw ValidationError("--court needs the court's name") }
        }

        var request: Gongzhi_Mediation_V1_ApplyForConfirmationRequest {
            Gongzhi_Mediation_V1_ApplyForConfirmationRequest.with {
                $0.disputeID = dispute.id
                $0.court = court
                $0.appliedAtMs = at?.milliseconds ?? 0
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.applyForConfirmation, request)
        }
    }

    /// `gongzhictl mediation court ID accepted|extended|confirmed --number N|refused --reason R`.
    struct Court: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the court's step on the application: accepted, extended, confirmed or refused.",
            discussion: """
                In their order: the court accepts the application (within 3 days), may extend its 15 days to \
                decide by 10, then confirms the agreement (确认有效, with its 调确字 number) or refuses \
                (不予确认, with its reason). After a refusal the dispute is mediated again (mediation \
                remediate) or fails (the parties may sue).

                Examples:
                  gongzhictl mediation court MD-0a1b2c3d4e5f accepted
                  gongzhictl mediation court MD-0a1b2c3d4e5f confirmed \\
                    --number "(2025)浙0106民特123号"
                  gongzhictl mediation court MD-0a1b2c3d4e5f refused --reason "协议内容违反法律规定"
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Argument(
            help: ArgumentHelp("What the court did: accepted, extended, confirmed or refused.", valueName: "step")
        )
        var step: CourtStepArgument

        @Option(help: ArgumentHelp("The decision's number (调确字), for confirmed.", valueName: "number"))
        var number: String?

        @Option(help: ArgumentHelp("The court's reason, for refused (personal data).", valueName: "text"))
        var reason: String?

        @Option(help: .at("the court did it"), transform: { text in try MediationTime(parsing: text) })
        var at: MediationTime?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if step == .confirmed && (number ?? "").allSatisfy(\.isWhitespace) {
                throw ValidationError("a confirmation has its number: --number \"(2026)某0106民特123号\"")
            }
            if step != .confirmed && number != nil { throw ValidationError("--number goes with confirmed") }
            if step == .refused && (reason ?? "").allSatisfy(\.isWhitespace) {
                throw ValidationError("a refusal has its reason: --reason TEXT")
            }
            if step != .refused && reason != nil { throw ValidationError("--reason goes with refused") }
        }

        var request: Gongzhi_Mediation_V1_RecordCourtDecisionRequest {
            Gongzhi_Mediation_V1_RecordCourtDecisionRequest.with {
                $0.disputeID = dispute.id
                $0.step = step.step
                $0.decisionNumber = number ?? ""
                $0.reason = reason ?? ""
                $0.atMs = at?.milliseconds ?? 0
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.recordCourtDecision, request)
        }
    }

    /// `gongzhictl mediation remediate ID`.
    struct Remediate: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "After a court refused to confirm the agreement, mediate again for a new one (the old one is kept).",
            discussion: """
                Example:
                  gongzhictl mediation remediate MD-0a1b2c3d4e5f --note 双方同意重新调解
                """
        )

        @OptionGroup var dispute: DisputeOptions
        @Option(help: .note) var note: String?
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Mediation_V1_RemediateRequest {
            Gongzhi_Mediation_V1_RemediateRequest.with {
                $0.disputeID = dispute.id
                $0.note = note ?? ""
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.remediate, request)
        }
    }

    /// `gongzhictl mediation follow-up ID --finding TEXT [--obligation o1]`.
    struct FollowUp: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            commandName: "follow-up",
            abstract: "Record a follow-up visit (回访) on the agreement, or on one obligation.",
            discussion: """
                The visitor is whoever calls unless --visitor names another person.

                Example:
                  gongzhictl mediation follow-up MD-0a1b2c3d4e5f --obligation o1 \\
                    --finding "天花板已修复，双方满意"
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("The obligation visited about (default: the whole agreement).", valueName: "id"))
        var obligation: String?

        @Option(help: ArgumentHelp("What the visit found (personal data).", valueName: "text"))
        var finding: String

        @Option(help: ArgumentHelp("Who visited, by Person id or name (default: who calls).", valueName: "person"))
        var visitor: String?

        @Option(help: .at("the visit was"), transform: { text in try MediationTime(parsing: text) })
        var at: MediationTime?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if finding.allSatisfy(\.isWhitespace) { throw ValidationError("--finding needs what the visit found") }
            if let obligation, obligation.allSatisfy(\.isWhitespace) {
                throw ValidationError("--obligation needs the obligation's id, e.g. o1")
            }
        }

        /// The request, with the visitor as the Person id they were found as.
        func request(visitorID: String? = nil) -> Gongzhi_Mediation_V1_RecordFollowUpRequest {
            Gongzhi_Mediation_V1_RecordFollowUpRequest.with {
                $0.disputeID = dispute.id
                $0.followUp = .with {
                    $0.obligationID = obligation ?? ""
                    $0.finding = finding
                    $0.visitorID = visitorID ?? visitor ?? ""
                    $0.atMs = at?.milliseconds ?? 0
                }
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            var visitorID: String?
            if let visitor { visitorID = try await connection.personID(visitor, option: "--visitor") }
            return try await connection.call(MediationCalls.Method.recordFollowUp, request(visitorID: visitorID))
        }
    }

    /// `gongzhictl mediation performance ID --obligation o1 performed|partly|missed`.
    struct Performance: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an obligation performed, partly performed or missed (Art 31).",
            discussion: """
                With every obligation performed the dispute is performed. An obligation is missed only once \
                its deadline has passed; where the dispute lies in a grid and the host has the grid module, \
                a missed one opens a grid case.

                Examples:
                  gongzhictl mediation performance MD-0a1b2c3d4e5f --obligation o1 performed
                  gongzhictl mediation performance MD-0a1b2c3d4e5f --obligation o2 missed \\
                    --note 未按期赔偿
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("The obligation, by its id in the agreement (o1, o2, …).", valueName: "id"))
        var obligation: String

        @Argument(help: ArgumentHelp("performed, partly or missed.", valueName: "outcome"))
        var outcome: PerformanceOutcomeArgument

        @Option(help: ArgumentHelp("A note (personal data).", valueName: "text"))
        var note: String?

        @Option(help: .at("it was performed"), transform: { text in try MediationTime(parsing: text) })
        var at: MediationTime?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if obligation.allSatisfy(\.isWhitespace) {
                throw ValidationError("--obligation needs the obligation's id, e.g. o1")
            }
        }

        var request: Gongzhi_Mediation_V1_RecordPerformanceRequest {
            Gongzhi_Mediation_V1_RecordPerformanceRequest.with {
                $0.disputeID = dispute.id
                $0.performance = .with {
                    $0.obligationID = obligation
                    $0.outcome = outcome.outcome
                    $0.note = note ?? ""
                    $0.atMs = at?.milliseconds ?? 0
                }
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.recordPerformance, request)
        }
    }
}
