import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas

/// `gongzhi.grid.v1.GridService`: the RPCs in front of the case desk, for the caller the host verified (a
/// person reads and acts on the cases within their places only). Reporters' phones go only to callers that
/// hold the personal-data grant.
struct GridService: Gongzhi_Grid_V1_GridServiceHandler {
    let desk: CaseDesk

    func locate(
        request: Gongzhi_Grid_V1_LocateRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_LocateResponse {
        guard request.hasPoint else {
            throw RPCError(code: .invalidArgument, message: "give the point to locate (longitude and latitude)")
        }
        let grid = try desk.locate(request.point)
        var response = Gongzhi_Grid_V1_LocateResponse()
        response.gridCode = grid.code
        response.gridName = grid.name
        response.communityCode = grid.place.communityCode
        response.streetCode = grid.place.streetCode
        return response
    }

    func report(
        request: Gongzhi_Grid_V1_ReportRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_ReportResponse {
        try await desk.report(request, by: context.verifiedCaller)
    }

    func register(
        request: Gongzhi_Grid_V1_RegisterCaseRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        let tier: Gongzhi_Grid_V1_Tier? = request.tier == .unspecified ? nil : request.tier
        return try await step(.register(note: request.note, tier: tier), request.ref, context)
    }

    func reject(request: Gongzhi_Grid_V1_RejectRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case
    {
        try await step(.reject(reason: request.reason), request.ref, context)
    }

    func dispatch(
        request: Gongzhi_Grid_V1_DispatchRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        let deadline: Int64? = request.deadlineMs == 0 ? nil : request.deadlineMs
        return try await step(
            .dispatch(assignee: request.assignee, deadlineMs: deadline, note: request.note),
            request.ref,
            context
        )
    }

    func start(request: Gongzhi_Grid_V1_StartRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case {
        try await step(.start(note: request.note), request.ref, context)
    }

    func handle(request: Gongzhi_Grid_V1_HandleRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case
    {
        try await step(.handle(notes: request.notes, media: request.media), request.ref, context)
    }

    func verify(request: Gongzhi_Grid_V1_VerifyRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case
    {
        try await step(.verify(note: request.note), request.ref, context)
    }

    func sendBack(
        request: Gongzhi_Grid_V1_SendBackRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try await step(.sendBack(reason: request.reason), request.ref, context)
    }

    func close(request: Gongzhi_Grid_V1_CloseRequest, context: ServerCallContext) async throws -> Gongzhi_Grid_V1_Case {
        try await step(.close(note: request.note), request.ref, context)
    }

    func evaluate(
        request: Gongzhi_Grid_V1_EvaluateRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try await step(.evaluate(satisfaction: request.satisfaction, comment: request.comment), request.ref, context)
    }

    func getCase(
        request: Gongzhi_Grid_V1_GetCaseRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        guard !request.caseID.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "name the case: case_id is empty")
        }
        guard let found = desk.cases[request.caseID] else {
            throw RPCError(code: .notFound, message: "there is no case \(request.caseID)")
        }
        try CaseDesk.checkPlaces(of: found.message, for: context.verifiedCaller, doing: "read")
        return found.message
    }

    func listCases(
        request: Gongzhi_Grid_V1_ListCasesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_ListCasesResponse {
        let visible = self.visible(to: context.verifiedCaller)
        return try CaseDesk.workflow { () throws(WorkflowError) in
            try CaseQuery.list(visible, request, at: desk.clock.nowMs())
        }
    }

    func stats(
        request: Gongzhi_Grid_V1_StatsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_StatsResponse {
        CaseStatistics.stats(visible(to: context.verifiedCaller), request, at: desk.clock.nowMs())
    }

    func listCategories(
        request: Gongzhi_Grid_V1_ListCategoriesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_ListCategoriesResponse {
        var response = Gongzhi_Grid_V1_ListCategoriesResponse()
        response.categories = desk.catalogue.categories
        response.duplicateRadiusM = desk.catalogue.duplicateRadiusMeters
        response.duplicateWindowMinutes = desk.catalogue.duplicateWindowMinutes
        return response
    }

    // MARK: Helpers

    private func step(
        _ command: WorkflowCommand,
        _ ref: Gongzhi_Grid_V1_CaseRef,
        _ context: ServerCallContext
    ) async throws -> Gongzhi_Grid_V1_Case {
        try await desk.step(command, ref: ref, by: context.verifiedCaller)
    }

    /// The cases the caller may see: those within their places (every case, for a caller that is not a person).
    /// Filtered before any query, so that pages and totals count only these.
    private func visible(to caller: Caller) -> [Gongzhi_Grid_V1_Case] {
        let all = desk.cases.all().values.map(\.message)
        return caller.places.isEverywhere ? all : all.filter { caller.mayAct(at: $0.gridCode) }
    }
}
