import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas
import GongzhiStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a person's roles allow on objects, and where: every read keeps to the places of the bindings that
/// allow it, and every write to the places of the bindings that allow that write, before and after it.
extension ObjectsCall {
    /// The place of an object of `kind`: its place field's value ("" when unset), or nil when the kind is not
    /// held to places.
    func place(of data: [UInt8], kind: KnownKind) -> String? {
        guard let field = kind.schema.place else { return nil }
        // Unreadable data has no place: it lies only within a whole district.
        return (try? WirePlaces.place(in: data, field: field.number)) ?? ""
    }

    /// True when an object of `kind` with `data` lies within `scope`.
    func lies(_ data: [UInt8], kind: KnownKind, within scope: PlaceScope) -> Bool {
        if scope.isEverywhere { return true }
        guard let place = place(of: data, kind: kind) else { return !scope.isEmpty }
        return scope.covers(place)
    }

    /// Where the caller may `verb` objects of `kind`: everywhere for a caller that is not a person; for a
    /// person, the places of the bindings whose role allows it — refused, and audited, when there are none.
    func scope(_ verb: ObjectVerb, _ kind: KnownKind, action: String, target: String) throws(RPCError) -> PlaceScope {
        guard let access = caller.access else { return .everywhere }
        let scope = access.scope(verb, kind: kind.name)
        if scope.isEmpty {
            throw deny(
                action: action,
                target: target,
                "person \(access.id) may not \(verb.rawValue) \(kind.name) objects: none of their roles allows it "
                    + "(they hold: \(access.summary)); an administrator binds them to a role that does"
            )
        }
        return scope
    }

    /// Refuses, audited, an object that lies outside the places where the caller may `verb` it.
    func requireWithin(
        _ scope: PlaceScope,
        _ object: StoredObject,
        kind: KnownKind,
        verb: ObjectVerb,
        action: String
    ) throws(RPCError) {
        guard let access = caller.access, !lies(object.data, kind: kind, within: scope) else { return }
        let place = place(of: object.data, kind: kind) ?? ""
        throw deny(
            action: action,
            target: "\(object.kind)/\(object.id)",
            "\(object.kind)/\(object.id) lies "
                + (place.isEmpty ? "in no place" : "in \(place)")
                + ", outside the places where person \(access.id) may \(verb.rawValue) \(kind.name) objects ("
                + access.summary(verb, kind: kind.name) + ")"
        )
    }

    /// A refusal, written to the audit log with the person and the bindings that decided it.
    func deny(action: String, target: String, _ message: String) -> RPCError {
        service.audit.record(
            principal: caller.principal.description,
            action: "\(Gongzhi_Host_V1_Objects.serviceName)/\(action)",
            target: target,
            outcome: "denied",
            detail: message
        )
        return RPCError(code: .permissionDenied, message: message)
    }

    /// Checks a person's writes: each allowed by a role within the place of the object as written and, for an
    /// update or a delete, of the object as stored (so that nothing is moved into or out of their places).
    func authorizePersonWrites(_ writes: [Transaction.Write]) async throws(RPCError) {
        guard let access = caller.access else { return }
        for write in writes {
            let kind = try kinds.require(write.kind)
            let verb: ObjectVerb
            var placed: [UInt8]?
            switch write {
            case .create(let draft):
                verb = .create
                placed = draft.data
            case .update(let draft, _):
                verb = .update
                placed = draft.data
            case .delete:
                verb = .delete
            }
            let action = "\(verb == .create ? "Create" : verb == .update ? "Update" : "Delete")"
            let scope = try scope(verb, kind, action: action, target: "\(write.kind)/\(write.id)")
            if scope.isEverywhere || kind.schema.place == nil { continue }
            if let placed, !lies(placed, kind: kind, within: scope) {
                let place = place(of: placed, kind: kind) ?? ""
                throw deny(
                    action: action,
                    target: "\(write.kind)/\(write.id)",
                    "\(write.kind)/\(write.id) would lie " + (place.isEmpty ? "in no place" : "in \(place)")
                        + ", outside the places where person \(access.id) may \(verb.rawValue) \(kind.name) objects ("
                        + access.summary(verb, kind: kind.name) + ")"
                )
            }
            if verb != .create {
                let stored = try await storeCall { () async throws(StoreError) in
                    try await storage.get(kind: write.kind, id: write.id)
                }
                if let stored { try requireWithin(scope, stored, kind: kind, verb: verb, action: action) }
            }
        }
    }

    /// A person's compares: each on an object they may get, where they may get it (a compare tells whether an
    /// object exists and at which revision).
    func authorizePersonCompares(_ compares: [Transaction.Compare]) async throws(RPCError) {
        guard caller.access != nil else { return }
        for compare in compares {
            let kind = try kinds.require(compare.kind)
            let scope = try scope(.get, kind, action: "Txn", target: "\(compare.kind)/\(compare.id)")
            if scope.isEverywhere || kind.schema.place == nil { continue }
            let stored = try await storeCall { () async throws(StoreError) in
                try await storage.get(kind: compare.kind, id: compare.id)
            }
            if let stored { try requireWithin(scope, stored, kind: kind, verb: .get, action: "Txn") }
        }
    }

    /// The checks of writes to people, roles and bindings, with the host's fields filled in.
    func checkPeopleWrites(_ writes: [Transaction.Write]) async throws(RPCError) -> [Transaction.Write] {
        guard PeopleWrites.touches(writes) else { return writes }
        let checker = PeopleWrites(
            storage: storage,
            directory: service.people,
            isKind: { name in kinds.kind(name) != nil && name != KindRegistry.registrationKind },
            writer: caller.principal.description
        )
        do {
            return try await checker.check(writes)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: .invalidArgument, message: "\(error)")
        }
    }

    /// One page of a list for a caller held to places, of a kind held to places: the store's pages read until
    /// `pageSize` objects within `scope` are found, their bytes reach ``ObjectsService/responseBudget``, or the scan
    /// has read `scanLimit` objects (then the page ends early, with a token to go on from). With the place of each object of the page, read once, for
    /// ``present(_:action:places:echoes:)`` too.
    func listWithin(
        _ scope: PlaceScope,
        kind: KnownKind,
        labels: [LabelRequirement],
        parent: String?,
        pageSize: Int,
        after: String?
    ) async throws(RPCError) -> (page: ObjectPage, places: [String]) {
        var objects: [StoredObject] = []
        var places: [String] = []
        var after = after
        var revision: Int64?
        var scanned = 0
        var bytes = 0
        let scanLimit = max(pageSize, 1) * 20
        while true {
            let token = after
            let page = try await read { () async throws(StoreError) in
                try await storage.list(
                    kind: kind.name,
                    labels: labels,
                    parent: parent,
                    pageSize: min(max(pageSize, 100), ObjectStorageLimits.maximumPageSize),
                    after: token
                )
            }
            if revision == nil { revision = page.revision }
            for object in page.objects {
                scanned += 1
                after = object.id
                let place = self.place(of: object.data, kind: kind) ?? ""
                if scope.covers(place) {
                    let size = object.estimatedListBytes
                    if let kept = objects.last, bytes + size > ObjectsService.responseBudget {
                        return (ObjectPage(objects: objects, nextPageToken: kept.id, revision: revision!), places)
                    }
                    bytes += size
                    objects.append(object)
                    places.append(place)
                    if objects.count == pageSize {
                        // More may follow unless this was the store's last object.
                        let last = object.id == page.objects.last?.id && page.nextPageToken == nil
                        let next = last ? nil : object.id
                        return (ObjectPage(objects: objects, nextPageToken: next, revision: revision!), places)
                    }
                }
            }
            guard page.nextPageToken != nil else {
                return (ObjectPage(objects: objects, nextPageToken: nil, revision: revision!), places)
            }
            if scanned >= scanLimit {
                return (ObjectPage(objects: objects, nextPageToken: after, revision: revision!), places)
            }
        }
    }
}
