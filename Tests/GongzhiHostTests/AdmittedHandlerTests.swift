import GongzhiRPC
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

@testable import GongzhiHost

/// Handlers wrapped with admission: a refusal reaches the caller with its retry advice; streams are capped.
final class AdmittedHandlerTests: XCTestCase {
    private let flow = FlowKey(kind: .client, name: "tk_1")

    private func controller(queueLength: Int, streams: Int = 1) -> AdmissionController {
        let level = LevelLimits(seats: 1, seatsPerFlow: 1, queueLengthPerFlow: queueLength, maxSeatsPerCall: 1)
        return AdmissionController(
            limits: AdmissionLimits(
                admin: level,
                plugins: level,
                clients: level,
                routed: level,
                maxStreamsPerFlow: streams
            ),
            configurationPath: "/etc/gongzhi/gongzhi.toml"
        )
    }

    private func context(connection: RPCConnection? = nil) -> ServerCallContext {
        ServerCallContext(
            service: "gongzhi.host.v1.Objects",
            method: "Get",
            requestMetadata: [:],
            peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
            deadline: nil,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            connection: connection
        )
    }

    func testACallWhoseClientLeftAnswersUnreadTakesNoSeatUntilItReads() async throws {
        let controller = controller(queueLength: 10)
        let ran = Mutex(0)
        let handler = RPCMethodHandler(unary: { payload, _ in
            ran.withLock { $0 += 1 }
            return payload
        })
        guard
            case .unary(let body) = AdmittedHandler.wrap(handler, flow: flow, level: .clients, controller: controller)
                .body
        else { return XCTFail("not unary") }
        let connection = RPCConnection(id: 1)
        connection.outbound.close()
        let first = context(connection: connection)
        let waiting = Task { try await body(Data([7]), first) }
        try await eventually("the call waits at its connection's gate") { connection.outbound.waiting == 1 }
        XCTAssertEqual(ran.withLock { $0 }, 0)
        XCTAssertEqual(controller.statistics.first { $0.level == "clients" }?.seatsInUse ?? 0, 0, "it holds no seat")
        // The level's one seat is anyone else's meanwhile (at once, not after a second's wait).
        let other = try await controller.admit(
            FlowKey(kind: .client, name: "tk_2"),
            level: .clients,
            deadline: .now + .seconds(1)
        )
        other.release()

        connection.outbound.open()
        let answer = try await waiting.value
        XCTAssertEqual(answer, Data([7]))
        XCTAssertEqual(ran.withLock { $0 }, 1)

        // A client that goes away while its call waits: the call ends, CANCELLED, never run.
        connection.outbound.close()
        let second = context(connection: connection)
        let abandoned = Task { try await body(Data([8]), second) }
        try await eventually("the second call waits at the gate") { connection.outbound.waiting == 1 }
        abandoned.cancel()
        do {
            _ = try await abandoned.value
            XCTFail("an abandoned call ran")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .cancelled)
        }
        XCTAssertEqual(ran.withLock { $0 }, 1)
    }

    func testARoutedCallWhoseClientLeftAnswersUnreadAsksForNoSeatUntilItReads() throws {
        let controller = controller(queueLength: 10)
        let ran = Mutex(0)
        let callback = RPCMethodHandler(unaryCallback: { payload, _, answer in
            ran.withLock { $0 += 1 }
            answer(.success(payload))
        })
        guard
            case .unaryCallback(let body) = AdmittedHandler.wrap(
                callback,
                flow: flow,
                level: .routed(plugin: "grid"),
                controller: controller
            ).body
        else { return XCTFail("not a callback") }
        let connection = RPCConnection(id: 1)
        connection.outbound.close()
        let result = Mutex<Result<Data, any Error>?>(nil)
        body(Data([5]), context(connection: connection)) { outcome in result.withLock { $0 = outcome } }
        XCTAssertEqual(ran.withLock { $0 }, 0, "not run while the client does not read")
        XCTAssertNil(result.withLock { $0 })
        XCTAssertEqual(controller.statistics.first { $0.level == "routed:grid" }?.seatsInUse ?? 0, 0)
        connection.outbound.open()
        XCTAssertEqual(try result.withLock { $0 }?.get(), Data([5]))
        XCTAssertEqual(ran.withLock { $0 }, 1)

        // The client goes away instead: answered CANCELLED, never run.
        connection.outbound.close()
        body(Data([6]), context(connection: connection)) { outcome in result.withLock { $0 = outcome } }
        connection.outbound.fail(RPCError(code: .cancelled, message: "the client went away"))
        if case .failure(let error as RPCError)? = result.withLock({ $0 }) {
            XCTAssertEqual(error.code, .cancelled)
        } else {
            XCTFail("answered though the client went away")
        }
        XCTAssertEqual(ran.withLock { $0 }, 1)
    }

    func testARefusedCallCarriesItsRetryAdviceInTheResponseMetadata() async throws {
        let controller = controller(queueLength: 0)
        let echo = RPCMethodHandler(unary: { payload, _ in payload })
        let wrapped = AdmittedHandler.wrap(echo, flow: flow, level: .clients, controller: controller)
        guard case .unary(let body) = wrapped.body else { return XCTFail("not unary") }
        // Admitted: the handler runs and its seat comes back.
        let answer = try await body(Data([1, 2]), context())
        XCTAssertEqual(answer, Data([1, 2]))
        XCTAssertEqual(controller.statistics.first { $0.level == "clients" }?.seatsInUse, 0)

        let held = try await controller.admit(flow, level: .clients)
        let refusedContext = context()
        do {
            _ = try await body(Data(), refusedContext)
            XCTFail("admitted past a full level with no queue")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertNotNil(refusedContext.responseMetadata[AdmissionController.retryAfterMetadataKey])
        }
        held.release()

        // The callback form too.
        let callback = RPCMethodHandler(unaryCallback: { payload, _, answer in answer(.success(payload)) })
        let wrappedCallback = AdmittedHandler.wrap(callback, flow: flow, level: .clients, controller: controller)
        guard case .unaryCallback(let answerBody) = wrappedCallback.body else { return XCTFail("not a callback") }
        let again = try await controller.admit(flow, level: .clients)
        let callbackContext = context()
        let result = Mutex<Result<Data, any Error>?>(nil)
        answerBody(Data([3]), callbackContext) { outcome in result.withLock { $0 = outcome } }
        if case .failure(let error as RPCError)? = result.withLock({ $0 }) {
            XCTAssertEqual(error.code, .resourceExhausted)
        } else {
            XCTFail("answered though refused")
        }
        XCTAssertNotNil(callbackContext.responseMetadata[AdmissionController.retryAfterMetadataKey])
        again.release()
        answerBody(Data([3]), callbackContext) { outcome in result.withLock { $0 = outcome } }
        XCTAssertEqual(try result.withLock { $0 }?.get(), Data([3]))
    }

    func testStreamsAreCappedPerFlowButTheHostsOwnAreNot() async throws {
        let controller = controller(queueLength: 10, streams: 1)
        let stream = RPCMethodHandler(kind: .serverStreaming, streaming: { _, _, _ in Data() })
        let (requests, _) = AsyncThrowingStream<Data, any Error>.makeStream()
        let writer = RPCResponseWriter<Data>(sendRaw: { _ in }, encode: { $0 })
        let open = try controller.openStream(flow)
        let wrapped = AdmittedHandler.wrap(stream, flow: flow, level: .clients, controller: controller)
        guard case .streaming(let body) = wrapped.body else { return XCTFail("not streaming") }
        do {
            _ = try await body(RPCRequestStream(raw: requests, decode: { $0 }), writer, context())
            XCTFail("a second stream was opened")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
        }
        let registration = AdmittedHandler.wrap(stream, flow: flow, level: .system, controller: controller)
        guard case .streaming(let exempt) = registration.body else { return XCTFail("not streaming") }
        _ = try await exempt(RPCRequestStream(raw: requests, decode: { $0 }), writer, context())
        open.release()
        _ = try await body(RPCRequestStream(raw: requests, decode: { $0 }), writer, context())
        XCTAssertEqual(controller.streamsRefused, 1)
    }
}
