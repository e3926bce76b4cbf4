import GongzhiRPC
import GongzhiSchemas
import GongzhiStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The checks on writes of people, roles and bindings, made before a transaction commits so that nothing is
/// half-applied: a binding to a role, a person or a place that does not exist, a role rule that does not
/// parse, a change to a built-in role, a role still bound, a person still bound.
struct PeopleWrites {
    let storage: any ObjectStorage
    let directory: PeopleDirectory
    let isKind: (String) -> Bool
    /// Who writes: named in the bindings it makes.
    let writer: String

    /// True when the transaction writes one of the people kinds.
    static func touches(_ writes: [Transaction.Write]) -> Bool {
        writes.contains { write in
            if PeopleDirectory.kinds.contains(write.kind) { return true }
            // A place that bindings are made to is not deleted from under them.
            if case .delete(let kind, _, _) = write { return placeKinds.contains(kind) }
            return false
        }
    }

    /// The kinds whose objects are the places bindings are made to.
    static let placeKinds: Set<String> = ["Region", "Grid"]

    /// The writes, checked, with the data the host sets filled in (ids, who granted a binding and when).
    func check(_ writes: [Transaction.Write]) async throws -> [Transaction.Write] {
        var out: [Transaction.Write] = []
        for write in writes {
            switch write {
            case .create(var draft):
                draft.data = try await checked(draft, in: writes, creating: true)
                out.append(.create(draft))
            case .update(var draft, let expected):
                draft.data = try await checked(draft, in: writes, creating: false)
                out.append(.update(draft, expectedRevision: expected))
            case .delete(let kind, let id, _):
                try await checkDelete(kind: kind, id: id, in: writes)
                out.append(write)
            }
        }
        return out
    }

    private func checked(
        _ draft: StoredObjectDraft,
        in writes: [Transaction.Write],
        creating: Bool
    ) async throws -> [UInt8] {
        switch draft.kind {
        case PeopleDirectory.personKind:
            var person = try Gongzhi_Core_V1_Person(serializedBytes: draft.data)
            guard RoleDefinition.isValidName(draft.id) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\"\(draft.id)\" is not a person id: 1 to 64 letters, digits, '-' or '_' "
                        + "(e.g. hu-wei; the name may be in any script)"
                )
            }
            try matchID(person.id, draft.id, kind: "Person", field: "id")
            person.id = draft.id
            guard !person.name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw RPCError(code: .invalidArgument, message: "person \(draft.id) has no name")
            }
            if person.state == .unspecified { person.state = .active }
            if person.state == .suspended && person.suspendedAtMs == 0 {
                person.suspendedAtMs = Int64(Date().timeIntervalSince1970 * 1000)
            }
            if person.state == .active {
                person.suspendedAtMs = 0
                person.suspendedReason = ""
            }
            return try person.serializedBytes()
        case PeopleDirectory.roleKind:
            var role = try Gongzhi_Core_V1_Role(serializedBytes: draft.data)
            try matchID(role.name, draft.id, kind: "Role", field: "name")
            role.name = draft.id
            if BuiltInRoles.names.contains(draft.id) {
                throw RPCError(
                    code: .permissionDenied,
                    message: "role \(draft.id) is built in and cannot be changed; add a role under another name "
                        + "with the rules you need (gongzhictl roles show \(draft.id) lists its rules)"
                )
            }
            if role.builtIn {
                throw RPCError(
                    code: .invalidArgument,
                    message: "role \(draft.id): built_in is set by the host on its own roles; leave it unset"
                )
            }
            _ = try RoleDefinition.parse(role, isKind: isKind)
            return try role.serializedBytes()
        case PeopleDirectory.bindingKind:
            guard creating else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "role binding \(draft.id) cannot be changed: a binding is made or removed "
                        + "(gongzhictl people bind / unbind)"
                )
            }
            var binding = try Gongzhi_Core_V1_RoleBinding(serializedBytes: draft.data)
            let expected = "\(binding.personID).\(binding.role).\(binding.placeCode)"
            guard draft.id == expected else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "a role binding's id is <person>.<role>.<place>: this one should be \"\(expected)\", "
                        + "not \"\(draft.id)\""
                )
            }
            binding.id = draft.id
            try await requirePerson(binding.personID, in: writes)
            try await requireRole(binding.role, in: writes)
            try await requirePlace(binding.placeCode, in: writes)
            binding.grantedBy = writer
            binding.grantedAtMs = Int64(Date().timeIntervalSince1970 * 1000)
            return try binding.serializedBytes()
        default:
            return draft.data
        }
    }

    private func checkDelete(kind: String, id: String, in writes: [Transaction.Write]) async throws {
        let deletedHere = Set(
            writes.compactMap { write -> String? in
                if case .delete(PeopleDirectory.bindingKind, let id, _) = write { return id }
                return nil
            }
        )
        switch kind {
        case PeopleDirectory.roleKind:
            if BuiltInRoles.names.contains(id) {
                throw RPCError(code: .permissionDenied, message: "role \(id) is built in and cannot be deleted")
            }
            let bound = directory.bindings(ofRole: id).filter { !deletedHere.contains($0.id) }
            guard bound.isEmpty else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "role \(id) is bound \(bound.count) time\(bound.count == 1 ? "" : "s") ("
                        + bound.prefix(5).map { "\($0.personID) in \($0.placeCode)" }.joined(separator: ", ")
                        + (bound.count > 5 ? ", …" : "") + "); unbind them first"
                )
            }
        case PeopleDirectory.personKind:
            let bound = directory.bindings(ofPerson: id).filter { !deletedHere.contains($0.id) }
            guard bound.isEmpty else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "person \(id) holds \(bound.count) role binding\(bound.count == 1 ? "" : "s"); "
                        + "suspend them (gongzhictl people suspend \(id)) to stop them acting, or unbind first"
                )
            }
        case let place where Self.placeKinds.contains(place):
            let bound = directory.bindings(atPlace: id).filter { !deletedHere.contains($0.id) }
            guard bound.isEmpty else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "\(kind) \(id) is the place of \(bound.count) role binding\(bound.count == 1 ? "" : "s") ("
                        + bound.prefix(5).map { "\($0.personID) as \($0.role)" }.joined(separator: ", ")
                        + (bound.count > 5 ? ", …" : "") + "); unbind them first (gongzhictl people unbind)"
                )
            }
        default:
            break
        }
    }

    private func matchID(_ value: String, _ id: String, kind: String, field: String) throws(RPCError) {
        guard value.isEmpty || value == id else {
            throw RPCError(
                code: .invalidArgument,
                message: "\(kind)/\(id): the data's \(field) is \"\(value)\"; it must be the object's id or empty"
            )
        }
    }

    /// True when the transaction creates `kind`/`id`.
    private func creates(_ kind: String, _ id: String, in writes: [Transaction.Write]) -> Bool {
        writes.contains {
            if case .create(let draft) = $0 { return draft.kind == kind && draft.id == id }
            return false
        }
    }

    private func exists(_ kind: String, _ id: String, in writes: [Transaction.Write]) async throws(RPCError) -> Bool {
        if creates(kind, id, in: writes) { return true }
        return try await storeCall { () async throws(StoreError) in try await storage.get(kind: kind, id: id) } != nil
    }

    private func requirePerson(_ id: String, in writes: [Transaction.Write]) async throws(RPCError) {
        guard try await exists(PeopleDirectory.personKind, id, in: writes) else {
            throw RPCError(
                code: .failedPrecondition,
                message: "there is no person \"\(id)\" to bind; add them first (gongzhictl people add \(id) --name …)"
            )
        }
    }

    private func requireRole(_ name: String, in writes: [Transaction.Write]) async throws(RPCError) {
        guard try await exists(PeopleDirectory.roleKind, name, in: writes) else {
            throw RPCError(
                code: .failedPrecondition,
                message: "there is no role \"\(name)\" (gongzhictl roles list shows the roles there are)"
            )
        }
    }

    private func requirePlace(_ code: String, in writes: [Transaction.Write]) async throws(RPCError) {
        guard let level = PlaceLevel(code: code) else {
            throw RPCError(
                code: .invalidArgument,
                message: "\"\(code)\" is not a place: a binding's place is a district (6 digits), a street (9), "
                    + "a community (12) or a grid (15)"
            )
        }
        let kind = level == .grid ? "Grid" : "Region"
        guard try await exists(kind, code, in: writes) else {
            throw RPCError(
                code: .failedPrecondition,
                message: "there is no \(level.rawValue) \(code): a binding's place must be a \(kind) object "
                    + "that exists (gongzhictl get \(kind) lists them)"
            )
        }
    }
}
