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
        XCTAssertTrue(loadOutput.contains("created 28,683"), loadOutput)
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
    }
}
