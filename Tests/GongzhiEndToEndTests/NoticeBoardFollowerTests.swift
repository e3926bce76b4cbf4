import Foundation
import GongzhiExampleSchemas
import GongzhiRPC
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

@testable import gongzhi_noticeboard

/// The notice board's followers, in-process: one that cannot keep up is ended with RESOURCE_EXHAUSTED once more
/// than its backlog is waiting, and the board goes on posting.
final class NoticeBoardFollowerTests: XCTestCase {
    func testAFollowerThatFallsTooFarBehindIsEndedAndTheBoardGoesOn() async throws {
        let directory = try TemporaryDirectory(prefix: "gzboard")
        defer { directory.remove() }
        let logger = Logger(label: "noticeboard-test")
        let board = try NoticeBoardService(logger: logger, dataDirectory: directory.path)
        let context = ServerCallContext(
            service: Gongzhi_Example_V1_NoticeBoard.serviceName,
            method: Gongzhi_Example_V1_NoticeBoard.Method.follow,
            requestMetadata: ["gongzhi-caller": "client:t1"],
            peer: PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid()),
            deadline: nil,
            logger: logger
        )
        // The follower's caller reads nothing until the gate opens: its first answer holds the handler.
        let gate = TestEvent("the follower's caller reads again")
        let firstWrite = TestEvent("the follower's first answer is being written")
        let delivered = Mutex(0)
        let responses = RPCResponseWriter<Gongzhi_Example_V1_Notice>(
            sendRaw: { _ in
                firstWrite.signal()
                try await gate.wait(timeout: .seconds(60))
                delivered.withLock { $0 += 1 }
            },
            encode: { try MessageCodec.encode($0) }
        )
        let follower = Task {
            try await board.follow(request: Gongzhi_Example_V1_FollowRequest(), responses: responses, context: context)
        }
        func post(_ number: Int) async throws {
            var request = Gongzhi_Example_V1_PostRequest()
            request.title = "通知 \(number)"
            request.community = "310115007001"
            _ = try await board.post(request: request, context: context)
        }
        // The follower is registered once its handler runs, which nothing announces: post until a notice reaches
        // it (bounded), then it holds the first one.
        for attempt in 0..<500 where !firstWrite.hasHappened {
            try await post(-attempt)
            try await Task.sleep(for: .milliseconds(10))
        }
        try await firstWrite.wait(timeout: .seconds(1))
        // One notice in the handler's hands, a full backlog waiting (however many of the posts above it already
        // holds), and one more: the follower is ended.
        for number in 1...(NoticeBoardService.followerBacklog + 1) {
            try await post(number)
        }
        gate.signal()
        do {
            try await follower.value
            XCTFail("the follower that fell behind was not ended")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertTrue(error.message.contains("fell more than 1024 notices behind"), error.message)
        }
        XCTAssertEqual(delivered.withLock { $0 }, NoticeBoardService.followerBacklog + 1)
        // The board goes on: a later notice is posted and listed.
        try await post(9999)
        let listed = try await board.list(request: Gongzhi_Example_V1_ListRequest(), context: context)
        XCTAssertEqual(listed.notices.first?.title, "通知 9999")
    }
}
