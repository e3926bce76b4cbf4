import GongzhiEcho
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas

#if canImport(Glibc)
import Glibc
#endif

/// The echo service, writing down every unary call as its handler starts and ends, so that a test can act once a
/// call has reached the plugin (not after a guess of how long that takes) and see how the handler ended: with
/// `TEST_PLUGIN_JOURNAL` set, lines go to `<data dir>/calls.log`:
///
///   started TEXT deadline-ms MS        (MS: what was left of the call's deadline, or "none")
///   finished TEXT after-ms MS
///   cancelled TEXT after-ms MS         (the handler's task was cancelled: the caller's deadline, or it went away)
///   failed TEXT after-ms MS
struct JournaledEcho: Gongzhi_Test_V1_EchoHandler {
    static let variable = "TEST_PLUGIN_JOURNAL"

    let echo = EchoService()
    let journal: CallJournal

    func unary(
        request: Gongzhi_Test_V1_EchoRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_EchoResponse {
        let started = ContinuousClock.now
        let left = context.deadline.map { "\(($0 - started).milliseconds)" } ?? "none"
        journal.append("started \(request.text) deadline-ms \(left)")
        func ended(_ how: String) {
            journal.append("\(how) \(request.text) after-ms \((ContinuousClock.now - started).milliseconds)")
        }
        do {
            let response = try await echo.unary(request: request, context: context)
            ended(Task.isCancelled ? "cancelled" : "finished")
            return response
        } catch {
            ended(error is CancellationError || Task.isCancelled ? "cancelled" : "failed")
            throw error
        }
    }

    func collect(
        requests: RPCRequestStream<Gongzhi_Test_V1_EchoRequest>,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_EchoResponse {
        try await echo.collect(requests: requests, context: context)
    }

    func expand(
        request: Gongzhi_Test_V1_EchoRequest,
        responses: RPCResponseWriter<Gongzhi_Test_V1_EchoResponse>,
        context: ServerCallContext
    ) async throws {
        try await echo.expand(request: request, responses: responses, context: context)
    }

    func chat(
        requests: RPCRequestStream<Gongzhi_Test_V1_EchoRequest>,
        responses: RPCResponseWriter<Gongzhi_Test_V1_EchoResponse>,
        context: ServerCallContext
    ) async throws {
        try await echo.chat(requests: requests, responses: responses, context: context)
    }
}

/// A file of lines that calls append to, one whole line per write.
final class CallJournal: Sendable {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RPCError(code: .internal, message: "cannot open \(path): errno \(errno)")
        }
    }

    deinit {
        close(descriptor)
    }

    func append(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
    }
}

extension Duration {
    /// The whole milliseconds in the duration.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
