import GongzhiCalendar
import GongzhiControlTestSupport
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import Synchronization

/// A dispute at every stage the commands print, with times around the fixtures' now (2025-11-21 23:00 in
/// China): applied on 2025-10-20, accepted the next day, an agreement in effect since 2025-11-10 with one
/// obligation overdue since the end of 2025-11-20.
enum MediationFixtures {
    static let id = "MD-0a1b2c3d4e5f"
    static let now = Fixtures.nowMs

    /// A moment in China Standard Time.
    static func at(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0) -> Int64 {
        ChinaCalendar.start(of: .init(year: year, month: month, day: day)) + (hour * 60 + minute) * 60_000
    }

    /// The first moment after a day: how the agreement states a deadline.
    static func endOf(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        at(year, month, day) + ChinaCalendar.dayMs
    }

    static let zhangWei = Gongzhi_Mediation_V1_Party.with {
        $0.id = "p1"
        $0.kind = .resident
        $0.residentID = "R0001"
        $0.householdID = "H-0001"
        $0.name = "张伟"
        $0.role = .applicant
        $0.phone = "13800000001"
        $0.address = "西溪花园3幢501"
        $0.idNumber = "330106198001010011"
    }

    static let liNa = Gongzhi_Mediation_V1_Party.with {
        $0.id = "p2"
        $0.kind = .resident
        $0.residentID = "R0002"
        $0.name = "李娜"
        $0.role = .respondent
        $0.phone = "13800000002"
        $0.address = "西溪花园3幢601"
    }

    static func step(
        _ action: Gongzhi_Mediation_V1_Action,
        _ from: Gongzhi_Mediation_V1_DisputeState,
        _ to: Gongzhi_Mediation_V1_DisputeState,
        at ms: Int64,
        by actor: (id: String, name: String) = ("li-qiang", "李强"),
        note: String = ""
    ) -> Gongzhi_Mediation_V1_Transition {
        .with {
            $0.action = action
            $0.from = from
            $0.to = to
            $0.actorID = actor.id
            $0.actor = actor.name
            $0.atMs = ms
            $0.note = note
        }
    }

    /// Just applied for.
    static let applied = Gongzhi_Mediation_V1_Dispute.with {
        $0.id = id
        $0.state = .applied
        $0.type = .neighbour
        $0.source = .application
        $0.placeCode = "330106001001003"
        $0.gridCode = "330106001001003"
        $0.communityCode = "330106001001"
        $0.streetCode = "330106001"
        $0.buildingID = "B-12"
        $0.compound = "西溪花园"
        $0.level = .community
        $0.title = "楼上漏水"
        $0.facts = "楼上卫生间漏水至楼下天花板"
        $0.narrative = "张伟称：漏水已持续两周。\n李娜称：已请物业查看。"
        $0.parties = [zhangWei, liNa]
        $0.appliedAtMs = at(2025, 10, 20, 9, 30)
        $0.history = [step(.apply, .unspecified, .applied, at: at(2025, 10, 20, 9, 30))]
    }

    /// Accepted with both parties' consent; the month to mediate runs.
    static let accepted: Gongzhi_Mediation_V1_Dispute = {
        var d = applied
        d.state = .accepted
        d.acceptedAtMs = at(2025, 11, 20, 10, 0)
        d.consents = [
            .with {
                $0.partyID = "p1"
                $0.consents = true
                $0.atMs = at(2025, 11, 20, 10, 0)
            },
            .with {
                $0.partyID = "p2"
                $0.consents = true
                $0.atMs = at(2025, 11, 20, 10, 0)
            },
        ]
        d.history.append(step(.accept, .applied, .accepted, at: at(2025, 11, 20, 10, 0)))
        return d
    }()

    static let agreement = Gongzhi_Mediation_V1_Agreement.with {
        $0.partyIds = ["p1", "p2"]
        $0.facts = "2025年10月，601卫生间漏水致501天花板受损。"
        $0.matters = [
            .with {
                $0.summary = "维修费用承担"
                $0.kind = .civil
            }
        ]
        $0.responsibilities = "李娜承担维修责任。"
        $0.terms = "李娜修复防水层并赔偿2000元。"
        $0.obligations = [
            .with {
                $0.id = "o1"
                $0.partyID = "p2"
                $0.content = "赔偿2000元"
                $0.method = "银行转账"
                $0.deadlineMs = endOf(2025, 11, 20)
            },
            .with {
                $0.id = "o2"
                $0.partyID = "p2"
                $0.content = "修复防水层"
                $0.method = "委托物业维修"
                $0.deadlineMs = endOf(2025, 12, 31)
            },
        ]
        $0.signatures = [
            .with {
                $0.role = .party
                $0.signerID = "p1"
                $0.atMs = at(2025, 11, 10, 15, 0)
            },
            .with {
                $0.role = .party
                $0.signerID = "p2"
                $0.atMs = at(2025, 11, 10, 15, 10)
            },
            .with {
                $0.role = .mediator
                $0.signerID = "wang-xiuying"
                $0.atMs = at(2025, 11, 10, 15, 20)
            },
        ]
        $0.sealedAtMs = at(2025, 11, 10, 16, 0)
        $0.sealedByID = "li-qiang"
        $0.draftedAtMs = at(2025, 11, 8, 11, 0)
        $0.effectiveAtMs = at(2025, 11, 10, 16, 0)
        $0.number = "(2025)西溪调字第12号"
    }

    /// Agreed: the agreement in effect, one obligation overdue, the parties told of confirmation.
    static let agreed: Gongzhi_Mediation_V1_Dispute = {
        var d = applied
        d.state = .agreed
        d.acceptedAtMs = at(2025, 10, 21, 10, 0)
        d.consents = accepted.consents.map { consent in
            var given = consent
            given.atMs = at(2025, 10, 21, 10, 0)
            return given
        }
        d.mediators = [
            .with {
                $0.personID = "wang-xiuying"
                $0.name = "王秀英"
                $0.appointment = .chosen
                $0.chosenByPartyIds = ["p1", "p2"]
                $0.assignedAtMs = at(2025, 10, 22, 9, 0)
            }
        ]
        d.sessions = [
            .with {
                $0.number = 1
                $0.heldAtMs = at(2025, 11, 5, 14, 0)
                $0.mediatorIds = ["wang-xiuying"]
                $0.partyIds = ["p1", "p2"]
                $0.location = "社区调解室"
                $0.record = "双方陈述。\n李娜同意维修。"
                $0.recorderID = "li-qiang"
            }
        ]
        d.agreement = agreement
        d.extensions = [
            .with {
                $0.days = 15
                $0.consentingPartyIds = ["p1", "p2"]
                $0.reason = "等待维修鉴定"
                $0.atMs = at(2025, 11, 1, 9, 0)
            }
        ]
        d.confirmation = .with { $0.informedPartyIds = ["p1", "p2"] }
        d.followUps = [
            .with {
                $0.obligationID = "o1"
                $0.atMs = at(2025, 11, 21, 10, 0)
                $0.visitorID = "li-qiang"
                $0.finding = "尚未赔偿"
            }
        ]
        d.performances = [
            .with {
                $0.obligationID = "o1"
                $0.outcome = .partly
                $0.atMs = at(2025, 11, 21, 10, 30)
                $0.note = "已付1000元"
            }
        ]
        d.alerts = [
            .with {
                $0.kind = .obligation
                $0.obligationID = "o1"
                $0.deadlineMs = endOf(2025, 11, 20)
                $0.atMs = at(2025, 11, 21, 0, 1)
                $0.description_p = "obligation o1 due by 2025-11-20 ran out"
            }
        ]
        d.history = [
            step(.apply, .unspecified, .applied, at: at(2025, 10, 20, 9, 30)),
            step(.accept, .applied, .accepted, at: at(2025, 10, 21, 10, 0)),
            step(
                .assignMediators,
                .accepted,
                .mediating,
                at: at(2025, 10, 22, 9, 0),
                note: "王秀英"
            ),
            step(.recordSession, .mediating, .mediating, at: at(2025, 11, 5, 14, 0), note: "session 1"),
            step(.draftAgreement, .mediating, .agreementDrafted, at: at(2025, 11, 8, 11, 0)),
            step(
                .seal,
                .agreementDrafted,
                .agreed,
                at: at(2025, 11, 10, 16, 0),
                note: "sealed by the committee; the agreement takes effect"
            ),
            step(
                .recordPerformance,
                .agreed,
                .agreed,
                at: at(2025, 11, 21, 10, 30),
                by: ("wang-xiuying", "王秀英"),
                note: "obligation o1 partly performed"
            ),
        ]
        return d
    }()

    /// What the host leaves of `agreed` for a caller who may not read its personal data, and the paths it
    /// names in `gongzhi-redacted-fields`.
    static let redactedPaths = [
        "agreement.facts", "agreement.matters.summary", "agreement.obligations.content", "agreement.responsibilities",
        "agreement.terms", "extensions.reason", "facts", "follow_ups.finding", "narrative", "parties.address",
        "parties.id_number", "parties.phone", "performances.note", "sessions.record",
    ]

    static let redacted: Gongzhi_Mediation_V1_Dispute = {
        var d = agreed
        d.facts = ""
        d.narrative = ""
        for index in d.parties.indices {
            d.parties[index].phone = ""
            d.parties[index].address = ""
            d.parties[index].idNumber = ""
        }
        for index in d.sessions.indices { d.sessions[index].record = "" }
        d.agreement.facts = ""
        d.agreement.responsibilities = ""
        d.agreement.terms = ""
        for index in d.agreement.matters.indices { d.agreement.matters[index].summary = "" }
        for index in d.agreement.obligations.indices { d.agreement.obligations[index].content = "" }
        for index in d.extensions.indices { d.extensions[index].reason = "" }
        for index in d.followUps.indices { d.followUps[index].finding = "" }
        for index in d.performances.indices { d.performances[index].note = "" }
        return d
    }()

    static let summary = Gongzhi_Mediation_V1_DisputeSummary.with {
        $0.id = id
        $0.state = .agreed
        $0.type = .neighbour
        $0.source = .application
        $0.placeCode = "330106001001003"
        $0.gridCode = "330106001001003"
        $0.communityCode = "330106001001"
        $0.streetCode = "330106001"
        $0.buildingID = "B-12"
        $0.compound = "西溪花园"
        $0.level = .community
        $0.title = "楼上漏水"
        $0.mediatorNames = ["王秀英"]
        $0.appliedAtMs = at(2025, 10, 20, 9, 30)
        $0.acceptedAtMs = at(2025, 10, 21, 10, 0)
        $0.nextDeadlineMs = endOf(2025, 11, 20)
        $0.overdue = true
    }

    static let due = Gongzhi_Mediation_V1_DueResponse.with {
        $0.clocks = [
            .with {
                $0.disputeID = id
                $0.kind = .obligation
                $0.deadlineMs = endOf(2025, 11, 20)
                $0.obligationID = "o1"
                $0.overdue = true
                $0.description_p = "obligation o1 due by 2025-11-20: follow up"
                $0.placeCode = "330106001001003"
                $0.title = "楼上漏水"
            },
            .with {
                $0.disputeID = "MD-00000000beef"
                $0.kind = .mediation
                $0.deadlineMs = endOf(2025, 11, 23)
                $0.description_p = "mediation to finish by 2025-11-23"
                $0.placeCode = "330106001001"
                $0.title = "物业公共收益分配"
            },
        ]
    }

    static let stats = Gongzhi_Mediation_V1_StatsResponse.with {
        $0.disputes = 120
        $0.concluded = 80
        $0.resolved = 64
        $0.resolutionRate = 0.8
        $0.shareSettledAtCommunityOrBelow = 0.9
        $0.medianDaysToAgreement = 12.5
        $0.nationalAverageDays = 23.33
        $0.agreementsDue = 45
        $0.agreementsPerformedOnTime = 40
        $0.performedOnTimeRate = 40.0 / 45.0
        $0.repeatsByBuilding = [
            .with {
                $0.key = "B-12"
                $0.disputes = 3
            }
        ]
        $0.byType = [
            .with {
                $0.key = "neighbour"
                $0.disputes = 70
            },
            .with {
                $0.key = "family"
                $0.disputes = 50
            },
        ]
    }

    static let agreementHTML =
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>人民调解协议书</title>"
        + "<style>body { font-family: serif; }</style></head><BODY class=\"doc\"><h1>人民调解协议书</h1>"
        + "<p>张伟 13800000001</p></BODY></html>"

    static let applicationHTML =
        "<html><head><style>h1 { text-align: center; }</style></head><body><h1>司法确认申请书</h1></body></html>"

    static let package = Gongzhi_Mediation_V1_ConfirmationPackageResponse.with {
        $0.applicationHtml = applicationHTML
        $0.agreementHtml = agreementHTML
        $0.parties = [zhangWei, liNa]
        $0.applyByMs = endOf(2025, 12, 10)
    }
}

/// The mediation plugin's service as the host routes it: it records each request in a line, answers from the
/// fixtures (a step answers `agreed` with the step appended to its history), refuses what the plugin refuses
/// (an unknown dispute, a step the state does not allow), and, as `redacting`, leaves out the personal data
/// and names it in the response metadata as the host does for a caller without the grant; or, as `failure`,
/// answers every call with that error.
final class FakeMediationService: Gongzhi_Mediation_V1_MediationHandler {
    let failure: RPCError?
    let redacting: Bool
    let requests = Mutex<[String]>([])
    /// Who made each request, as its metadata says (``FakeCaller``).
    let callers = Mutex<[String]>([])

    init(failure: RPCError? = nil, redacting: Bool = false) {
        self.failure = failure
        self.redacting = redacting
    }

    private func record(_ request: String, _ context: ServerCallContext, dispute id: String? = nil) throws {
        requests.withLock { $0.append(request) }
        callers.withLock { $0.append(FakeCaller.describe(context)) }
        if let failure { throw failure }
        if let id, id != MediationFixtures.id {
            throw RPCError(code: .notFound, message: "there is no dispute \(id)")
        }
    }

    /// `agreed` after a step, as the host presents it.
    private func stepped(
        _ action: Gongzhi_Mediation_V1_Action,
        to state: Gongzhi_Mediation_V1_DisputeState = .agreed,
        note: String = "",
        context: ServerCallContext
    ) -> Gongzhi_Mediation_V1_Dispute {
        var d = presented(MediationFixtures.agreed, context)
        d.history.append(MediationFixtures.step(action, d.state, state, at: MediationFixtures.now, note: note))
        d.state = state
        return d
    }

    private func presented(
        _ dispute: Gongzhi_Mediation_V1_Dispute,
        _ context: ServerCallContext
    ) -> Gongzhi_Mediation_V1_Dispute {
        guard redacting else { return dispute }
        context.addResponseMetadata("gongzhi-redacted-fields", MediationFixtures.redactedPaths.joined(separator: ","))
        return MediationFixtures.redacted
    }

    private static func parties(_ parties: [Gongzhi_Mediation_V1_Party]) -> String {
        parties.map { "\($0.role.rawValue):\($0.kind.rawValue):\($0.name):\($0.residentID)\($0.organizationID)" }
            .joined(separator: ",")
    }

    func apply(
        request: Gongzhi_Mediation_V1_ApplyRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "Apply type=\(request.type.rawValue) source=\(request.source.rawValue) place=\(request.placeCode) "
                + "title=\(request.title) parties=\(Self.parties(request.parties)) key=\(request.idempotencyKey)",
            context
        )
        if request.parties.count < 2 {
            throw RPCError(code: .invalidArgument, message: "a dispute needs at least two parties; 1 given")
        }
        return MediationFixtures.applied
    }

    func handOff(
        request: Gongzhi_Mediation_V1_HandOffRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record("HandOff \(request.caseID) parties=\(Self.parties(request.parties))", context)
        if request.caseID == "C-handed" {
            throw RPCError(
                code: .alreadyExists,
                message: "grid case C-handed was handed to mediation before: dispute \(MediationFixtures.id)"
            )
        }
        var d = MediationFixtures.applied
        d.source = .gridCase
        d.referralID = request.caseID
        return d
    }

    func accept(
        request: Gongzhi_Mediation_V1_AcceptRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let answers = request.consents.map { "\($0.partyID)=\($0.consents ? "yes" : "no:\($0.note)")" }
        try record("Accept \(request.disputeID) \(answers.joined(separator: " "))", context, dispute: request.disputeID)
        if request.consents.count < 2 {
            throw RPCError(
                code: .invalidArgument,
                message: "acceptance records every party's consent; no answer from 李娜 (p2)"
            )
        }
        return MediationFixtures.accepted
    }

    func decline(
        request: Gongzhi_Mediation_V1_DeclineRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record("Decline \(request.disputeID) \(request.reason)", context, dispute: request.disputeID)
        throw RPCError(
            code: .failedPrecondition,
            message: "dispute \(request.disputeID) is agreed: it cannot decline; the steps it allows: inform "
                + "confirmation, apply for confirmation, record court decision, remediate, fail, record follow-up, "
                + "record performance"
        )
    }

    func refuse(
        request: Gongzhi_Mediation_V1_RefuseRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record("Refuse \(request.disputeID) \(request.partyID)", context, dispute: request.disputeID)
        return stepped(.refuse, to: .refused, note: "李娜 refused mediation.", context: context)
    }

    func assignMediators(
        request: Gongzhi_Mediation_V1_AssignMediatorsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let mediators = request.mediators.map {
            "\($0.personID):\($0.appointment.rawValue):\($0.chosenByPartyIds.joined(separator: "+"))"
        }
        try record(
            "AssignMediators \(request.disputeID) \(mediators.joined(separator: " "))",
            context,
            dispute: request.disputeID
        )
        return stepped(.assignMediators, note: "王秀英", context: context)
    }

    func recordSession(
        request: Gongzhi_Mediation_V1_RecordSessionRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let s = request.session
        try record(
            "RecordSession \(request.disputeID) mediators=\(s.mediatorIds.joined(separator: "+")) "
                + "parties=\(s.partyIds.joined(separator: "+")) at=\(s.heldAtMs) location=\(s.location) "
                + "recorder=\(s.recorderID) record=\(s.record)",
            context,
            dispute: request.disputeID
        )
        return stepped(.recordSession, note: "session 2", context: context)
    }

    func draftAgreement(
        request: Gongzhi_Mediation_V1_DraftAgreementRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "DraftAgreement \(request.disputeID) obligations=\(request.agreement.obligations.map(\.id))",
            context,
            dispute: request.disputeID
        )
        return stepped(.draftAgreement, to: .agreementDrafted, context: context)
    }

    func checkAgreement(
        request: Gongzhi_Mediation_V1_CheckAgreementRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_CheckAgreementResponse {
        try record("CheckAgreement \(request.disputeID)", context, dispute: request.disputeID)
        var problems: [String] = []
        if request.agreement.responsibilities.isEmpty {
            problems.append("the parties' responsibilities (各方当事人的责任) are missing")
        }
        for o in request.agreement.obligations where o.method.isEmpty {
            problems.append("obligation \(o.id) has no method of performance (履行方式)")
        }
        return .with { $0.problems = problems }
    }

    func sign(
        request: Gongzhi_Mediation_V1_SignRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "Sign \(request.disputeID) role=\(request.role.rawValue) signer=\(request.signerID)",
            context,
            dispute: request.disputeID
        )
        return stepped(.sign, to: .agreementDrafted, note: "张伟 (p1) signed", context: context)
    }

    func seal(
        request: Gongzhi_Mediation_V1_SealRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record("Seal \(request.disputeID) number=\(request.number)", context, dispute: request.disputeID)
        return stepped(.seal, note: "sealed by the committee; the agreement takes effect", context: context)
    }

    func fail(
        request: Gongzhi_Mediation_V1_FailRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "Fail \(request.disputeID) reason=\(request.reason) routes=\(request.routes.map(\.rawValue)) "
                + "told=\(request.toldPartyIds.joined(separator: "+"))",
            context,
            dispute: request.disputeID
        )
        return stepped(.fail, to: .failed, note: "routes told: judicial, arbitration", context: context)
    }

    func extend(
        request: Gongzhi_Mediation_V1_ExtendRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "Extend \(request.disputeID) days=\(request.days) consent=\(request.consentingPartyIds.joined(separator: "+"))",
            context,
            dispute: request.disputeID
        )
        return stepped(.extend, note: "extended by 15 days", context: context)
    }

    func informConfirmation(
        request: Gongzhi_Mediation_V1_InformConfirmationRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "InformConfirmation \(request.disputeID) \(request.partyIds.joined(separator: "+"))",
            context,
            dispute: request.disputeID
        )
        return stepped(.informConfirmation, context: context)
    }

    func applyForConfirmation(
        request: Gongzhi_Mediation_V1_ApplyForConfirmationRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "ApplyForConfirmation \(request.disputeID) court=\(request.court) at=\(request.appliedAtMs)",
            context,
            dispute: request.disputeID
        )
        return stepped(.applyForConfirmation, note: "applied jointly to \(request.court)", context: context)
    }

    func recordCourtDecision(
        request: Gongzhi_Mediation_V1_RecordCourtDecisionRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record(
            "RecordCourtDecision \(request.disputeID) step=\(request.step.rawValue) number=\(request.decisionNumber) "
                + "reason=\(request.reason) at=\(request.atMs)",
            context,
            dispute: request.disputeID
        )
        return stepped(.recordCourtDecision, context: context)
    }

    func remediate(
        request: Gongzhi_Mediation_V1_RemediateRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record("Remediate \(request.disputeID) note=\(request.note)", context, dispute: request.disputeID)
        return stepped(.remediate, to: .mediating, context: context)
    }

    func recordFollowUp(
        request: Gongzhi_Mediation_V1_RecordFollowUpRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let f = request.followUp
        try record(
            "RecordFollowUp \(request.disputeID) obligation=\(f.obligationID) visitor=\(f.visitorID) "
                + "finding=\(f.finding)",
            context,
            dispute: request.disputeID
        )
        return stepped(.recordFollowUp, note: "follow-up visit on obligation o1", context: context)
    }

    func recordPerformance(
        request: Gongzhi_Mediation_V1_RecordPerformanceRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let p = request.performance
        try record(
            "RecordPerformance \(request.disputeID) \(p.obligationID)=\(p.outcome.rawValue) note=\(p.note)",
            context,
            dispute: request.disputeID
        )
        return stepped(.recordPerformance, note: "obligation \(p.obligationID) performed", context: context)
    }

    func getDispute(
        request: Gongzhi_Mediation_V1_GetDisputeRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try record("GetDispute \(request.disputeID)", context, dispute: request.disputeID)
        return presented(MediationFixtures.agreed, context)
    }

    private static func filters(_ request: Gongzhi_Mediation_V1_ListDisputesRequest) -> String {
        "states=\(request.states.map(\.rawValue)) type=\(request.type.rawValue) mediator=\(request.mediatorID) "
            + "place=\(request.placeCode) overdue=\(request.overdueOnly) size=\(request.pageSize) "
            + "page=\(request.pageToken)"
    }

    func listDisputes(
        request: Gongzhi_Mediation_V1_ListDisputesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_ListDisputesResponse {
        try record("ListDisputes \(Self.filters(request))", context)
        return .with {
            $0.disputes = [presented(MediationFixtures.agreed, context), MediationFixtures.applied]
            $0.nextPageToken = request.pageToken.isEmpty ? "t2" : ""
        }
    }

    func due(
        request: Gongzhi_Mediation_V1_DueRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_DueResponse {
        try record("Due within=\(request.withinHours) place=\(request.placeCode)", context)
        return MediationFixtures.due
    }

    func getSummary(
        request: Gongzhi_Mediation_V1_GetDisputeRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_DisputeSummary {
        try record("GetSummary \(request.disputeID)", context, dispute: request.disputeID)
        return MediationFixtures.summary
    }

    func listSummaries(
        request: Gongzhi_Mediation_V1_ListDisputesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_ListSummariesResponse {
        try record("ListSummaries \(Self.filters(request))", context)
        return .with { $0.summaries = [MediationFixtures.summary] }
    }

    func stats(
        request: Gongzhi_Mediation_V1_StatsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_StatsResponse {
        try record("Stats place=\(request.placeCode) from=\(request.fromMs) to=\(request.toMs)", context)
        return MediationFixtures.stats
    }

    func print(
        request: Gongzhi_Mediation_V1_PrintRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_PrintResponse {
        try record("Print \(request.disputeID)", context, dispute: request.disputeID)
        if redacting {
            throw RPCError(
                code: .permissionDenied,
                message: "the agreement holds personal data: printing it needs a role that shows personal data where "
                    + "the dispute lies, such as mediator, or the personal-data grant"
            )
        }
        return .with {
            $0.html = MediationFixtures.agreementHTML
            $0.fileName = "\(request.disputeID)-agreement.html"
        }
    }

    func confirmationPackage(
        request: Gongzhi_Mediation_V1_ConfirmationPackageRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_ConfirmationPackageResponse {
        try record(
            "ConfirmationPackage \(request.disputeID) court=\(request.court)",
            context,
            dispute: request.disputeID
        )
        return MediationFixtures.package
    }
}

/// The host's Objects service for a caller whose roles do not read people (a mediator's): every read refused.
struct RefusingObjects: RPCService {
    let serviceName = Gongzhi_Host_V1_Objects.serviceName

    var methodHandlers: [String: RPCMethodHandler] {
        let refuse = RPCMethodHandler { _, context in
            throw RPCError(
                code: .permissionDenied,
                message: "person wang-xiuying's roles (mediator) do not allow \(context.method) of Person objects"
            )
        }
        return ["Get": refuse, "List": refuse]
    }
}
