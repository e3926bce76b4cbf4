import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiGridControl

/// The grid commands against an in-process host on a real socket: the grid plugin's service as the host
/// routes it, and the Objects service in memory.
final class GridFakeHostTests: XCTestCase {
    private typealias Run = ([String]) async -> (status: Int32, output: String, errors: String)

    private func withFakeHost(
        grid: FakeGridService = FakeGridService(),
        objects: FakeObjects = FakeObjects(),
        _ body: (_ run: @escaping Run, _ directory: TemporaryDirectory) async throws -> Void
    ) async throws {
        try await withRPCServer(services: [grid, objects]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments in
                    let console = TestConsole(GridCommandLine.self, environment: ["GONGZHI_ADMIN_SOCKET": socket])
                    let status = await console.run(arguments)
                    return (status, console.output, console.errors)
                },
                directory
            )
        }
    }

    func testEveryCommandPrintsWhatItsRendererDoes() async throws {
        let t = Fixtures.time
        let grid = FakeGridService()
        let c = GridFixtures.dispatched
        var registered = c
        registered.state = .registered
        let list = Gongzhi_Grid_V1_ListCasesResponse.with {
            $0.cases = [GridFixtures.dispatched, GridFixtures.overdue]
            $0.total = 37
            $0.nextPageToken = "b2Zmc2V0PTI"
        }
        try await withFakeHost(grid: grid) { run, _ in
            let cases: [([String], String)] = [
                (["grid", "locate", "120.1551", "30.2741"], "grid:       330106001001003\n"),
                (
                    ["grid", "report", "--category", "E0101", "--at", "120.1551,30.2741", "--source", "patrol"],
                    GridOutput.reported(
                        .with {
                            $0.case = c
                            $0.created = true
                        },
                        time: t
                    )
                ),
                (["grid", "list", "--open", "--limit", "2"], GridOutput.list(list, time: t)),
                (["grid", "list", "-o", "json"], PluginOutput.json(list)),
                (["grid", "show", c.id], GridOutput.detail(c, time: t)),
                (["grid", "register", c.id], "C7f3a9 registered at the grid tier\n"),
                (["grid", "register", c.id, "-o", "json"], PluginOutput.json(registered)),
                (
                    ["grid", "dispatch", c.id, "--to", "worker:王芳", "--deadline", "23h"],
                    "C7f3a9 dispatched to worker 王芳, due 2025-11-22 22:00 (in 23h)\n"
                ),
                (["grid", "stats", "--level", "street"], GridOutput.stats(GridFixtures.stats)),
                (["grid", "categories"], GridOutput.categories(GridFixtures.categories)),
                (["grid", "categories", "-o", "json"], PluginOutput.json(GridFixtures.categories)),
            ]
            for (arguments, expected) in cases {
                let (status, output, errors) = await run(arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
                XCTAssertEqual(errors, "", "\(arguments)")
                XCTAssertTrue(output.hasPrefix(expected), "\(arguments): \(output)")
            }
        }
        XCTAssertEqual(
            grid.requests.withLock { $0 },
            [
                "Locate 120.1551,30.2741", "Report E0101", "ListCases open=true limit=2",
                "ListCases open=false limit=0",
                "GetCase C7f3a9", "Register C7f3a9", "Register C7f3a9",
                "Dispatch C7f3a9 王芳 deadline=\(Fixtures.nowMs + 23 * 3_600_000)", "Stats level=3", "ListCategories",
                "ListCategories",
            ]
        )
    }

    func testJSONUsesTheProtoFieldNames() async throws {
        try await withFakeHost { run, _ in
            let (status, output, _) = await run(["grid", "show", "C7f3a9", "-o", "json"])
            XCTAssertEqual(status, 0)
            for name in [
                "\"category_code\":\"E0101\"", "\"also_reported_by\"", "\"deadline_ms\"",
                "\"state\":\"CASE_STATE_DISPATCHED\"",
            ] {
                XCTAssertTrue(output.contains(name), "\(name) in \(output)")
            }
            let yaml = await run(["grid", "list", "-o", "yaml"])
            XCTAssertEqual(yaml.status, ControlExitCode.usage)
            XCTAssertEqual(yaml.errors, "error: -o yaml is for the object commands; use -o json or -o table\n")
        }
    }

    func testThePluginsRefusalsKeepItsWords() async throws {
        try await withFakeHost { run, _ in
            let illegal = await run(["grid", "close", "C7f3a9"])
            XCTAssertEqual(illegal.status, ControlExitCode.failed)
            XCTAssertEqual(
                illegal.errors,
                "error: case C7f3a9 is dispatched; it can be started or handled (allowed: start, handle)\n"
            )
            let missing = await run(["grid", "show", "C0"])
            XCTAssertEqual(missing.status, ControlExitCode.notFound)
            XCTAssertEqual(missing.errors, "error: there is no case C0\n")
            let nowhere = await run(["grid", "locate", "-73.98", "40.75"])
            XCTAssertEqual(nowhere.status, ControlExitCode.notFound)
            XCTAssertEqual(nowhere.errors, "error: no grid holds the point (-73.98, 40.75)\n")
            let invalid = await run([
                "grid", "report", "--category", "9999", "--grid", "330106001001003", "--source", "patrol",
            ])
            XCTAssertEqual(invalid.status, ControlExitCode.failed)
            XCTAssertEqual(
                invalid.errors,
                "error: unknown category \"9999\"; known codes include E0101 (暴露垃圾)\n"
            )
        }
    }

    func testAMissingOrUnavailablePluginIsNamed() async throws {
        let notInstalled = FakeGridService(
            failure: RPCError(
                code: .unimplemented,
                message: "no plugin serves gongzhi.grid.v1.GridService (served here: gongzhi.host.v1.Admin)"
            )
        )
        try await withFakeHost(grid: notInstalled) { run, _ in
            // Every verb that calls the plugin says so in the same one line.
            for arguments in [
                ["grid", "categories"], ["grid", "locate", "120.1551", "30.2741"],
                ["grid", "report", "--category", "E0101", "--grid", "330106001001003", "--source", "patrol"],
                ["grid", "list", "-o", "json"], ["grid", "show", "C1"], ["grid", "register", "C1"],
                ["grid", "reject", "C1", "--reason", "重复"], ["grid", "dispatch", "C1", "--to", "worker:王芳"],
                ["grid", "start", "C1"], ["grid", "handle", "C1", "--notes", "已清运"], ["grid", "verify", "C1"],
                ["grid", "send-back", "C1", "--reason", "仍有"], ["grid", "close", "C1"],
                ["grid", "evaluate", "C1", "--satisfaction", "satisfied"], ["grid", "stats"],
            ] {
                let (status, output, errors) = await run(arguments)
                XCTAssertEqual(status, ControlExitCode.failed, "\(arguments)")
                XCTAssertEqual(output, "", "\(arguments)")
                XCTAssertEqual(
                    errors,
                    "error: the grid plugin is not deployed on this host (no plugin serves "
                        + "gongzhi.grid.v1.GridService); install it with Deploy/install-plugin.sh, add [plugins.grid] "
                        + "to the host's config and reload the host\n",
                    "\(arguments)"
                )
            }
        }
        let down = FakeGridService(
            failure: RPCError(
                code: .unavailable,
                message: "plugin grid, which serves gongzhi.grid.v1.GridService, is not taking calls: backing off"
            )
        )
        try await withFakeHost(grid: down) { run, _ in
            let (status, _, errors) = await run(["grid", "list"])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(
                errors,
                "error: the grid plugin is not available: plugin grid, which serves gongzhi.grid.v1.GridService, "
                    + "is not taking calls: backing off (see gongzhictl plugins describe grid)\n"
            )
        }
    }

    func testPluginErrorMapping() {
        let service = GridCalls.service
        func mapped(_ code: StatusCode, _ message: String, probe: SocketProbe = .socket) -> ControlError {
            ControlError(
                callingPlugin: service,
                at: "/run/gongzhi/admin.sock",
                failedWith: RPCError(code: code, message: message),
                probe: { _ in probe }
            )
        }
        XCTAssertEqual(
            mapped(.unimplemented, "gongzhi.grid.v1.GridService has no method Stats (it has: Locate)"),
            ControlError(
                "the grid plugin does not serve this call (is it an older version?): gongzhi.grid.v1.GridService "
                    + "has no method Stats (it has: Locate)",
                exitCode: 1
            )
        )
        XCTAssertEqual(
            mapped(
                .unavailable,
                "cannot connect to /run/gongzhi/admin.sock: connection refused (is the server running?)"
            )
            .exitCode,
            ControlExitCode.unreachable,
            "a socket nobody listens on is the host, not the plugin"
        )
        XCTAssertEqual(mapped(.unavailable, "gone", probe: .missing).exitCode, ControlExitCode.unreachable)
        XCTAssertEqual(mapped(.aborted, "case C1 is at revision 9, not 8: read it again").exitCode, 1)
        XCTAssertEqual(mapped(.notFound, "there is no case C1"), ControlError("there is no case C1", exitCode: 4))
    }

    // MARK: Import

    private static let geoJSON = """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"code": "330106001001001", "name": "西溪第一网格"},
           "geometry": {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.0]]]}},
          {"type": "Feature", "properties": {"code": "330106001001002", "name": "西溪第二网格"},
           "geometry": {"type": "Polygon", "coordinates": [[[120.01, 30.0], [120.02, 30.0], [120.02, 30.01], [120.01, 30.0]]]}}
        ]}
        """

    private static let orphan = """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"code": "330199001001001", "name": "无社区网格"},
           "geometry": {"type": "Polygon", "coordinates": [[[121.0, 30.0], [121.01, 30.0], [121.01, 30.01], [121.0, 30.0]]]}}
        ]}
        """

    private func objectsWithACommunity() throws -> FakeObjects {
        let objects = FakeObjects()
        let region: Data = try Gongzhi_Core_V1_Region.with {
            $0.code = "330106001001"
            $0.name = "西溪社区"
            $0.level = .community
            $0.parentCode = "330106001"
        }
        .serializedBytes()
        objects.seed([
            .with {
                $0.kind = "Region"
                $0.id = "330106001001"
                $0.revision = 5
                $0.data = region
            }
        ])
        return objects
    }

    func testImportCreatesThenLeavesAlone() async throws {
        let objects = try objectsWithACommunity()
        try await withFakeHost(objects: objects) { run, directory in
            let file = directory.file("xixi.geojson")
            try Data(Self.geoJSON.utf8).write(to: URL(fileURLWithPath: file))

            let dry = await run(["grid", "import", file, "--dry-run"])
            XCTAssertEqual(dry.status, 0, dry.errors)
            XCTAssertEqual(
                dry.output,
                "2 grids: 2 to create, 0 to update, 0 unchanged (dry run: nothing was written)\n"
            )
            XCTAssertNil(objects.object("Grid", "330106001001001"), "a dry run writes nothing")

            let first = await run(["grid", "import", file])
            XCTAssertEqual(first.status, 0, first.errors)
            XCTAssertEqual(first.output, "2 grids: 2 created, 0 updated, 0 unchanged\n")
            let created = try XCTUnwrap(objects.object("Grid", "330106001001002"))
            XCTAssertEqual(created.parent, "330106001001")
            XCTAssertEqual(try Gongzhi_Core_V1_Grid(serializedBytes: created.data).name, "西溪第二网格")

            let again = await run(["grid", "import", file, "-o", "json"])
            XCTAssertEqual(again.status, 0, again.errors)
            XCTAssertEqual(
                again.output,
                GridOutput.importedDocument(GridImportCounts(unchanged: 2), dryRun: false)
            )
        }
    }

    func testImportRefusesAGridWhoseCommunityIsNotARegion() async throws {
        let objects = try objectsWithACommunity()
        try await withFakeHost(objects: objects) { run, directory in
            let file = directory.file("orphan.geojson")
            try Data(Self.orphan.utf8).write(to: URL(fileURLWithPath: file))
            let (status, output, errors) = await run(["grid", "import", file])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(output, "")
            XCTAssertEqual(
                errors,
                "error: \(file):2: feature 0 (code 330199001001001): community 330199001001 is not a Region; "
                    + "create it first; nothing was imported\n"
            )
            XCTAssertNil(objects.object("Grid", "330199001001001"))

            let broken = directory.file("broken.geojson")
            try Data(#"{"type": "FeatureCollection", "features": [{"type": "Feature"}, 3]}"#.utf8)
                .write(to: URL(fileURLWithPath: broken))
            let refused = await run(["grid", "import", broken])
            XCTAssertEqual(refused.status, ControlExitCode.failed)
            XCTAssertTrue(
                refused.errors.hasSuffix("error: \(broken) has 2 problems (listed above); nothing was imported\n"),
                refused.errors
            )
            XCTAssertEqual(refused.errors.split(separator: "\n").count, 3, refused.errors)
        }
    }

    // MARK: Who acts

    private static func personObject(_ id: String, _ name: String) -> Gongzhi_Host_V1_Object {
        .with {
            $0.kind = "Person"
            $0.id = id
            $0.data = try! Gongzhi_Core_V1_Person.with {
                $0.id = id
                $0.name = name
            }
            .serializedBytes()
        }
    }

    func testAsNamesThePersonToTheHostAndNotInTheRequest() async throws {
        let grid = FakeGridService()
        let objects = FakeObjects()
        objects.seed([Self.personObject("li-qiang", "李强"), Self.personObject("wang-fang", "王芳")])
        try await withFakeHost(grid: grid, objects: objects) { run, _ in
            let c = GridFixtures.dispatched
            let dispatch = await run(["grid", "dispatch", c.id, "--to", "worker:王芳", "--as", "李强"])
            XCTAssertEqual(dispatch.status, 0, dispatch.errors)
            let start = await run(["grid", "--as", "wang-fang", "start", c.id])
            XCTAssertEqual(start.status, 0, start.errors)
            let report = await run([
                "grid", "report", "--category", "E0101", "--grid", "330106001001003", "--source", "patrol",
            ])
            XCTAssertEqual(report.status, 0, report.errors)
            XCTAssertEqual(
                grid.callers.withLock { $0 },
                ["token=- as=li-qiang", "token=- as=wang-fang", "token=- as=-"]
            )
            // 李强 for --as, then 王芳 for --to worker: (each a name, so the people are listed), then wang-fang.
            XCTAssertEqual(
                objects.requests,
                [
                    "List Person selector= parent= size=500 token=", "List Person selector= parent= size=500 token=",
                    "Get Person/wang-fang",
                ]
            )
            XCTAssertEqual(
                grid.requests.withLock { $0 }.first?.hasPrefix("Dispatch \(c.id) wang-fang deadline="),
                true,
                "the worker goes by id"
            )
            let unknown = await run(["grid", "start", c.id, "--as", "赵六"])
            XCTAssertEqual(unknown.status, ControlExitCode.notFound)
            XCTAssertEqual(
                unknown.errors,
                "error: no person has the id or name 赵六 (gongzhictl people list shows them)\n"
            )
            XCTAssertEqual(grid.callers.withLock { $0 }.count, 3, "nothing reached the plugin")
        }
    }

    func testThereIsOneAsTheGlobalOne() async throws {
        for command in ["report", "dispatch", "start", "handle", "verify", "close"] {
            let console = TestConsole(GridCommandLine.self)
            let status = await console.run(["grid", command, "--help"])
            XCTAssertEqual(status, 0, command)
            XCTAssertEqual(console.output.components(separatedBy: "\n  --as <person>").count, 2, console.output)
        }
    }

    func testLoggedInTheGridIsCalledOnHostSockWithTheToken() async throws {
        let adminGrid = FakeGridService()
        let hostGrid = FakeGridService()
        let token = "gzt_t1hw_c2VjcmV0"
        let people = FakePeople(tokens: [token: .with { $0.principal = "person:hu-wei" }])
        try await TwoSocketHost.with(
            admin: [adminGrid, FakeObjects()],
            host: [hostGrid, people, FakeObjects()],
            commandLine: GridCommandLine.self
        ) { sockets in
            let login = await sockets.run(["login"], input: Array(token.utf8))
            XCTAssertEqual(login.status, 0, login.errors)
            for arguments in [["grid", "categories"], ["grid", "show", "C7f3a9"]] {
                let (status, _, errors) = await sockets.run(arguments)
                XCTAssertEqual(status, 0, "\(arguments): \(errors)")
            }
            let forced = await sockets.run(["grid", "categories", "--admin"])
            XCTAssertEqual(forced.status, 0, forced.errors)
            XCTAssertEqual(hostGrid.requests.withLock { $0 }, ["ListCategories", "GetCase C7f3a9"])
            XCTAssertEqual(Set(hostGrid.callers.withLock { $0 }), ["token=\(token) as=-"])
            XCTAssertEqual(adminGrid.requests.withLock { $0 }, ["ListCategories"])
            XCTAssertEqual(adminGrid.callers.withLock { $0 }, ["token=- as=-"])
        }
    }
}
