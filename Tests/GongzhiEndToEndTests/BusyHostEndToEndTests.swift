import Dispatch
import GongzhiHost
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The host's own traffic first: a host that clients keep busy still supervises its plugins on time, restarts none
/// of them for its own slowness, and answers its operator; a plugin that cannot be started for want of file
/// descriptors is retried, not counted as a crash.
final class BusyHostEndToEndTests: XCTestCase {
    /// One client keeps the host's loops saturated with heavy `Objects/List` calls for 15 s while every plugin is
    /// asked for its health each second with a 500 ms deadline, two failures in a row restarting it. No plugin
    /// may be restarted, and `gongzhictl status` over admin.sock must answer within 5 s throughout.
    func testASaturatedHostRestartsNoPluginAndAnswersItsOperator() async throws {
        var supervision = SupervisionPolicy.forTests
        supervision.healthInterval = .seconds(1)
        supervision.healthTimeout = .milliseconds(500)
        supervision.unhealthyLimit = 2
        let names = ["alpha", "beta", "gamma"]
        let host = try await HostUnderTest(
            plugins: try names.map { try HostUnderTest.testPlugin($0, serviceSuffix: $0 == "alpha" ? "" : $0) },
            supervision: supervision
        )
        addTeardownBlock { await host.stop() }
        var before: [String: Gongzhi_Host_V1_PluginStatus] = [:]
        for name in names {
            before[name] = try await host.waitUntil(name)
        }

        // 3,000 residents of about 1.4 kB: a page of 10,000 is cut at the host's 4 MiB answer budget.
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let notes = String(repeating: "走访记录 visit notes ", count: 50)
        for batch in 0..<12 {
            var txn = Gongzhi_Host_V1_TxnRequest()
            for index in 0..<250 {
                var resident = Gongzhi_Core_V1_Resident()
                resident.id = "R-\(batch)-\(index)"
                resident.name = "居民 \(batch)-\(index)"
                resident.notes = notes
                var write = Gongzhi_Host_V1_Write()
                write.create.kind = "Resident"
                write.create.id = resident.id
                write.create.parent = "H-\(index % 40)"
                write.create.data = try resident.serializedBytes()
                txn.writes.append(write)
            }
            _ = try await objects.txn(txn)
        }

        let token = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*"])
        let channel = host.channel(token: token.token)
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Resident"
        list.pageSize = 10_000
        let payload = try list.serializedData()
        let loadEnds = ContinuousClock.now + .seconds(15)
        var slowest: Duration = .zero
        let lists = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<96 {
                group.addTask {
                    var answered = 0
                    while ContinuousClock.now < loadEnds {
                        _ = try? await channel.unary(
                            service: "gongzhi.host.v1.Objects",
                            method: "List",
                            payload: payload,
                            options: CallOptions(timeout: .seconds(120))
                        )
                        answered += 1
                    }
                    return answered
                }
            }
            // The operator looks in while the load lasts.
            try await Task.sleep(for: .seconds(2))
            while ContinuousClock.now < loadEnds - .seconds(2) {
                let started = ContinuousClock.now
                let status = try await Self.ctl(["status"], socket: host.adminSocket)
                let took = ContinuousClock.now - started
                slowest = max(slowest, took)
                XCTAssertEqual(status.status, 0, status.errors)
                XCTAssertTrue(status.output.contains("alpha"), status.output)
                XCTAssertLessThan(took, .seconds(5), "gongzhictl status took \(took) while the host was busy")
                try await Task.sleep(for: .seconds(1))
            }
            return try await group.reduce(0, +)
        }
        XCTAssertGreaterThan(lists, 96, "the load ran")

        // Let the last health checks of the busy time come back, then look.
        try await Task.sleep(for: .seconds(3))
        for name in names {
            let after = try await host.status(name)
            let earlier = try XCTUnwrap(before[name])
            XCTAssertEqual(after.state, "ready", "\(name): \(after.reason)\n--- host log:\n\(host.log)")
            XCTAssertEqual(after.pid, earlier.pid, "\(name) was restarted")
            XCTAssertEqual(after.restarts, earlier.restarts, "\(name) was restarted")
            XCTAssertEqual(after.recentCrashes, 0, name)
        }
        XCTAssertFalse(host.log.contains("failed 2 health checks"), "a plugin was blamed for the host's load")
        let inconclusive = host.log.split(separator: "\n").filter { $0.contains("inconclusive") }.count
        print(
            "busy host: \(lists) lists answered in 15 s; slowest gongzhictl status \(slowest); "
                + "\(inconclusive) health checks inconclusive"
        )
    }

    /// A plugin crashes while the host is out of file descriptors, so its restart's spawn fails with "too many
    /// open files": that failure is retried after the usual backoff without counting as a crash (crash limit 2: a
    /// second counted failure would quarantine the plugin, as it did before); once descriptors are available
    /// again the plugin comes back, with the one crash it really had.
    func testASpawnShortOfFileDescriptorsIsRetriedNotCounted() async throws {
        var supervision = SupervisionPolicy.forTests
        supervision.backoffInitial = .seconds(1)
        supervision.backoffMaximum = .seconds(2)
        supervision.crashLimit = 2
        let host = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("alpha")], supervision: supervision)
        addTeardownBlock { await host.stop() }
        let first = try await host.waitUntil("alpha")
        // The admin connection is open before descriptors run out, so it can still be used.
        let hostPID = host.process.pid
        let limit = try Self.openFileLimit(of: hostPID)

        // No new descriptor for the host: every one it holds is numbered 3 or more, so any new one is over.
        try Self.setOpenFileLimit(of: hostPID, soft: 3, hard: limit.hard)
        var restored = false
        defer { if !restored { try? Self.setOpenFileLimit(of: hostPID, soft: limit.soft, hard: limit.hard) } }
        XCTAssertEqual(kill(first.pid, SIGKILL), 0)
        var backingOff = try await host.status("alpha")
        try await pollUntil("alpha's restart fails for want of file descriptors") {
            backingOff = try await host.status("alpha")
            return backingOff.reason.hasPrefix("could not start") || backingOff.state == "quarantined"
        }
        try Self.setOpenFileLimit(of: hostPID, soft: limit.soft, hard: limit.hard)
        restored = true

        XCTAssertEqual(backingOff.state, "backing-off")
        XCTAssertTrue(
            backingOff.reason.hasPrefix("could not start (too many open files); retrying in "),
            backingOff.reason
        )
        XCTAssertEqual(backingOff.recentCrashes, 1, "the kill is a crash; the failed spawn is not")
        let ready = try await host.waitUntilRestarted("alpha", from: first.pid)
        XCTAssertEqual(ready.state, "ready")
        XCTAssertEqual(ready.recentCrashes, 1)
        XCTAssertTrue(host.log.contains("too many open files"), host.log)
    }

    // MARK: Helpers

    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `gongzhictl` on a thread of its own, so that the test's tasks keep running meanwhile.
    static func ctl(_ arguments: [String], socket: String) async throws -> Outcome {
        let executable = try BuiltExecutables.path("gongzhictl")
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let done = try CompletedProcess.run(
                        executable,
                        arguments,
                        environment: ["GONGZHI_ADMIN_SOCKET": socket, "TZ": "UTC", "PATH": "/usr/bin:/bin"]
                    )
                    continuation.resume(
                        returning: Outcome(status: done.status, output: done.outputText, errors: done.errors)
                    )
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// The soft and hard limits of open files of a process, as `prlimit` reports them.
    static func openFileLimit(of pid: Int32) throws -> (soft: UInt64, hard: UInt64) {
        let done = try CompletedProcess.run(
            "/usr/bin/prlimit",
            ["--pid", "\(pid)", "--nofile", "--output=SOFT,HARD", "--noheadings", "--raw"]
        )
        let fields = done.outputText.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
        guard done.status == 0, fields.count == 2 else {
            throw TestSupportError("prlimit --pid \(pid) --nofile: \(done.outputText) \(done.errors)")
        }
        return (fields[0], fields[1])
    }

    static func setOpenFileLimit(of pid: Int32, soft: UInt64, hard: UInt64) throws {
        let done = try CompletedProcess.run("/usr/bin/prlimit", ["--pid", "\(pid)", "--nofile=\(soft):\(hard)"])
        guard done.status == 0 else {
            throw TestSupportError("prlimit --pid \(pid) --nofile=\(soft):\(hard): \(done.errors)")
        }
    }
}
