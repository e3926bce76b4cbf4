import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// The object commands of `gongzhictl` against a running host holding the sample community, loaded the way
/// an operator loads it (Deploy/samples/load.sh).
final class ObjectCommandsEndToEndTests: XCTestCase {
    func ctl(_ arguments: [String], socket: String) async throws -> ControlEndToEndTests.Outcome {
        try await ControlEndToEndTests.ctl(arguments, socket: socket)
    }

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    func testObjectCommandsWorkOnTheSampleCommunity() async throws {
        let host = try await HostUnderTest(plugins: [])
        addTeardownBlock { await host.stop() }
        let socket = host.adminSocket

        // Load the sample community with its script, as the README's run command does.
        let load = try CompletedProcess.run(
            "/bin/bash",
            [Self.repositoryRoot + "/Deploy/samples/load.sh", "--socket", socket],
            environment: [
                "GONGZHI_SAMPLES_BIN": try BuiltExecutables.path("gongzhi-samples"),
                "GONGZHICTL_BIN": try BuiltExecutables.path("gongzhictl"),
                "PATH": "/usr/bin:/bin",
            ]
        )
        let loadOutput = load.outputText
        let loadErrors = load.errors
        XCTAssertEqual(load.status, 0, loadErrors)
        XCTAssertTrue(loadOutput.contains("created 28,731"), loadOutput)
        XCTAssertTrue(loadErrors.contains("applying"), "progress is shown: \(loadErrors.suffix(300))")

        // get: kinds, a table, a selector, JSON.
        let kinds = try await ctl(["get", "kinds"], socket: socket)
        XCTAssertEqual(kinds.status, 0, kinds.errors)
        XCTAssertTrue(kinds.output.contains("Resident") && kinds.output.contains("id_card_number"), kinds.output)
        let grids = try await ctl(["get", "grids"], socket: socket)
        XCTAssertEqual(grids.status, 0, grids.errors)
        XCTAssertEqual(grids.output.split(separator: "\n").count, 17, "a header and 16 grids: \(grids.output)")
        let volunteers = try await ctl(["get", "residents", "-l", "volunteer=true", "-o", "json"], socket: socket)
        XCTAssertEqual(volunteers.status, 0, volunteers.errors)
        let list = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(volunteers.output.utf8)) as? [[String: Any]]
        )
        XCTAssertEqual(list.count, 1192)
        let first = try XCTUnwrap(list.first)
        let id = try XCTUnwrap(first["id"] as? String)
        XCTAssertEqual(first["kind"] as? String, "Resident")
        XCTAssertEqual((first["labels"] as? [String: String])?["volunteer"], "true")

        // describe, and the administrator's read of personal data is audited.
        let described = try await ctl(["describe", "resident", id], socket: socket)
        XCTAssertEqual(described.status, 0, described.errors)
        XCTAssertTrue(described.output.contains(id) && described.output.contains("idCardNumber"), described.output)
        let audit = try await ctl(["audit", "--limit", "5", "-o", "json"], socket: socket)
        XCTAssertTrue(audit.output.contains("personal-data") && audit.output.contains(id), audit.output)
        let missing = try await ctl(["describe", "resident", "R-nobody"], socket: socket)
        XCTAssertEqual(missing.status, 4)

        // watch sees an apply of an edited document and a delete: from the store's revision now, so that it
        // misses nothing however long it takes to start.
        let now = try await Gongzhi_Host_V1_ObjectsClient(channel: host.admin).list(
            Gongzhi_Host_V1_ListRequest.with {
                $0.kind = "Resident"
                $0.pageSize = 1
            }
        ).revision
        let watchOutput = host.directory.file("watch.out")
        let watch = try ChildProcess(
            try BuiltExecutables.path("gongzhictl"),
            ["watch", "residents", "--since", String(now), "--socket", socket],
            outputPath: watchOutput
        )
        addTeardownBlock { await watch.stop() }
        let yaml = try await ctl(["get", "resident", id, "-o", "yaml"], socket: socket)
        XCTAssertEqual(yaml.status, 0, yaml.errors)
        let edited = yaml.output.replacingOccurrences(of: "volunteer: 'true'", with: "volunteer: 'false'")
            .replacingOccurrences(of: "volunteer: \"true\"", with: "volunteer: \"false\"")
            .replacingOccurrences(of: "volunteer: true", with: "volunteer: 'false'")
        XCTAssertNotEqual(edited, yaml.output, yaml.output)
        let file = host.directory.file("edited.yaml")
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        let applied = try await ctl(["apply", "-f", file], socket: socket)
        XCTAssertEqual(applied.status, 0, applied.errors)
        XCTAssertTrue(applied.output.contains("updated 1"), applied.output)
        let again = try await ctl(["apply", "-f", file], socket: socket)
        XCTAssertTrue(again.output.contains("unchanged 1"), again.output)
        let deleted = try await ctl(["delete", "resident", id], socket: socket)
        XCTAssertEqual(deleted.status, 0, deleted.errors)
        try await watch.waitForOutput("DELETED Resident/\(id)")
        XCTAssertTrue(watch.output.contains("MODIFIED Resident/\(id)"), watch.output)
        let count = try await ctl(["get", "residents", "-l", "volunteer=true", "-o", "json"], socket: socket)
        let remaining = try JSONSerialization.jsonObject(with: Data(count.output.utf8)) as? [Any]
        XCTAssertEqual(remaining?.count, 1191)

        try await staffActWithinTheirPlaces(host)
    }

    /// Every object of `kind` that `objects` lists, page by page.
    func listAll(
        _ objects: Gongzhi_Host_V1_ObjectsClient,
        _ kind: String,
        labels: String = ""
    ) async throws
        -> [Gongzhi_Host_V1_Object]
    {
        var all: [Gongzhi_Host_V1_Object] = []
        var token = ""
        repeat {
            let page = try await objects.list(
                .with {
                    $0.kind = kind
                    $0.labelSelector = labels
                    $0.pageSize = 1_000
                    $0.pageToken = token
                }
            )
            all += page.objects
            token = page.nextPageToken
        } while !token.isEmpty
        return all
    }

    /// The sample's staff were accepted with their bindings, and a grid worker sees the households and residents
    /// of their grid only (by the grid codes the sample gives them), with their personal data; a dispatcher bound
    /// to the street sees every grid's. Applying the staff again changes nothing.
    func staffActWithinTheirPlaces(_ host: HostUnderTest) async throws {
        let admin = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        func acting(_ person: String) -> Gongzhi_Host_V1_ObjectsClient {
            Gongzhi_Host_V1_ObjectsClient(
                channel: MetadataAddingChannel(base: host.admin, metadata: ["gongzhi-act-as": person])
            )
        }
        let persons = try await listAll(admin, "Person")
        XCTAssertEqual(persons.count, 24)
        let bindings = try await listAll(admin, "RoleBinding")
        XCTAssertEqual(bindings.count, 24)
        let huWei = try XCTUnwrap(bindings.first { $0.id == "hu-wei.grid-worker.330199001001001" })
        let binding = try Gongzhi_Core_V1_RoleBinding(serializedBytes: huWei.data)
        XCTAssertEqual(binding.grantedBy, "admin:uid=\(getuid())")

        let grid1 = "330199001001001"
        let inGrid1 = try await listAll(admin, "Household", labels: "grid=\(grid1)")
        XCTAssertGreaterThan(inGrid1.count, 0)
        let seen = try await listAll(acting("hu-wei"), "Household")
        XCTAssertEqual(Set(seen.map(\.id)), Set(inGrid1.map(\.id)), "胡伟 sees grid 1's households, and only them")
        let residents = try await listAll(acting("hu-wei"), "Resident")
        XCTAssertGreaterThan(residents.count, 0)
        let residentsInGrid1 = try await listAll(admin, "Resident", labels: "grid=\(grid1)")
        XCTAssertEqual(residents.count, residentsInGrid1.count)
        for object in residents {
            let resident = try Gongzhi_Core_V1_Resident(serializedBytes: object.data)
            XCTAssertEqual(resident.gridCode, grid1, object.id)
            XCTAssertEqual(resident.idCardNumber.count, 18, "a grid worker sees personal data in their grid")
        }
        let elsewhere = try await listAll(admin, "Household", labels: "grid=330199001001002")
        let outside = try XCTUnwrap(elsewhere.first)
        do {
            _ = try await acting("hu-wei").get(
                .with {
                    $0.kind = "Household"
                    $0.id = outside.id
                }
            )
            XCTFail("a household of grid 2 was shown to grid 1's worker")
        } catch {
            XCTAssertEqual(RPCError(wrapping: error).code, .permissionDenied, "\(error)")
        }
        let dispatcherSees = try await listAll(acting("li-jianjun"), "Household")
        XCTAssertEqual(dispatcherSees.count, 7_191, "the street's dispatcher sees every grid")

        // The staff's documents applied again: the host's own fields (who granted a binding, and when) do not
        // count as a difference.
        let generated = try CompletedProcess.run(try BuiltExecutables.path("gongzhi-samples"), ["x-community"])
        XCTAssertEqual(generated.status, 0, generated.errors)
        let staffLines = generated.outputText.split(separator: "\n").filter {
            $0.hasPrefix(#"{"kind":"Person""#) || $0.hasPrefix(#"{"kind":"RoleBinding""#)
        }
        XCTAssertEqual(staffLines.count, 48)
        let file = host.directory.file("staff.jsonl")
        try (staffLines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let again = try await ctl(["apply", "-f", file], socket: host.adminSocket)
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.output.contains("unchanged 48"), again.output)
    }
}
