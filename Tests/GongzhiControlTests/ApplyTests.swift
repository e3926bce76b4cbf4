import Foundation
import GongzhiControlTestSupport
import GongzhiDocuments
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiControl

/// `gongzhictl apply` against the in-memory Objects service: batches, the fallback for objects that
/// exist, what is refused before anything is written, progress, and speed.
final class ApplyTests: XCTestCase {
    /// `count` residents as JSON lines, ids `r-<n>`.
    static func residents(_ range: Range<Int>, name: String = "居民", labels: String = #"{"grid":"g1"}"#) -> [UInt8] {
        Array(
            range.map { index in
                #"{"kind":"Resident","id":"r-\#(index)","parent":"h-\#(index / 3)","labels":\#(labels),"#
                    + #""data":{"id":"r-\#(index)","name":"\#(name)\#(index)","phone":"1380000\#(index)","#
                    + #""gender":"GENDER_MALE","tags":["TAG_VOLUNTEER"]}}"#
            }
            .joined(separator: "\n").utf8
        )
    }

    private func assertSummary(
        _ output: String,
        _ expected: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertTrue(output.hasPrefix(expected + " "), output, file: file, line: line)
        XCTAssertTrue(output.hasSuffix(" s)\n"), output, file: file, line: line)
    }

    func testCreatesInTransactionsOf256() async throws {
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(["apply", "-f", "-"], Self.residents(0..<600))
            XCTAssertEqual(status, 0, errors)
            assertSummary(output, "created 600, updated 0, unchanged 0 (600 objects in")
            XCTAssertEqual(objects.state.withLock { $0.transactionSizes.sorted() }, [88, 256, 256])
            XCTAssertEqual(objects.requests.filter { $0 == "ListKinds" }.count, 1)
            XCTAssertEqual(objects.requests.count, 4)
            // Progress without a terminal: a line at every tenth of the way that a batch reached.
            let lines = errors.split(separator: "\n")
            XCTAssertEqual(lines.last, "applying: 600/600 (100%)")
            XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("applying: ") && $0.hasSuffix("%)") }, errors)
            XCTAssertEqual(lines.count, 3)
            let stored = try XCTUnwrap(objects.object("Resident", "r-7"))
            XCTAssertEqual(stored.parent, "h-2")
            XCTAssertEqual(stored.labels, ["grid": "g1"])
            XCTAssertEqual(try Gongzhi_Core_V1_Resident(serializedBytes: stored.data).name, "居民7")
        }
    }

    func testApplyingAgainChangesNothing() async throws {
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            _ = await run(["apply", "-f", "-"], Self.residents(0..<300))
            let revision = objects.state.withLock { $0.revision }
            let (status, output, errors) = await run(["apply", "-f", "-"], Self.residents(0..<300))
            XCTAssertEqual(status, 0, errors)
            assertSummary(output, "created 0, updated 0, unchanged 300 (300 objects in")
            XCTAssertEqual(objects.state.withLock { $0.revision }, revision)
            let requests = objects.requests.dropFirst(3)
            XCTAssertEqual(requests.filter { $0.hasPrefix("Txn") }.count, 2)
            XCTAssertEqual(requests.filter { $0.hasPrefix("Get") }.count, 300)
            XCTAssertEqual(requests.filter { $0.hasPrefix("Update") || $0.hasPrefix("Create") }, [])
        }
    }

    func testABatchWithExistingObjectsIsAppliedObjectByObject() async throws {
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            _ = await run(["apply", "-f", "-"], Self.residents(0..<3))
            let stored = objects.state.withLock { $0.revision }
            // r-0 as it is; r-1 renamed; r-2 relabelled; r-3 new.
            let input =
                Self.residents(0..<1) + Array("\n".utf8) + Self.residents(1..<2, name: "新名")
                + Array("\n".utf8) + Self.residents(2..<3, labels: #"{"grid":"g2"}"#) + Array("\n".utf8)
                + Self.residents(3..<4)
            let (status, output, errors) = await run(["apply", "-f", "-"], input)
            XCTAssertEqual(status, 0, errors)
            assertSummary(output, "created 1, updated 2, unchanged 1 (4 objects in")
            XCTAssertEqual(
                Array(objects.requests.dropFirst(2)),
                [
                    "ListKinds", "Txn 4 writes", "Get Resident/r-0", "Get Resident/r-1",
                    "Update Resident/r-1 expected=\(stored)", "Get Resident/r-2",
                    "Update Resident/r-2 expected=\(stored)",
                    "Get Resident/r-3", "Create Resident/r-3",
                ]
            )
            XCTAssertEqual(objects.object("Resident", "r-2")?.labels, ["grid": "g2"])
            XCTAssertEqual(
                try Gongzhi_Core_V1_Resident(serializedBytes: objects.object("Resident", "r-1")!.data).name,
                "新名1"
            )
        }
    }

    /// People and role bindings read as JSON; a binding the host stored with who granted it, and when, is the
    /// document that left those out, and one whose role differs is an update.
    func testPeopleAndBindingsApplyAndTheHostsFieldsAreNoChange() async throws {
        let objects = FakeObjects()
        let person = #"{"kind":"Person","id":"hu-wei","data":{"id":"hu-wei","name":"胡伟","state":"STATE_ACTIVE"}}"#
        let binding =
            #"{"kind":"RoleBinding","id":"hu-wei.grid-worker.330199001001001","#
            + #""data":{"personId":"hu-wei","role":"grid-worker","placeCode":"330199001001001"}}"#
        let input = Array((person + "\n" + binding).utf8)
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(["apply", "-f", "-"], input)
            XCTAssertEqual(status, 0, errors)
            assertSummary(output, "created 2, updated 0, unchanged 0 (2 objects in")
            var stored = try XCTUnwrap(objects.object("RoleBinding", "hu-wei.grid-worker.330199001001001"))
            var data = try Gongzhi_Core_V1_RoleBinding(serializedBytes: stored.data)
            XCTAssertEqual(data.role, "grid-worker")
            XCTAssertEqual(
                try Gongzhi_Core_V1_Person(serializedBytes: objects.object("Person", "hu-wei")!.data).name,
                "胡伟"
            )

            // As the host stores it.
            data.grantedBy = "admin:uid=0"
            data.grantedAtMs = 1_767_000_000_000
            stored.data = try data.serializedBytes()
            objects.seed([stored])
            let again = await run(["apply", "-f", "-"], input)
            XCTAssertEqual(again.0, 0, again.2)
            assertSummary(again.1, "created 0, updated 0, unchanged 2 (2 objects in")

            data.role = "viewer"
            stored.data = try data.serializedBytes()
            objects.seed([stored])
            let changed = await run(["apply", "-f", "-"], input)
            XCTAssertEqual(changed.0, 0, changed.2)
            assertSummary(changed.1, "created 0, updated 1, unchanged 1 (2 objects in")
        }
    }

    func testAnUpdateExpectsTheDocumentsRevision() async throws {
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            _ = await run(["apply", "-f", "-"], Self.residents(0..<1))
            let current = objects.object("Resident", "r-0")!.revision
            let stale = Array(#"{"kind":"Resident","id":"r-0","revision":5,"data":{"name":"改"}}"#.utf8)
            let refused = await run(["apply", "-f", "-"], stale)
            XCTAssertEqual(refused.status, ControlExitCode.failed)
            XCTAssertEqual(refused.output, "")
            XCTAssertEqual(
                refused.errors,
                "error: stdin:1: Resident/r-0: Resident/r-0 is at revision \(current), not 5 (the document expects "
                    + "revision 5: get the object again and make the change to that, or leave revision out of the "
                    + "document to overwrite it)\n"
            )
            XCTAssertTrue(objects.requests.contains("Update Resident/r-0 expected=5"))

            let fresh = Array(#"{"kind":"Resident","id":"r-0","revision":\#(current),"data":{"name":"改"}}"#.utf8)
            let applied = await run(["apply", "-f", "-"], fresh)
            XCTAssertEqual(applied.status, 0, applied.errors)
            assertSummary(applied.output, "created 0, updated 1, unchanged 0 (1 object in")
            XCTAssertTrue(objects.requests.contains("Update Resident/r-0 expected=\(current)"))
        }
    }

    func testNothingIsWrittenWhenADocumentIsRefused() async throws {
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            var input = Self.residents(0..<5)
            input += Array(
                "\n{\"kind\":\"Resident\",\"id\":\"r-9\",\"data\":{\"name\":\"王\"},\"redactedFields\":[\"phone\"]}".utf8
            )
            let redacted = await run(["apply", "-f", "-"], input)
            XCTAssertEqual(redacted.status, ControlExitCode.failed)
            XCTAssertEqual(
                redacted.errors,
                "error: stdin:6: Resident/r-9 was read with personal data withheld (redactedFields: phone), and "
                    + "applying it would erase that data; apply a copy read with access to personal data, or fill in "
                    + "those fields and remove redactedFields; nothing was applied\n"
            )
            XCTAssertEqual(objects.requests, [], "refused before the host was called")

            let unknownKind = Self.residents(0..<5) + Array("\n{\"kind\":\"Ticket\",\"id\":\"t1\"}".utf8)
            let refused = await run(["apply", "-f", "-"], unknownKind)
            XCTAssertEqual(refused.status, ControlExitCode.failed)
            XCTAssertEqual(
                refused.errors,
                "error: stdin:6: there is no kind \"Ticket\"; the kinds are Building, Case, Department, Grid, "
                    + "Household, Organization, Partner, Person, Region, Resident, Role, RoleBinding; nothing was "
                    + "applied\n"
            )
            XCTAssertEqual(objects.requests, ["ListKinds"])
            XCTAssertEqual(objects.state.withLock { $0.objects.count }, 0)
        }
    }

    func testAtMostEightTransactionsAreInFlight() async throws {
        let objects = FakeObjects(transactionDelay: .milliseconds(20))
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(["apply", "-f", "-"], Self.residents(0..<(256 * 20)))
            XCTAssertEqual(status, 0, errors)
            assertSummary(output, "created 5,120, updated 0, unchanged 0 (5,120 objects in")
            let most = objects.state.withLock { $0.mostTransactionsInFlight }
            XCTAssertLessThanOrEqual(most, 8)
            XCTAssertGreaterThan(most, 1)
        }
    }

    func testProgressOnATerminalIsOneLineRedrawn() async throws {
        try await withFakeObjectsHost(terminal: true) { run in
            let (status, _, errors) = await run(["apply", "-f", "-"], Self.residents(0..<600))
            XCTAssertEqual(status, 0, errors)
            XCTAssertTrue(errors.hasPrefix("\rapplying: 0/600 (0%)\r"), errors)
            XCTAssertTrue(errors.hasSuffix("\rapplying: 600/600 (100%)\n"), errors)
            XCTAssertEqual(errors.filter { $0 == "\n" }.count, 1)
        }
    }

    func testAWriteTheHostRefusesNamesTheDocument() async throws {
        try await withFakeObjectsHost { run in
            let (status, output, errors) = await run(
                ["apply", "-f", "-"],
                Array("kind: Case\nid: c-1\ndataBase64: CgNjLTE=\n".utf8)
            )
            XCTAssertEqual(status, ControlExitCode.permissionDenied)
            XCTAssertEqual(output, "")
            XCTAssertEqual(
                errors,
                "error: stdin, document 1 (line 1): permission denied: Case objects are owned by plugin grid; "
                    + "only it writes them\n"
            )
        }
    }

    func testATransactionTheHostRefusesNamesTheObjectItsMessageNames() async throws {
        let objects = FakeObjects(refusing: ["r-300"])
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(["apply", "-f", "-"], Self.residents(0..<400))
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(output, "")
            // The first batch may be written before the second fails, or not yet.
            let message = "error: stdin:301: Resident/r-300: field 4 (phone) is not valid UTF-8"
            XCTAssertTrue(
                errors.hasSuffix(message + "\n")
                    || errors.hasSuffix(
                        message + " (at least 256 of 400 objects were applied before this; apply again to finish)\n"
                    ),
                errors
            )
        }
    }

    func testFilesOfEveryFormatAndJSONOutput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let yaml = directory.file("district.yaml")
        let lines = directory.file("residents.jsonl")
        let json = directory.file("grid.json")
        try "kind: Region\nid: \"110105\"\ndata: {name: 朝阳区}\n---\n- {kind: Building, id: b-1}\n"
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        try Data(Self.residents(0..<3)).write(to: URL(fileURLWithPath: lines))
        try #"[{"kind": "Grid", "id": "g-1", "data": {"name": "第一网格"}}]"#
            .write(toFile: json, atomically: true, encoding: .utf8)
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(
                ["apply", "-f", yaml, "-f", lines, "--filename", json, "-o", "json"],
                []
            )
            XCTAssertEqual(status, 0, errors)
            let summary = try JSONText.value(output)
            XCTAssertEqual(JSONText.compact(summary.json["created"]!), "6")
            XCTAssertEqual(JSONText.compact(summary.json["objects"]!), "6")
            XCTAssertEqual(objects.state.withLock { $0.objects.count }, 6)

            let missing = await run(["apply", "-f", directory.file("nope.yaml")], [])
            XCTAssertEqual(missing.status, ControlExitCode.failed)
            XCTAssertEqual(
                missing.errors,
                "error: cannot read \(directory.file("nope.yaml")): no such file or directory\n"
            )
            let folder = await run(["apply", "-f", directory.path], [])
            XCTAssertEqual(
                folder.errors,
                "error: cannot read \(directory.path): it is a folder; name the files in it\n"
            )
        }
    }

    func testThirtyThousandResidentsGoFast() async throws {
        let input = Self.residents(0..<30_000)
        let objects = FakeObjects(recording: false)
        try await withFakeObjectsHost(objects) { run in
            let started = ContinuousClock.now
            let (status, output, errors) = await run(["apply", "-f", "-"], input)
            let elapsed = ContinuousClock.now - started
            XCTAssertEqual(status, 0, errors)
            assertSummary(output, "created 30,000, updated 0, unchanged 0 (30,000 objects in")
            XCTAssertEqual(objects.state.withLock { $0.objects.count }, 30_000)
            XCTAssertLessThan(elapsed, .seconds(30), "even in a debug build")
        }
    }
}
