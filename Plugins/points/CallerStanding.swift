import GongzhiPluginSDK
import GongzhiPoints
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas

/// What the caller of a method may touch. An administrator, an API client or a plugin: everything (the host
/// checked their grants). A person: what lies within the places where their roles allow the method — and, when
/// the only such role is `resident` (居民), their own accounts only (those of their Person, and of the Resident
/// and Partner it names).
struct CallerStanding: Sendable {
    /// The roles that give a person only their own accounts.
    static let selfServiceRoles: Set<String> = ["resident"]

    let caller: Caller
    /// True for a person whose roles allowing the method give them only their own accounts.
    let selfOnly: Bool
    /// The holders the person is (empty for callers that are not persons).
    let identities: Set<AccountHolderKey>

    static func of(_ context: ServerCallContext, directory: HolderDirectory) async throws -> CallerStanding {
        let caller = context.verifiedCaller
        guard let person = caller.person else {
            return CallerStanding(caller: caller, selfOnly: false, identities: [])
        }
        let selfOnly = !person.roles.isEmpty && person.roles.allSatisfy(selfServiceRoles.contains)
        return CallerStanding(
            caller: caller,
            selfOnly: selfOnly,
            identities: try await directory.identities(of: person.id)
        )
    }

    /// Who to record as having done something.
    var actor: String { caller.actorID }

    /// True when the caller manages what lies at `place`.
    func manages(_ place: String) -> Bool {
        !selfOnly && caller.mayAct(at: place)
    }

    /// True when the account is the caller's own.
    func owns(_ account: Account) -> Bool {
        identities.contains(AccountHolderKey(kind: account.holderKind, id: account.holderID))
    }

    /// True when the caller is this holder.
    func `is`(_ kind: Gongzhi_Points_V1_HolderKind, _ id: String) -> Bool {
        identities.contains(AccountHolderKey(kind: kind, id: id))
    }

    /// Refuses unless the caller manages `place` (what: what lies there, for the message).
    func requireManaging(_ place: String, _ what: String) throws {
        guard manages(place) else { throw denied(what) }
    }

    /// Refuses unless the account is the caller's own or lies within the places they manage.
    func requireAccess(to account: Account) throws {
        guard owns(account) || manages(account.communityCode) else { throw denied("account \(account.id)") }
    }

    func denied(_ what: String) -> RPCError {
        guard let person = caller.person else {
            return RPCError(code: .permissionDenied, message: "\(caller.principal) may not act on \(what)")
        }
        if selfOnly {
            return RPCError(
                code: .permissionDenied,
                message: "\(person.name) acts on their own points only (role resident); \(what) is not theirs"
            )
        }
        return RPCError(
            code: .permissionDenied,
            message: "\(what) lies outside the places where \(person.name)'s roles allow this (\(person.places))"
        )
    }
}

extension PointsRefusal {
    /// The refusal as the RPC status a client reads.
    var rpcError: RPCError {
        switch code {
        case .invalidArgument: RPCError(code: .invalidArgument, message: message)
        case .notFound: RPCError(code: .notFound, message: message)
        case .failedPrecondition: RPCError(code: .failedPrecondition, message: message)
        case .alreadyExists: RPCError(code: .alreadyExists, message: message)
        }
    }
}

extension Result where Failure == PointsRefusal {
    /// The value, or the refusal thrown as an RPC status.
    func orThrow() throws -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let refusal): throw refusal.rpcError
        }
    }
}
