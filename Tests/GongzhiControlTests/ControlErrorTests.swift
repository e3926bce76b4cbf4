import GongzhiControl
import GongzhiRPC
import XCTest

/// Each failure is one line a person can act on, with the exit status scripts switch on.
final class ControlErrorTests: XCTestCase {
    private let path = "/run/gongzhi/admin.sock"
    private let hint = "(is gongzhi-host running? use --socket or GONGZHI_ADMIN_SOCKET)"

    private func map(_ error: any Error, probe: SocketProbe = .socket) -> ControlError {
        ControlError(calling: path, failedWith: error, uid: 1000, probe: { _ in probe })
    }

    private func connectFailure(_ reason: String) -> RPCError {
        RPCError(code: .unavailable, message: "cannot connect to \(path): \(reason) (is the server running?)")
    }

    func testMissingSocket() {
        XCTAssertEqual(
            map(connectFailure("no such file or directory"), probe: .missing),
            ControlError("cannot reach the host at \(path): no such file \(hint)", exitCode: 3)
        )
    }

    func testNotASocket() {
        XCTAssertEqual(
            map(connectFailure("connection refused"), probe: .notASocket),
            ControlError(
                "cannot reach the host at \(path): not a socket "
                    + "(use --socket or GONGZHI_ADMIN_SOCKET to name the host's admin.sock)",
                exitCode: 3
            )
        )
    }

    func testSocketNobodyListensOn() {
        XCTAssertEqual(
            map(connectFailure("connection refused")),
            ControlError("cannot reach the host at \(path): connection refused \(hint)", exitCode: 3)
        )
    }

    func testSocketTheUserMayNotOpen() {
        XCTAssertEqual(
            map(connectFailure("permission denied"), probe: .notPermitted),
            ControlError(
                "cannot open the host's socket at \(path): permission denied for uid 1000 "
                    + "(admin_uids in the host config lists who may administer the host)",
                exitCode: 5
            )
        )
    }

    func testConnectionThatBroke() {
        XCTAssertEqual(
            map(RPCError(code: .unavailable, message: "the connection closed")),
            ControlError("lost the connection to the host at \(path): the connection closed", exitCode: 3)
        )
    }

    func testPermissionDeniedAndUnauthenticated() {
        for code in [StatusCode.permissionDenied, .unauthenticated] {
            XCTAssertEqual(
                map(RPCError(code: code, message: "uid 1000 is not an administrator")),
                ControlError(
                    "uid 1000 is not allowed to administer the host: uid 1000 is not an administrator "
                        + "(admin_uids in the host config lists who is)",
                    exitCode: 5
                )
            )
        }
    }

    func testNotFoundIsTheHostsMessage() {
        XCTAssertEqual(
            map(RPCError(code: .notFound, message: "no plugin named grdi; the plugins are grid, noticeboard")),
            ControlError("no plugin named grdi; the plugins are grid, noticeboard", exitCode: 4)
        )
    }

    func testOtherRefusalsAreTheHostsMessage() {
        XCTAssertEqual(
            map(RPCError(code: .failedPrecondition, message: "grid is refused: its sha256 differs")),
            ControlError("grid is refused: its sha256 differs", exitCode: 1)
        )
        XCTAssertEqual(
            map(RPCError(code: .invalidArgument, message: "")),
            ControlError("the host answered INVALID_ARGUMENT", exitCode: 1)
        )
        XCTAssertEqual(
            map(RPCError(code: .deadlineExceeded, message: "Status took longer than 10 s")),
            ControlError("the host did not answer in time: Status took longer than 10 s", exitCode: 1)
        )
        XCTAssertEqual(
            map(RPCError(code: .unimplemented, message: "no method Frob")),
            ControlError("the host does not serve this command (is it an older version?): no method Frob", exitCode: 1)
        )
    }

    func testErrorsThatAreNotRPCErrors() {
        struct Odd: Error {}
        XCTAssertEqual(map(Odd()).exitCode, 1)
        XCTAssertEqual(map(ControlError("as is", exitCode: 4)), ControlError("as is", exitCode: 4))
    }

    func testProbe() throws {
        XCTAssertEqual(SocketProbe.probe("/nonexistent/admin.sock"), .missing)
        XCTAssertEqual(SocketProbe.probe("/etc/passwd/admin.sock"), .missing)
        XCTAssertEqual(SocketProbe.probe("/etc/passwd"), .notASocket)
    }
}
