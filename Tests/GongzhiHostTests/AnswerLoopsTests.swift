import Foundation
import GongzhiRPC
import GongzhiSchemas
import Logging
import XCTest

@testable import GongzhiHost

/// Large answers are built on the answer loops, not on the loops that serve the sockets (the Objects service
/// runs every List there: `ObjectsService.handler(method:caller:)`).
final class AnswerLoopsTests: XCTestCase {
    /// The calling thread's name.
    private static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func context(_ method: String) -> ServerCallContext {
        ServerCallContext(
            service: Gongzhi_Host_V1_Objects.serviceName,
            method: method,
            requestMetadata: [:],
            peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
            deadline: nil,
            logger: Logger(label: "answer-loops-test") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    func testAWrappedHandlerRunsOnAnAnswerLoopBeforeAndAfterItsAwaits() async throws {
        let handler = RPCMethodHandler(unary: { _, _ in
            let before = Self.threadName()
            try await Task.sleep(for: .milliseconds(1))
            return Data("\(before) \(Self.threadName())".utf8)
        })
        guard case .unary(let body) = AnswerLoops.shared.running(handler).body else { return XCTFail("not unary") }
        let answer = try await body(Data(), context("List"))
        XCTAssertEqual(String(decoding: answer, as: UTF8.self), "gongzhi-answers gongzhi-answers")
    }

    func testLoopsAreTakenInTurnAndStreamsAreLeftAsTheyAre() throws {
        let loops = AnswerLoops(threads: 3)
        XCTAssertNotIdentical(loops.next(), loops.next(), "answers take the loops in turn")
        // A streaming handler is left as it is.
        let stream = RPCMethodHandler(kind: .serverStreaming) { _, _, _ in Data() }
        guard case .streaming = loops.running(stream).body else { return XCTFail("a stream became unary") }
    }
}
