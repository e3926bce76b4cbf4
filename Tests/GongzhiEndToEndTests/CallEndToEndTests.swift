import Foundation
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// `gongzhictl call`, `services` and `describe service` against the real host: the test plugin stands in for a
/// third party's module that ships no command line, and the grid plugin answers the call the README shows.
final class CallEndToEndTests: XCTestCase {
    private func ctl(_ arguments: [String], socket: String) async throws -> ControlEndToEndTests.Outcome {
        try await ControlEndToEndTests.ctl(arguments, socket: socket)
    }

    private func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testAThirdPartysServiceIsCalledInEveryShapeWithoutACommandOfItsOwn() async throws {
        let host = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("acme")])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("acme")
        let socket = host.adminSocket

        let services = try await ctl(["services"], socket: socket)
        XCTAssertEqual(services.status, 0, services.errors)
        let rows = services.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertTrue(rows.contains(["gongzhi.test.v1.Echo", "acme", "yes", "4", "yes"]), services.output)
        XCTAssertTrue(rows.contains(["gongzhi.host.v1.Admin", "host", "yes", "13", "yes"]), services.output)

        // Unary: the request's bytes field in base64 comes back, and the plugin saw the host as its caller.
        let unary = try await ctl(
            ["call", "gongzhi.test.v1.Echo/Unary", "-d", #"{"text": "你好", "payload": "AQID"}"#, "-o", "json"],
            socket: socket
        )
        XCTAssertEqual(unary.status, 0, unary.errors)
        XCTAssertEqual(unary.output.split(separator: "\n").count, 1)
        let answer = try object(unary.output)
        XCTAssertEqual(answer["text"] as? String, "你好")
        XCTAssertEqual(answer["payload"] as? String, "AQID")
        XCTAssertEqual(answer["sequence"] as? Int, 1)
        XCTAssertTrue((answer["peer"] as? String)?.contains("uid=") == true, unary.output)

        // Server streaming: one document a line, until the stream ends.
        let expand = try await ctl(
            ["call", "gongzhi.test.v1.Echo/Expand", "-d", #"{"text": "x", "repeat": 3}"#],
            socket: socket
        )
        XCTAssertEqual(expand.status, 0, expand.errors)
        XCTAssertEqual(
            expand.output,
            #"{"text":"x","sequence":1}"# + "\n" + #"{"text":"x","sequence":2}"# + "\n" + #"{"text":"x","sequence":3}"#
                + "\n"
        )

        // Client streaming and bidirectional: one request a line.
        let requests = #"{"text": "a"}"# + "\n" + #"{"text": "b", "payload": "Bw=="}"# + "\n"
        let collect = try await ctl(
            ["call", "gongzhi.test.v1.Echo/Collect", "-d", requests, "-o", "json"],
            socket: socket
        )
        XCTAssertEqual(collect.status, 0, collect.errors)
        let collected = try object(collect.output)
        XCTAssertEqual(collected["text"] as? String, "ab")
        XCTAssertEqual(collected["sequence"] as? Int, 2)
        let chat = try await ctl(["call", "gongzhi.test.v1.Echo/Chat", "-d", requests], socket: socket)
        XCTAssertEqual(chat.status, 0, chat.errors)
        XCTAssertEqual(
            chat.output,
            #"{"text":"a","sequence":1}"# + "\n" + #"{"payload":"Bw==","text":"b","sequence":2}"# + "\n"
        )

        // A bad field name is refused naming it, before anything is sent.
        let misspelt = try await ctl(["call", "gongzhi.test.v1.Echo/Unary", "-d", #"{"txet": "x"}"#], socket: socket)
        XCTAssertEqual(misspelt.status, 2)
        XCTAssertEqual(
            misspelt.errors,
            "error: the request is not a valid gongzhi.test.v1.EchoRequest: unknown field \"txet\" in "
                + "gongzhi.test.v1.EchoRequest (did you mean text?)\n"
        )
        let wrongType = try await ctl(
            ["call", "gongzhi.test.v1.Echo/Expand", "-d", #"{"repeat": -1}"#],
            socket: socket
        )
        XCTAssertEqual(wrongType.status, 2)
        XCTAssertTrue(
            wrongType.errors.contains("repeat: expected a whole number from 0 to 4294967295"),
            wrongType.errors
        )

        // The plugin's own refusal, with its status.
        let failed = try await ctl(
            ["call", "gongzhi.test.v1.Echo/Unary", "-d", #"{"fail_code": 5, "fail_message": "no such echo"}"#],
            socket: socket
        )
        XCTAssertEqual(failed.status, 4, failed.errors)
        XCTAssertEqual(failed.errors, "error: no such echo\n")

        let method = try await ctl(["call", "gongzhi.test.v1.Echo/Shout"], socket: socket)
        XCTAssertEqual(method.status, 4)
        XCTAssertTrue(method.errors.contains("its methods are Chat, Collect, Expand, Unary"), method.errors)

        let described = try await ctl(["describe", "service", "gongzhi.test.v1.Probe"], socket: socket)
        XCTAssertEqual(described.status, 0, described.errors)
        let lines = described.output.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        XCTAssertTrue(lines.contains { $0.hasPrefix("CallHost unary") }, described.output)
        XCTAssertTrue(lines.contains { $0.hasPrefix("People server streaming") }, described.output)
        XCTAssertTrue(lines.contains { $0.hasPrefix("phone 2 string sensitive") }, described.output)
        XCTAssertTrue(
            described.output.contains("  environment    3       map<string, string>"),
            described.output
        )

        // The host's own services are called the same way.
        let status = try await ctl(["call", "gongzhi.host.v1.Admin/Status", "-o", "json"], socket: socket)
        XCTAssertEqual(status.status, 0, status.errors)
        XCTAssertEqual(try object(status.output)["pid"] as? Int, Int(host.process.pid))
    }

    func testTheGridPluginLocatesThePointOfTheREADME() async throws {
        let host = try await HostUnderTest(plugins: [try GridEndToEndTests.gridPlugin(environment: [:])])
        addTeardownBlock { await host.stop() }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        try await GridEndToEndTests.createWorld(objects)
        // A grid around the README's point, in the second community.
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = "330199001002002"
        grid.name = "网格 002"
        grid.communityCode = "330199001002"
        grid.polygon.outer.points = [
            (120.14, 30.27), (120.15, 30.27), (120.15, 30.28), (120.14, 30.28), (120.14, 30.27),
        ]
        .map { corner in
            .with {
                $0.longitude = corner.0
                $0.latitude = corner.1
            }
        }
        var create = Gongzhi_Host_V1_CreateRequest()
        create.object.kind = "Grid"
        create.object.id = grid.code
        create.object.parent = grid.communityCode
        create.object.data = try grid.serializedBytes()
        _ = try await objects.create(create)
        try await host.waitUntil("grid")
        let socket = host.adminSocket

        let request = #"{"point":{"longitude":120.1455,"latitude":30.276}}"#
        var located = try await ctl(["call", "gongzhi.grid.v1.GridService/Locate", "-d", request], socket: socket)
        // The plugin learns of the grid through a watch: give it a moment.
        let deadline = ContinuousClock.now + .seconds(20)
        while located.status != 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            located = try await ctl(["call", "gongzhi.grid.v1.GridService/Locate", "-d", request], socket: socket)
        }
        XCTAssertEqual(located.status, 0, located.errors + "\n--- host log:\n" + host.log)
        XCTAssertEqual(
            located.output,
            """
            {
              "grid_code": "330199001002002",
              "grid_name": "网格 002",
              "community_code": "330199001002",
              "street_code": "330199001"
            }

            """
        )

        let misspelt = try await ctl(
            ["call", "gongzhi.grid.v1.GridService/Locate", "-d", #"{"point":{"longitude":120.1455,"lat":30.276}}"#],
            socket: socket
        )
        XCTAssertEqual(misspelt.status, 2)
        XCTAssertEqual(
            misspelt.errors,
            "error: the request is not a valid gongzhi.grid.v1.LocateRequest: point: unknown field \"lat\" in "
                + "gongzhi.core.v1.Point (did you mean latitude?)\n"
        )
        let notANumber = try await ctl(
            ["call", "gongzhi.grid.v1.GridService/Locate", "-d", #"{"point":{"longitude":"abc"}}"#],
            socket: socket
        )
        XCTAssertEqual(notANumber.status, 2)
        XCTAssertEqual(
            notANumber.errors,
            "error: the request is not a valid gongzhi.grid.v1.LocateRequest: point.longitude: expected a number, "
                + "not \"abc\"\n"
        )
        let nowhere = try await ctl(
            ["call", "gongzhi.grid.v1.GridService/Locate", "-d", #"{"point":{"longitude":121.5,"latitude":30.276}}"#],
            socket: socket
        )
        XCTAssertEqual(nowhere.status, 4, nowhere.errors)
        XCTAssertTrue(nowhere.errors.contains("no grid contains"), nowhere.errors)

        let described = try await ctl(["describe", "service", "gongzhi.grid.v1.GridService/GetCase"], socket: socket)
        XCTAssertEqual(described.status, 0, described.errors)
        let phone = described.output.split(separator: "\n").first { $0.hasPrefix("  phone ") }
        XCTAssertTrue(phone?.hasSuffix("sensitive") == true, described.output)
    }
}
