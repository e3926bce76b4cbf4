import GongzhiRPC
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

    private func context() -> ServerCallContext {
        ServerCallContext(
            service: "gongzhi.host.v1.Objects",
            method: "Get",
            requestMetadata: [:],
            peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
            deadline: nil,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
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
