import GongzhiExampleSchemas
import GongzhiRPC
import GongzhiSchemas
import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `gongzhi.example.v1.NoticeBoard` service: numbered notices, kept in `notices.jsonl` in the plugin's
/// data folder, listed newest first, and streamed to followers as they are posted.
final class NoticeBoardService: Gongzhi_Example_V1_NoticeBoardHandler {
    /// The longest title accepted, in characters.
    static let maxTitleLength = 200
    /// What List answers at most when the request gives no limit.
    static let defaultListLimit = 100
    /// Notices a follower may fall behind by before its stream ends with RESOURCE_EXHAUSTED.
    static let followerBacklog = 1024

    private struct Follower {
        var community: String
        var continuation: AsyncThrowingStream<Gongzhi_Example_V1_Notice, any Error>.Continuation
    }

    private struct State {
        var notices: [Gongzhi_Example_V1_Notice]
        var file: NoticeFile
        var followers: [UInt64: Follower] = [:]
        var nextFollowerID: UInt64 = 0
        var followersEnded = false
    }

    private let logger: Logger
    private let state: Mutex<State>

    /// Loads the notices saved in `dataDirectory` and opens the file for new ones.
    init(logger: Logger, dataDirectory: String) throws {
        let file = try NoticeFile(path: dataDirectory + "/notices.jsonl", logger: logger)
        let notices = file.loaded
        let path = file.path
        self.logger = logger
        self.state = Mutex(State(notices: notices, file: file))
        logger.info("notice board ready", metadata: ["notices": "\(notices.count)", "file": "\(path)"])
    }

    func post(
        request: Gongzhi_Example_V1_PostRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Example_V1_Notice {
        if request.title.allSatisfy(\.isWhitespace) {
            throw RPCError(code: .invalidArgument, message: "the title is empty; a notice needs a title")
        }
        if request.title.count > Self.maxTitleLength {
            throw RPCError(
                code: .invalidArgument,
                message: "the title has \(request.title.count) characters; at most \(Self.maxTitleLength) are allowed"
            )
        }
        var notice = Gongzhi_Example_V1_Notice()
        notice.title = request.title
        notice.body = request.body
        notice.community = request.community
        notice.postedBy = context.requestMetadata["gongzhi-caller"] ?? "unknown"
        notice.postedAtMs = Int64((Date().timeIntervalSince1970 * 1000).rounded())

        let (saved, lagging) = try state.withLock { state in
            notice.number = (state.notices.last?.number ?? 0) + 1
            // Saved before it is answered or shown: a notice that is not on disk was never posted.
            try state.file.append(notice)
            state.notices.append(notice)
            var lagging: [Follower] = []
            for (id, follower) in state.followers
            where follower.community.isEmpty || follower.community == notice.community {
                if case .dropped = follower.continuation.yield(notice) {
                    lagging.append(follower)
                    state.followers[id] = nil
                }
            }
            return (notice, lagging)
        }
        // Ended outside the lock: ending a stream runs its termination handler, which takes the lock.
        for follower in lagging {
            follower.continuation.finish(
                throwing: RPCError(
                    code: .resourceExhausted,
                    message: "this follower fell more than \(Self.followerBacklog) notices behind; "
                        + "follow again and list what was missed"
                )
            )
        }
        context.logger.info(
            "notice posted",
            metadata: ["number": "\(saved.number)", "community": "\(saved.community)", "by": "\(saved.postedBy)"]
        )
        return saved
    }

    func list(
        request: Gongzhi_Example_V1_ListRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Example_V1_ListResponse {
        let limit = request.limit == 0 ? Self.defaultListLimit : Int(request.limit)
        var response = Gongzhi_Example_V1_ListResponse()
        response.notices = state.withLock { state in
            Array(
                state.notices.reversed().lazy
                    .filter { request.community.isEmpty || $0.community == request.community }
                    .prefix(limit)
            )
        }
        return response
    }

    func follow(
        request: Gongzhi_Example_V1_FollowRequest,
        responses: RPCResponseWriter<Gongzhi_Example_V1_Notice>,
        context: ServerCallContext
    ) async throws {
        let (notices, continuation) = AsyncThrowingStream<Gongzhi_Example_V1_Notice, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.followerBacklog)
        )
        let id = state.withLock { state in
            state.nextFollowerID += 1
            return state.nextFollowerID
        }
        // Ends with the call: the caller cancelled, the deadline passed, or the board stopped.
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in state.followers[id] = nil }
        }
        let accepted = state.withLock { state in
            guard !state.followersEnded else { return false }
            state.followers[id] = Follower(community: request.community, continuation: continuation)
            return true
        }
        guard accepted else {
            throw RPCError(code: .unavailable, message: "the notice board is stopping; follow it again once it is back")
        }
        for try await notice in notices {
            try await responses.write(notice)
        }
    }

    /// Ends every follower's stream, and refuses new followers: called when the plugin stops.
    func endFollowers() {
        let ended = state.withLock { state in
            state.followersEnded = true
            defer { state.followers = [:] }
            return Array(state.followers.values)
        }
        for follower in ended { follower.continuation.finish() }
    }
}
