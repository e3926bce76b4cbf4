import Foundation
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A plugin with no grants, started by a host running as root, tries to get at the host's data around the host:
/// read the store, the tokens, the audit log and another plugin's data; call another plugin directly with forged
/// caller metadata; leave its process group and ask admin.sock for a token that may do everything. Each is refused,
/// and the host's audit shows nothing leaked.
final class PluginIsolationEndToEndTests: XCTestCase {
    /// Users unique to this run and a group for the sockets, removed when the test ends, so that test machines do
    /// not collect them.
    private func runAccounts(_ plugins: [String]) throws -> (users: [String: String], socketGroup: String) {
        let run = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        var users: [String: String] = [:]
        for plugin in plugins { users[plugin] = "gz-t\(run)-\(plugin)" }
        let socketGroup = "gz-t\(run)-sock"
        XCTAssertEqual(try Self.run("/usr/sbin/groupadd", ["--system", socketGroup]), 0)
        addTeardownBlock {
            for user in users.values { _ = try? Self.run("/usr/sbin/userdel", [user]) }
            _ = try? Self.run("/usr/sbin/groupdel", [socketGroup])
        }
        return (users, socketGroup)
    }

    /// Runs a command to its end and returns its exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func testAPluginCannotReadTheHostsDataCallAnotherPluginOrBecomeAdministrator() async throws {
        try XCTSkipUnless(
            geteuid() == 0,
            "plugins run as users of their own only under a host running as root (as on CI); this runs as uid "
                + "\(geteuid())"
        )
        let (users, socketGroup) = try runAccounts(["holder", "escape"])
        var holder = try HostUnderTest.testPlugin("holder", serviceSuffix: "Holder")
        holder.user = users["holder"]
        var escape = try HostUnderTest.testPlugin("escape")
        escape.user = users["escape"]
        let host = try await HostUnderTest(plugins: [holder, escape], settings: "socket_group = \"\(socketGroup)\"")
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("holder")
        let escapeStatus = try await host.waitUntil("escape")
        let data = host.directory.path + "/data"
        let secret = data + "/plugins/holder/secret.txt"
        try "the holder's own data\n".write(toFile: secret, atomically: false, encoding: .utf8)

        // The users exist, and the plugin's process runs as its own, with its own group and no other but the
        // sockets' group.
        let escapeUser = try XCTUnwrap(users["escape"])
        let account = try XCTUnwrap(Self.lookUp(escapeUser), "the host created \(escapeUser)")
        XCTAssertEqual(escapeStatus.user, escapeUser)
        XCTAssertEqual(escapeStatus.uid, account.uid)
        let processStatus = try String(contentsOfFile: "/proc/\(escapeStatus.pid)/status", encoding: .utf8)
        XCTAssertEqual(Self.field("Uid", in: processStatus), Array(repeating: "\(account.uid)", count: 4))
        XCTAssertEqual(Self.field("Gid", in: processStatus), Array(repeating: "\(account.gid)", count: 4))
        let socketGID = try XCTUnwrap(getgrnam(socketGroup)).pointee.gr_gid
        XCTAssertEqual(Set(Self.field("Groups", in: processStatus)), ["\(account.gid)", "\(socketGID)"])

        // (a), (b) from inside, (c): the escape plugin tries, called through the host like any plugin.
        let issued = try await host.issueClientToken(scopes: ["gongzhi.test.v1.Probe/*"])
        let channel = host.channel(token: issued.token)
        addTeardownBlock { await channel.close() }
        var request = Gongzhi_Test_V1_TryEscapesRequest()
        request.readPaths = [
            data + "/host/objects.sqlite", data + "/host/objects.sqlite-wal", data + "/host/tokens.json",
            data + "/host/audit.log", secret, data + "/plugins/holder/.owner",
        ]
        request.listPaths = [data + "/host", data + "/plugins", data + "/plugins/holder", host.runtime + "/plugins"]
        request.connectPaths = [host.runtime + "/plugins/holder/holder.sock"]
        request.adminSocket = host.adminSocket
        let report = try await Gongzhi_Test_V1_ProbeClient(channel: channel).tryEscapes(
            request,
            options: CallOptions(timeout: .seconds(30))
        )
        XCTAssertEqual(report.uid, account.uid)
        XCTAssertEqual(report.inheritedDescriptors, [], "descriptors the plugin got from the host")
        // Every path read and listed, /proc/<host>/fd and environ, the socket, admin.sock twice.
        XCTAssertEqual(report.attempts.count, 6 + 4 + 2 + 1 + 2, "\(report.attempts)")
        for attempt in report.attempts {
            XCTAssertTrue(attempt.refused, "\(attempt.attempt) was not refused: \(attempt.detail)")
        }
        let admin = report.attempts.filter { $0.attempt.hasPrefix("IssueToken") }
        XCTAssertEqual(admin.count, 2)
        for attempt in admin {
            XCTAssertTrue(
                attempt.detail.contains(
                    "uid \(account.uid) (\(escapeUser)) is the user of plugin escape; plugins are not administrators"
                ),
                "\(attempt.attempt): \(attempt.detail)"
            )
        }
        let newSession = try XCTUnwrap(admin.first { $0.attempt.hasSuffix("after setsid") })
        XCTAssertTrue(newSession.detail.contains("session leader: true"), newSession.detail)
        for attempt in report.attempts where attempt.attempt.hasPrefix("read") || attempt.attempt.hasPrefix("list") {
            if !attempt.attempt.contains("/proc/") {
                XCTAssertEqual(attempt.detail, String(cString: strerror(EACCES)), attempt.attempt)
            }
        }

        // (b) from outside: root, another process than the host, calls the holder with forged caller metadata.
        var people = Gongzhi_Test_V1_PeopleRequest()
        people.names = ["张三"]
        await assertForgedDirectCallRefused(
            socket: host.runtime + "/plugins/holder/holder.sock",
            service: "gongzhi.test.v1.ProbeHolder",
            method: "Directory",
            payload: try people.serializedBytes(),
            hostPID: host.process.pid
        )

        // The audit: the admin calls denied under the plugin's uid, no token issued but the test's, and nothing
        // read from the holder.
        var auditRequest = Gongzhi_Host_V1_ListAuditRequest()
        auditRequest.limit = 1000
        let audit = try await host.adminClient.listAudit(auditRequest).entries
        let issuedTokens = audit.filter { $0.action == "token.issue" && $0.outcome == "ok" }
        XCTAssertEqual(issuedTokens.count, 1, "\(issuedTokens.map(\.principal))")
        XCTAssertFalse(issuedTokens.contains { $0.principal.contains("uid=\(account.uid)") })
        let denied = audit.filter {
            $0.action == "gongzhi.host.v1.Admin/IssueToken" && $0.outcome == "denied"
                && $0.principal.contains("uid=\(account.uid)")
        }
        XCTAssertEqual(denied.count, 2, "\(audit.map { "\($0.principal) \($0.action) \($0.outcome)" })")
        XCTAssertFalse(
            audit.contains { $0.action.contains("ProbeHolder") || $0.action.contains("PersonalData") },
            "nobody called the holder or read personal data through the host"
        )
    }

    /// The uid and gid of a user.
    static func lookUp(_ user: String) -> (uid: UInt32, gid: UInt32)? {
        guard let entry = getpwnam(user) else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// The values of a field of /proc/PID/status ("Uid:\t0\t0\t0\t0").
    static func field(_ name: String, in status: String) -> [String] {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.dropFirst(name.count + 1).split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
        }
        return []
    }

    func testAPluginUserThatIsAnAdministratorIsRefusedAtCheckAndAtStart() throws {
        try XCTSkipUnless(
            geteuid() == 0,
            "plugin users are checked by a host running as root; this runs as uid \(geteuid())"
        )
        let directory = try TemporaryDirectory(prefix: "gzadminuid")
        addTeardownBlock { directory.remove() }
        var plugin = try HostUnderTest.testPlugin("escape")
        plugin.user = "nobody"
        let configuration = try TestHostLayout.write(
            in: directory.path,
            plugins: [plugin],
            settings: "admin_uids = [0, 65534]"
        )
        let expected =
            "plugin escape would run as nobody (uid 65534), which admin_uids in \(configuration) lists; plugins are "
            + "not administrators: remove it from admin_uids"
        for arguments in [["--check"], []] {
            let (status, output) = try Self.output(
                try BuiltExecutables.path("gongzhi-host"),
                ["--config", configuration] + arguments
            )
            XCTAssertNotEqual(status, 0, "gongzhi-host \(arguments)")
            XCTAssertTrue(output.contains(expected), "gongzhi-host \(arguments): \(output)")
        }
    }

    /// Runs a command to its end and returns its exit status and what it printed.
    static func output(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testAHostThatIsNotRootSaysPluginsAreNotIsolated() async throws {
        try XCTSkipUnless(
            geteuid() == 0,
            "runs the host as uid 65534 with setpriv, which needs root; this runs as uid \(geteuid())"
        )
        let directory = try TemporaryDirectory(prefix: "gzunpriv")
        addTeardownBlock { directory.remove() }
        let configuration = try TestHostLayout.write(in: directory.path, plugins: [])
        XCTAssertEqual(try Self.run("/bin/chown", ["-R", "65534:65534", directory.path]), 0)
        let process = try ChildProcess(
            "/usr/bin/setpriv",
            [
                "--reuid", "65534", "--regid", "65534", "--clear-groups", "--",
                try BuiltExecutables.path("gongzhi-host"), "--config", configuration,
            ],
            outputPath: directory.path + "/host.log"
        )
        addTeardownBlock { await process.stop(grace: .seconds(10)) }
        try await process.waitForOutput("host serving")
        let admin = RPCClient(socketPath: directory.path + "/run/admin.sock")
        addTeardownBlock { await admin.close() }
        let status = try await Gongzhi_Host_V1_AdminClient(channel: admin).status(Gongzhi_Host_V1_StatusRequest())
        XCTAssertTrue(status.isolation.hasPrefix("not isolated: the host runs as uid 65534"), status.isolation)
        XCTAssertTrue(process.output.contains("plugins are not isolated: the host runs as uid 65534"), process.output)
    }
}
