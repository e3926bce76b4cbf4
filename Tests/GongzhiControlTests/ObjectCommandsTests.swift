import Foundation
import GongzhiControlTestSupport
import GongzhiDocuments
import GongzhiSchemas
import XCTest

@testable import GongzhiControl

/// `get`, `describe`, `watch` and `delete` against the in-memory Objects service: what they ask, what
/// they print, and how they exit.
final class ObjectCommandsTests: XCTestCase {
    private let catalog = KindCatalog(Fixtures.kinds)

    /// `count` residents with ids `r-0000` …, stored at revision 5.
    private func residents(_ count: Int) -> [Gongzhi_Host_V1_Object] {
        (0..<count).map { index in
            var object = Fixtures.residentObject
            object.id = "r-" + String(repeating: "0", count: 4 - String(index).count) + String(index)
            object.revision = 5
            return object
        }
    }

    func testGetReadsEveryPage() async throws {
        let objects = FakeObjects()
        let stored = residents(1_200)
        objects.seed(stored)
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(["get", "residents"], [])
            XCTAssertEqual(status, 0, errors)
            let kind = catalog.kind(named: "Resident")!
            XCTAssertEqual(output, ObjectOutput.table(stored, kind: kind, time: Fixtures.time))
            XCTAssertEqual(
                objects.requests,
                [
                    "ListKinds", "List Resident selector= parent= size=500 token=",
                    "List Resident selector= parent= size=500 token=500",
                    "List Resident selector= parent= size=500 token=1000",
                ]
            )
        }
    }

    func testGetWithSelectorsAndALimit() async throws {
        let objects = FakeObjects()
        let stored = residents(5)
        objects.seed(stored)
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(
                ["get", "Resident", "-l", "grid=110105001001001", "--parent", "h-0001", "--limit", "2", "-o", "json"],
                []
            )
            XCTAssertEqual(status, 0, errors)
            let kind = catalog.kind(named: "Resident")!
            XCTAssertEqual(
                output,
                JSONText.pretty(.array(stored.prefix(2).map { ObjectDocument.json($0, kind: kind) })) + "\n"
            )
            XCTAssertEqual(
                objects.requests.last,
                "List Resident selector=grid=110105001001001 parent=h-0001 size=2 token="
            )
            let none = await run(["get", "grid"], [])
            XCTAssertEqual(none.output, "no grids\n")
            let empty = await run(["get", "grids", "-o", "yaml"], [])
            XCTAssertEqual(empty.output, "[]\n")
        }
    }

    func testGetOneInEveryFormat() async throws {
        let objects = FakeObjects()
        objects.seed([Fixtures.residentObject, Fixtures.caseObject])
        try await withFakeObjectsHost(objects) { run in
            let resident = catalog.kind(named: "Resident")!
            let document = ObjectDocument.json(Fixtures.residentObject, kind: resident)
            let cases: [([String], String)] = [
                (
                    ["get", "resident", "r-0001"],
                    ObjectOutput.table([Fixtures.residentObject], kind: resident, time: Fixtures.time)
                ),
                (["get", "Residents", "r-0001", "-o", "json"], JSONText.pretty(document) + "\n"),
                (["-o", "yaml", "get", "RESIDENT", "r-0001"], YAMLText.document(document)),
                (
                    ["get", "case", "c-1", "-o", "json"],
                    JSONText.pretty(ObjectDocument.json(Fixtures.caseObject, kind: catalog.kind(named: "Case"))) + "\n"
                ),
                (
                    ["describe", "residents", "r-0001"],
                    ObjectOutput.detail(Fixtures.residentObject, kind: resident, time: Fixtures.time)
                ),
                (["describe", "resident", "r-0001", "-o", "yaml"], YAMLText.document(document)),
                (
                    ["get", "kinds"],
                    ObjectOutput.kindTable(Fixtures.kinds.sorted { $0.name < $1.name })
                ),
                (
                    ["get", "kinds", "-o", "json"],
                    JSONText.pretty(ObjectOutput.kindsDocument(Fixtures.kinds.sorted { $0.name < $1.name })) + "\n"
                ),
            ]
            for (arguments, expected) in cases {
                let (status, output, errors) = await run(arguments, [])
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
                XCTAssertEqual(errors, "", "\(arguments)")
                XCTAssertEqual(output, expected, "\(arguments)")
            }
        }
    }

    func testDescribeShowsWhatWasWithheld() async throws {
        let objects = FakeObjects(redactingPhones: true)
        objects.seed([Fixtures.residentObject])
        try await withFakeObjectsHost(objects) { run in
            let (status, output, errors) = await run(["describe", "resident", "r-0001"], [])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                output,
                ObjectOutput.detail(
                    Fixtures.redactedResidentObject,
                    kind: catalog.kind(named: "Resident"),
                    time: Fixtures.time
                )
            )
            XCTAssertTrue(output.contains("redacted:  phone (withheld"), output)
        }
    }

    func testNotFoundExitsWith4() async throws {
        try await withFakeObjectsHost { run in
            let missing = await run(["get", "resident", "r-9"], [])
            XCTAssertEqual(missing.status, ControlExitCode.notFound)
            XCTAssertEqual(missing.output, "")
            XCTAssertEqual(missing.errors, "error: Resident/r-9 does not exist\n")
            let unknown = await run(["describe", "residnet", "r-9"], [])
            XCTAssertEqual(unknown.status, ControlExitCode.notFound)
            XCTAssertEqual(
                unknown.errors,
                "error: there is no kind \"residnet\" (did you mean Resident?); the kinds are Building, Case, "
                    + "Department, Grid, Household, Organization, Partner, Person, Region, Resident, Role, RoleBinding "
                    + "(gongzhictl get kinds)\n"
            )
        }
    }

    func testWatchPrintsEachChange() async throws {
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            _ = await run(["apply", "-f", "-"], ApplyTests.residents(0..<2))
            _ = await run(["delete", "resident", "r-1"], [])
            _ = await run(["apply", "-f", "-"], ApplyTests.residents(0..<1, name: "改"))
            let (status, output, errors) = await run(["watch", "residents", "--since", "100"], [])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                output,
                """
                ADDED Resident/r-0 revision 101
                ADDED Resident/r-1 revision 101
                DELETED Resident/r-1 revision 102
                MODIFIED Resident/r-0 revision 103

                """
            )
            XCTAssertTrue(objects.requests.contains("Watch Resident after=100 selector="))

            let json = await run(["watch", "resident", "--since", "102", "-o", "json", "-l", "grid=g1"], [])
            XCTAssertEqual(json.status, 0, json.errors)
            let event = try JSONText.value(json.output)
            XCTAssertEqual(JSONText.compact(event.json["type"]!), #""MODIFIED""#)
            XCTAssertEqual(JSONText.compact(event.json["revision"]!), #""103""#)
            XCTAssertEqual(JSONText.compact(event.json["object"]!["data"]!["name"]!), #""改0""#)
            XCTAssertTrue(objects.requests.contains("Watch Resident after=102 selector=grid=g1"))

            objects.state.withLock { $0.compactedThrough = 102 }
            let compacted = await run(["watch", "resident", "--since", "101"], [])
            XCTAssertEqual(compacted.status, ControlExitCode.failed)
            XCTAssertEqual(compacted.output, "")
            XCTAssertEqual(
                compacted.errors,
                "error: revision 101 is compacted (history starts after 102); re-list and watch from the list's "
                    + "revision\n"
            )
        }
    }

    func testDeleteWithAndWithoutARevision() async throws {
        let objects = FakeObjects()
        try await withFakeObjectsHost(objects) { run in
            _ = await run(["apply", "-f", "-"], ApplyTests.residents(0..<1))
            let stale = await run(["delete", "resident", "r-0", "--revision", "3"], [])
            XCTAssertEqual(stale.status, ControlExitCode.failed)
            XCTAssertEqual(stale.errors, "error: Resident/r-0 is at revision 101, not 3\n")
            let deleted = await run(["delete", "resident", "r-0", "--revision", "101"], [])
            XCTAssertEqual(deleted.status, 0, deleted.errors)
            XCTAssertEqual(deleted.output, "deleted Resident/r-0 (revision 102)\n")
            let again = await run(["delete", "resident", "r-0", "-o", "json"], [])
            XCTAssertEqual(again.status, ControlExitCode.notFound)
            XCTAssertEqual(again.errors, "error: Resident/r-0 does not exist\n")
            XCTAssertEqual(
                objects.requests.filter { $0.hasPrefix("Delete") },
                [
                    "Delete Resident/r-0 expected=3", "Delete Resident/r-0 expected=101",
                    "Delete Resident/r-0 expected=0",
                ]
            )
        }
    }

    func testUsageErrors() async {
        let cases: [([String], String)] = [
            (["get"], "error: Missing expected argument '<kind>'"),
            (
                ["get", "resident", "r-1", "-l", "a=b"],
                "error: -l, --parent and --limit choose from the list; leave them out with an id"
            ),
            (["get", "resident", "--limit", "0"], "error: --limit must be 1 or more; leave it out for every object"),
            (["apply"], "error: say what to apply: -f FILE (repeat for more files; -f - reads standard input)"),
            (["watch", "resident", "--since=-1"], "error: --since must be a revision, 0 or more"),
            (["delete", "resident"], "error: Missing expected argument '<id>'"),
            (["delete", "resident", "r-1", "--revision", "0"], "error: --revision must be 1 or more"),
            (["status", "-o", "yaml"], "error: -o yaml is for the object commands"),
        ]
        for (arguments, expected) in cases {
            let console = TestConsole()
            let status = await console.run(arguments)
            XCTAssertEqual(status, ControlExitCode.usage, "\(arguments): \(console.errors)")
            XCTAssertTrue(console.errors.hasPrefix(expected), "\(arguments): \(console.errors)")
            XCTAssertEqual(console.output, "")
        }
    }

    func testAnUnreachableHostExitsWith3() async {
        let console = TestConsole(environment: ["GONGZHI_ADMIN_SOCKET": "/nonexistent/admin.sock"])
        for arguments in [["get", "kinds"], ["watch", "grid"], ["delete", "grid", "g"]] {
            let status = await console.run(arguments)
            XCTAssertEqual(status, ControlExitCode.unreachable, "\(arguments)")
        }
        let input = TestConsole(
            environment: ["GONGZHI_ADMIN_SOCKET": "/nonexistent/admin.sock"],
            input: Array(#"{"kind": "Grid", "id": "g"}"#.utf8)
        )
        let status = await input.run(["apply", "-f", "-"])
        XCTAssertEqual(status, ControlExitCode.unreachable)
        XCTAssertEqual(
            input.errors,
            "error: cannot reach the host at /nonexistent/admin.sock: no such file "
                + "(is gongzhi-host running? use --socket or GONGZHI_ADMIN_SOCKET)\n"
        )
    }
}
