import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import Synchronization
import XCTest

@testable import GongzhiIntakeControl

/// How far an import runs ahead of the plugin's answers, seen from a stream in memory that knows when the
/// command asks for the next answer.
final class ImportWindowTests: XCTestCase {
    func testNoChunkIsSentWhileTwoAreUnanswered() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("t.csv")
        try Data(("id\n" + (1...3500).map { "\($0)\n" }.joined()).utf8).write(to: URL(fileURLWithPath: path))
        let stream = AnsweringOnDemand()
        let session = ImportSession(
            file: ImportFile(path: path, format: .csv, encoding: .utf8),
            chunker: ImportChunker(source: "urban-management", fileName: "t.csv", importID: "i-1"),
            records: 3501,
            reporter: ImportReporter(context: .testing(), name: "t.csv", records: 3501)
        )
        let progress = try await session.send(
            Gongzhi_Intake_V1_IntakeClient(channel: OneStreamChannel(stream: stream)),
            options: .defaults
        )
        let state = stream.state.withLock { $0 }
        XCTAssertEqual(state.sent.map(\.records.count), [1000, 1000, 1000, 501])
        // Before each chunk went, at most one was unanswered: at most two are ever ahead of the answers.
        XCTAssertEqual(state.unansweredAtSend, [0, 1, 1, 1])
        XCTAssertEqual(state.answered, 4, "every chunk's answer was read")
        XCTAssertEqual(progress.recordsReceived, 3500)
    }
}

/// A bidirectional stream in memory standing for the plugin: it answers chunk k when the command reads its k-th
/// answer (waiting until chunk k was sent), and records how many chunks were unanswered each time one was sent.
final class AnsweringOnDemand: RPCClientStream {
    struct State: Sendable {
        var sent: [Gongzhi_Intake_V1_ImportChunk] = []
        var answered = 0
        var closed = false
        var unansweredAtSend: [Int] = []
    }

    let state = Mutex(State())

    func send(_ payload: Data) async throws {
        let chunk = try Gongzhi_Intake_V1_ImportChunk(serializedBytes: payload)
        state.withLock { state in
            state.unansweredAtSend.append(state.sent.count - state.answered)
            state.sent.append(chunk)
        }
    }

    func closeSend() async throws {
        state.withLock { $0.closed = true }
    }

    var responses: AsyncThrowingStream<Data, any Error> {
        AsyncThrowingStream(unfolding: { [self] in
            while true {
                let next: Data?? = self.state.withLock { state in
                    if state.answered < state.sent.count {
                        state.answered += 1
                        let received = state.sent[..<state.answered].map(\.records.count).reduce(0, +) - 1
                        let progress = Gongzhi_Intake_V1_ImportProgress.with {
                            $0.recordsReceived = UInt64(received)
                            $0.accepted = UInt64(received)
                        }
                        return .some(try? progress.serializedBytes())
                    }
                    return state.closed ? .some(nil) : nil
                }
                if let next { return next }
                try await Task.sleep(for: .milliseconds(1))
            }
        })
    }

    func finalResponse() async throws -> RawResponse { RawResponse(payload: Data()) }

    func cancel() {}
}

/// A channel whose only call is one stream.
struct OneStreamChannel: RPCClientChannel {
    let stream: AnsweringOnDemand

    func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse {
        throw RPCError(code: .unimplemented, message: "only the import stream")
    }

    func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream {
        stream
    }
}
