import Foundation
import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import XCTest

/// The host's dispatcher decides every call: who the caller is (an administrator by uid, a plugin or an API
/// client by token), whether its grants allow the call, and where the call goes. Run in-process: the same
/// dispatcher the sockets use, with a plugin whose services run in this process.
final class HostDispatcherTests: XCTestCase {
    static let board = "acme.board.v1.Board"

    /// A plugin's service that answers with what the host told it about the caller.
    static var boardService: RPCServiceDefinition {
        @Sendable func caller(_ context: ServerCallContext) -> Data {
            let metadata = context.requestMetadata
            let fields = [
                metadata["gongzhi-caller"] ?? "-",
                metadata["gongzhi-caller-kind"] ?? "-",
                "personal-data=" + (metadata["gongzhi-caller-personal-data"] ?? "-"),
                "token=" + (metadata["gongzhi-token"] ?? "none"),
                "note=" + (metadata["x-note"] ?? "-"),
            ]
            return Data(fields.joined(separator: " ").utf8)
        }
        return RPCServiceDefinition(
            serviceName: board,
            methodHandlers: [
                "Read": RPCMethodHandler(unary: { _, context in caller(context) }),
                "Write": RPCMethodHandler(unary: { payload, context in
                    context.addResponseMetadata("x-written", "\(payload.count)")
                    return payload
                }),
                "Wait": RPCMethodHandler(unary: { _, _ in
                    try await Task.sleep(for: .seconds(30))
                    return Data()
                }),
                "Follow": RPCMethodHandler(
                    kind: .serverStreaming,
                    streaming: { requests, responses, context in
                        let first = try await requests.single { $0 }
                        for index in 1...3 { try await responses.write(first + Data("\(index)".utf8)) }
                        return caller(context)
                    }
                ),
                "Chat": RPCMethodHandler(
                    kind: .bidirectionalStreaming,
                    streaming: { requests, responses, _ in
                        for try await request in requests {
                            try await responses.write(Data(String(decoding: request, as: UTF8.self).uppercased().utf8))
                        }
                        return Data()
                    }
                ),
            ]
        )
    }

    /// Admits and registers the board plugin, with `grants` requested and approved.
    func addBoard(_ host: InProcessHost, grants: [String] = []) throws {
        _ = try host.admit(plugin: "board", services: [Self.board], requestedGrants: grants)
        try host.register(plugin: "board", services: [Self.boardService])
    }

    func call(
        _ channel: any RPCClientChannel,
        _ method: String,
        service: String = HostDispatcherTests.board,
        payload: Data = Data(),
        options: CallOptions = .defaults
    ) async throws -> String {
        let response = try await channel.unary(service: service, method: method, payload: payload, options: options)
        return String(decoding: response.payload, as: UTF8.self)
    }

    func listKinds(_ channel: any RPCClientChannel) async throws -> [String] {
        try await Gongzhi_Host_V1_ObjectsClient(channel: channel).listKinds(.init()).kinds.map(\.name)
    }

    // MARK: Administrators

    func testAnAdministratorMayCallEverythingAndThePluginLearnsWhoCalled() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            let admin = host.adminChannel()
            // Metadata the caller sets under the host's prefix is replaced by what the host established.
            let answer = try await call(
                admin,
                "Read",
                options: CallOptions(metadata: ["gongzhi-caller": "plugin:forged", "x-note": "hello"])
            )
            XCTAssertEqual(answer, "admin:uid=\(getuid()) admin personal-data=true token=none note=hello")
            let adminListsKinds = try await listKinds(admin).contains("Resident")
            XCTAssertTrue(adminListsKinds)
        }
    }

    func testAUidThatIsNotAnAdministratorIsRefusedAndTheRefusalAudited() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            let stranger = host.adminChannel(peer: PeerCredentials(pid: getpid(), uid: 65534, gid: 65534))
            await expectRefusal(
                .permissionDenied,
                "uid 65534 is not an administrator of this host; "
                    + "admin_uids in the in-process host's configuration lists who is"
            ) { _ = try await call(stranger, "Read") }
            let record = try XCTUnwrap(host.lastAudit)
            XCTAssertEqual(record.principal, "unknown:pid=\(getpid()),uid=65534")
            XCTAssertEqual(record.action, "acme.board.v1.Board/Read")
            XCTAssertEqual(record.outcome, "denied")
        }
    }

    // MARK: Plugins

    func testAPluginCallsWhatItsApprovedGrantsAllowAndNothingElse() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            // The manifest asks for Read and Write and the objects it lists; the configuration approves less.
            _ = try host.admit(
                plugin: "reader",
                services: [],
                requestedGrants: [
                    "acme.board.v1.Board/Read", "acme.board.v1.Board/Write", "gongzhi.host.v1.Objects/List",
                ],
                approvedGrants: ["acme.board.v1.*", "gongzhi.host.v1.Objects/Get"]
            )
            XCTAssertEqual(host.grants(plugin: "reader"), ["acme.board.v1.Board/Read", "acme.board.v1.Board/Write"])
            let reader = try host.pluginChannel("reader")
            let readerRead = try await call(reader, "Read")
            XCTAssertEqual(readerRead, "plugin:reader plugin personal-data=false token=none note=-")
            let readerWrite = try await call(reader, "Write", payload: Data("x".utf8))
            XCTAssertEqual(readerWrite, "x")

            let before = host.auditSequence
            await expectRefusal(
                .permissionDenied,
                "plugin:reader may not call gongzhi.host.v1.Objects/ListKinds; an administrator grants this by "
                    + "approving it in the plugin's grants in the in-process host's configuration"
            ) { _ = try await listKinds(reader) }
            let denied = host.audit(after: before)
            XCTAssertEqual(denied.map(\.principal), ["plugin:reader"])
            XCTAssertEqual(denied.map(\.outcome), ["denied"])
            XCTAssertEqual(denied.map(\.action), ["gongzhi.host.v1.Objects/ListKinds"])
        }
    }

    func testAPluginThatHasNotRegisteredIsRefusedOrAnsweredUnavailable() async throws {
        try await withInProcessHost { host in
            // An external plugin's token: until it registers, it may only register.
            let outside = try host.issuePluginToken(subject: "outside", scopes: ["gongzhi.host.v1.Objects/*"])
            await expectRefusal(.permissionDenied, "plugin:outside must register before it calls anything else") {
                _ = try await listKinds(host.hostChannel(token: outside))
            }
            XCTAssertEqual(host.lastAudit?.principal, "plugin:outside")
            XCTAssertEqual(host.lastAudit?.outcome, "denied")

            // A plugin the host started may call it before it registers (it registers its kinds first)…
            let token = try host.admit(
                plugin: "board",
                services: [Self.board],
                requestedGrants: ["gongzhi.host.v1.Objects/ListKinds"]
            )
            let kindsBeforeRegistering = try await listKinds(host.hostChannel(token: token))
            XCTAssertFalse(kindsBeforeRegistering.isEmpty)
            // …but only from the process it was given to.
            let elsewhere = PeerCredentials(pid: 999_999, uid: getuid(), gid: getgid())
            await expectRefusal(
                .permissionDenied,
                "the token of plugin board was presented by pid 999999, but the host gave it to pid \(getpid())"
            ) { _ = try await listKinds(host.hostChannel(token: token, peer: elsewhere)) }
            // Its services answer UNAVAILABLE until it has registered.
            await expectRefusal(
                .unavailable,
                "plugin board, which serves acme.board.v1.Board, is not taking calls: it is starting"
            ) { _ = try await call(host.adminChannel(), "Read") }
            try host.register(plugin: "board", services: [Self.boardService])
            let registeredWrite = try await call(host.adminChannel(), "Write", payload: Data("ok".utf8))
            XCTAssertEqual(registeredWrite, "ok")
        }
    }

    // MARK: API clients

    func testAClientTokenCallsWithinItsScopesOnly() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            let token = try host.issueClientToken(
                subject: "kiosk",
                scopes: ["acme.board.v1.Board/Read", "gongzhi.host.v1.Objects/ListKinds"]
            )
            let kiosk = host.hostChannel(token: token)
            let tokenID = String(token.dropFirst(4).prefix { $0 != "_" })
            let kioskRead = try await call(kiosk, "Read")
            XCTAssertEqual(kioskRead, "client:\(tokenID) client personal-data=false token=none note=-")
            let kioskListsKinds = try await listKinds(kiosk).contains("Grid")
            XCTAssertTrue(kioskListsKinds)
            await expectRefusal(
                .permissionDenied,
                "client:\(tokenID) may not call acme.board.v1.Board/Write; an administrator grants this with a "
                    + "token scope that covers it"
            ) { _ = try await call(kiosk, "Write") }
            await expectRefusal(.permissionDenied) {
                _ = try await Gongzhi_Host_V1_ObjectsClient(channel: kiosk).get(.init())
            }
            XCTAssertEqual(host.lastAudit?.principal, "client:\(tokenID)")
            XCTAssertEqual(host.lastAudit?.action, "gongzhi.host.v1.Objects/Get")

            // A prefix scope covers every service under it.
            let wide = host.hostChannel(token: try host.issueClientToken(scopes: ["acme.board.*"]))
            let wideWrite = try await call(wide, "Write", payload: Data("w".utf8))
            XCTAssertEqual(wideWrite, "w")
        }
    }

    func testCallsWithoutAGoodTokenAreUnauthenticated() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            await expectRefusal(.unauthenticated, "calls on host.sock need a token in the gongzhi-token metadata entry")
            {
                _ = try await call(host.hostChannel(token: nil), "Read")
            }
            XCTAssertEqual(host.lastAudit?.principal, "unknown:pid=\(getpid()),uid=\(getuid())")
            await expectRefusal(.unauthenticated, "the token is not known to this host") {
                _ = try await call(host.hostChannel(token: "gzp_not-a-ticket"), "Read")
            }
            await expectRefusal(.unauthenticated, "the token is malformed") {
                _ = try await call(host.hostChannel(token: "gzt_nounderscore"), "Read")
            }
            let revoked = try host.issueClientToken(scopes: ["*"])
            let revokedID = String(revoked.dropFirst(4).prefix { $0 != "_" })
            XCTAssertNotNil(try host.tokens.revoke(id: revokedID))
            await expectRefusal(.unauthenticated, "token \(revokedID) was revoked") {
                _ = try await call(host.hostChannel(token: revoked), "Read")
            }
            let expired = try host.issueClientToken(scopes: ["*"], lifetime: .zero)
            let expiredID = String(expired.dropFirst(4).prefix { $0 != "_" })
            await expectRefusal(.unauthenticated, "token \(expiredID) has expired; ask an administrator for a new one")
            {
                _ = try await call(host.hostChannel(token: expired), "Read")
            }
            await expectRefusal(.invalidArgument, "\"acme board\" has characters a service or method name cannot have")
            {
                _ = try host.issueClientToken(scopes: ["acme board"])
            }
        }
    }

    // MARK: Where calls go

    func testUnknownServicesAndMethodsAreUnimplementedOnceTheGrantsAllowTheCall() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            let admin = host.adminChannel()
            await expectRefusal(
                .unimplemented,
                "no plugin serves acme.nope.v1.Nope (served here: acme.board.v1.Board)"
            ) { _ = try await call(admin, "Read", service: "acme.nope.v1.Nope") }
            await expectRefusal(
                .unimplemented,
                "acme.board.v1.Board has no method Erase (it has: Chat, Follow, Read, Wait, Write)"
            ) { _ = try await call(admin, "Erase") }
            let objects = await expectRefusal(.unimplemented) {
                _ = try await call(admin, "Frobnicate", service: Gongzhi_Host_V1_Objects.serviceName)
            }
            XCTAssertTrue(
                objects?.message.hasPrefix("gongzhi.host.v1.Objects has no method Frobnicate (it has: Create, Delete")
                    == true,
                "\(String(describing: objects))"
            )
            // Grants come first: a client without one is refused before it learns what is served.
            let narrow = host.hostChannel(token: try host.issueClientToken(scopes: ["acme.board.v1.Board/Read"]))
            await expectRefusal(.permissionDenied) { _ = try await call(narrow, "Read", service: "acme.nope.v1.Nope") }
            let wide = host.hostChannel(token: try host.issueClientToken(scopes: ["acme.board.v1.Board/*"]))
            await expectRefusal(.unimplemented) { _ = try await call(wide, "Erase") }
        }
    }

    func testThePersonalDataGrantTravelsWithTheRoutedCall() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            let clerk = host.hostChannel(
                token: try host.issueClientToken(scopes: ["acme.board.v1.Board/Read", ObjectGrants.personalData])
            )
            let clerkSees = try await call(clerk, "Read").contains("personal-data=true")
            XCTAssertTrue(clerkSees)
            let volunteer = host.hostChannel(token: try host.issueClientToken(scopes: ["acme.board.v1.Board/Read"]))
            let volunteerSees = try await call(volunteer, "Read").contains("personal-data=false")
            XCTAssertTrue(volunteerSees)
            _ = try host.admit(
                plugin: "mediation",
                services: [],
                requestedGrants: ["acme.board.v1.Board/Read", ObjectGrants.personalData]
            )
            let mediationSees = try await call(try host.pluginChannel("mediation"), "Read")
            XCTAssertEqual(mediationSees, "plugin:mediation plugin personal-data=true token=none note=-")
        }
    }

    func testEveryCallShapeIsRoutedWithMetadataAndTheCallersDeadline() async throws {
        try await withInProcessHost { host in
            try addBoard(host)
            let admin = host.adminChannel()
            let written = try await admin.unary(
                service: Self.board,
                method: "Write",
                payload: Data("abc".utf8),
                options: .defaults
            )
            XCTAssertEqual(written.metadata["x-written"], "3")

            let follow = try await admin.openStream(
                service: Self.board,
                method: "Follow",
                kind: .serverStreaming,
                payload: Data("n".utf8),
                options: .defaults
            )
            var streamed: [String] = []
            for try await message in follow.responses { streamed.append(String(decoding: message, as: UTF8.self)) }
            XCTAssertEqual(streamed, ["n1", "n2", "n3"])
            let final = try await follow.finalResponse()
            XCTAssertTrue(String(decoding: final.payload, as: UTF8.self).hasPrefix("admin:uid=\(getuid()) admin "))

            let chat = try await admin.openStream(
                service: Self.board,
                method: "Chat",
                kind: .bidirectionalStreaming,
                payload: Data(),
                options: .defaults
            )
            var answers = chat.responses.makeAsyncIterator()
            try await chat.send(Data("hi".utf8))
            let firstAnswer = try await answers.next().map { String(decoding: $0, as: UTF8.self) }
            XCTAssertEqual(firstAnswer, "HI")
            try await chat.send(Data("again".utf8))
            let secondAnswer = try await answers.next().map { String(decoding: $0, as: UTF8.self) }
            XCTAssertEqual(secondAnswer, "AGAIN")
            try await chat.closeSend()
            _ = try await chat.finalResponse()

            await expectRefusal(.deadlineExceeded) {
                _ = try await call(admin, "Wait", options: CallOptions(timeout: .milliseconds(30)))
            }
        }
    }
}
