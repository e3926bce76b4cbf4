import GongzhiRPC
import GongzhiSchemas
import Synchronization

/// Who made a call, as the metadata a fake host records says.
package enum FakeCaller {
    /// `token=… as=…`: the call's `gongzhi-token` and `gongzhi-act-as` entries, `-` for one not sent.
    package static func describe(_ context: ServerCallContext) -> String {
        let metadata = context.requestMetadata
        return "token=\(metadata["gongzhi-token"] ?? "-") as=\(metadata["gongzhi-act-as"] ?? "-")"
    }
}

/// The People service as the host serves it on one socket: WhoAmI answers the caller the token (or, without
/// one, the uid) and the act-as entry name, and refuses a token it does not know with UNAUTHENTICATED, as the
/// host does. Records who asked.
package final class FakePeople: Gongzhi_Host_V1_PeopleHandler {
    /// What WhoAmI answers for each token it accepts.
    package let tokens: [String: Gongzhi_Host_V1_WhoAmIResponse]
    /// The people act-as may name, by id.
    package let people: [String: Gongzhi_Core_V1_Person]
    private let recorded = Mutex<[String]>([])

    package init(
        tokens: [String: Gongzhi_Host_V1_WhoAmIResponse] = [:],
        people: [String: Gongzhi_Core_V1_Person] = [:]
    ) {
        self.tokens = tokens
        self.people = people
    }

    /// Who asked, a ``FakeCaller`` line a call.
    package var callers: [String] { recorded.withLock { $0 } }

    package func whoAmI(
        request: Gongzhi_Host_V1_WhoAmIRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_WhoAmIResponse {
        recorded.withLock { $0.append(FakeCaller.describe(context)) }
        var answer: Gongzhi_Host_V1_WhoAmIResponse
        if let token = context.requestMetadata["gongzhi-token"] {
            guard let known = tokens[token] else {
                throw RPCError(code: .unauthenticated, message: "the token is not valid (unknown, revoked or expired)")
            }
            answer = known
        } else {
            answer = .with {
                $0.principal = "admin:uid=\(context.peer.uid)"
                $0.kind = "admin"
            }
        }
        if let id = context.requestMetadata["gongzhi-act-as"] {
            guard let person = people[id] else {
                throw RPCError(code: .permissionDenied, message: "there is no person \(id) to act for")
            }
            answer = .with {
                $0.principal = "\(answer.principal) as person:\(id)"
                $0.kind = "person"
                $0.person = person
            }
        }
        return answer
    }
}
