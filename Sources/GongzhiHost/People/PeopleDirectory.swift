import GongzhiRPC
import GongzhiSchemas
import GongzhiStore
import Logging
import Synchronization

/// The people, roles and bindings of the store, held in memory so that every call is decided without reading
/// the store: read at start, and read again after every commit that changes one of them (before the commit's
/// caller hears of it, so a suspension holds from the next call on).
final class PeopleDirectory: Sendable {
    static let personKind = "Person"
    static let roleKind = "Role"
    static let bindingKind = "RoleBinding"
    static let kinds: Set<String> = [personKind, roleKind, bindingKind]

    private struct State {
        var people: [String: Gongzhi_Core_V1_Person] = [:]
        var roles: [String: RoleDefinition] = [:]
        /// Each role as stored, to tell which changed between two reads.
        var roleBytes: [String: [UInt8]] = [:]
        var bindings: [String: [Gongzhi_Core_V1_RoleBinding]] = [:]
        /// What each person may do, built on their first call after the state was read.
        var access: [String: PersonAccess] = [:]
        /// The store revision the state was read at.
        var revision: Int64 = -1
    }

    private let state = Mutex(State())
    private let storage: any ObjectStorage
    private let logger: Logger
    /// The streams acting for people, ended when their person can no longer act or their access changes.
    private let openStreams: OpenStreams?

    init(storage: any ObjectStorage, logger: Logger, openStreams: OpenStreams? = nil) {
        self.storage = storage
        self.logger = logger
        self.openStreams = openStreams
    }

    /// Why a person cannot act.
    enum Refusal: Error, Sendable {
        case unknown(String)
        case suspended(id: String, reason: String)

        var message: String {
            switch self {
            case .unknown(let id): "there is no person \"\(id)\" (gongzhictl people list shows who there is)"
            case .suspended(let id, let reason):
                "person \(id) is suspended" + (reason.isEmpty ? "" : " (\(reason))")
                    + "; an administrator resumes them with gongzhictl people resume \(id)"
            }
        }
    }

    /// What `id` may do, if they exist and are active.
    func access(_ id: String) -> Result<PersonAccess, Refusal> {
        state.withLock { state in
            guard let person = state.people[id] else { return .failure(.unknown(id)) }
            if person.state == .suspended {
                return .failure(.suspended(id: id, reason: person.suspendedReason))
            }
            if let built = state.access[id] { return .success(built) }
            let built = PersonAccess(
                person: person,
                bindings: (state.bindings[id] ?? []).compactMap { binding in
                    state.roles[binding.role].map { PersonAccess.Binding(role: $0, place: binding.placeCode) }
                }
            )
            state.access[id] = built
            return .success(built)
        }
    }

    /// Refuses a token for `id`: NOT_FOUND for someone who is not a person here, FAILED_PRECONDITION for a
    /// suspended person.
    func requireTokenSubject(_ id: String) throws(RPCError) {
        guard case .failure(let refusal) = access(id) else { return }
        switch refusal {
        case .unknown: throw RPCError(code: .notFound, message: refusal.message)
        case .suspended: throw RPCError(code: .failedPrecondition, message: refusal.message)
        }
    }

    /// The bindings that use `role`, by id (so that a refusal names them in the same order every time).
    func bindings(ofRole role: String) -> [Gongzhi_Core_V1_RoleBinding] {
        state.withLock { $0.bindings.values.flatMap { $0.filter { $0.role == role } } }.sorted { $0.id < $1.id }
    }

    /// The bindings made to the place `code` itself, by id.
    func bindings(atPlace code: String) -> [Gongzhi_Core_V1_RoleBinding] {
        state.withLock { $0.bindings.values.flatMap { $0.filter { $0.placeCode == code } } }.sorted { $0.id < $1.id }
    }

    func bindings(ofPerson id: String) -> [Gongzhi_Core_V1_RoleBinding] {
        state.withLock { $0.bindings[id] ?? [] }
    }

    /// Creates the built-in roles the store lacks, or brings them to this host's definition.
    func installBuiltInRoles() async throws(StoreError) {
        for role in BuiltInRoles.all {
            // A message built in code always serializes.
            let data: [UInt8] = (try? role.serializedBytes()) ?? []
            let stored = try await storage.get(kind: Self.roleKind, id: role.name)
            if let stored, stored.data == data { continue }
            let draft = StoredObjectDraft(kind: Self.roleKind, id: role.name, owner: "host", data: data)
            do {
                try await storage.commit(
                    Transaction(writes: [stored.map { .update(draft, expectedRevision: $0.revision) } ?? .create(draft)]
                    )
                )
            } catch {
                switch error.code {
                // Another host process on the same store wrote it at the same moment.
                case .alreadyExists, .revisionConflict: continue
                default: throw error
                }
            }
        }
    }

    /// Reads people, roles and bindings from the store again.
    func reload() async throws(StoreError) {
        let revision = try await storage.currentRevision()
        var next = State()
        next.revision = revision
        for object in try await storage.listAll(kind: Self.personKind) {
            guard let person = try? Gongzhi_Core_V1_Person(serializedBytes: object.data) else {
                logger.error("a stored person cannot be read; they cannot act", metadata: ["id": "\(object.id)"])
                continue
            }
            next.people[object.id] = person
        }
        for object in try await storage.listAll(kind: Self.roleKind) {
            do {
                let role = try Gongzhi_Core_V1_Role(serializedBytes: object.data)
                // Kinds were checked when the role was written; a plugin's kind may be unregistered now.
                next.roles[object.id] = try RoleDefinition.parse(role, isKind: { _ in true })
                next.roleBytes[object.id] = object.data
            } catch {
                logger.error(
                    "a stored role cannot be read; its bindings grant nothing",
                    metadata: ["role": "\(object.id)", "error": "\(error)"]
                )
            }
        }
        for object in try await storage.listAll(kind: Self.bindingKind) {
            guard let binding = try? Gongzhi_Core_V1_RoleBinding(serializedBytes: object.data) else {
                logger.error(
                    "a stored role binding cannot be read; it grants nothing",
                    metadata: ["id": "\(object.id)"]
                )
                continue
            }
            next.bindings[binding.personID, default: []].append(binding)
        }
        let previous = state.withLock { state -> State? in
            // A reload that read an older state than one already applied is dropped.
            guard next.revision >= state.revision else { return nil }
            defer { state = next }
            return state
        }
        // Outside the lock that every person's call takes, and only for the people with streams open.
        guard let previous, let openStreams else { return }
        let watched = openStreams.peopleWithStreams
        guard !watched.isEmpty else { return }
        let changes = Self.changes(from: previous, to: next, among: watched)
        if !changes.isEmpty { openStreams.peopleChanged(changes) }
    }

    /// How `access`, as a call was decided, has changed since: nil when the person may still do just that.
    func change(since access: PersonAccess) -> OpenStreams.PersonChange? {
        switch self.access(access.id) {
        case .failure(let refusal):
            return .cannotAct(
                "person \(access.id) can no longer act (\(refusal.message)), which ends the streams open for them"
            )
        case .success(let now):
            guard now.summary != access.summary else { return nil }
            return .accessChanged(Self.accessChangedMessage("person \(access.id)'s role bindings changed", access.id))
        }
    }

    private static func accessChangedMessage(_ what: String, _ id: String) -> String {
        "\(what), which ends the streams open for \(id): what \(id) may see changed; list again and watch from the "
            + "list's revision"
    }

    /// The people who could act in `previous` and either cannot in `next` (suspended, removed) or may do something
    /// else there (their bindings, or a role they hold, changed).
    private static func changes(
        from previous: State,
        to next: State,
        among ids: Set<String>
    ) -> [String: OpenStreams.PersonChange] {
        var changes: [String: OpenStreams.PersonChange] = [:]
        for id in ids {
            guard let person = previous.people[id], person.state != .suspended else { continue }
            guard let now = next.people[id] else {
                changes[id] = .cannotAct("person \(id) was removed, which ends the streams open for them")
                continue
            }
            if now.state == .suspended {
                changes[id] = .cannotAct(
                    "person \(id) was suspended" + (now.suspendedReason.isEmpty ? "" : " (\(now.suspendedReason))")
                        + ", which ends the streams open for them; an administrator resumes them with "
                        + "gongzhictl people resume \(id)"
                )
                continue
            }
            let before = Set((previous.bindings[id] ?? []).map { "\($0.role)@\($0.placeCode)" })
            let after = Set((next.bindings[id] ?? []).map { "\($0.role)@\($0.placeCode)" })
            let changedRole = Set((next.bindings[id] ?? []).map(\.role)).sorted()
                .first { previous.roleBytes[$0] != next.roleBytes[$0] }
            if before != after || changedRole != nil {
                let what = before != after ? "person \(id)'s role bindings changed" : "role \(changedRole!) changed"
                changes[id] = .accessChanged(accessChangedMessage(what, id))
            }
        }
        return changes
    }
}
