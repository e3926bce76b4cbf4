import Foundation
import GongzhiIntake
import GongzhiOpen311
import Logging
import ServiceLifecycle
import XCTest

/// The server on 127.0.0.1, port 0, with the in-memory backend, driven by curl.
final class Open311ServerTests: XCTestCase {
    static let nowMs = RFC3339.unixMilliseconds("2026-12-07T10:00:00+08:00")!
    static let json = "application/json; charset=utf-8"
    static let xml = "text/xml; charset=utf-8"
    static let form = ["-H", "Content-Type: application/x-www-form-urlencoded; charset=utf-8"]
    static let hotline = "/open311/hotline-12345/v2"

    /// The servers' logger: only what is critical (a 500's error is logged as an error).
    static var quietLogger: Logger {
        var logger = Logger(label: "open311-tests")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` against a server started for it in a ServiceGroup, then shuts the group down gracefully and
    /// waits for the server to return.
    func withServer(
        limits: Open311Server.Limits = Open311Server.Limits(),
        _ body: (Curl, InMemoryOpen311Backend) async throws -> Void
    ) async throws {
        let backend = InMemoryOpen311Backend(receivedAtMs: Self.nowMs)
        let (ports, listening) = AsyncStream.makeStream(of: (String, Int).self)
        let logger = Self.quietLogger
        let server = Open311Server(
            address: Open311Address(host: "127.0.0.1", port: 0),
            jurisdictionID: "330199",
            discovery: .init(contact: "12345 热线办公室", keyService: "gongzhictl tokens issue --client NAME"),
            backend: backend,
            limits: limits,
            logger: logger,
            now: { Self.nowMs },
            onListening: { host, port in listening.yield((host, port)) }
        )
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let running = Task {
            defer { listening.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let (host, port) = await iterator.next() else {
            let result = await running.result
            return XCTFail("the server stopped before it listened: \(result)")
        }
        XCTAssertEqual(host, "127.0.0.1")
        XCTAssertNotEqual(port, 0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("open311-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let curl = Curl(port: port, folder: folder)
        do {
            try await body(curl, backend)
        } catch {
            await group.triggerGracefulShutdown()
            _ = await running.result
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// The errors of a JSON error array, as (code, description).
    func errors(_ answer: Curl.Answer) throws -> [(code: Int, description: String)] {
        let array = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [[String: Any]],
            answer.body
        )
        return try array.map { error in
            (try XCTUnwrap(error["code"] as? Int), try XCTUnwrap(error["description"] as? String))
        }
    }

    func testDiscoveryListsOneEndpointPerSourceInBothFormats() async throws {
        try await withServer { curl, _ in
            let json = try await curl("/open311/discovery.json")
            XCTAssertEqual(json.status, 200)
            XCTAssertEqual(json.headers["content-type"], Self.json)
            let base = curl.base
            XCTAssertEqual(
                json.body,
                #"{"changeset":"2026-12-07T10:00:00+08:00","contact":"12345 热线办公室","#
                    + #""key_service":"gongzhictl tokens issue --client NAME","endpoints":["#
                    + #"{"specification":"http://wiki.open311.org/GeoReport_v2","url":"\#(base)/open311/hotline-12345/v2","#
                    + #""changeset":"2026-12-07T10:00:00+08:00","type":"production","#
                    + #""formats":["text/xml","application/json"]},"#
                    + #"{"specification":"http://wiki.open311.org/GeoReport_v2","url":"\#(base)/open311/wechat/v2","#
                    + #""changeset":"2026-12-07T10:00:00+08:00","type":"production","#
                    + #""formats":["text/xml","application/json"]}]}"#
            )
            let xml = try await curl("/open311/discovery.xml")
            XCTAssertEqual(xml.status, 200)
            XCTAssertEqual(xml.headers["content-type"], Self.xml)
            XCTAssertTrue(xml.body.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<discovery>\n"))
            XCTAssertTrue(xml.body.contains("<url>\(base)/open311/wechat/v2</url>"))
            XCTAssertEqual(xml.body.components(separatedBy: "<endpoint>").count - 1, 2)
        }
    }

    func testDiscoveryWithoutAHostNamesTheBoundAddress() async throws {
        try await withServer { curl, _ in
            let connection = try RawConnection(port: curl.port)
            try connection.send("GET /open311/discovery.xml HTTP/1.0\r\nConnection: close\r\n\r\n")
            var answer: [UInt8] = []
            while let bytes = try connection.receive() { answer += bytes }
            let text = String(decoding: answer, as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("HTTP/1.") && text.contains(" 200 OK\r\n"), text)
            XCTAssertTrue(text.contains("<url>\(curl.base)/open311/hotline-12345/v2</url>"), text)
        }
    }

    func testServicesAndTheirDefinitionsInBothFormats() async throws {
        try await withServer { curl, _ in
            let services = InMemoryOpen311Backend.hotlineServices
            for format in [Open311Document.Format.json, .xml] {
                let list = try await curl("\(Self.hotline)/services.\(format.rawValue)?jurisdiction_id=330199")
                XCTAssertEqual(list.status, 200)
                XCTAssertEqual(list.headers["content-type"], format.contentType)
                XCTAssertEqual(list.body, Open311Document.services(services, format: format))
                let definition = try await curl("\(Self.hotline)/services/E0405.\(format.rawValue)")
                XCTAssertEqual(definition.status, 200)
                XCTAssertEqual(definition.headers["content-type"], format.contentType)
                XCTAssertEqual(definition.body, Open311Document.serviceDefinition(services[0], format: format))
            }
            let list = try await curl("\(Self.hotline)/services.json")
            XCTAssertTrue(list.body.contains(#""service_name":"道路积水""#))
            let unknown = try await curl("\(Self.hotline)/services/X9999.xml")
            XCTAssertEqual(unknown.status, 404)
            XCTAssertEqual(unknown.headers["content-type"], Self.xml)
            XCTAssertTrue(unknown.body.contains("<code>404</code>"))
            XCTAssertTrue(unknown.body.contains("there is no service \"X9999\" at hotline-12345"))
        }
    }

    func testAPostWithChineseTextAndAMultivaluelistReachesTheBackendAndAnswersTheId() async throws {
        try await withServer { curl, backend in
            let arguments =
                Self.form + [
                    "--data-urlencode", "api_key=good-key",
                    "--data-urlencode", "jurisdiction_id=330199",
                    "--data-urlencode", "service_code=E0405",
                    "--data-urlencode", "lat=30.2741",
                    "--data-urlencode", "long=120.1551",
                    "--data-urlencode", "description=文三路与学院路口积水约 20 厘米 & 车辆绕行",
                    "--data-urlencode", "first_name=李",
                    "--data-urlencode", "attribute[channel]=phone",
                    "--data-urlencode", "attribute[tags][]=urgent",
                    "--data-urlencode", "attribute[tags][]=repeat",
                    "--data-urlencode", "attribute[ticket_no]=GD20261207-0001",
                ]
            let json = try await curl.run("\(Self.hotline)/requests.json", arguments)
            XCTAssertEqual(json.status, 200, json.body)
            XCTAssertEqual(json.headers["content-type"], Self.json)
            XCTAssertEqual(
                json.body,
                #"[{"service_request_id":"hotline-12345-1","service_notice":"已受理","account_id":null}]"#
            )
            let submissions = await backend.submissions
            XCTAssertEqual(submissions.count, 1)
            let submitted = try XCTUnwrap(submissions.first)
            XCTAssertEqual(submitted.source, "hotline-12345")
            XCTAssertEqual(submitted.apiKey, "good-key")
            XCTAssertEqual(submitted.request.source, "hotline-12345")
            XCTAssertEqual(submitted.request.serviceCode, "E0405")
            XCTAssertEqual(submitted.request.jurisdictionID, "330199")
            XCTAssertEqual(submitted.request.description_p, "文三路与学院路口积水约 20 厘米 & 车辆绕行")
            XCTAssertEqual(submitted.request.firstName, "李")
            XCTAssertEqual(submitted.request.lat, 30.2741)
            XCTAssertEqual(submitted.request.long, 120.1551)
            XCTAssertEqual(submitted.request.idempotencyKey, "")
            XCTAssertEqual(submitted.request.attributes.map(\.code), ["channel", "tags", "ticket_no"])
            XCTAssertEqual(submitted.request.attributes[1].values, ["urgent", "repeat"])

            let xml = try await curl.run("\(Self.hotline)/requests.xml", arguments)
            XCTAssertEqual(xml.status, 200, xml.body)
            XCTAssertEqual(xml.headers["content-type"], Self.xml)
            XCTAssertTrue(xml.body.contains("<service_request_id>hotline-12345-2</service_request_id>"))

            let batch = try await curl(
                "\(Self.hotline)/requests.json",
                "-d",
                "api_key=good-key&service_code=P0103&address_id=B-17"
            )
            XCTAssertEqual(batch.status, 200, batch.body)
            XCTAssertEqual(batch.body, #"[{"token":"token-hotline-12345-3","service_notice":null,"account_id":null}]"#)
        }
    }

    func testADuplicatePostWithTheSameIdempotencyKeyIsAnsweredWithTheFirstId() async throws {
        try await withServer { curl, backend in
            let body =
                "api_key=good-key&service_code=E0405&address_string=%E6%96%87%E4%B8%89%E8%B7%AF"
                + "&attribute%5Bchannel%5D=web"
            let first = try await curl(
                "\(Self.hotline)/requests.json",
                "-H",
                "Idempotency-Key: 12345-GD-0001",
                "-d",
                body
            )
            let again = try await curl(
                "\(Self.hotline)/requests.json",
                "-H",
                "Idempotency-Key: 12345-GD-0001",
                "-d",
                body
            )
            let other = try await curl(
                "\(Self.hotline)/requests.json",
                "-H",
                "Idempotency-Key: 12345-GD-0002",
                "-d",
                body
            )
            XCTAssertEqual([first.status, again.status, other.status], [200, 200, 200])
            XCTAssertTrue(first.body.contains(#""service_request_id":"hotline-12345-1""#), first.body)
            XCTAssertTrue(again.body.contains(#""service_request_id":"hotline-12345-1""#), again.body)
            XCTAssertTrue(other.body.contains(#""service_request_id":"hotline-12345-2""#), other.body)
            let submissions = await backend.submissions
            XCTAssertEqual(
                submissions.map(\.request.idempotencyKey),
                ["12345-GD-0001", "12345-GD-0001", "12345-GD-0002"]
            )
            XCTAssertEqual(submissions[0].request.addressString, "文三路")
        }
    }

    func testReadsOfRequestsAndTokensInBothFormats() async throws {
        try await withServer { curl, backend in
            _ = try await curl(
                "\(Self.hotline)/requests.json",
                "-d",
                "api_key=good-key&service_code=P0103&address_id=B"
            )
            _ = try await curl(
                "\(Self.hotline)/requests.json",
                "-d",
                "api_key=good-key&service_code=E0405&address_id=B&attribute[channel]=web"
            )
            let stored = await backend.requests(source: "hotline-12345", query: Open311Query(startMs: 0, endMs: 0))
            XCTAssertEqual(stored.count, 2)
            for format in [Open311Document.Format.json, .xml] {
                let one = try await curl("\(Self.hotline)/requests/hotline-12345-2.\(format.rawValue)")
                XCTAssertEqual(one.status, 200)
                XCTAssertEqual(one.headers["content-type"], format.contentType)
                XCTAssertEqual(one.body, Open311Document.serviceRequests([stored[1]], format: format))
                let all = try await curl("\(Self.hotline)/requests.\(format.rawValue)")
                XCTAssertEqual(all.status, 200)
                XCTAssertEqual(all.body, Open311Document.serviceRequests(stored, format: format))
                let token = try await curl("\(Self.hotline)/tokens/token-hotline-12345-1.\(format.rawValue)")
                XCTAssertEqual(token.status, 200)
                XCTAssertEqual(token.headers["content-type"], format.contentType)
                XCTAssertEqual(
                    token.body,
                    Open311Document.token(
                        serviceRequestID: "hotline-12345-1",
                        token: "token-hotline-12345-1",
                        format: format
                    )
                )
            }
            let missing = try await curl("\(Self.hotline)/requests/hotline-12345-99.json")
            XCTAssertEqual(missing.status, 404)
            XCTAssertEqual(
                missing.body,
                #"[{"code":404,"description":"there is no service request \"hotline-12345-99\" at hotline-12345"}]"#
            )
            let unknownToken = try await curl("\(Self.hotline)/tokens/nope.xml")
            XCTAssertEqual(unknownToken.status, 404)
            XCTAssertTrue(unknownToken.body.contains("there is no token \"nope\""))
        }
    }

    func testTheQueryOfGetRequestsReachesTheBackendChecked() async throws {
        try await withServer { curl, backend in
            let listed = try await curl(
                "\(Self.hotline)/requests.xml?service_code=E0405%2CP0103&status=open,closed"
                    + "&start_date=2026-12-01T00:00:00%2B08:00&end_date=2026-12-07T00:00:00Z&page=2&page_size=50"
            )
            XCTAssertEqual(listed.status, 200, listed.body)
            XCTAssertEqual(
                listed.body,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests>\n</service_requests>\n"
            )
            var query = await backend.lastQuery
            XCTAssertEqual(query?.serviceCodes, ["E0405", "P0103"])
            XCTAssertEqual(query?.statuses, [.open, .closed])
            XCTAssertEqual(query?.startMs, RFC3339.unixMilliseconds("2026-11-30T16:00:00Z"))
            XCTAssertEqual(query?.endMs, RFC3339.unixMilliseconds("2026-12-07T00:00:00Z"))
            XCTAssertEqual(query?.page, 2)
            XCTAssertEqual(query?.pageSize, 50)
            XCTAssertEqual(query?.offset, 50)

            _ = try await curl("\(Self.hotline)/requests.json")
            query = await backend.lastQuery
            XCTAssertEqual(query?.endMs, Self.nowMs)
            XCTAssertEqual(query?.startMs, Self.nowMs - 90 * 86_400_000)
            XCTAssertEqual(query?.pageSize, 1_000)

            let refused: [(String, Int, String)] = [
                ("start_date=2026-08-01T00:00:00Z&end_date=2026-12-01T00:00:00Z", 400, "more than 90 days"),
                ("start_date=2026-12-01T00:00:00", 400, "\"start_date\" must be a date and time with its zone"),
                ("status=pending", 400, "\"status\" takes open, closed"),
                ("page_size=1001", 400, "\"page_size\" must be a whole number from 1 to 1000"),
                ("page=0", 400, "\"page\" must be a whole number"),
                ("service_code=X9999", 404, "there is no service \"X9999\""),
                ("jurisdiction_id=330100", 404, "jurisdiction_id \"330100\" is not served here"),
            ]
            for (arguments, status, message) in refused {
                let answer = try await curl("\(Self.hotline)/requests.json?\(arguments)")
                XCTAssertEqual(answer.status, status, arguments)
                XCTAssertEqual(answer.headers["content-type"], Self.json)
                let errors = try errors(answer)
                XCTAssertEqual(errors.map(\.code), [status])
                XCTAssertTrue(errors.first?.description.contains(message) == true, "\(arguments): \(answer.body)")
            }
        }
    }

    func testRefusalsHaveTheirStatusAndAnOpen311ErrorArray() async throws {
        try await withServer { curl, backend in
            let valid = "service_code=E0405&address_id=B&attribute[channel]=phone"
            // (path, curl arguments, status, what the description says)
            let cases: [(String, [String], Int, String)] = [
                ("\(Self.hotline)/services.csv", [], 404, "nothing is served at GET"),
                ("/open311/nowhere/v2/services.json", [], 404, "there is no Open311 endpoint \"nowhere\""),
                ("\(Self.hotline)/requests.json", ["-X", "DELETE"], 404, "nothing is served at DELETE"),
                (
                    "\(Self.hotline)/requests.json",
                    ["-d", "api_key=good-key&jurisdiction_id=110000&\(valid)"], 404,
                    "jurisdiction_id \"110000\" is not served here"
                ),
                (
                    "\(Self.hotline)/requests.json",
                    ["-d", "api_key=good-key&service_code=X1&address_id=B"], 404,
                    "there is no service \"X1\""
                ),
                ("\(Self.hotline)/requests.json", ["-d", valid], 403, "no api_key was sent"),
                (
                    "\(Self.hotline)/requests.json",
                    ["-d", "api_key=stolen&\(valid)"], 403, "the api_key is not valid for this server"
                ),
                (
                    "\(Self.hotline)/requests.json",
                    ["-H", "Content-Type: application/json", "-d", #"{"service_code":"E0405"}"#], 400,
                    "(UTF-8); Content-Type \"application/json\" was sent"
                ),
                (
                    "\(Self.hotline)/requests.json",
                    ["-H", "Content-Type: application/x-www-form-urlencoded; charset=gb18030", "-d", valid], 400,
                    "charset \"gb18030\" was sent"
                ),
                (
                    "\(Self.hotline)/requests.json",
                    ["-d", "api_key=good-key&service_code=E0405&address_id=B&description=%E7%A7"], 400,
                    "the form could not be read (form.encoding)"
                ),
                (
                    "\(Self.hotline)/requests.json",
                    ["-d", "api_key=good-key&service_code=E0405"], 400,
                    "a location is required"
                ),
                (
                    "\(Self.hotline)/requests.json",
                    ["-d", "api_key=good-key&service_code=E0405&address_id=B"], 400,
                    "attribute[channel] (来电渠道) is required for service E0405"
                ),
            ]
            for (path, arguments, status, message) in cases {
                let answer = try await curl.run(path, arguments)
                XCTAssertEqual(answer.status, status, "\(arguments)")
                XCTAssertEqual(answer.headers["content-type"], Self.json, "\(arguments)")
                let errors = try errors(answer)
                XCTAssertEqual(errors.map(\.code), [status], answer.body)
                XCTAssertTrue(errors.first?.description.contains(message) == true, "\(arguments): \(answer.body)")
                XCTAssertNil(answer.headers["retry-after"])
            }
            // Only the request with a key that passed every local check reached the backend.
            let reached = await backend.submissions.map(\.apiKey)
            XCTAssertEqual(reached, ["stolen"])

            let several = try await curl(
                "\(Self.hotline)/requests.xml",
                "-d",
                "api_key=good-key&service_code=E0405&address_id=B&attribute[tags]=soon&attribute[color]=red"
            )
            XCTAssertEqual(several.status, 400)
            XCTAssertEqual(several.headers["content-type"], Self.xml)
            XCTAssertEqual(several.body.components(separatedBy: "<error>").count - 1, 3, several.body)
            XCTAssertTrue(several.body.contains("attribute[tags] takes one of urgent, repeat, not \"soon\""))
            XCTAssertTrue(several.body.contains("service E0405 has no attribute[color]"))
            XCTAssertTrue(several.body.contains("attribute[channel] (来电渠道) is required"))
        }
    }

    func testTheBackendsRefusalsAndFailures() async throws {
        try await withServer { curl, _ in
            let valid = "service_code=E0405&address_id=B&attribute[channel]=phone"
            let busy = try await curl("\(Self.hotline)/requests.xml", "-d", "api_key=busy&\(valid)")
            XCTAssertEqual(busy.status, 429)
            XCTAssertEqual(busy.headers["retry-after"], "7")
            XCTAssertEqual(busy.headers["content-type"], Self.xml)
            XCTAssertEqual(
                busy.body,
                Open311Document.errors([(429, "too many requests from you")], format: .xml)
            )
            let down = try await curl("\(Self.hotline)/requests.json", "-d", "api_key=down&\(valid)")
            XCTAssertEqual(down.status, 503)
            XCTAssertEqual(down.headers["retry-after"], "11")
            XCTAssertEqual(down.body, #"[{"code":503,"description":"the host is not reachable"}]"#)
            let broken = try await curl("\(Self.hotline)/requests.json", "-d", "api_key=broken&\(valid)")
            XCTAssertEqual(broken.status, 500)
            XCTAssertTrue(broken.body.hasPrefix(#"[{"code":500,"description":"the server could not answer"#))
            XCTAssertFalse(broken.body.contains("Failure"))
            // The server still answers after the failure.
            let after = try await curl("\(Self.hotline)/requests.json", "-d", "api_key=good-key&\(valid)")
            XCTAssertEqual(after.status, 200)
        }
    }

    func testABodyOverTheLimitIsRefusedWithoutBeingRead() async throws {
        try await withServer { curl, backend in
            let large = curl.folder.appendingPathComponent("large.form")
            let body =
                "api_key=good-key&service_code=E0405&address_id=B&description="
                + String(repeating: "a", count: 70_000)
            try Data(body.utf8).write(to: large)
            // With Expect: 100-continue curl waits for the server before sending the body: the server answers at
            // once from Content-Length, so not one byte of the body is sent.
            let announced = try await curl(
                "\(Self.hotline)/requests.json",
                "-H",
                "Expect: 100-continue",
                "--expect100-timeout",
                "5",
                "--data-binary",
                "@\(large.path)"
            )
            XCTAssertEqual(announced.status, 413)
            XCTAssertEqual(announced.uploadedBytes, 0)
            XCTAssertEqual(announced.headers["connection"], "close")
            XCTAssertEqual(announced.headers["content-type"], Self.json)
            XCTAssertTrue(
                announced.body.contains("the body has \(body.utf8.count) bytes; a request takes at most 65536 bytes"),
                announced.body
            )
            // Chunked, the length is unknown: the server reads up to the limit and stops.
            let chunked = try await curl(
                "\(Self.hotline)/requests.xml",
                "-H",
                "Transfer-Encoding: chunked",
                "-H",
                "Expect:",
                "--data-binary",
                "@\(large.path)"
            )
            XCTAssertEqual(chunked.status, 413)
            XCTAssertTrue(chunked.body.contains("the body has more than 65536 bytes"), chunked.body)
            XCTAssertEqual(chunked.headers["connection"], "close")
            let submissions = await backend.submissions
            XCTAssertTrue(submissions.isEmpty)
        }
    }

    func testAnIdleConnectionIsClosed() async throws {
        try await withServer(limits: Open311Server.Limits(idleTimeout: .milliseconds(200))) { curl, _ in
            let connection = try RawConnection(port: curl.port)
            try connection.send("GET /open311/discovery.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answer = try XCTUnwrap(try connection.receive())
            XCTAssertTrue(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK\r\n"))
            // Kept alive after the answer, then closed by the server once idle: reading on sees the end of the
            // stream (a read that waits 10 s for nothing throws).
            while try connection.receive() != nil {}
        }
    }

    func testConnectionsOverTheCapWaitUntilOneCloses() async throws {
        try await withServer(limits: Open311Server.Limits(maximumConnections: 1)) { curl, _ in
            var held: RawConnection? = try RawConnection(port: curl.port)
            try held?.send("GET /open311/discovery.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            XCTAssertNotNil(try held?.receive())
            do {
                let answer = try await curl("/open311/discovery.json", "--max-time", "1")
                XCTFail("a second connection was served while the first was open: \(answer.status)")
            } catch let failure as Curl.Failure {
                XCTAssertTrue(failure.description.contains("exited with 28"), failure.description)
            }
            held = nil
            let served = try await curl("/open311/discovery.json")
            XCTAssertEqual(served.status, 200)
        }
    }

    func testAnAddressInUseMakesRunThrow() async throws {
        try await withServer { curl, backend in
            let second = Open311Server(
                address: Open311Address(host: "127.0.0.1", port: curl.port),
                jurisdictionID: "330199",
                discovery: .init(contact: "", keyService: ""),
                backend: backend,
                logger: Self.quietLogger,
                onListening: { _, _ in XCTFail("a second server listened on a port in use") }
            )
            do {
                try await second.run()
                XCTFail("run returned without an error")
            } catch {
                XCTAssertTrue("\(error)".contains("Address already in use"), "\(error)")
            }
        }
    }
}
