import GongzhiRPC
import GongzhiTestSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Measures unary `gongzhi.test.v1.Probe/Directory` calls, whose answers carry personal data (a phone and an ID
/// number per person, marked sensitive in the schema): through a host, each answer is redacted for a caller
/// without the personal-data grant, or checked and audited for one with it.
public enum DirectoryBenchmark {
    /// The method measured, as the result names it.
    public static let method = "gongzhi.test.v1.Probe/Directory"

    /// The name asked for the `number`-th person: 37 bytes of UTF-8, so that the test plugin's answer for ten people
    /// is about 1 KB.
    static func name(_ number: Int) -> String {
        let digits = number < 10 ? "0\(number)" : "\(number)"
        return "幸福里社区3号楼2单元居民\(digits)"
    }

    /// Makes `calls` Directory calls for `people` people with `concurrency` in flight, spread evenly over `channels`,
    /// after one call that tells what the answers look like on this path and `warmup` calls, none of them measured.
    /// Every answer must name the people asked for and show their personal data as the first one did.
    public static func run(
        channels: [any RPCClientChannel],
        people: Int,
        calls: Int,
        concurrency: Int,
        warmup: Int
    ) async throws -> EchoBenchmark.Result {
        precondition(!channels.isEmpty, "the directory benchmark needs a channel to call through")
        precondition(people > 0, "the directory benchmark needs at least one person to ask for")
        let clients = channels.map { Gongzhi_Test_V1_ProbeClient(channel: $0) }
        var request = Gongzhi_Test_V1_PeopleRequest()
        request.names = (0..<people).map(name)
        let message = request

        let first = try await clients[0].directory(message)
        let shown = try showsPersonalData(first, asked: people, likeTheFirst: nil)
        let timing = try await EchoBenchmark.measure(
            clients,
            calls: calls,
            concurrency: concurrency,
            warmup: warmup
        ) { client in
            let answer = try await client.directory(message)
            _ = try showsPersonalData(answer, asked: people, likeTheFirst: shown)
        }
        return EchoBenchmark.Result(
            impl: "gongzhi",
            payload: try message.serializedData().count,
            concurrency: concurrency,
            connections: clients.count,
            calls: calls,
            p50_us: timing.p50Micros,
            p99_us: timing.p99Micros,
            calls_per_sec: timing.callsPerSecond,
            client_cpu_seconds: timing.clientCPUSeconds,
            method: method,
            response_bytes: try first.serializedData().count,
            sensitive_shown: shown
        )
    }

    /// Whether `answer` shows the people's phones and ID numbers; throws when it does not hold the `asked` people,
    /// shows the personal data of some of them only, or shows it otherwise than the first answer did.
    static func showsPersonalData(
        _ answer: Gongzhi_Test_V1_DirectoryResponse,
        asked: Int,
        likeTheFirst first: Bool?
    ) throws(RPCError) -> Bool {
        guard answer.people.count == asked else {
            throw RPCError(
                code: .dataLoss,
                message: "the directory answered \(answer.people.count) people when asked for \(asked)"
            )
        }
        let showing = answer.people.filter { !$0.phone.isEmpty && !$0.idNumber.isEmpty }.count
        let hiding = answer.people.filter { $0.phone.isEmpty && $0.idNumber.isEmpty }.count
        guard showing == asked || hiding == asked else {
            throw RPCError(
                code: .dataLoss,
                message: "the directory showed all the personal data of \(showing) of \(asked) people and none of "
                    + "\(hiding); every answer on one path should show all of it or none"
            )
        }
        let shown = showing == asked
        if let first, first != shown {
            throw RPCError(
                code: .dataLoss,
                message: "an answer \(shown ? "showed" : "hid") the personal data that the first answer "
                    + "\(first ? "showed" : "hid")"
            )
        }
        return shown
    }
}
