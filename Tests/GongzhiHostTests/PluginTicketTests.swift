import GongzhiRPC
import GongzhiTestSupport
import XCTest

@testable import GongzhiHost

/// The one check of a plugin's ticket: good only in the hands of the process the host gave it to.
final class PluginTicketTests: XCTestCase {
    private func refusal(_ ticket: PluginTicket, presentedBy peer: Int32) -> RPCError? {
        do {
            try ticket.check(presentedBy: peer)
            return nil
        } catch {
            return error
        }
    }

    func testTheProcessItWasGivenToPasses() {
        XCTAssertNil(refusal(PluginTicket(plugin: "grid", pid: 4242), presentedBy: 4242))
    }

    func testAnotherProcessIsRefusedNamingBothProcesses() throws {
        let error = try XCTUnwrap(refusal(PluginTicket(plugin: "grid", pid: 4242), presentedBy: 777))
        XCTAssertEqual(error.code, .permissionDenied)
        XCTAssertEqual(
            error.message,
            "the token of plugin grid was presented by pid 777, but the host gave it to pid 4242"
        )
    }

    func testATicketWhoseProcessIsNotRecordedYetIsRefused() throws {
        let unbound = PluginTicket(plugin: "grid", pid: 0)
        for peer: Int32 in [0, 1, 4242] {
            let error = try XCTUnwrap(refusal(unbound, presentedBy: peer), "presented by \(peer)")
            XCTAssertEqual(error.code, .permissionDenied)
            XCTAssertTrue(error.message.hasSuffix("but the host gave it to pid 0"), error.message)
        }
    }

    /// A ticket from `Credentials`: refused until bound to its process, then good for that process only,
    /// and gone once revoked.
    func testCredentialsBindATicketToItsProcessAndForgetItWhenRevoked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let credentials = Credentials(tokens: try TokenStore(path: directory.file("tokens.json")), adminUIDs: [])
        let token = credentials.issueTicket(plugin: "noticeboard")
        XCTAssertTrue(token.hasPrefix("gzp_"), token)
        XCTAssertNotEqual(credentials.issueTicket(plugin: "noticeboard"), token)

        let issued = try XCTUnwrap(credentials.ticket(token))
        XCTAssertEqual(issued, PluginTicket(plugin: "noticeboard", pid: 0))
        XCTAssertNotNil(refusal(issued, presentedBy: 31337))

        credentials.bind(ticket: token, pid: 31337)
        let bound = try XCTUnwrap(credentials.ticket(token))
        XCTAssertNil(refusal(bound, presentedBy: 31337))
        XCTAssertEqual(refusal(bound, presentedBy: 31338)?.code, .permissionDenied)

        credentials.revoke(ticket: token)
        XCTAssertNil(credentials.ticket(token))
    }
}
