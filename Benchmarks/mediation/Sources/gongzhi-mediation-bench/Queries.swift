import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas

/// The queries the rounds time, in the order of the first round (each later round starts one further on).
enum Query: String, CaseIterable, Sendable {
    /// (a) `Mediation/Stats` over every dispute, through the host.
    case stats
    /// (b) `Mediation/ListDisputes{overdue_only, page_size 500}` through the host, every page.
    case overdueAll
    /// (b) The same, the first page alone.
    case overdueFirst
    /// (c) `Objects/List` of every Dispute object, pages of `--list-page-size`.
    case objects
    /// The plugin's answer alone: Stats straight to the plugin's socket, no host.
    case statsDirect
    /// The plugin's answer alone: every page of the overdue list straight to the plugin's socket.
    case overdueAllDirect
    /// The plugin's answer alone: the overdue list's first page straight to the plugin's socket.
    case overdueFirstDirect

    /// True for the queries made several times a round (one call each), whose round figure is their median.
    var isSingleCall: Bool {
        switch self {
        case .stats, .overdueFirst, .statsDirect, .overdueFirstDirect: true
        case .overdueAll, .objects, .overdueAllDirect: false
        }
    }

    var isDirect: Bool {
        switch self {
        case .statsDirect, .overdueAllDirect, .overdueFirstDirect: true
        default: false
        }
    }

    var title: String {
        switch self {
        case .stats: "(a) `Mediation/Stats` through the host"
        case .overdueAll: "(b) `ListDisputes{overdue_only}` through the host, every page of 500"
        case .overdueFirst: "(b) `ListDisputes{overdue_only}` through the host, the first page of 500"
        case .objects: "(c) the host's `Objects/List` of every Dispute"
        case .statsDirect: "`Stats` straight to the plugin's socket (no host)"
        case .overdueAllDirect: "`ListDisputes{overdue_only}` straight to the plugin, every page"
        case .overdueFirstDirect: "`ListDisputes{overdue_only}` straight to the plugin, the first page"
        }
    }
}

/// What one query answered.
struct Answer: Sendable {
    /// Disputes or objects in the answers; for Stats, the disputes it counted.
    var items = 0
    var pages = 0
    /// The answers' encoded size (taken only when asked: encoding again costs the client).
    var bytes = 0
    /// The ids answered, when asked.
    var ids: [String] = []
    /// Bytes of the Dispute messages in an `Objects/List` answer (their `data`), when asked.
    var dataBytes = 0
}

/// Makes the queries on two channels: `routed` to the host's admin socket, `direct` to the plugin's own socket
/// with the metadata the host would add for an administrator.
struct QueryRunner: Sendable {
    let routed: any RPCClientChannel
    let direct: (any RPCClientChannel)?
    let listPageSize: Int
    static let overduePageSize: UInt32 = 500
    static let options = CallOptions(timeout: .seconds(300))

    /// Makes `query` once; with `inspect`, also counts the answers' bytes and collects the ids.
    func run(_ query: Query, inspect: Bool = false) async throws -> Answer {
        switch query {
        case .stats: return try await stats(on: routed, inspect: inspect)
        case .statsDirect: return try await stats(on: try directChannel(), inspect: inspect)
        case .overdueAll: return try await overdue(on: routed, allPages: true, inspect: inspect)
        case .overdueAllDirect: return try await overdue(on: try directChannel(), allPages: true, inspect: inspect)
        case .overdueFirst: return try await overdue(on: routed, allPages: false, inspect: inspect)
        case .overdueFirstDirect:
            return try await overdue(on: try directChannel(), allPages: false, inspect: inspect)
        case .objects: return try await objects(inspect: inspect)
        }
    }

    private func directChannel() throws -> any RPCClientChannel {
        guard let direct else { throw BenchFailure("the plugin's socket is not measured in this run") }
        return direct
    }

    private func stats(on channel: any RPCClientChannel, inspect: Bool) async throws -> Answer {
        let client = Gongzhi_Mediation_V1_MediationClient(channel: channel)
        let response = try await client.stats(Gongzhi_Mediation_V1_StatsRequest(), options: Self.options)
        var answer = Answer(items: Int(response.disputes), pages: 1)
        if inspect { answer.bytes = (try response.serializedBytes() as [UInt8]).count }
        return answer
    }

    private func overdue(on channel: any RPCClientChannel, allPages: Bool, inspect: Bool) async throws -> Answer {
        let client = Gongzhi_Mediation_V1_MediationClient(channel: channel)
        var request = Gongzhi_Mediation_V1_ListDisputesRequest()
        request.overdueOnly = true
        request.pageSize = Self.overduePageSize
        var answer = Answer()
        repeat {
            let response = try await client.listDisputes(request, options: Self.options)
            answer.pages += 1
            answer.items += response.disputes.count
            if inspect {
                answer.bytes += (try response.serializedBytes() as [UInt8]).count
                answer.ids += response.disputes.map(\.id)
            }
            request.pageToken = response.nextPageToken
        } while allPages && !request.pageToken.isEmpty
        return answer
    }

    private func objects(inspect: Bool) async throws -> Answer {
        let client = Gongzhi_Host_V1_ObjectsClient(channel: routed)
        var request = Gongzhi_Host_V1_ListRequest()
        request.kind = "Dispute"
        request.pageSize = UInt32(listPageSize)
        var answer = Answer()
        repeat {
            let response = try await client.list(request, options: Self.options)
            answer.pages += 1
            answer.items += response.objects.count
            if inspect {
                answer.bytes += (try response.serializedBytes() as [UInt8]).count
                answer.ids += response.objects.map(\.id)
                answer.dataBytes += response.objects.map(\.data.count).reduce(0, +)
            }
            request.pageToken = response.nextPageToken
        } while !request.pageToken.isEmpty
        return answer
    }
}
