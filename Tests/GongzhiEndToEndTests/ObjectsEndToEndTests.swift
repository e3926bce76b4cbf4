import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSeeds
import GongzhiTestSupport
import SwiftProtobuf
import Synchronization
import XCTest

/// The object store through the real host: every operation and its errors, ownership, schemas of plugin kinds,
/// personal data, watches, races and crashes.
final class ObjectsEndToEndTests: XCTestCase {
    static let personalData = "gongzhi.host.v1.PersonalData/Read"

    func resident(
        _ id: String,
        name: String = "张三",
        idCard: String = "",
        phone: String = "",
        notes: String = ""
    )
        throws -> Gongzhi_Host_V1_Object
    {
        try Self.resident(id, name: name, idCard: idCard, phone: phone, notes: notes)
    }

    /// The wall clock in microseconds since 1970, as the host stamps commits.
    static func wallClockMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    static func resident(
        _ id: String,
        name: String = "张三",
        idCard: String = "",
        phone: String = "",
        notes: String = ""
    )
        throws -> Gongzhi_Host_V1_Object
    {
        var resident = Gongzhi_Core_V1_Resident()
        resident.id = id
        resident.name = name
        resident.idCardNumber = idCard
        resident.phone = phone
        resident.notes = notes
        resident.tags = [.volunteer]
        var object = Gongzhi_Host_V1_Object()
        object.kind = "Resident"
        object.id = id
        object.labels = ["compound": "c1"]
        object.parent = "H-1"
        object.data = try resident.serializedBytes()
        return object
    }

    func create(
        _ objects: Gongzhi_Host_V1_ObjectsClient,
        _ object: Gongzhi_Host_V1_Object
    ) async throws
        -> Gongzhi_Host_V1_Object
    {
        var request = Gongzhi_Host_V1_CreateRequest()
        request.object = object
        return try await objects.create(request)
    }

    func get(
        _ objects: Gongzhi_Host_V1_ObjectsClient,
        _ kind: String,
        _ id: String
    ) async throws
        -> Gongzhi_Host_V1_Object
    {
        var request = Gongzhi_Host_V1_GetRequest()
        request.kind = kind
        request.id = id
        return try await objects.get(request)
    }

    func testEveryOperationAndItsErrors() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)

        let created = try await create(objects, try resident("R-1", idCard: "330199199001011234"))
        XCTAssertEqual(created.owner, "host")
        XCTAssertGreaterThan(created.revision, 0)
        XCTAssertGreaterThan(created.createdAtMs, 0)
        XCTAssertEqual(created.labels, ["compound": "c1"])
        let read = try await get(objects, "Resident", "R-1")
        XCTAssertEqual(read.revision, created.revision)
        XCTAssertEqual(try Gongzhi_Core_V1_Resident(serializedBytes: read.data).idCardNumber, "330199199001011234")

        let exists = await assertRPCError(.alreadyExists) { try await self.create(objects, try self.resident("R-1")) }
        XCTAssertTrue(exists?.message.contains("Resident/R-1") == true, exists?.message ?? "")
        await assertRPCError(.notFound) { try await self.get(objects, "Resident", "R-404") }
        let unknownKind = await assertRPCError(.invalidArgument) { try await self.get(objects, "Citizen", "x") }
        XCTAssertTrue(unknownKind?.message.contains("Resident") == true, unknownKind?.message ?? "")

        // Data that is not the kind's message is refused, naming the field.
        var bad = try resident("R-bad")
        bad.data = Data([0x12, 0x05, 0xff, 0xfe, 0x00, 0x01, 0x02])  // name = invalid UTF-8
        let invalid = await assertRPCError(.invalidArgument) { try await self.create(objects, bad) }
        XCTAssertTrue(invalid?.message.contains("name") == true, invalid?.message ?? "")
        bad.data = Data([0xa8, 0x06, 0x01])  // field 101, not in Resident
        await assertRPCError(.invalidArgument) { try await self.create(objects, bad) }
        var badLabel = try resident("R-label")
        badLabel.labels = ["bad key!": "x"]
        await assertRPCError(.invalidArgument) { try await self.create(objects, badLabel) }

        // Update: with the current revision, then with a stale one.
        var update = Gongzhi_Host_V1_UpdateRequest()
        update.object = try resident("R-1", name: "张三丰")
        update.expectedRevision = created.revision
        let updated = try await objects.update(update)
        XCTAssertGreaterThan(updated.revision, created.revision)
        let stale = await assertRPCError(.aborted) { try await objects.update(update) }
        XCTAssertTrue(stale?.message.contains("at revision \(updated.revision)") == true, stale?.message ?? "")
        update.object.id = "R-404"
        update.expectedRevision = 0
        await assertRPCError(.notFound) { try await objects.update(update) }

        // List: selectors, parent, paging, and the list's revision.
        for index in 2...7 {
            var object = try resident("R-\(index)")
            object.parent = "H-2"
            object.labels = ["compound": index.isMultiple(of: 2) ? "c2" : "c3"]
            _ = try await create(objects, object)
        }
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Resident"
        list.labelSelector = "compound in (c2,c3)"
        list.pageSize = 4
        let first = try await objects.list(list)
        XCTAssertEqual(first.objects.map(\.id), ["R-2", "R-3", "R-4", "R-5"])
        XCTAssertFalse(first.nextPageToken.isEmpty)
        list.pageToken = first.nextPageToken
        let second = try await objects.list(list)
        XCTAssertEqual(second.objects.map(\.id), ["R-6", "R-7"])
        XCTAssertEqual(second.nextPageToken, "")
        XCTAssertGreaterThanOrEqual(first.revision, updated.revision)
        list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Resident"
        list.labelSelector = "compound = = c2"
        await assertRPCError(.invalidArgument) { try await objects.list(list) }
        list.labelSelector = ""
        list.parent = "H-1"
        let children = try await objects.list(list)
        XCTAssertEqual(children.objects.map(\.id), ["R-1"])
        list.parent = ""
        list.pageSize = 20_000
        await assertRPCError(.invalidArgument) { try await objects.list(list) }

        // Delete: stale revision, then for real, then gone.
        var delete = Gongzhi_Host_V1_DeleteRequest()
        delete.kind = "Resident"
        delete.id = "R-1"
        delete.expectedRevision = created.revision
        await assertRPCError(.aborted) { try await objects.delete(delete) }
        delete.expectedRevision = 0
        let deleted = try await objects.delete(delete)
        XCTAssertGreaterThan(deleted.revision, updated.revision)
        await assertRPCError(.notFound) { try await self.get(objects, "Resident", "R-1") }
        await assertRPCError(.notFound) { try await objects.delete(delete) }

        // Kinds: the core ones, with their sensitive fields; "Kind" objects cannot be written directly.
        let kinds = try await objects.listKinds(Gongzhi_Host_V1_ListKindsRequest())
        XCTAssertEqual(
            kinds.kinds.map(\.name),
            [
                "Building", "Department", "Grid", "Household", "Organization", "Partner", "Person", "Region",
                "Resident",
                "Role", "RoleBinding",
            ]
        )
        let residentKind = try XCTUnwrap(kinds.kinds.first { $0.name == "Resident" })
        XCTAssertEqual(residentKind.sensitiveFields, ["id_card_number", "notes", "phone"])
        XCTAssertEqual(kinds.kinds.first { $0.name == "Grid" }?.sensitiveFields, ["workers.phone"])
        var kindObject = Gongzhi_Host_V1_Object()
        kindObject.kind = "Kind"
        kindObject.id = "Sneaky"
        await assertRPCError(.permissionDenied) { try await self.create(objects, kindObject) }
        var register = Gongzhi_Host_V1_RegisterKindRequest()
        register.name = "Thing"
        await assertRPCError(.permissionDenied) { try await objects.registerKind(register) }

        // An unknown method of the service.
        await assertRPCError(.unimplemented) {
            try await host.admin.unary(
                service: "gongzhi.host.v1.Objects",
                method: "Truncate",
                payload: Data(),
                options: .defaults
            )
        }
    }

    func testTransactionsApplyAllWritesOrNone() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let a = try await create(objects, try resident("R-a"))

        func write(create object: Gongzhi_Host_V1_Object) -> Gongzhi_Host_V1_Write {
            var write = Gongzhi_Host_V1_Write()
            write.create = object
            return write
        }
        var compare = Gongzhi_Host_V1_Compare()
        compare.kind = "Resident"
        compare.id = "R-a"
        compare.condition = .revisionEquals
        compare.revision = a.revision + 100
        var txn = Gongzhi_Host_V1_TxnRequest()
        txn.compares = [compare]
        txn.writes = [write(create: try resident("R-b")), write(create: try resident("R-c"))]
        let failed = await assertRPCError(.failedPrecondition) { try await objects.txn(txn) }
        XCTAssertTrue(failed?.message.contains("compare 0") == true, failed?.message ?? "")
        await assertRPCError(.notFound) { try await self.get(objects, "Resident", "R-b") }

        // A failing write fails the whole transaction.
        txn.compares = []
        txn.writes = [write(create: try resident("R-b")), write(create: try resident("R-a"))]
        await assertRPCError(.alreadyExists) { try await objects.txn(txn) }
        await assertRPCError(.notFound) { try await self.get(objects, "Resident", "R-b") }

        compare.revision = a.revision
        var delete = Gongzhi_Host_V1_Write()
        delete.delete.kind = "Resident"
        delete.delete.id = "R-a"
        txn.compares = [compare]
        txn.writes = [write(create: try resident("R-b")), write(create: try resident("R-c")), delete]
        let done = try await objects.txn(txn)
        XCTAssertEqual(done.objects.map(\.id), ["R-b", "R-c", "R-a"])
        XCTAssertEqual(Set(done.objects.map(\.revision)), [done.revision])
        await assertRPCError(.notFound) { try await self.get(objects, "Resident", "R-a") }
        let c = try await get(objects, "Resident", "R-c")
        XCTAssertEqual(c.revision, done.revision)

        var empty = Gongzhi_Host_V1_TxnRequest()
        empty.writes = [Gongzhi_Host_V1_Write()]
        await assertRPCError(.invalidArgument) { try await objects.txn(empty) }
    }

    /// Writers racing on one object through the host, each on its own connection — how many, what they write, in
    /// which order they start and how long each waits drawn from the test's seed: creates of one id (exactly one
    /// wins), updates of one revision (exactly one wins), and deletes against updates. Every race has the
    /// outcomes of its writes done one after another, the object ends as that order leaves it, and a watch
    /// reports exactly the committed writes at the revisions their writers were told.
    func testRacingWritersGetTheOutcomesOfSomeSerialOrder() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let admin = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let connections = (0..<6).map { _ in RPCClient(socketPath: host.adminSocket) }
        addTeardownBlock { for connection in connections { await connection.close() } }
        var random = seededRandom()
        let start = try await admin.list(Gongzhi_Host_V1_ListRequest.with { $0.kind = "Resident" }).revision
        var expectedHistory: [String: [String]] = [:]
        var lastRevision = start

        for round in 0..<Int.random(in: 15...25, using: &random) {
            let id = "R-race-\(round)"
            let writers = Int.random(in: 2...connections.count, using: &random)
            var initial = SerialOrder.State(revision: nil)
            let writes: [SerialOrder.Write]
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                writes = Array(repeating: .create, count: writers)
            case 1:
                let created = try await create(admin, try resident(id)).revision
                initial = SerialOrder.State(revision: created)
                writes = Array(repeating: .update(expectedRevision: created), count: writers)
            default:
                let created = try await create(admin, try resident(id)).revision
                initial = SerialOrder.State(revision: created)
                writes = (0..<writers).map { _ in
                    let expected = Bool.random(using: &random) ? created : nil
                    return Bool.random(using: &random)
                        ? .delete(expectedRevision: expected) : .update(expectedRevision: expected)
                }
            }
            if let created = initial.revision { expectedHistory[id, default: []].append("added \(created)") }
            let racers = writes.enumerated().map { writer, write in
                (
                    writer: writer, write: write, yields: Int.random(in: 0...40, using: &random),
                    pause: Bool.random(using: &random)
                        ? Duration.microseconds(Int.random(in: 0...2000, using: &random)) : nil
                )
            }.shuffled(using: &random)
            let outcomes = await withTaskGroup(of: SerialOrder.Outcome.self) { group in
                for racer in racers {
                    let objects = Gongzhi_Host_V1_ObjectsClient(channel: connections[racer.writer])
                    let object = try? Self.resident(id, name: "writer \(racer.writer) round \(round)")
                    group.addTask {
                        for _ in 0..<racer.yields { await Task.yield() }
                        if let pause = racer.pause { try? await Task.sleep(for: pause) }
                        let result: SerialOrder.Result
                        do {
                            switch racer.write {
                            case .create:
                                let created = try await objects.create(
                                    Gongzhi_Host_V1_CreateRequest.with { $0.object = object! }
                                )
                                result = .committed(revision: created.revision)
                            case .update(let expected):
                                let updated = try await objects.update(
                                    Gongzhi_Host_V1_UpdateRequest.with {
                                        $0.object = object!
                                        $0.expectedRevision = expected ?? 0
                                    }
                                )
                                result = .committed(revision: updated.revision)
                            case .delete(let expected):
                                let deleted = try await objects.delete(
                                    Gongzhi_Host_V1_DeleteRequest.with {
                                        $0.kind = "Resident"
                                        $0.id = id
                                        $0.expectedRevision = expected ?? 0
                                    }
                                )
                                result = .committed(revision: deleted.revision)
                            }
                        } catch let error as RPCError {
                            switch error.code {
                            case .notFound: result = .notFound
                            case .alreadyExists: result = .alreadyExists
                            case .aborted: result = .conflict(current: Self.currentRevision(in: error.message))
                            default: result = .conflict(current: -1)
                            }
                            if result == .conflict(current: -1) { XCTFail("writer \(racer.writer): \(error)") }
                        } catch {
                            XCTFail("writer \(racer.writer): \(error)")
                            result = .conflict(current: -1)
                        }
                        return SerialOrder.Outcome(writer: racer.writer, write: racer.write, result: result)
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let order = SerialOrder(initial: initial, outcomes: outcomes)
            let context =
                "round \(round): "
                + outcomes.sorted { $0.writer < $1.writer }.map(\.description).joined(separator: "; ")
            XCTAssertEqual(order.problems, [], context)
            if case .create = writes[0] {
                XCTAssertEqual(order.committed.count, 1, "exactly one create wins: \(context)")
            }
            if case .update(let expected?) = writes[0], writes.allSatisfy({ $0 == writes[0] }) {
                XCTAssertEqual(order.committed.count, 1, "exactly one update of revision \(expected) wins: \(context)")
            }
            let stored = try? await get(admin, "Resident", id)
            XCTAssertEqual(stored?.revision, order.final.revision, context)
            if let writer = order.final.writer, let stored {
                let name = try Gongzhi_Core_V1_Resident(serializedBytes: stored.data).name
                XCTAssertEqual(name, "writer \(writer) round \(round)", context)
            }
            for (outcome, revision) in order.committed {
                let type: String
                switch outcome.write {
                case .create: type = "added"
                case .update: type = "modified"
                case .delete: type = "deleted"
                }
                expectedHistory[id, default: []].append("\(type) \(revision)")
                lastRevision = max(lastRevision, revision)
            }
            lastRevision = max(lastRevision, initial.revision ?? 0)
        }

        // A watch from before the races reports each committed write, at the revision its writer was told.
        let end = lastRevision
        let watched = try await admin.watch(
            Gongzhi_Host_V1_WatchRequest.with {
                $0.kind = "Resident"
                $0.afterRevision = start
            }
        ) { events in
            var history: [String: [String]] = [:]
            for try await event in events {
                history[event.object.id, default: []].append("\(event.type) \(event.revision)")
                if event.revision >= end { break }
            }
            return history
        }
        XCTAssertEqual(watched, expectedHistory)
    }

    /// The revision an ABORTED answer says the object is at ("… is at revision N, not M …").
    static func currentRevision(in message: String) -> Int64? {
        guard let range = message.range(of: "at revision ") else { return nil }
        return Int64(message[range.upperBound...].prefix { $0.isNumber })
    }

    /// The property: no path — get, list, watch, txn result, write results, a call routed through a plugin —
    /// shows a sensitive field to a principal without the grant; a holder of the grant sees them, audited.
    func testPersonalDataNeverReachesACallerWithoutTheGrant() async throws {
        let reader = try HostUnderTest.testPlugin(
            "reader",
            requestedGrants: ["gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List"]
        )
        let host = try await HostUnderTest(plugins: [reader])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("reader")
        let admin = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let plain = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*", "gongzhi.test.v1.Probe/*"])
        let trusted = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*", Self.personalData])
        let plainChannel = host.channel(token: plain.token)
        let withoutGrant = Gongzhi_Host_V1_ObjectsClient(channel: plainChannel)
        let withGrant = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: trusted.token))

        // Random residents: each sensitive field set or not, with a value that appears nowhere else; R-1 holds
        // every one of them, for the update below.
        var generator = seededRandom()
        var secrets: [String] = []
        var watched: [Gongzhi_Host_V1_WatchEvent] = []
        var updated = Gongzhi_Core_V1_Resident()
        let watchStart = try await admin.list(Gongzhi_Host_V1_ListRequest.with { $0.kind = "Resident" }).revision
        for index in 0..<40 {
            func secret(_ field: String) -> String {
                guard index == 1 || Bool.random(using: &generator) else { return "" }
                let value = "\(field)-\(UInt64.random(in: 1...UInt64.max, using: &generator))"
                secrets.append(value)
                return value
            }
            let object = try resident(
                "R-\(index)",
                idCard: secret("card"),
                phone: secret("phone"),
                notes: secret("notes")
            )
            if index == 1 { updated = try Gongzhi_Core_V1_Resident(serializedBytes: object.data) }
            let byPlainClient = index.isMultiple(of: 2)
            let result = try await create(byPlainClient ? withoutGrant : admin, object)
            if byPlainClient { try assertNoSecret(result, secrets) }
        }
        func assertNoSecret(_ message: some SwiftProtobuf.Message, _ secrets: [String], line: UInt = #line) throws {
            let bytes = try message.serializedBytes() as [UInt8]
            let text = String(decoding: bytes, as: UTF8.self)
            for secret in secrets {
                XCTAssertFalse(text.contains(secret), "\(secret) leaked", line: line)
            }
        }
        // Get and list.
        for index in 0..<40 {
            let object = try await get(withoutGrant, "Resident", "R-\(index)")
            try assertNoSecret(object, secrets)
            let resident = try Gongzhi_Core_V1_Resident(serializedBytes: object.data)
            XCTAssertEqual(resident.name, "张三", "other fields stay")
            XCTAssertTrue(resident.idCardNumber.isEmpty && resident.phone.isEmpty && resident.notes.isEmpty)
        }
        let listed = try await withoutGrant.list(Gongzhi_Host_V1_ListRequest.with { $0.kind = "Resident" })
        XCTAssertEqual(listed.objects.count, 40)
        try assertNoSecret(listed, secrets)
        XCTAssertTrue(listed.objects.contains { !$0.redactedFields.isEmpty })
        // Watch from before the creates.
        try await withoutGrant.watch(
            Gongzhi_Host_V1_WatchRequest.with {
                $0.kind = "Resident"
                $0.afterRevision = watchStart
            }
        ) { events in
            for try await event in events {
                watched.append(event)
                if watched.count == 40 { break }
            }
        }
        XCTAssertEqual(watched.map(\.object.id), (0..<40).map { "R-\($0)" })
        for event in watched { try assertNoSecret(event, secrets) }
        // A transaction's result, and an update made from a redacted read: every field of personal data stays
        // stored.
        let redacted = try await get(withoutGrant, "Resident", "R-1")
        XCTAssertEqual(redacted.redactedFields, ["id_card_number", "notes", "phone"])
        var change = try Gongzhi_Core_V1_Resident(serializedBytes: redacted.data)
        change.name = "李四"
        var write = Gongzhi_Host_V1_Write()
        write.update.object = redacted
        write.update.object.data = try change.serializedBytes()
        write.update.expectedRevision = redacted.revision
        let txn = try await withoutGrant.txn(Gongzhi_Host_V1_TxnRequest.with { $0.writes = [write] })
        try assertNoSecret(txn, secrets)
        let before = try Gongzhi_Core_V1_Resident(serializedBytes: try await get(admin, "Resident", "R-1").data)
        XCTAssertEqual(before.name, "李四")
        updated.name = "李四"
        XCTAssertEqual(before, updated, "the update changed the name and kept the ID card number, phone and notes")
        // A call routed through a plugin that reads for the caller: the plugin has no grant either.
        for index in [0, 1, 3] {
            var call = Gongzhi_Test_V1_CallHostRequest()
            call.service = "gongzhi.host.v1.Objects"
            call.method = "Get"
            call.payload = try Gongzhi_Host_V1_GetRequest.with {
                $0.kind = "Resident"
                $0.id = "R-\(index)"
            }.serializedBytes()
            let routed = try await Gongzhi_Test_V1_ProbeClient(channel: plainChannel).callHost(call)
            XCTAssertEqual(routed.code, 0, routed.message)
            try assertNoSecret(routed, secrets)
        }
        // The holder of the grant sees everything, and each such read is in the audit log.
        let full = try await withGrant.list(Gongzhi_Host_V1_ListRequest.with { $0.kind = "Resident" })
        let shown = String(decoding: try full.serializedBytes() as [UInt8], as: UTF8.self)
        for secret in secrets { XCTAssertTrue(shown.contains(secret), "\(secret) shown to the grant holder") }
        XCTAssertTrue(full.objects.allSatisfy(\.redactedFields.isEmpty))
        var audit = Gongzhi_Host_V1_ListAuditRequest()
        audit.limit = 1000
        let records = try await host.adminClient.listAudit(audit).entries
        let reads = records.filter { $0.outcome == "personal-data" }
        XCTAssertTrue(
            reads.contains {
                $0.principal == "client:\(trusted.info.id)" && $0.action == "gongzhi.host.v1.Objects/List"
            },
            "\(reads.map(\.principal))"
        )
        XCTAssertFalse(reads.contains { $0.principal == "client:\(plain.info.id)" || $0.principal == "plugin:reader" })
    }

    func testPluginKindsAreOwnedByThePluginAndCheckedAgainstTheirSchema() async throws {
        var notes = try HostUnderTest.testPlugin(
            "notes",
            requestedGrants: ["gongzhi.host.v1.Objects/*"]
        )
        notes.environment["TEST_PLUGIN_OBJECTS"] = "register-note"
        let directory = try TemporaryDirectory(prefix: "gzkinds")
        let host = try await HostUnderTest(plugins: [notes], directory: directory)
        try await host.waitUntil("notes")
        let admin = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let kinds = try await admin.listKinds(Gongzhi_Host_V1_ListKindsRequest()).kinds
        let kind = try XCTUnwrap(kinds.first { $0.name == "Note" })
        XCTAssertEqual(kind.owner, "notes")
        XCTAssertEqual(kind.messageName, "gongzhi.test.v1.Note")
        XCTAssertEqual(kind.sensitiveFields, ["secret"])

        // The plugin writes through the host as itself (Probe/CallHost makes it call with its own token).
        let probe = Gongzhi_Test_V1_ProbeClient(channel: host.admin)
        func asPlugin(
            _ method: String,
            _ request: some SwiftProtobuf.Message
        ) async throws
            -> Gongzhi_Test_V1_CallHostResponse
        {
            try await probe.callHost(
                Gongzhi_Test_V1_CallHostRequest.with {
                    $0.service = "gongzhi.host.v1.Objects"
                    $0.method = method
                    $0.payload = try request.serializedBytes()
                }
            )
        }
        func note(_ id: String, _ data: [UInt8]) -> Gongzhi_Host_V1_CreateRequest {
            Gongzhi_Host_V1_CreateRequest.with {
                $0.object.kind = "Note"
                $0.object.id = id
                $0.object.data = Data(data)
            }
        }
        // text = "hi", count = 7, secret = "s3"
        let good: [UInt8] = [0x0a, 0x02, 0x68, 0x69, 0x10, 0x07, 0x1a, 0x02, 0x73, 0x33]
        let created = try await asPlugin("Create", note("N-1", good))
        XCTAssertEqual(created.code, 0, created.message)
        XCTAssertEqual(try Gongzhi_Host_V1_Object(serializedBytes: created.payload).owner, "notes")
        // count as a string (wire type 2 where the schema says varint): refused, naming the field.
        let wrongType = try await asPlugin("Create", note("N-2", [0x12, 0x01, 0x41]))
        XCTAssertEqual(wrongType.code, StatusCode.invalidArgument.rawValue)
        XCTAssertTrue(wrongType.message.contains("count"), wrongType.message)
        let unknownField = try await asPlugin("Create", note("N-3", [0x20, 0x01]))
        XCTAssertEqual(unknownField.code, StatusCode.invalidArgument.rawValue, unknownField.message)
        // The plugin may not write the host's kinds; the administrator may not write the plugin's.
        let core = try await asPlugin(
            "Create",
            try Gongzhi_Host_V1_CreateRequest.with { $0.object = try resident("R-x") }
        )
        XCTAssertEqual(core.code, StatusCode.permissionDenied.rawValue, core.message)
        let byAdmin = await assertRPCError(.permissionDenied) { try await admin.create(note("N-4", good)) }
        XCTAssertTrue(byAdmin?.message.contains("plugin notes") == true, byAdmin?.message ?? "")
        // A reader without the grant does not see the secret.
        let token = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/Get"])
        let reader = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: token.token))
        let seen = try await get(reader, "Note", "N-1")
        XCTAssertEqual(seen.redactedFields, ["secret"])
        XCTAssertEqual(Array(seen.data), [0x0a, 0x02, 0x68, 0x69, 0x10, 0x07])

        // A new schema may not stop marking a field sensitive: stored notes hold it.
        let unmarked = try await asPlugin(
            "RegisterKind",
            Gongzhi_Host_V1_RegisterKindRequest.with {
                $0.name = "Note"
                $0.messageName = "gongzhi.test.v1.Note"
                $0.fileDescriptorSet = try TestDescriptors.note(secretIsSensitive: false)
            }
        )
        XCTAssertEqual(unmarked.code, StatusCode.failedPrecondition.rawValue, unmarked.message)
        XCTAssertTrue(unmarked.message.contains("secret"), unmarked.message)
        let same = try await asPlugin(
            "RegisterKind",
            Gongzhi_Host_V1_RegisterKindRequest.with {
                $0.name = "Note"
                $0.messageName = "gongzhi.test.v1.Note"
                $0.fileDescriptorSet = try TestDescriptors.note(secretIsSensitive: true)
            }
        )
        XCTAssertEqual(same.code, 0, same.message)
        // Only the registering plugin's: another name for the same kind is refused by name.
        let taken = await assertRPCError(.permissionDenied) {
            try await admin.registerKind(Gongzhi_Host_V1_RegisterKindRequest.with { $0.name = "Note" })
        }
        XCTAssertNotNil(taken)

        // The kind and its objects outlive a restart of the host.
        await host.stop()
        notes.environment["TEST_PLUGIN_OBJECTS"] = ""
        let restarted = try await HostUnderTest(plugins: [notes], directory: directory)
        addTeardownBlock { await restarted.stop() }
        let again = Gongzhi_Host_V1_ObjectsClient(channel: restarted.admin)
        let kept = try await get(again, "Note", "N-1")
        XCTAssertEqual(Array(kept.data), good)
        let kindsAfter = try await again.listKinds(Gongzhi_Host_V1_ListKindsRequest()).kinds
        XCTAssertTrue(kindsAfter.contains { $0.name == "Note" })
    }

    func testWatchFollowsChangesAndSaysWhenToListAgain() async throws {
        let host = try await HostUnderTest(
            plugins: [],
            settings: "[objects]\nhistory_retention = \"1s\"\ncompaction_interval = \"1s\"\n"
        )
        addTeardownBlock { await host.stop() }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let start = try await create(objects, try resident("R-0")).revision

        let watcher = Task {
            try await objects.watch(
                Gongzhi_Host_V1_WatchRequest.with {
                    $0.kind = "Resident"
                    $0.afterRevision = start
                    $0.labelSelector = "compound=c1"
                }
            ) { events in
                var seen: [String] = []
                var commitTimes: [Int64] = []
                for try await event in events {
                    seen.append("\(event.type) \(event.object.id) \(event.revision)")
                    commitTimes.append(event.committedAtUs)
                    if seen.count == 4 { break }
                }
                return (seen, commitTimes)
            }
        }
        let firstWrite = Self.wallClockMicroseconds()
        let r1 = try await create(objects, try resident("R-1")).revision
        var other = try resident("R-2")
        other.labels = ["compound": "c9"]
        _ = try await create(objects, other)
        let r3 = try await objects.update(
            try Gongzhi_Host_V1_UpdateRequest.with { $0.object = try resident("R-1", name: "王五") }
        ).revision
        let r4 = try await objects.delete(
            Gongzhi_Host_V1_DeleteRequest.with {
                $0.kind = "Resident"
                $0.id = "R-1"
            }
        ).revision
        // R-0 leaves the selection: to this watcher it is gone.
        var moved = try resident("R-0")
        moved.labels = ["compound": "c9"]
        let r5 = try await objects.update(Gongzhi_Host_V1_UpdateRequest.with { $0.object = moved }).revision
        let lastWrite = Self.wallClockMicroseconds()
        let (seen, commitTimes) = try await watcher.value
        XCTAssertEqual(seen, ["added R-1 \(r1)", "modified R-1 \(r3)", "deleted R-1 \(r4)", "deleted R-0 \(r5)"])
        // Each event says when its write was committed: after the first write was sent, before the last one's
        // answer, and in revision order.
        XCTAssertEqual(commitTimes.count, 4)
        XCTAssertEqual(commitTimes, commitTimes.sorted())
        for time in commitTimes {
            XCTAssertGreaterThanOrEqual(time, firstWrite)
            XCTAssertLessThanOrEqual(time, lastWrite)
        }

        // Once the history is compacted, resuming from an old revision says to list again.
        try await host.waitUntilHistoryCompacted(after: start)
        _ = try await create(objects, try resident("R-5"))
        let compacted = await assertRPCError(.outOfRange) {
            try await objects.watch(
                Gongzhi_Host_V1_WatchRequest.with {
                    $0.kind = "Resident"
                    $0.afterRevision = start
                }
            ) { events in
                for try await _ in events {}
            }
        }
        XCTAssertTrue(compacted?.message.contains("list") == true, compacted?.message ?? "")
    }

    /// A plugin that records every Resident change follows them across a SIGKILL and restart: its record is
    /// exactly the store's history, nothing missed, nothing twice, nothing invented.
    func testWatchResumesAfterAPluginRestartWithoutMissingOrInventingChanges() async throws {
        var recorder = try HostUnderTest.testPlugin(
            "recorder",
            requestedGrants: ["gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch"]
        )
        recorder.environment["TEST_PLUGIN_OBJECTS"] = "record-residents"
        let host = try await HostUnderTest(plugins: [recorder])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("recorder")
        let log = host.directory.path + "/data/plugins/recorder/residents.log"
        try await waitFor("the recorder starts") { (try? String(contentsOfFile: log, encoding: .utf8)) != nil }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        var expected: [String] = []
        var killed = false
        for index in 0..<300 {
            let id = "R-\(index % 60)"
            if index < 60 {
                expected.append("\(try await create(objects, try resident(id)).revision) added \(id)")
            } else if index < 240 {
                let revision = try await objects.update(
                    try Gongzhi_Host_V1_UpdateRequest.with { $0.object = try resident(id, name: "n\(index)") }
                ).revision
                expected.append("\(revision) modified \(id)")
            } else {
                let revision = try await objects.delete(
                    Gongzhi_Host_V1_DeleteRequest.with {
                        $0.kind = "Resident"
                        $0.id = id
                    }
                ).revision
                expected.append("\(revision) deleted \(id)")
            }
            if index == 120 && !killed {
                let pid = try await host.status("recorder").pid
                kill(pid, SIGKILL)
                killed = true
            }
        }
        try await host.waitUntil("recorder")
        let last = expected.last!
        try await waitFor("the recorder catches up", timeout: .seconds(20)) {
            (try? String(contentsOfFile: log, encoding: .utf8))?.hasSuffix(last + "\n") == true
        }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("list ") == true, lines.first ?? "")
        XCTAssertEqual(Array(lines.dropFirst()), expected)
    }

    /// A host SIGKILLed while writers are busy loses no write it acknowledged.
    func testAcknowledgedWritesSurviveSIGKILLOfTheHost() async throws {
        let directory = try TemporaryDirectory(prefix: "gzcrash")
        let host = try await HostUnderTest(plugins: [], directory: directory)
        let acknowledged = AcknowledgedWrites()
        let socket = host.adminSocket
        let writers = (0..<16).map { writer in
            Task {
                let client = RPCClient(socketPath: socket)
                let objects = Gongzhi_Host_V1_ObjectsClient(channel: client)
                var index = 0
                while true {
                    let id = "W\(writer)-\(index)"
                    var request = Gongzhi_Host_V1_CreateRequest()
                    request.object = try Self.resident(id, phone: "1\(index)")
                    guard let created = try? await objects.create(request) else {
                        await client.close()
                        return
                    }
                    acknowledged.add(id, created.revision)
                    index += 1
                }
            }
        }
        // Killed with writes going on, once there are a good number of them.
        try await pollUntil("the writers have 200 writes acknowledged", timeout: .seconds(60)) {
            acknowledged.all.count >= 200
        }
        host.process.signal(SIGKILL)
        for writer in writers { try await writer.value }
        _ = await host.process.waitForExit()
        await host.admin.close()
        let written = acknowledged.all
        XCTAssertGreaterThan(written.count, 100, "the writers got going")

        let restarted = try await HostUnderTest(plugins: [], directory: directory)
        addTeardownBlock { await restarted.stop() }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: restarted.admin)
        var stored: [String: Int64] = [:]
        var list = Gongzhi_Host_V1_ListRequest.with {
            $0.kind = "Resident"
            $0.pageSize = 10_000
        }
        repeat {
            let page = try await objects.list(list)
            for object in page.objects { stored[object.id] = object.revision }
            list.pageToken = page.nextPageToken
        } while !list.pageToken.isEmpty
        var missing = 0
        for (id, revision) in written where stored[id] != revision { missing += 1 }
        XCTAssertEqual(missing, 0, "of \(written.count) acknowledged writes, \(missing) are missing after the crash")
    }

    private func waitFor(
        _ what: String,
        timeout: Duration = .seconds(10),
        _ condition: () throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                XCTFail("timed out waiting until \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// The result of `body`, success or failure.
func outcome<T: Sendable>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}

/// Writes acknowledged by the host, from many tasks.
final class AcknowledgedWrites: Sendable {
    private let state = Mutex<[String: Int64]>([:])

    func add(_ id: String, _ revision: Int64) {
        state.withLock { $0[id] = revision }
    }

    var all: [String: Int64] { state.withLock { $0 } }
}
