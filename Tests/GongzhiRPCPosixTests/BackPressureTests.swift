import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A server stops reading calls from a client that leaves its answers unread, so that the answers waiting to be
/// written stay few; the client is not taken for one that stalled mid-frame, and gets every answer once it reads.
final class BackPressureTests: XCTestCase {
    func testAClientThatReadsNoAnswersForAWhileIsPausedNotDroppedAndGetsEveryAnswer() async throws {
        try await withRPCServer(stalledFrameTimeout: .milliseconds(300)) { server, _ in
            let calls = 200
            var message = Gongzhi_Test_V1_EchoRequest()
            message.payload = Data(repeating: 0x5a, count: 64 << 10)
            var request = Gongzhi_Rpc_V1_Request()
            request.service = Gongzhi_Test_V1_Echo.serviceName
            request.method = Gongzhi_Test_V1_Echo.Method.unary
            request.payload = try message.serializedData()
            let envelope: [UInt8] = try request.serializedBytes()
            var stream: [UInt8] = []
            for call in 0..<calls {
                stream += RawFrame.bytes(streamID: UInt32(2 * call + 1), type: 1, data: envelope)
            }

            // 13 MB of calls, far more than the sockets hold: the sending blocks until the answers are read.
            let socket = try RawSocket(path: server.configuration.socketPath)
            let descriptor = socket.fd
            let toSend = stream
            let sender = Task.detached { RawSocket.sendAll(toSend, to: descriptor) }

            // Longer than the stalled-frame timeout, with the server most likely paused inside a frame.
            try await Task.sleep(for: .seconds(1))
            for call in 0..<calls {
                let frame = try XCTUnwrap(try socket.receiveFrame(timeout: .seconds(20)), "answer \(call) never came")
                XCTAssertEqual(frame.streamID, UInt32(2 * call + 1))
                let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
                XCTAssertEqual(response.status.code, 0, response.status.message)
                let answer = try Gongzhi_Test_V1_EchoResponse(serializedBytes: response.payload)
                XCTAssertEqual(answer.payload, message.payload)
            }
            let sent = await sender.value
            XCTAssertEqual(sent, stream.count, "every call was sent")
        }
    }
}
