import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas

/// `gongzhi.mediation.v1.Mediation`: the RPCs in front of the dispute desk, for the caller the host verified
/// (a person reads and acts on the disputes within their places only). The host removes the disputes'
/// personal data from the answers for callers without the grant; the printed documents go only to callers who
/// see personal data.
struct MediationService: Gongzhi_Mediation_V1_MediationHandler {
    typealias Dispute = Gongzhi_Mediation_V1_Dispute

    let desk: DisputeDesk

    // MARK: Opening

    func apply(request: Gongzhi_Mediation_V1_ApplyRequest, context: ServerCallContext) async throws -> Dispute {
        try await desk.apply(request, by: context.verifiedCaller)
    }

    func handOff(request: Gongzhi_Mediation_V1_HandOffRequest, context: ServerCallContext) async throws -> Dispute {
        try await desk.handOff(request, by: context.verifiedCaller)
    }

    // MARK: Steps

    func accept(request: Gongzhi_Mediation_V1_AcceptRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(request.disputeID, .accept(consents: request.consents, note: request.note), context)
    }

    func decline(request: Gongzhi_Mediation_V1_DeclineRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(request.disputeID, .decline(reason: request.reason), context)
    }

    func refuse(request: Gongzhi_Mediation_V1_RefuseRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(request.disputeID, .refuse(partyID: request.partyID, reason: request.reason), context)
    }

    func assignMediators(
        request: Gongzhi_Mediation_V1_AssignMediatorsRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        try await desk.step(request.disputeID, .assignMediators, by: context.verifiedCaller) { dispute in
            // The procedure refuses an empty list or a step the state does not allow before anyone is read.
            if request.mediators.isEmpty
                || !DisputeProcedure.allowedActions(in: dispute.state).contains(.assignMediators)
            {
                return (.assignMediators(request.mediators, profiles: [], note: request.note), "")
            }
            let (mediators, profiles) = try await desk.roster.mediators(request.mediators, for: dispute)
            return (.assignMediators(mediators, profiles: profiles, note: request.note), "")
        }
    }

    func recordSession(
        request: Gongzhi_Mediation_V1_RecordSessionRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        try await step(request.disputeID, .recordSession(request.session), context)
    }

    func draftAgreement(
        request: Gongzhi_Mediation_V1_DraftAgreementRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        try await step(request.disputeID, .draftAgreement(request.agreement), context)
    }

    func checkAgreement(
        request: Gongzhi_Mediation_V1_CheckAgreementRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_CheckAgreementResponse {
        let dispute = try desk.read(request.disputeID, by: context.verifiedCaller)
        return .with { $0.problems = AgreementChecker.problems(in: request.agreement, for: dispute) }
    }

    func sign(request: Gongzhi_Mediation_V1_SignRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(request.disputeID, .sign(role: request.role, signerID: request.signerID), context)
    }

    func seal(request: Gongzhi_Mediation_V1_SealRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(request.disputeID, .seal(number: request.number), context)
    }

    func fail(request: Gongzhi_Mediation_V1_FailRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(
            request.disputeID,
            .fail(reason: request.reason, routes: request.routes, toldPartyIDs: request.toldPartyIds),
            context
        )
    }

    func extend(request: Gongzhi_Mediation_V1_ExtendRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(
            request.disputeID,
            .extend(days: request.days, consentingPartyIDs: request.consentingPartyIds, reason: request.reason),
            context
        )
    }

    func informConfirmation(
        request: Gongzhi_Mediation_V1_InformConfirmationRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        try await step(request.disputeID, .informConfirmation(partyIDs: request.partyIds), context)
    }

    func applyForConfirmation(
        request: Gongzhi_Mediation_V1_ApplyForConfirmationRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        try await step(
            request.disputeID,
            .applyForConfirmation(court: request.court, appliedAtMs: request.appliedAtMs),
            context
        )
    }

    func recordCourtDecision(
        request: Gongzhi_Mediation_V1_RecordCourtDecisionRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        let step: DisputeCommand.CourtStep
        switch request.step {
        case .accepted: step = .accepted(atMs: request.atMs)
        case .extended: step = .extended(atMs: request.atMs)
        case .confirmed: step = .confirmed(number: request.decisionNumber, atMs: request.atMs)
        case .refused: step = .refused(reason: request.reason, atMs: request.atMs)
        case .unspecified, .UNRECOGNIZED:
            throw RPCError(
                code: .invalidArgument,
                message: "say what the court did: step is accepted, extended, confirmed or refused"
            )
        }
        return try await self.step(request.disputeID, .recordCourtDecision(step), context)
    }

    func remediate(request: Gongzhi_Mediation_V1_RemediateRequest, context: ServerCallContext) async throws -> Dispute {
        try await step(request.disputeID, .remediate(note: request.note), context)
    }

    func recordFollowUp(
        request: Gongzhi_Mediation_V1_RecordFollowUpRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        try await step(request.disputeID, .recordFollowUp(request.followUp), context)
    }

    func recordPerformance(
        request: Gongzhi_Mediation_V1_RecordPerformanceRequest,
        context: ServerCallContext
    ) async throws -> Dispute {
        try await desk.step(request.disputeID, .recordPerformance, by: context.verifiedCaller) { dispute in
            let (performance, note) = try await desk.missedObligation(request.performance, of: dispute)
            return (.recordPerformance(performance), note)
        }
    }

    // MARK: Reading

    func getDispute(request: Gongzhi_Mediation_V1_GetDisputeRequest, context: ServerCallContext) async throws -> Dispute
    {
        try desk.read(request.disputeID, by: context.verifiedCaller)
    }

    func listDisputes(
        request: Gongzhi_Mediation_V1_ListDisputesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_ListDisputesResponse {
        let page = try self.page(request, for: context.verifiedCaller, at: desk.clock.nowMs())
        return .with {
            $0.disputes = page.disputes
            $0.nextPageToken = page.nextPageToken
        }
    }

    func due(
        request: Gongzhi_Mediation_V1_DueRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_DueResponse {
        DisputeQuery.due(
            visible(to: context.verifiedCaller),
            request,
            at: desk.clock.nowMs(),
            restDays: desk.settings.restDays
        )
    }

    func getSummary(
        request: Gongzhi_Mediation_V1_GetDisputeRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_DisputeSummary {
        let dispute = try desk.read(request.disputeID, by: context.verifiedCaller)
        return Gongzhi_Mediation_V1_DisputeSummary(dispute, at: desk.clock.nowMs(), restDays: desk.settings.restDays)
    }

    func listSummaries(
        request: Gongzhi_Mediation_V1_ListDisputesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_ListSummariesResponse {
        let now = desk.clock.nowMs()
        let page = try self.page(request, for: context.verifiedCaller, at: now)
        return .with {
            $0.summaries = page.disputes.map {
                Gongzhi_Mediation_V1_DisputeSummary($0, at: now, restDays: desk.settings.restDays)
            }
            $0.nextPageToken = page.nextPageToken
        }
    }

    func stats(
        request: Gongzhi_Mediation_V1_StatsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_StatsResponse {
        try DisputeQuery.stats(visible(to: context.verifiedCaller), request, at: desk.clock.nowMs())
    }

    // MARK: Documents

    func print(
        request: Gongzhi_Mediation_V1_PrintRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_PrintResponse {
        let dispute = try desk.read(request.disputeID, by: context.verifiedCaller)
        try DisputeDocuments.requirePersonalData(context, for: "the agreement", printing: "printing it")
        let html = try DisputeDocuments.agreement(dispute, committee: desk.settings.committee(of: dispute))
        return .with {
            $0.html = html
            $0.fileName = "\(dispute.id)-agreement.html"
        }
    }

    func confirmationPackage(
        request: Gongzhi_Mediation_V1_ConfirmationPackageRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Mediation_V1_ConfirmationPackageResponse {
        let dispute = try desk.read(request.disputeID, by: context.verifiedCaller)
        try DisputeDocuments.requirePersonalData(
            context,
            for: "the confirmation package",
            printing: "producing it"
        )
        return try DisputeDocuments.confirmationPackage(
            dispute,
            court: request.court,
            committee: desk.settings.committee(of: dispute),
            at: desk.clock.nowMs(),
            restDays: desk.settings.restDays
        )
    }

    // MARK: Helpers

    private func step(_ id: String, _ command: DisputeCommand, _ context: ServerCallContext) async throws -> Dispute {
        try await desk.step(id, by: context.verifiedCaller, command)
    }

    /// The disputes the caller may see: those within their places (every dispute, for a caller that is not a
    /// person). Filtered before any query, so that pages, due clocks and figures count only these.
    /// A page of the disputes `caller` may see, with the book's deadlines for `overdue_only`.
    private func page(
        _ request: Gongzhi_Mediation_V1_ListDisputesRequest,
        for caller: Caller,
        at nowMs: Int64
    ) throws(RPCError) -> (disputes: [Dispute], nextPageToken: String) {
        let (all, next) = desk.disputes.allWithDeadlines()
        let visible = caller.places.isEverywhere ? all : all.filter { caller.mayAct(at: $0.placeCode) }
        return try DisputeQuery.page(
            visible,
            request,
            at: nowMs,
            restDays: desk.settings.restDays,
            nextDeadline: { next[$0.id] ?? 0 }
        )
    }

    private func visible(to caller: Caller) -> [Dispute] {
        let all = desk.disputes.all()
        return caller.places.isEverywhere ? all : all.filter { caller.mayAct(at: $0.placeCode) }
    }
}
