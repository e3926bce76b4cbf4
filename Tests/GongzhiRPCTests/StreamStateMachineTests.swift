import GongzhiRPC
import XCTest

final class StreamStateMachineTests: XCTestCase {
    typealias Machine = StreamStateMachine

    /// Asserts that `event` breaks the protocol: it throws a `Violation` whose message mentions `fragment`,
    /// and the machine is left as it was.
    private func assertViolation(
        _ machine: inout Machine,
        mentioning fragment: String,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ event: (inout Machine) throws -> Void
    ) {
        let before = machine
        XCTAssertThrowsError(try event(&machine), file: file, line: line) { error in
            guard let violation = error as? Machine.Violation else {
                return XCTFail("expected a Violation, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(
                violation.message.contains(fragment),
                "\"\(violation.message)\" does not mention \"\(fragment)\"",
                file: file,
                line: line
            )
            XCTAssertEqual(violation.description, violation.message, file: file, line: line)
        }
        XCTAssertEqual(machine, before, "a refused event must not change the stream", file: file, line: line)
    }

    private func openClient(unary: Bool, sendsData: Bool) throws -> Machine {
        var machine = Machine(role: .client)
        try machine.sendRequest(unary: unary, sendsData: sendsData)
        return machine
    }

    private func openServer(flags: FrameFlags) throws -> Machine {
        var machine = Machine(role: .server)
        try machine.receiveRequest(flags: flags)
        return machine
    }

    // MARK: Request flags

    func testRequestFlagsForEachCallShape() {
        XCTAssertEqual(Machine.requestFlags(unary: true, sendsData: false), [])
        XCTAssertEqual(Machine.requestFlags(unary: false, sendsData: false), .remoteClosed)
        XCTAssertEqual(Machine.requestFlags(unary: false, sendsData: true), .remoteOpen)
    }

    func testServerReadsTheCallShapeTheClientFlagsAnnounce() throws {
        for (unary, sendsData) in [(true, false), (false, false), (false, true)] {
            var machine = Machine(role: .server)
            let flags = Machine.requestFlags(unary: unary, sendsData: sendsData)
            XCTAssertEqual(try machine.receiveRequest(flags: flags), sendsData, "\(flags)")
            XCTAssertEqual(machine.state, .open(unary: unary, localClosed: false, remoteClosed: !sendsData))
        }
    }

    func testRPCKindStreamingSides() {
        XCTAssertEqual(RPCKind.unary.clientStreams, false)
        XCTAssertEqual(RPCKind.unary.serverStreams, false)
        XCTAssertEqual(RPCKind.clientStreaming.clientStreams, true)
        XCTAssertEqual(RPCKind.clientStreaming.serverStreams, false)
        XCTAssertEqual(RPCKind.serverStreaming.clientStreams, false)
        XCTAssertEqual(RPCKind.serverStreaming.serverStreams, true)
        XCTAssertEqual(RPCKind.bidirectionalStreaming.clientStreams, true)
        XCTAssertEqual(RPCKind.bidirectionalStreaming.serverStreams, true)
    }

    // MARK: Legal sequences, client

    func testClientUnary() throws {
        var machine = Machine(role: .client)
        XCTAssertEqual(machine.role, .client)
        XCTAssertEqual(machine.state, .idle)
        XCTAssertFalse(machine.isFinished)
        try machine.sendRequest(unary: true, sendsData: false)
        XCTAssertEqual(machine.state, .open(unary: true, localClosed: true, remoteClosed: false))
        try machine.receiveResponse()
        XCTAssertEqual(machine.state, .finished)
        XCTAssertTrue(machine.isFinished)
    }

    func testClientStreaming() throws {
        var machine = try openClient(unary: false, sendsData: true)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: false, remoteClosed: false))
        try machine.sendData(closing: false)
        try machine.sendData(closing: false)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: false, remoteClosed: false))
        try machine.sendData(closing: true)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: true, remoteClosed: false))
        try machine.receiveResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testClientServerStreamingEndedByAResponse() throws {
        var machine = try openClient(unary: false, sendsData: false)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: true, remoteClosed: false))
        for _ in 0..<3 {
            XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        }
        XCTAssertFalse(machine.isFinished)
        try machine.receiveResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testClientServerStreamingEndedByAClosingEmptyDataFrame() throws {
        var machine = try openClient(unary: false, sendsData: false)
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        XCTAssertEqual(try machine.receiveData(flags: [.remoteClosed, .noData]), .closeOnly)
        XCTAssertTrue(machine.isFinished)
    }

    func testClientServerStreamingEndedByAClosingDataFrameWithAMessage() throws {
        var machine = try openClient(unary: false, sendsData: false)
        XCTAssertEqual(try machine.receiveData(flags: .remoteClosed), .deliver(isLast: true))
        XCTAssertTrue(machine.isFinished)
    }

    func testClientBidirectionalClientClosesFirst() throws {
        var machine = try openClient(unary: false, sendsData: true)
        try machine.sendData(closing: false)
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        try machine.sendData(closing: false)
        try machine.sendData(closing: true)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: true, remoteClosed: false))
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        XCTAssertEqual(try machine.receiveData(flags: [.remoteClosed, .noData]), .closeOnly)
        XCTAssertTrue(machine.isFinished)
    }

    func testClientBidirectionalEndedByAResponseWhileBothSidesAreOpen() throws {
        var machine = try openClient(unary: false, sendsData: true)
        try machine.sendData(closing: false)
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        try machine.receiveResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testClientBidirectionalServerClosesFirst() throws {
        var machine = try openClient(unary: false, sendsData: true)
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        XCTAssertEqual(try machine.receiveData(flags: [.remoteClosed, .noData]), .closeOnly)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: false, remoteClosed: true))
        XCTAssertFalse(machine.isFinished, "the client may still send")
        try machine.sendData(closing: false)
        try machine.sendData(closing: true)
        // Both sides are closed and, as when the client closes first, no final response follows a
        // closing data frame from the server: the stream is over.
        XCTAssertTrue(machine.isFinished, "state: \(machine.state)")
    }

    // MARK: Legal sequences, server

    func testServerUnary() throws {
        var machine = Machine(role: .server)
        XCTAssertEqual(try machine.receiveRequest(flags: []), false)
        XCTAssertEqual(machine.state, .open(unary: true, localClosed: false, remoteClosed: true))
        try machine.sendResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testServerClientStreaming() throws {
        var machine = Machine(role: .server)
        XCTAssertEqual(try machine.receiveRequest(flags: .remoteOpen), true)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: false, remoteClosed: false))
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        XCTAssertEqual(try machine.receiveData(flags: .remoteClosed), .deliver(isLast: true))
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: false, remoteClosed: true))
        XCTAssertFalse(machine.isFinished, "the server still owes its response")
        try machine.sendResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testServerClientStreamingClosedByAnEmptyDataFrame() throws {
        var machine = try openServer(flags: .remoteOpen)
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        XCTAssertEqual(try machine.receiveData(flags: [.remoteClosed, .noData]), .closeOnly)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: false, remoteClosed: true))
        try machine.sendResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testServerServerStreaming() throws {
        var machine = Machine(role: .server)
        XCTAssertEqual(try machine.receiveRequest(flags: .remoteClosed), false)
        XCTAssertEqual(machine.state, .open(unary: false, localClosed: false, remoteClosed: true))
        try machine.sendResponseData()
        try machine.sendResponseData()
        try machine.sendResponseData()
        XCTAssertFalse(machine.isFinished)
        try machine.sendResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testServerBidirectional() throws {
        var machine = try openServer(flags: .remoteOpen)
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        try machine.sendResponseData()
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        try machine.sendResponseData()
        XCTAssertEqual(try machine.receiveData(flags: [.remoteClosed, .noData]), .closeOnly)
        try machine.sendResponseData()
        try machine.sendResponse()
        XCTAssertTrue(machine.isFinished)
    }

    func testServerMayRespondBeforeTheClientCloses() throws {
        var machine = try openServer(flags: .remoteOpen)
        XCTAssertEqual(try machine.receiveData(flags: []), .deliver(isLast: false))
        try machine.sendResponse()
        XCTAssertTrue(machine.isFinished)
    }

    // MARK: Illegal events

    func testDataOnAUnaryStream() throws {
        var client = try openClient(unary: true, sendsData: false)
        assertViolation(&client, mentioning: "unary") { try $0.sendData(closing: false) }
        assertViolation(&client, mentioning: "unary") { _ = try $0.receiveData(flags: []) }

        var server = try openServer(flags: [])
        assertViolation(&server, mentioning: "unary") { _ = try $0.receiveData(flags: []) }
        assertViolation(&server, mentioning: "unary") { try $0.sendResponseData() }
    }

    func testDataAfterTheRemoteSideClosed() throws {
        var serverStreaming = try openServer(flags: .remoteClosed)
        assertViolation(&serverStreaming, mentioning: "after the sender closed") { _ = try $0.receiveData(flags: []) }

        var clientStreaming = try openServer(flags: .remoteOpen)
        _ = try clientStreaming.receiveData(flags: .remoteClosed)
        assertViolation(&clientStreaming, mentioning: "after the sender closed") {
            _ = try $0.receiveData(flags: [.remoteClosed, .noData])
        }

        var bidirectional = try openClient(unary: false, sendsData: true)
        _ = try bidirectional.receiveData(flags: [.remoteClosed, .noData])
        assertViolation(&bidirectional, mentioning: "after the sender closed") { _ = try $0.receiveData(flags: []) }
    }

    func testSecondRequest() throws {
        var client = try openClient(unary: false, sendsData: true)
        assertViolation(&client, mentioning: "already") { try $0.sendRequest(unary: false, sendsData: true) }

        var server = try openServer(flags: .remoteOpen)
        assertViolation(&server, mentioning: "second request") { try $0.receiveRequest(flags: .remoteOpen) }

        var finished = try openServer(flags: [])
        try finished.sendResponse()
        assertViolation(&finished, mentioning: "second request") { try $0.receiveRequest(flags: []) }
    }

    func testResponseBeforeRequest() {
        var client = Machine(role: .client)
        assertViolation(&client, mentioning: "not open") { try $0.receiveResponse() }

        var server = Machine(role: .server)
        assertViolation(&server, mentioning: "not open") { try $0.sendResponse() }
    }

    func testDataBeforeRequest() {
        var client = Machine(role: .client)
        assertViolation(&client, mentioning: "not open") { try $0.sendData(closing: false) }
        assertViolation(&client, mentioning: "not open") { _ = try $0.receiveData(flags: []) }

        var server = Machine(role: .server)
        assertViolation(&server, mentioning: "not open") { try $0.sendResponseData() }
        assertViolation(&server, mentioning: "not open") { _ = try $0.receiveData(flags: []) }
    }

    func testEventsAfterTheStreamFinished() throws {
        var client = try openClient(unary: false, sendsData: true)
        try client.receiveResponse()
        assertViolation(&client, mentioning: "finished") { try $0.receiveResponse() }
        assertViolation(&client, mentioning: "finished") { try $0.sendData(closing: true) }
        assertViolation(&client, mentioning: "finished") { _ = try $0.receiveData(flags: []) }

        var server = try openServer(flags: .remoteOpen)
        try server.sendResponse()
        assertViolation(&server, mentioning: "finished") { try $0.sendResponse() }
        assertViolation(&server, mentioning: "finished") { try $0.sendResponseData() }
        assertViolation(&server, mentioning: "finished") { _ = try $0.receiveData(flags: []) }
    }

    func testSendingAfterClosingTheSendingSide() throws {
        var clientStreaming = try openClient(unary: false, sendsData: true)
        try clientStreaming.sendData(closing: true)
        assertViolation(&clientStreaming, mentioning: "after closing") { try $0.sendData(closing: false) }
        assertViolation(&clientStreaming, mentioning: "after closing") { try $0.sendData(closing: true) }

        // A server-streaming client closes its side with the request itself.
        var serverStreaming = try openClient(unary: false, sendsData: false)
        assertViolation(&serverStreaming, mentioning: "after closing") { try $0.sendData(closing: false) }
    }

    func testClientOnlyEventsOnAServer() throws {
        var idle = Machine(role: .server)
        assertViolation(&idle, mentioning: "only the client may send a request") {
            try $0.sendRequest(unary: true, sendsData: false)
        }
        var open = try openServer(flags: .remoteOpen)
        assertViolation(&open, mentioning: "only the client may receive a response") { try $0.receiveResponse() }
    }

    func testServerOnlyEventsOnAClient() throws {
        var idle = Machine(role: .client)
        assertViolation(&idle, mentioning: "only the server may receive a request") {
            try $0.receiveRequest(flags: [])
        }
        var open = try openClient(unary: false, sendsData: true)
        assertViolation(&open, mentioning: "only the server may send response data") { try $0.sendResponseData() }
        assertViolation(&open, mentioning: "only the server may send a response") { try $0.sendResponse() }
    }

    func testServerCannotSendClientData() throws {
        // `sendData(closing:)` is the client's; a server streams with `sendResponseData()`.
        var server = try openServer(flags: .remoteOpen)
        assertViolation(&server, mentioning: "only the client") { try $0.sendData(closing: true) }
    }

    func testRequestBothRemoteOpenAndRemoteClosed() {
        var server = Machine(role: .server)
        assertViolation(&server, mentioning: "both remote-open and remote-closed") {
            try $0.receiveRequest(flags: [.remoteOpen, .remoteClosed])
        }
        assertViolation(&server, mentioning: "both remote-open and remote-closed") {
            try $0.receiveRequest(flags: [.remoteOpen, .remoteClosed, .noData])
        }
        XCTAssertEqual(server.state, .idle)
    }
}
