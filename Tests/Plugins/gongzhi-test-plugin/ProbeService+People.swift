import GongzhiRPC
import GongzhiTestSchemas

/// People with personal data in the plugin's answers, written as they are: the host decides who sees it.
extension ProbeService {
    func directory(
        request: Gongzhi_Test_V1_PeopleRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_DirectoryResponse {
        var response = Gongzhi_Test_V1_DirectoryResponse()
        response.people = request.names.enumerated().map { Self.card($1, number: $0) }
        response.community = "X社区"
        return response
    }

    func people(
        request: Gongzhi_Test_V1_PeopleRequest,
        responses: RPCResponseWriter<Gongzhi_Test_V1_ContactCard>,
        context: ServerCallContext
    ) async throws {
        for (number, name) in request.names.enumerated() {
            try await responses.write(Self.card(name, number: number))
        }
    }

    /// A made-up card: the n-th person's phone is 1390000100n, their ID number ends in 100n.
    static func card(_ name: String, number: Int) -> Gongzhi_Test_V1_ContactCard {
        var card = Gongzhi_Test_V1_ContactCard()
        card.name = name
        card.phone = "1390000\(1000 + number)"
        card.idNumber = "33010619800101\(1000 + number)"
        card.note = "card \(number + 1) of the directory"
        return card
    }
}
