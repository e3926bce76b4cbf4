import Foundation
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import XCTest

@testable import GongzhiRPC
@testable import GongzhiRPCPosix

/// A connection over its outbound budget parks its new requests instead of starting them, and starts them in
/// order once the client reads; it closes when the client reads nothing for the unread-answers timeout, and when
/// it has been idle (no call, nothing parked, no partial frame) for the idle timeout.
final class ServerConnectionHandlerBudgetTests: XCTestCase {
    /// Records the calls that started, and holds their answers until the test gives them.
    private final class Recorder: RPCCallDispatcher, Sendable {
        let started = Mutex<[String]>([])
        let answers = Mutex<[String: @Sendable (Result<Data, any Error>) -> Void]>([:])

        func dispatch(_ head: RPCCallHead) -> Result<RPCMethodHandler, RPCError> {
            let method = head.method
            return .success(
                RPCMethodHandler(unaryCallback: { _, _, answer in
                    self.started.withLock { $0.append(method) }
                    self.answers.withLock { $0[method] = answer }
                })
            )
        }

        func answer(_ method: String, bytes: Int = 0) {
            let answer = answers.withLock { $0.removeValue(forKey: method) }
            answer?(.success(Data(repeating: 1, count: bytes)))
        }

        /// The calls started and not answered yet.
        var running: Int { answers.withLock { $0.count } }
    }

    private func request(_ streamID: UInt32, method: String, flags: FrameFlags = []) throws -> DecodedFrame {
        var request = Gongzhi_Rpc_V1_Request()
        request.service = "test.Budget"
        request.method = method
        let bytes: [UInt8] = try request.serializedBytes()
        return .frame(Frame(streamID: streamID, type: .request, flags: flags, data: ByteBuffer(bytes: bytes)))
    }

    private func makeChannel(
        _ recorder: Recorder,
        limits: ServerConnectionHandler.Limits = ServerConnectionHandlerBudgetTests.limits(),
        progress: FrameProgress = FrameProgress(),
        connection: RPCConnection = RPCConnection(id: 1),
        counters: LimitCounters? = nil
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ServerConnectionHandler(
                dispatcher: recorder,
                peer: PeerCredentials(pid: 1, uid: 1000, gid: 1000),
                limits: limits,
                progress: progress,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                connection: connection,
                counters: counters
            )
        )
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/budget.sock")).wait()
        return channel
    }

    private static func limits(
        running: Int = .max,
        budget: Int = .max,
        unread: TimeAmount? = nil,
        idle: TimeAmount? = nil
    ) -> ServerConnectionHandler.Limits {
        ServerConnectionHandler.Limits(
            maxConcurrentStreams: 1024,
            maxDataLength: Frame.maxDataLength,
            maxBufferedRequests: 16,
            startsHandlersOnEventLoop: true,
            maxRunningUnaryCalls: running,
            outboundBudget: budget,
            unreadAnswersTimeout: unread,
            idleTimeout: idle
        )
    }

    /// The stream ids of the response frames written so far.
    private func answeredStreams(_ channel: EmbeddedChannel) throws -> [UInt32] {
        var ids: [UInt32] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            while buffer.readableBytes >= Frame.headerSize {
                let length = Int(buffer.readInteger(as: UInt32.self) ?? 0)
                ids.append(buffer.readInteger(as: UInt32.self) ?? 0)
                buffer.moveReaderIndex(forwardBy: 2 + length)
            }
        }
        return ids
    }

    func testRequestsWaitWhileOverBudgetAndStartInOrderOnceTheClientReads() throws {
        let recorder = Recorder()
        let connection = RPCConnection(id: 7)
        let counters = LimitCounters()
        let channel = try makeChannel(recorder, connection: connection, counters: counters)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertFalse(connection.outbound.isOpen, "the gate closes with the budget crossed")
        // Eight: as many as a first burst starts (each answer is expected to be an eighth of the budget at first).
        for call in 0..<8 {
            try channel.writeInbound(try request(UInt32(2 * call + 1), method: "M\(call)"))
        }
        XCTAssertEqual(recorder.started.withLock { $0 }, [], "no call starts while the client leaves answers unread")
        XCTAssertEqual(counters.value("connections.outbound_budget"), 1)

        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(recorder.started.withLock { $0 }, (0..<8).map { "M\($0)" }, "all start, in arrival order")
        XCTAssertTrue(connection.outbound.isOpen)
        for call in 0..<8 { recorder.answer("M\(call)") }
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try answeredStreams(channel), (0..<8).map { UInt32(2 * $0 + 1) })
        XCTAssertTrue(channel.isActive)
    }

    func testAWaitingCallGoesOnOnceTheConnectionIsUnderBudgetAgain() async throws {
        let gate = OutboundGate()
        gate.close()
        let resumed = Atomic<Bool>(false)
        let waiter = Task {
            try await gate.waitUntilOpen()
            resumed.store(true, ordering: .releasing)
        }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertFalse(resumed.load(ordering: .acquiring), "held while over budget")
        gate.open()
        try await waiter.value
        XCTAssertTrue(resumed.load(ordering: .acquiring))

        gate.close()
        let cancelled = Task { try await gate.waitUntilOpen() }
        cancelled.cancel()
        do {
            try await cancelled.value
            XCTFail("a cancelled wait throws")
        } catch is CancellationError {}
    }

    func testOnlySoManyUnaryCallsRunAtOnceAndTheNextStartsWhenOneEnds() throws {
        let recorder = Recorder()
        let channel = try makeChannel(recorder, limits: Self.limits(running: 2))
        for call in 0..<5 {
            try channel.writeInbound(try request(UInt32(2 * call + 1), method: "M\(call)"))
        }
        XCTAssertEqual(recorder.started.withLock { $0 }, ["M0", "M1"])
        recorder.answer("M1")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(recorder.started.withLock { $0 }, ["M0", "M1", "M2"])
        recorder.answer("M0")
        recorder.answer("M2")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(recorder.started.withLock { $0 }, ["M0", "M1", "M2", "M3", "M4"])
    }

    func testAFirstBurstStartsFewCallsAndMoreRunOnceTheirAnswersProveSmall() throws {
        let recorder = Recorder()
        let channel = try makeChannel(recorder, limits: Self.limits(budget: 8 << 20))
        for call in 0..<40 {
            try channel.writeInbound(try request(UInt32(2 * call + 1), method: "M\(call)"))
        }
        XCTAssertEqual(recorder.running, 8, "answers are first expected to be an eighth of the budget each")
        var peak = 0
        while recorder.started.withLock({ $0.count }) < 40 || recorder.running > 0 {
            let next = try XCTUnwrap(recorder.answers.withLock { $0.keys.sorted().first })
            recorder.answer(next, bytes: 100)
            channel.embeddedEventLoop.run()
            peak = max(peak, recorder.running)
        }
        XCTAssertGreaterThan(peak, 16, "small answers let more calls run at once")

        let large = Recorder()
        let big = try makeChannel(large, limits: Self.limits(budget: 8 << 20))
        for call in 0..<10 {
            try big.writeInbound(try request(UInt32(2 * call + 1), method: "L\(call)"))
        }
        large.answer("L0", bytes: 4 << 20)
        big.embeddedEventLoop.run()
        XCTAssertEqual(large.running, 7, "after a 4 MiB answer no more start until the running ones end")
        for call in 1..<8 { large.answer("L\(call)", bytes: 4 << 20) }
        big.embeddedEventLoop.run()
        XCTAssertEqual(large.running, 2, "two 4 MiB answers fit an 8 MiB budget")
    }

    func testAParkedRequestWhoseDeadlinePassedIsAnsweredDeadlineExceeded() throws {
        let recorder = Recorder()
        let channel = try makeChannel(recorder, limits: Self.limits(running: 1))
        try channel.writeInbound(try request(1, method: "First"))
        var late = Gongzhi_Rpc_V1_Request()
        late.service = "test.Budget"
        late.method = "Late"
        late.timeoutNano = 1_000_000
        let bytes: [UInt8] = try late.serializedBytes()
        try channel.writeInbound(DecodedFrame.frame(Frame(streamID: 3, type: .request, data: ByteBuffer(bytes: bytes))))
        _ = try answeredStreams(channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(5))
        recorder.answer("First")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(recorder.started.withLock { $0 }, ["First"], "the late call never starts")
        var answers: [Gongzhi_Rpc_V1_Response] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            while buffer.readableBytes >= Frame.headerSize {
                let length = Int(buffer.readInteger(as: UInt32.self) ?? 0)
                buffer.moveReaderIndex(forwardBy: 6)
                let data = buffer.readBytes(length: length) ?? []
                answers.append(try Gongzhi_Rpc_V1_Response(serializedBytes: data))
            }
        }
        XCTAssertEqual(answers.map(\.status.code), [0, StatusCode.deadlineExceeded.rawValue])
        XCTAssertTrue(answers.last?.status.message.contains("deadline passed") ?? false)
    }

    func testAConnectionThatReadsNothingOverItsBudgetIsClosedAfterTheUnreadAnswersTimeout() throws {
        let recorder = Recorder()
        let counters = LimitCounters()
        let channel = try makeChannel(recorder, limits: Self.limits(unread: .seconds(60)), counters: counters)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        XCTAssertTrue(channel.isActive, "still open within the timeout")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        XCTAssertFalse(channel.isActive, "closed after the timeout")
        XCTAssertEqual(counters.value("connections.unread_answers_closed"), 1)
    }

    func testAConnectionThatReadsAgainIsNotClosed() throws {
        let recorder = Recorder()
        let channel = try makeChannel(recorder, limits: Self.limits(unread: .seconds(60)))
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        XCTAssertTrue(channel.isActive)
    }

    func testAnIdleConnectionIsClosedButNotOneWithACallOpenOrAPartialFrame() throws {
        let idle = Self.limits(idle: .seconds(2))
        let counters = LimitCounters()
        let quiet = try makeChannel(Recorder(), limits: idle, counters: counters)
        quiet.embeddedEventLoop.advanceTime(by: .milliseconds(1500))
        XCTAssertTrue(quiet.isActive)
        quiet.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(quiet.isActive, "no call for the idle timeout: closed")
        XCTAssertEqual(counters.value("connections.idle_closed"), 1)

        let recorder = Recorder()
        let busy = try makeChannel(recorder, limits: idle)
        try busy.writeInbound(try request(1, method: "Open"))
        busy.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertTrue(busy.isActive, "a call is open: not idle, however quiet")
        recorder.answer("Open")
        busy.embeddedEventLoop.run()
        _ = try answeredStreams(busy)
        busy.embeddedEventLoop.advanceTime(by: .seconds(3))
        XCTAssertFalse(busy.isActive, "idle once its last call ended")

        let progress = FrameProgress()
        let partial = try makeChannel(Recorder(), limits: idle, progress: progress)
        progress.isInsideFrame = true
        partial.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertTrue(partial.isActive, "half a frame is not idle (the stalled-frame timeout handles it)")
    }
}
