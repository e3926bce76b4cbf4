import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiIntakeStore
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import GongzhiSensorsSchemas
import Synchronization

/// `gongzhi.intake.v1.Intake`: sources and their counters, the Open311 front end's calls, items people answer
/// and route, department files, dead letters, devices and readings — for the caller the host verified (a
/// person sees and acts on the items, dead letters and devices within their places only).
struct IntakeService: Gongzhi_Intake_V1_IntakeHandler {
    let desk: IntakeDesk

    func listSources(
        request: Gongzhi_Intake_V1_ListSourcesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListSourcesResponse {
        desk.sourceSummaries()
    }

    func stats(
        request: Gongzhi_Intake_V1_StatsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_StatsResponse {
        try desk.stats(source: request.source)
    }

    func submitTicket(
        request: Gongzhi_Intake_V1_SubmitTicketRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_SubmitTicketResponse {
        try await desk.submit(request, by: context.verifiedCaller)
    }

    func getTicket(
        request: Gongzhi_Intake_V1_GetTicketRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try desk.ticketItem(request, for: context.verifiedCaller)
    }

    func listItems(
        request: Gongzhi_Intake_V1_ListItemsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListItemsResponse {
        try desk.listItems(request, for: context.verifiedCaller)
    }

    func getItem(
        request: Gongzhi_Intake_V1_GetItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try desk.item(request.id, for: context.verifiedCaller)
    }

    func answerItem(
        request: Gongzhi_Intake_V1_AnswerItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try await desk.step(request.id, .answer(text: request.answer, close: request.close), by: context.verifiedCaller)
    }

    func closeItem(
        request: Gongzhi_Intake_V1_CloseItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try await desk.step(request.id, .close(note: request.note), by: context.verifiedCaller)
    }

    func routeItem(
        request: Gongzhi_Intake_V1_RouteItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try await desk.route(request, by: context.verifiedCaller)
    }

    func `import`(
        requests: RPCRequestStream<Gongzhi_Intake_V1_ImportChunk>,
        responses: RPCResponseWriter<Gongzhi_Intake_V1_ImportProgress>,
        context: ServerCallContext
    ) async throws {
        try await desk.importFile(requests: requests, responses: responses, by: context.verifiedCaller)
    }

    func listDeadLetters(
        request: Gongzhi_Intake_V1_ListDeadLettersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListDeadLettersResponse {
        try desk.listDeadLetters(request, for: context.verifiedCaller)
    }

    func getDeadLetter(
        request: Gongzhi_Intake_V1_GetDeadLetterRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_DeadLetter {
        try desk.deadLetter(request.id, for: context.verifiedCaller)
    }

    func replayDeadLetters(
        request: Gongzhi_Intake_V1_ReplayDeadLettersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ReplayDeadLettersResponse {
        try await desk.replay(request, by: context.verifiedCaller)
    }

    func discardDeadLetters(
        request: Gongzhi_Intake_V1_DiscardDeadLettersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_DiscardDeadLettersResponse {
        try await desk.discard(request, by: context.verifiedCaller)
    }

    func putDevices(
        request: Gongzhi_Intake_V1_PutDevicesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_PutDevicesResponse {
        try await desk.putDevices(request, by: context.verifiedCaller)
    }

    func listDevices(
        request: Gongzhi_Intake_V1_ListDevicesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListDevicesResponse {
        var response = Gongzhi_Intake_V1_ListDevicesResponse()
        response.devices = desk.devices(place: request.place, kind: request.kind, for: context.verifiedCaller)
        return response
    }

    func latestReadings(
        request: Gongzhi_Intake_V1_LatestReadingsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_LatestReadingsResponse {
        try desk.latestReadings(request, for: context.verifiedCaller)
    }

    func readings(
        request: Gongzhi_Intake_V1_ReadingsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ReadingsResponse {
        try desk.readings(request, for: context.verifiedCaller)
    }

    func reloadSources(
        request: Gongzhi_Intake_V1_ReloadSourcesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListSourcesResponse {
        try desk.reload()
    }
}
