import Foundation
import GongzhiControlTestSupport
import GongzhiExampleSchemas
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

@testable import GongzhiControl

/// The notice board as a plugin would serve it, recording the requests it decoded.
final class FakeNoticeBoard: Gongzhi_Example_V1_NoticeBoardHandler {
    let posted = Mutex<[Gongzhi_Example_V1_PostRequest]>([])
    let listed = Mutex<[Gongzhi_Example_V1_ListRequest]>([])

    static func notice(
        _ number: UInt64,
        _ title: String,
        community: String = "310115007001"
    )
        -> Gongzhi_Example_V1_Notice
    {
        .with {
            $0.number = number
            $0.title = title
            $0.community = community
            $0.postedBy = "admin:uid=1000"
            $0.postedAtMs = Fixtures.nowMs
        }
    }

    func post(
        request: Gongzhi_Example_V1_PostRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Example_V1_Notice {
        guard !request.title.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "a notice needs a title")
        }
        posted.withLock { $0.append(request) }
        var notice = Self.notice(7, request.title, community: request.community)
        notice.body = request.body
        return notice
    }

    func list(
        request: Gongzhi_Example_V1_ListRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Example_V1_ListResponse {
        listed.withLock { $0.append(request) }
        if request.community == "withheld" {
            context.responseMetadata = ["gongzhi-redacted-fields": "notices[0].body,notices[1].body"]
        }
        return .with { $0.notices = [Self.notice(2, "停水通知"), Self.notice(1, "义诊")] }
    }

    func follow(
        request: Gongzhi_Example_V1_FollowRequest,
        responses: RPCResponseWriter<Gongzhi_Example_V1_Notice>,
        context: ServerCallContext
    ) async throws {
        for number in 1...3 {
            try await responses.write(Self.notice(UInt64(number), "通知 \(number)", community: request.community))
        }
    }
}

/// `gongzhictl call`, `services` and `describe service|message` against an in-process host on a real socket:
/// the Admin service lists the notice board with its real descriptors, and the notice board answers.
final class CallCommandTests: XCTestCase {
    typealias Run = ([String], [UInt8]) async -> (status: Int32, output: String, errors: String)

    /// A service listed without descriptors, as a C plugin registers it today.
    static let sensorsService = Gongzhi_Host_V1_ServiceInfo.with {
        $0.name = "gongzhi.sensors.v1.Sensors"
        $0.plugin = "sensors"
        $0.available = true
        $0.methods = [
            .with {
                $0.name = "Check"
                $0.kind = .unary
            }
        ]
    }

    private func withFakeHost(_ body: (Run, FakeAdmin, FakeNoticeBoard) async throws -> Void) async throws {
        let admin = FakeAdmin(services: [Fixtures.noticeboardService, Self.sensorsService])
        let board = FakeNoticeBoard()
        try await withRPCServer(services: [admin, board, FakeObjects()]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments, input in
                    let console = TestConsole(environment: ["GONGZHI_ADMIN_SOCKET": socket], input: input)
                    let status = await console.run(arguments)
                    return (status, console.output, console.errors)
                },
                admin,
                board
            )
        }
    }

    // MARK: call

    func testAUnaryCallEncodesTheRequestAndPrintsTheAnswerAsJSON() async throws {
        try await withFakeHost { run, _, board in
            let post = await run(
                [
                    "call", "gongzhi.example.v1.NoticeBoard/Post", "-d",
                    #"{"title": "停水通知", "body": "明天 8:00-12:00", "community": "310115007001"}"#,
                ],
                []
            )
            XCTAssertEqual(post.status, 0, post.errors)
            XCTAssertEqual(post.errors, "")
            XCTAssertEqual(
                post.output,
                """
                {
                  "number": "7",
                  "title": "停水通知",
                  "body": "明天 8:00-12:00",
                  "community": "310115007001",
                  "posted_by": "admin:uid=1000",
                  "posted_at_ms": "\(Fixtures.nowMs)"
                }

                """
            )
            XCTAssertEqual(
                board.posted.withLock { $0 },
                [
                    .with {
                        $0.title = "停水通知"
                        $0.body = "明天 8:00-12:00"
                        $0.community = "310115007001"
                    }
                ]
            )

            let compact = await run(
                ["call", "NoticeBoard/Post", "-d", #"{"title": "义诊"}"#, "-o", "json", "--json-names"],
                []
            )
            XCTAssertEqual(compact.status, 0, compact.errors)
            XCTAssertEqual(
                compact.output,
                #"{"number":"7","title":"义诊","postedBy":"admin:uid=1000","postedAtMs":"\#(Fixtures.nowMs)"}"# + "\n"
            )
        }
    }

    func testTheRequestComesFromAFileOrStandardInputAndIsEmptyWithoutEither() async throws {
        try await withFakeHost { run, _, board in
            let files = try TemporaryDirectory(prefix: "gzcall")
            let path = files.file("list.json")
            try #"{"community": "310115007001", "limit": 5}"#.write(toFile: path, atomically: true, encoding: .utf8)
            let fromFile = await run(["call", "gongzhi.example.v1.NoticeBoard/List", "-f", path, "-o", "json"], [])
            XCTAssertEqual(fromFile.status, 0, fromFile.errors)
            XCTAssertEqual(fromFile.output.split(separator: "\n").count, 1, "one line with -o json")
            XCTAssertTrue(fromFile.output.hasPrefix(#"{"notices":[{"number":"2","title":"停水通知""#), fromFile.output)

            let fromInput = await run(["call", "NoticeBoard/List", "-f", "-"], Array(#"{"limit": "3"}"#.utf8))
            XCTAssertEqual(fromInput.status, 0, fromInput.errors)
            let empty = await run(["call", "NoticeBoard.List"], [])
            XCTAssertEqual(empty.status, 0, empty.errors)
            XCTAssertEqual(
                board.listed.withLock { $0 },
                [
                    .with {
                        $0.community = "310115007001"
                        $0.limit = 5
                    },
                    .with { $0.limit = 3 },
                    Gongzhi_Example_V1_ListRequest(),
                ]
            )
        }
    }

    func testAServerStreamingCallPrintsOneDocumentALine() async throws {
        try await withFakeHost { run, _, _ in
            let expected = (1...3).map {
                #"{"number":"\#($0)","title":"通知 \#($0)","community":"c7","posted_by":"admin:uid=1000","posted_at_ms":"\#(Fixtures.nowMs)"}"#
                    + "\n"
            }.joined()
            for format in [[], ["-o", "json"]] {
                let follow = await run(
                    ["call", "gongzhi.example.v1.NoticeBoard/Follow", "-d", #"{"community": "c7"}"#] + format,
                    []
                )
                XCTAssertEqual(follow.status, 0, follow.errors)
                XCTAssertEqual(follow.output, expected)
            }
            let yaml = await run(["call", "NoticeBoard/Follow", "-o", "yaml"], [])
            XCTAssertEqual(yaml.status, 0, yaml.errors)
            XCTAssertEqual(yaml.output.components(separatedBy: "---\n").count, 4, yaml.output)
        }
    }

    func testPersonalDataTheHostWithheldIsNotedOnStandardError() async throws {
        try await withFakeHost { run, _, _ in
            let list = await run(["call", "NoticeBoard/List", "-d", #"{"community": "withheld"}"#], [])
            XCTAssertEqual(list.status, 0, list.errors)
            XCTAssertEqual(
                list.errors,
                "note: the host withheld personal data from the answer: notices[0].body, notices[1].body "
                    + "(the caller lacks the grant to read it)\n"
            )
        }
    }

    func testABadFieldIsRefusedNamingItAndNothingIsSent() async throws {
        try await withFakeHost { run, _, board in
            let misspelt = await run(["call", "NoticeBoard/Post", "-d", #"{"titel": "停水"}"#], [])
            XCTAssertEqual(misspelt.status, ControlExitCode.usage)
            XCTAssertEqual(
                misspelt.errors,
                "error: the request is not a valid gongzhi.example.v1.PostRequest: unknown field \"titel\" in "
                    + "gongzhi.example.v1.PostRequest (did you mean title?)\n"
            )
            let wrongType = await run(["call", "NoticeBoard/List", "-d", #"{"limit": "ten"}"#], [])
            XCTAssertEqual(wrongType.status, ControlExitCode.usage)
            XCTAssertEqual(
                wrongType.errors,
                "error: the request is not a valid gongzhi.example.v1.ListRequest: limit: expected a whole number, "
                    + "not \"ten\"\n"
            )
            let files = try TemporaryDirectory(prefix: "gzcall")
            let path = files.file("post.json")
            try "{\n  \"title\": \"停水\",\n  \"community\": 310115\n}\n".write(
                toFile: path,
                atomically: true,
                encoding: .utf8
            )
            let inFile = await run(["call", "NoticeBoard/Post", "-f", path], [])
            XCTAssertEqual(
                inFile.errors,
                "error: the request is not a valid gongzhi.example.v1.PostRequest: community: expected a string, "
                    + "not 310115 (\(path), line 3)\n"
            )
            let notJSON = await run(["call", "NoticeBoard/Post", "-d", #"{"title": }"#], [])
            XCTAssertEqual(notJSON.status, ControlExitCode.usage)
            XCTAssertEqual(
                notJSON.errors,
                "error: the request is not JSON (-d, column 11): expected a value (an object, list, string, number, "
                    + "true, false or null)\n"
            )
            let two = await run(["call", "NoticeBoard/Post", "-d", #"{"title": "a"} {"title": "b"}"#], [])
            XCTAssertEqual(two.status, ControlExitCode.usage)
            XCTAssertEqual(
                two.errors,
                "error: Post is a unary method and takes one request, but -d holds 2 JSON documents\n"
            )
            XCTAssertEqual(board.posted.withLock { $0 }, [], "nothing was sent")
        }
    }

    func testUnknownServicesAndMethodsAreNamedWithWhatThereIs() async throws {
        try await withFakeHost { run, _, _ in
            let service = await run(["call", "gongzhi.example.v1.NoticeBord/List"], [])
            XCTAssertEqual(service.status, ControlExitCode.notFound)
            XCTAssertEqual(
                service.errors,
                "error: no service gongzhi.example.v1.NoticeBord on this host (did you mean "
                    + "gongzhi.example.v1.NoticeBoard?); it serves gongzhi.example.v1.NoticeBoard, "
                    + "gongzhi.sensors.v1.Sensors (gongzhictl services lists them)\n"
            )
            let method = await run(["call", "gongzhi.example.v1.NoticeBoard/Lst"], [])
            XCTAssertEqual(method.status, ControlExitCode.notFound)
            XCTAssertEqual(
                method.errors,
                "error: gongzhi.example.v1.NoticeBoard has no method Lst (did you mean List?); its methods are "
                    + "Follow, List, Post (gongzhictl describe service gongzhi.example.v1.NoticeBoard)\n"
            )
            let target = await run(["call", "NoticeBoard"], [])
            XCTAssertEqual(target.status, ControlExitCode.usage)
            XCTAssertTrue(target.errors.contains("name the method as SERVICE/METHOD"), target.errors)
        }
    }

    func testAServiceWithoutDescriptorsIsRefusedSayingWhy() async throws {
        try await withFakeHost { run, _, _ in
            let check = await run(["call", "gongzhi.sensors.v1.Sensors/Check", "-d", "{}"], [])
            XCTAssertEqual(check.status, ControlExitCode.failed)
            XCTAssertTrue(
                check.errors.hasPrefix(
                    "error: plugin sensors registered no descriptors for gongzhi.sensors.v1.Sensors; gongzhictl call "
                        + "needs them"
                ),
                check.errors
            )
            XCTAssertTrue(check.errors.contains("a Swift plugin sends them from its generated stubs"), check.errors)
        }
    }

    func testThePluginsRefusalIsShownAsItIs() async throws {
        try await withFakeHost { run, _, _ in
            let refused = await run(["call", "NoticeBoard/Post", "-d", #"{"body": "没有标题"}"#], [])
            XCTAssertEqual(refused.status, ControlExitCode.failed)
            XCTAssertEqual(refused.errors, "error: a notice needs a title\n")
        }
    }

    // MARK: services and describe

    func testServicesListsWhatTheHostServes() async throws {
        try await withFakeHost { run, _, _ in
            let table = await run(["services"], [])
            XCTAssertEqual(table.status, 0, table.errors)
            XCTAssertEqual(
                table.output,
                """
                SERVICE                         PLUGIN       AVAILABLE  METHODS  DESCRIPTORS
                gongzhi.example.v1.NoticeBoard  noticeboard  yes        3        yes
                gongzhi.sensors.v1.Sensors      sensors      yes        1        none

                """
            )
            let json = await run(["services", "-o", "json"], [])
            XCTAssertEqual(json.status, 0, json.errors)
            let document = try XCTUnwrap(
                try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            )
            let services = try XCTUnwrap(document["services"] as? [[String: Any]])
            XCTAssertEqual(
                services.map { $0["name"] as? String },
                ["gongzhi.example.v1.NoticeBoard", "gongzhi.sensors.v1.Sensors"]
            )
            XCTAssertEqual(services.map { $0["descriptors"] as? Bool }, [true, false])
            let methods = try XCTUnwrap(services[0]["methods"] as? [[String: Any]])
            XCTAssertEqual(methods.first?["kind"] as? String, "server_streaming")
            XCTAssertEqual(methods.first?["output_type"] as? String, "gongzhi.example.v1.Notice")
        }
    }

    func testDescribeServiceShowsMethodsAndMessages() async throws {
        try await withFakeHost { run, _, _ in
            let described = await run(["describe", "service", "gongzhi.example.v1.NoticeBoard"], [])
            XCTAssertEqual(described.status, 0, described.errors)
            XCTAssertEqual(
                described.output,
                """
                service:  gongzhi.example.v1.NoticeBoard
                plugin:   noticeboard

                METHOD  KIND              REQUEST                           ANSWER
                Follow  server streaming  gongzhi.example.v1.FollowRequest  stream of gongzhi.example.v1.Notice
                List    unary             gongzhi.example.v1.ListRequest    gongzhi.example.v1.ListResponse
                Post    unary             gongzhi.example.v1.PostRequest    gongzhi.example.v1.Notice

                message gongzhi.example.v1.FollowRequest
                  FIELD      NUMBER  TYPE
                  community  1       string

                message gongzhi.example.v1.Notice
                  FIELD         NUMBER  TYPE
                  number        1       uint64
                  title         2       string
                  body          3       string
                  community     4       string
                  posted_by     5       string
                  posted_at_ms  6       int64

                message gongzhi.example.v1.ListRequest
                  FIELD      NUMBER  TYPE
                  community  1       string
                  limit      2       uint32

                message gongzhi.example.v1.ListResponse
                  FIELD    NUMBER  TYPE
                  notices  1       repeated gongzhi.example.v1.Notice

                message gongzhi.example.v1.PostRequest
                  FIELD      NUMBER  TYPE
                  title      1       string
                  body       2       string
                  community  3       string

                """
            )
            let method = await run(["describe", "service", "NoticeBoard/post"], [])
            XCTAssertEqual(method.status, 0, method.errors)
            XCTAssertTrue(method.output.contains("Post    unary"), method.output)
            XCTAssertFalse(method.output.contains("Follow"), method.output)
            XCTAssertFalse(method.output.contains("ListRequest"), method.output)

            let message = await run(["describe", "message", "ListResponse"], [])
            XCTAssertEqual(message.status, 0, message.errors)
            XCTAssertTrue(
                message.output.hasPrefix(
                    "defined for:  gongzhi.example.v1.NoticeBoard\n\nmessage gongzhi.example.v1.ListResponse\n"
                ),
                message.output
            )
            XCTAssertTrue(message.output.contains("message gongzhi.example.v1.Notice\n"), message.output)

            let json = await run(["describe", "service", "NoticeBoard", "-o", "json"], [])
            XCTAssertEqual(json.status, 0, json.errors)
            let document = try XCTUnwrap(
                try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            )
            let messages = try XCTUnwrap(document["messages"] as? [[String: Any]])
            XCTAssertEqual(messages.count, 5)
            let notice = try XCTUnwrap(messages.first { $0["name"] as? String == "gongzhi.example.v1.Notice" })
            let fields = try XCTUnwrap(notice["fields"] as? [[String: Any]])
            XCTAssertEqual(fields[4]["json_name"] as? String, "postedBy")
            XCTAssertEqual(fields[4]["sensitive"] as? Bool, false)
        }
    }

    func testDescribeMarksSensitiveFieldsAndNamesWhatIsMissing() async throws {
        let grid = try HostedService(
            .with {
                $0.name = "gongzhi.grid.v1.GridService"
                $0.plugin = "grid"
                $0.available = true
                $0.methods = [
                    .with {
                        $0.name = "GetCase"
                        $0.kind = .unary
                        $0.inputType = "gongzhi.grid.v1.GetCaseRequest"
                        $0.outputType = "gongzhi.grid.v1.Case"
                    }
                ]
                $0.fileDescriptorSet = try XCTUnwrap(
                    RPCFileDescriptorSet(base64: Gongzhi_Grid_V1_GridService.fileDescriptorSetBase64)
                ).bytes
            }
        )
        let text = ServiceOutput.detail(grid)
        let reporter = try XCTUnwrap(
            text.components(separatedBy: "\n\n").first { $0.hasPrefix("message gongzhi.grid.v1.Reporter") }
        )
        XCTAssertTrue(reporter.contains("  phone            2       string                  sensitive"), reporter)
        XCTAssertTrue(text.contains("enum gongzhi.grid.v1.CaseState\n"), text)
        XCTAssertTrue(text.contains("  location            9       gongzhi.core.v1.Point"), text)
        XCTAssertTrue(text.contains("message gongzhi.core.v1.Point\n"), text)

        let shapes = try HostedService(
            .with {
                $0.name = "gongzhi.test.v1.Mirror"
                $0.plugin = "test"
                $0.methods = [
                    .with {
                        $0.name = "Reflect"
                        $0.kind = .bidirectionalStreaming
                        $0.inputType = "gongzhi.test.v1.Shapes"
                        $0.outputType = "gongzhi.test.v1.Shapes"
                    }
                ]
                $0.fileDescriptorSet = try XCTUnwrap(
                    RPCFileDescriptorSet(base64: Gongzhi_Test_V1_ShapesDescriptors.fileDescriptorSetBase64)
                ).bytes
            }
        )
        let shown = ServiceOutput.detail(shapes)
        XCTAssertTrue(shown.contains("plugin:   test (not available now)"), shown)
        XCTAssertTrue(
            shown.contains(
                "Reflect  bidirectional streaming  gongzhi.test.v1.Shapes  stream of gongzhi.test.v1.Shapes"
            ),
            shown
        )
        for row in [
            "  by_number         31      map<int32, gongzhi.test.v1.Shapes.Inner>",
            "  choice_text       40      string                                    oneof choice",
            "  maybe_int32       44      optional int32",
            "  secret            47      string                                    sensitive",
            "  renamed           48      int32                                     JSON name alias",
            "  at                50      google.protobuf.Timestamp",
            "  unpacked_int32    24      repeated int32",
        ] {
            XCTAssertTrue(shown.contains(row + "\n"), "\(row)\n\(shown)")
        }
        XCTAssertFalse(shown.contains("message google.protobuf.Timestamp"), "well-known types are shown by name")
        XCTAssertFalse(shown.contains("ByNumberEntry"), "map entries are shown as maps")
        XCTAssertTrue(
            shown.contains("enum gongzhi.test.v1.Shapes.Color\n  VALUE              NUMBER\n  COLOR_UNSPECIFIED  0\n"),
            shown
        )

        try await withFakeHost { run, _, _ in
            let unknown = await run(["describe", "service", "gongzhi.grid.v1.GridService"], [])
            XCTAssertEqual(unknown.status, ControlExitCode.notFound)
            XCTAssertTrue(
                unknown.errors.hasPrefix("error: no service gongzhi.grid.v1.GridService on this host"),
                unknown.errors
            )
            let noDescriptors = await run(["describe", "service", "gongzhi.sensors.v1.Sensors"], [])
            XCTAssertEqual(noDescriptors.status, 0, noDescriptors.errors)
            XCTAssertTrue(
                noDescriptors.output.hasSuffix(
                    "plugin sensors registered no descriptors for this service: its messages are not known here, and "
                        + "gongzhictl call cannot call it.\n"
                ),
                noDescriptors.output
            )
            let message = await run(["describe", "message", "gongzhi.example.v1.Notise"], [])
            XCTAssertEqual(message.status, ControlExitCode.notFound)
            XCTAssertEqual(
                message.errors,
                "error: no service's descriptors define a message or enum named gongzhi.example.v1.Notise (did you "
                    + "mean gongzhi.example.v1.Notice?); gongzhictl describe service NAME lists a service's messages\n"
            )
            // Objects are still described as before.
            let object = await run(["describe", "resident", "R-1"], [])
            XCTAssertNotEqual(object.errors, "", "the fake objects hold no R-1")
            XCTAssertFalse(object.errors.contains("service"), object.errors)
        }
    }
}
