import Foundation
import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSeeds
import XCTest

/// The place property, as the personal-data property is tested: over a random region tree, random people with
/// random built-in roles bound at random places in it, and random objects of the kinds held to places (inside
/// the tree, outside it, and with no place), every person gets, lists, watches and writes exactly what lies within
/// the places of their bindings that allow it, and sees personal data exactly where a role that shows it lets
/// them read the kind. A failure prints the seed that drew the worlds (replay it with GONGZHI_TEST_SEED).
final class PlacePropertyTests: XCTestCase {
    typealias A = Administrator

    func testEveryPersonReadsWatchesAndWritesExactlyWithinTheirPlaces() async throws {
        var random = seededRandom()
        for _ in 0..<3 {
            try await withInProcessHost { host in
                var world = try await PlaceWorld.draw(host, using: &random)
                try await world.checkReads(stage: "as drawn", using: &random)

                // Watches that catch up from revision 0 and then follow while the objects move.
                var live: [PlaceWorld.Watcher] = []
                for person in world.model.people {
                    for kind in Facts.placedKinds where !world.model.codes(person, "watch", kind).isEmpty {
                        live.append(world.watch(person, kind))
                    }
                }
                try await world.mutate(using: &random)
                let ends = try await world.placeSentinels()
                for watcher in live { try await world.check(watcher, ends: ends, stage: "followed") }

                // Watches that read the whole history after it was written.
                for watcher in live {
                    let person = try XCTUnwrap(world.model.people.first { $0.id == watcher.person })
                    try await world.check(world.watch(person, watcher.kind), ends: ends, stage: "replayed")
                }
                try await world.checkReads(stage: "after the moves", using: &random)
            }
        }
    }
}

/// One drawn world: the host, what the administrator wrote, and the people's channels.
struct PlaceWorld {
    typealias A = Administrator

    let host: InProcessHost
    let admin: Administrator
    var model = PlaceModel()
    /// The codes of the places the administrator created (Regions and Grids): where bindings are made.
    var places: [String] = []
    /// Codes objects are placed at: grid codes and community codes, inside the tree and outside it.
    var gridCodes: [String] = []
    var communityCodes: [String] = []
    /// Each person's Objects client: with their own token, or an administrator acting for them.
    var clients: [String: Gongzhi_Host_V1_ObjectsClient] = [:]
    var counter = 0

    static let roles = [
        "grid-worker", "community-staff", "dispatcher", "call-taker", "mediator", "redemption-clerk", "street-admin",
        "viewer",
    ]

    // MARK: Drawing

    static func draw(_ host: InProcessHost, using random: inout SplitMix64) async throws -> PlaceWorld {
        var world = PlaceWorld(host: host, admin: Administrator(host))
        for object in try await world.admin.objects.listAll("Role").objects { try world.model.record(object) }
        let district = "330199"
        try await world.place(district, "示范区")
        for street in 1...Int.random(in: 1...3, using: &random) {
            let streetCode = district + Self.digits(street)
            try await world.place(streetCode, "街道\(street)")
            world.communityCodes.append(streetCode + "009")  // a community the tree does not have
            for community in 1...Int.random(in: 1...2, using: &random) {
                let communityCode = streetCode + Self.digits(community)
                try await world.place(communityCode, "社区\(street)-\(community)")
                world.communityCodes.append(communityCode)
                world.gridCodes.append(communityCode + "009")  // a grid the tree does not have
                for grid in 1...Int.random(in: 1...2, using: &random) {
                    let gridCode = communityCode + Self.digits(grid)
                    try await world.place(gridCode, "网格\(street)-\(community)-\(grid)")
                    world.gridCodes.append(gridCode)
                }
            }
        }
        // Places of a street the tree does not have, and of another district.
        world.gridCodes += ["330199009001001", "330288001001001", "330288002003004"]
        world.communityCodes += ["330199009001", "330288001001"]

        for index in 0..<Int.random(in: 4...6, using: &random) {
            let id = "p\(index)"
            try world.model.record(
                try await world.admin.create(
                    "Person",
                    id,
                    A.person(id, "人员\(index)", phone: Facts.phone(using: &random))
                )
            )
            var person = PlaceModel.Person(id: id)
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let role = Self.roles.randomElement(using: &random)!
                let place = world.places.randomElement(using: &random)!
                guard !person.bindings.contains(where: { $0 == (role, place) }) else { continue }
                try world.model.record(
                    try await world.admin.create(
                        "RoleBinding",
                        A.bindingID(id, role, place),
                        A.binding(id, role, place)
                    )
                )
                person.bindings.append((role, place))
            }
            world.model.people.append(person)
            // Half of them call with their own token, the others through an administrator acting for them.
            let channel = Bool.random(using: &random) ? try world.admin.personChannel(id) : world.admin.actingFor(id)
            world.clients[id] = Gongzhi_Host_V1_ObjectsClient(channel: channel)
        }
        for _ in 0..<Int.random(in: 30...40, using: &random) {
            let kind = Facts.placedKinds.randomElement(using: &random)!
            try await world.createObject(kind, at: world.randomPlace(for: kind, using: &random), using: &random)
        }
        return world
    }

    static func digits(_ number: Int) -> String {
        String(repeating: "0", count: 3 - String(number).count) + String(number)
    }

    private mutating func place(_ code: String, _ name: String) async throws {
        let object =
            code.count == 15
            ? try await admin.create("Grid", code, A.grid(code, name))
            : try await admin.create("Region", code, A.region(code, name))
        try model.record(object)
        places.append(code)
    }

    func randomPlace(for kind: String, using random: inout SplitMix64) -> String {
        if Int.random(in: 0..<8, using: &random) == 0 { return "" }
        let holdsCommunities = kind == "Organization" || kind == "Partner"
        return (holdsCommunities ? communityCodes : gridCodes).randomElement(using: &random)!
    }

    /// A place for `kind` inside `code` when one is known, else `code` itself.
    func place(for kind: String, inside code: String, using random: inout SplitMix64) -> String {
        let holdsCommunities = kind == "Organization" || kind == "Partner"
        let inside = (holdsCommunities ? communityCodes : gridCodes).filter { $0.hasPrefix(code) }
        return inside.randomElement(using: &random) ?? code
    }

    private mutating func newID(_ kind: String) -> String {
        counter += 1
        return "\(kind.prefix(3).lowercased())-\(counter)"
    }

    private mutating func createObject(_ kind: String, at place: String, using random: inout SplitMix64) async throws {
        let id = newID(kind)
        try model.record(
            try await admin.create(kind, id, data: try Facts.make(kind, id: id, place: place, using: &random))
        )
    }

    // MARK: Moving things

    /// The administrator moves objects between places, deletes some and adds some; then each person makes a few
    /// transactions of random writes, some within their places and some not.
    mutating func mutate(using random: inout SplitMix64) async throws {
        for _ in 0..<Int.random(in: 20...30, using: &random) {
            let placed = Facts.placedKinds.flatMap { model.objects(of: $0) }
            let object = placed.randomElement(using: &random)!
            switch Int.random(in: 0..<10, using: &random) {
            case 0:
                try await createObject(object.kind, at: randomPlace(for: object.kind, using: &random), using: &random)
            // A grid of the tree may be a binding's place, which the host does not delete from under it.
            case 1 where object.kind != "Grid":
                let revision = try await admin.delete(object.kind, object.id)
                model.recordDeletion(object.kind, object.id, revision: revision)
            default:
                let moved = try Facts.moved(object.kind, object.data, to: randomPlace(for: object.kind, using: &random))
                try model.record(try await admin.update(object.kind, object.id, data: moved))
            }
        }
        for person in model.people {
            for _ in 0..<3 { try await personTransaction(person, using: &random) }
        }
    }

    private struct PlannedWrite {
        var verb: String
        var kind: String
        var id: String
        var write: Gongzhi_Host_V1_Write
        /// What the write sends (create, update), or what the object held (delete).
        var data: Data
        var newPlace: String?
        var storedPlace: String?
        var storedData: Data?
    }

    private mutating func personTransaction(_ person: PlaceModel.Person, using random: inout SplitMix64) async throws {
        var planned: [PlannedWrite] = []
        // What their roles let them write, and where.
        let writable = ["create", "update", "update", "delete"].flatMap { verb in
            Facts.placedKinds.compactMap { kind in
                let codes = model.codes(person, verb, kind)
                return codes.isEmpty ? nil : (verb: verb, kind: kind, codes: codes)
            }
        }
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            // Mostly a write their roles allow somewhere, at one of those places; else anything anywhere.
            let aim = Int.random(in: 0..<4, using: &random) > 0 ? writable.randomElement(using: &random) : nil
            let kind = aim?.kind ?? Facts.placedKinds.randomElement(using: &random)!
            let others = model.objects(of: kind).filter { object in
                !planned.contains { $0.kind == kind && $0.id == object.id }
            }
            // An object in their places, or now and then one outside to be moved in.
            let aimedAt = others.filter { PlaceModel.lies($0.place, within: aim?.codes ?? []) }
            let existing = aimedAt.isEmpty || Int.random(in: 0..<4, using: &random) == 0 ? others : aimedAt
            var verb = aim?.verb ?? ["create", "update", "update", "delete"].randomElement(using: &random)!
            if existing.isEmpty { verb = "create" }
            let target =
                aim.map { place(for: kind, inside: $0.codes.randomElement(using: &random)!, using: &random) }
                ?? randomPlace(for: kind, using: &random)
            var write = Gongzhi_Host_V1_Write()
            switch verb {
            case "create":
                let id = newID(kind)
                let data = try Facts.make(kind, id: id, place: target, using: &random)
                write.create = A.object(kind, id, data: data)
                planned.append(PlannedWrite(verb: verb, kind: kind, id: id, write: write, data: data, newPlace: target))
            case "update":
                let object = existing.randomElement(using: &random)!
                // One who may not see the object's personal data read it without; the host keeps what is stored.
                let seen =
                    model.showsPersonalData(person, kind, place: object.place)
                    ? object.data : try Self.withoutPersonalData(kind, object.data)
                let data = try Facts.moved(kind, seen, to: target)
                write.update.object = A.object(kind, object.id, data: data)
                planned.append(
                    PlannedWrite(
                        verb: verb,
                        kind: kind,
                        id: object.id,
                        write: write,
                        data: data,
                        newPlace: target,
                        storedPlace: object.place,
                        storedData: object.data
                    )
                )
            default:
                let object = existing.randomElement(using: &random)!
                write = A.deletion(kind, object.id)
                planned.append(
                    PlannedWrite(
                        verb: verb,
                        kind: kind,
                        id: object.id,
                        write: write,
                        data: object.data,
                        storedPlace: object.place,
                        storedData: object.data
                    )
                )
            }
        }
        let allowed = planned.allSatisfy { write in
            let codes = model.codes(person, write.verb, write.kind)
            return !codes.isEmpty
                && (write.newPlace.map { PlaceModel.lies($0, within: codes) } ?? true)
                && (write.storedPlace.map { PlaceModel.lies($0, within: codes) } ?? true)
        }
        let described = planned.map {
            "\($0.verb) \($0.kind)/\($0.id) \($0.storedPlace ?? "-") → \($0.newPlace ?? "-")"
        }
        let context = "person \(person.id) \(person.bindings): txn \(described)"
        var request = Gongzhi_Host_V1_TxnRequest()
        request.writes = planned.map(\.write)
        let client = clients[person.id]!
        guard allowed else {
            await Self.expectDenied(context) { _ = try await client.txn(request) }
            // Nothing of it was written.
            for write in planned {
                let stored = try await admin.stored(write.kind, write.id)
                XCTAssertEqual(
                    stored?.data,
                    model.object(write.kind, write.id)?.data,
                    "\(context): \(write.kind)/\(write.id) changed"
                )
            }
            return
        }
        let response: Gongzhi_Host_V1_TxnResponse
        do {
            response = try await client.txn(request)
        } catch {
            XCTFail("\(context) was refused: \(error)")
            return
        }
        XCTAssertEqual(response.objects.map(\.id), planned.map(\.id), context)
        for (write, result) in zip(planned, response.objects) {
            // Never an object outside the places where the write was allowed.
            let place = try Facts.place(kind: write.kind, data: result.data)
            XCTAssertTrue(
                PlaceModel.lies(place, within: model.codes(person, write.verb, write.kind)),
                "\(context): the answer holds \(write.kind)/\(write.id) at \(place ?? "-")"
            )
            if write.verb == "delete" {
                checkPresented(result, full: write.data, person: person, context: "\(context), its answer")
                model.recordDeletion(write.kind, write.id, revision: response.revision)
                continue
            }
            let stored = try await admin.require(write.kind, write.id)
            // An update from one who did not see the personal data keeps it.
            if let storedData = write.storedData, !model.showsPersonalData(person, write.kind, place: write.storedPlace)
            {
                XCTAssertEqual(
                    try Facts.personalData(kind: write.kind, data: stored.data),
                    try Facts.personalData(kind: write.kind, data: storedData),
                    "\(context): personal data lost"
                )
            } else {
                XCTAssertEqual(stored.data, write.data, context)
            }
            checkPresented(result, full: stored.data, person: person, context: "\(context), its answer")
            try model.record(stored)
        }
    }

    static func withoutPersonalData(_ kind: String, _ data: Data) throws -> Data {
        switch kind {
        case "Resident":
            var resident = try Gongzhi_Core_V1_Resident(serializedBytes: data)
            resident.phone = ""
            resident.idCardNumber = ""
            resident.notes = ""
            return try resident.serializedBytes()
        case "Household":
            var household = try Gongzhi_Core_V1_Household(serializedBytes: data)
            household.address = ""
            return try household.serializedBytes()
        case "Organization":
            var organization = try Gongzhi_Core_V1_Organization(serializedBytes: data)
            organization.contactPhone = ""
            return try organization.serializedBytes()
        case "Partner":
            var partner = try Gongzhi_Core_V1_Partner(serializedBytes: data)
            partner.phone = ""
            return try partner.serializedBytes()
        case "Grid":
            var grid = try Gongzhi_Core_V1_Grid(serializedBytes: data)
            for index in grid.workers.indices { grid.workers[index].phone = "" }
            return try grid.serializedBytes()
        default:
            return data
        }
    }

    // MARK: Reads

    /// Every person gets every object, lists every kind in small pages and is refused a watch of a kind no role
    /// of theirs watches.
    func checkReads(stage: String, using random: inout SplitMix64) async throws {
        let everything = model.objects.values.sorted { ($0.kind, $0.id) < ($1.kind, $1.id) }
        let listed = Facts.placedKinds + ["Region", "Person", "Role", "RoleBinding"]
        for person in model.people {
            let client = clients[person.id]!
            let who = "\(stage): person \(person.id) \(person.bindings)"
            for object in everything {
                let context = "\(who) getting \(object.kind)/\(object.id) at \(object.place ?? "-")"
                if model.sees(person, "get", object) {
                    do {
                        checkPresented(
                            try await client.get(object.kind, object.id),
                            full: object.data,
                            person: person,
                            context: context
                        )
                    } catch {
                        XCTFail("\(context): \(error)")
                    }
                } else {
                    await Self.expectDenied(context) { _ = try await client.get(object.kind, object.id) }
                }
            }
            for kind in listed {
                let pageSize = UInt32.random(in: 1...4, using: &random)
                let context = "\(who) listing \(kind) by \(pageSize)"
                guard !model.codes(person, "list", kind).isEmpty else {
                    await Self.expectDenied(context) { _ = try await client.listAll(kind, pageSize: pageSize) }
                    continue
                }
                let expected = model.objects(of: kind).filter { model.sees(person, "list", $0) }
                let found: [Gongzhi_Host_V1_Object]
                do {
                    found = try await client.listAll(kind, pageSize: pageSize).objects
                } catch {
                    XCTFail("\(context): \(error)")
                    continue
                }
                XCTAssertEqual(found.map(\.id), expected.map(\.id), context)
                for object in found {
                    guard let full = model.object(kind, object.id) else { continue }
                    checkPresented(object, full: full.data, person: person, context: context)
                }
            }
            for kind in Facts.placedKinds where model.codes(person, "watch", kind).isEmpty {
                await Self.expectWatchRefused(client, kind, context: "\(who) watching \(kind)")
            }
        }
    }

    /// A call the host must refuse with PERMISSION_DENIED; `context` says what was called, by whom, in the failure.
    static func expectDenied(_ context: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            XCTFail("\(context): allowed, expected PERMISSION_DENIED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied, "\(context): \(error)")
        } catch {
            XCTFail("\(context): \(error)")
        }
    }

    /// A watch the host must refuse: PERMISSION_DENIED, and not events (nor silence, given up after 10 seconds).
    static func expectWatchRefused(_ client: Gongzhi_Host_V1_ObjectsClient, _ kind: String, context: String) async {
        var request = Gongzhi_Host_V1_WatchRequest()
        request.kind = kind
        let watch = Task { try await client.watch(request) { events in for try await _ in events { break } } }
        let timer = Task {
            try await Task.sleep(for: .seconds(10))
            watch.cancel()
        }
        let result = await watch.result
        timer.cancel()
        switch result {
        case .success: XCTFail("\(context): the watch was allowed")
        case .failure(let error): XCTAssertEqual((error as? RPCError)?.code, .permissionDenied, "\(context): \(error)")
        }
    }

    /// Checks an object as a person was shown it: whole where a role shows them its personal data, else without
    /// exactly its personal data (named in `redacted_fields`).
    func checkPresented(_ presented: Gongzhi_Host_V1_Object, full: Data, person: PlaceModel.Person, context: String) {
        do {
            let place = try Facts.place(kind: presented.kind, data: full)
            if model.showsPersonalData(person, presented.kind, place: place) {
                XCTAssertEqual(presented.data, full, "\(context): personal data not shown")
                XCTAssertEqual(presented.redactedFields, [], context)
            } else {
                XCTAssertEqual(
                    Set(presented.redactedFields),
                    try Facts.personalData(kind: presented.kind, data: full),
                    "\(context): personal data shown or data lost"
                )
                XCTAssertTrue(
                    try Facts.isWithoutPersonalData(kind: presented.kind, presented: presented.data, full: full),
                    "\(context): not the object without its personal data"
                )
            }
        } catch {
            XCTFail("\(context): \(error)")
        }
    }

    // MARK: Watches

    /// A watch by a person from revision 0, its events gathered as they come.
    struct Watcher {
        var person: String
        var kind: String
        var events: AsyncStream<Gongzhi_Host_V1_WatchEvent>
        var task: Task<Void, any Error>
    }

    func watch(_ person: PlaceModel.Person, _ kind: String) -> Watcher {
        let client = clients[person.id]!
        var request = Gongzhi_Host_V1_WatchRequest()
        request.kind = kind
        request.afterRevision = 0
        let (events, continuation) = AsyncStream.makeStream(of: Gongzhi_Host_V1_WatchEvent.self)
        let task = Task {
            defer { continuation.finish() }
            try await client.watch(request) { stream in
                for try await event in stream { continuation.yield(event) }
            }
        }
        return Watcher(person: person.id, kind: kind, events: events, task: task)
    }

    /// For each kind, an object placed in the first of each watcher's places, all in one transaction: the last
    /// change of the kind, which every watcher of it sees. Returns the revision of each kind's transaction.
    mutating func placeSentinels() async throws -> [String: Int64] {
        var ends: [String: Int64] = [:]
        for kind in Facts.placedKinds {
            var writes: [Gongzhi_Host_V1_Write] = []
            var random = SplitMix64(seed: UInt64(counter))
            for person in model.people {
                guard let code = model.codes(person, "watch", kind).first else { continue }
                let id = "end-\(person.id)"
                writes.append(
                    A.write(A.object(kind, id, data: try Facts.make(kind, id: id, place: code, using: &random)))
                )
            }
            guard !writes.isEmpty else { continue }
            let response = try await admin.txn(writes)
            for object in response.objects { try model.record(object) }
            ends[kind] = response.revision
        }
        return ends
    }

    /// Reads a watcher's events up to the end of its kind's history, and checks them: none with data outside the
    /// watcher's places, each with personal data as a read shows it, one that leaves with its kind and id only,
    /// and the objects they leave the watcher holding exactly those within its places.
    func check(_ watcher: Watcher, ends: [String: Int64], stage: String) async throws {
        defer { watcher.task.cancel() }
        let person = try XCTUnwrap(model.people.first { $0.id == watcher.person })
        let codes = model.codes(person, "watch", watcher.kind)
        let end = try XCTUnwrap(ends[watcher.kind])
        let lastOnes = model.objects(of: watcher.kind).filter {
            $0.revision == end && PlaceModel.lies($0.place, within: codes)
        }
        let context = "\(stage) watch of \(watcher.kind) by person \(person.id) \(person.bindings) (within \(codes))"
        let needed = lastOnes.count
        let events = try await Self.gather(watcher.events) { seen in seen.count(where: { $0.revision == end }) >= needed
        }
        guard let events else {
            XCTFail("\(context): the history's end (revision \(end)) did not arrive in time")
            return
        }
        guard events.count(where: { $0.revision == end }) >= needed else {
            let ended = await watcher.task.result
            XCTFail("\(context) ended before revision \(end): \(ended)")
            return
        }
        var held: [String: Gongzhi_Host_V1_Object] = [:]
        var revision: Int64 = 0
        for event in events {
            let id = event.object.id
            XCTAssertGreaterThanOrEqual(event.revision, revision, context)
            revision = event.revision
            XCTAssertEqual(event.object.kind, watcher.kind, context)
            guard let full = model.history["\(PlaceModel.key(watcher.kind, id))@\(event.revision)"] else {
                XCTFail("\(context): an event for \(id) at \(event.revision), where it did not change")
                continue
            }
            if event.type == .deleted && event.object.data.isEmpty {
                // It left: its kind and id, nothing more, at a change that took it outside.
                XCTAssertFalse(
                    PlaceModel.lies(try Facts.place(kind: watcher.kind, data: full), within: codes),
                    "\(context): \(id) left at \(event.revision) without leaving"
                )
                var bare = Gongzhi_Host_V1_Object()
                bare.kind = watcher.kind
                bare.id = id
                bare.revision = event.revision
                XCTAssertEqual(event.object, bare, "\(context): \(id) left with more than its kind and id")
                held[id] = nil
                continue
            }
            let place = try Facts.place(kind: watcher.kind, data: full)
            XCTAssertTrue(
                PlaceModel.lies(place, within: codes),
                "\(context): \(event.type) of \(id) at \(place ?? "-") (revision \(event.revision)) delivered"
            )
            checkPresented(event.object, full: full, person: person, context: "\(context), \(id)@\(event.revision)")
            if event.type == .deleted { held[id] = nil } else { held[id] = event.object }
        }
        let expected = model.objects(of: watcher.kind).filter { PlaceModel.lies($0.place, within: codes) }
        XCTAssertEqual(held.keys.sorted(), expected.map(\.id), "\(context): the objects it holds at the end")
        for object in expected {
            guard let shown = held[object.id] else { continue }
            XCTAssertEqual(shown.revision, object.revision, "\(context): \(object.id)")
            checkPresented(shown, full: object.data, person: person, context: "\(context), held \(object.id)")
        }
    }

    /// The events until `enough` says so; nil when they did not come within 30 seconds (a watch that stopped
    /// short), or what came before the watch ended.
    static func gather(
        _ events: AsyncStream<Gongzhi_Host_V1_WatchEvent>,
        until enough: @escaping @Sendable ([Gongzhi_Host_V1_WatchEvent]) -> Bool
    ) async throws -> [Gongzhi_Host_V1_WatchEvent]? {
        try await withThrowingTaskGroup(of: [Gongzhi_Host_V1_WatchEvent]?.self) { group in
            group.addTask {
                var seen: [Gongzhi_Host_V1_WatchEvent] = []
                for await event in events {
                    seen.append(event)
                    if enough(seen) { break }
                }
                return seen
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
