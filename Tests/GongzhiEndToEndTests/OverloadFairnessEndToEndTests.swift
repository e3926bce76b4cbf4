import GongzhiHost
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

/// What became of the heavy reader's calls.
private final class HeavyReaderOutcome: Sendable {
    private let state = Mutex<(listed: Int, refused: [RPCError], failed: [String])>((0, [], []))

    func listed() { state.withLock { $0.listed += 1 } }
    func refused(_ error: RPCError) { state.withLock { $0.refused.append(error) } }
    func failed(_ error: any Error) { state.withLock { $0.failed.append("\(error)") } }

    var counts: (listed: Int, refused: [RPCError], failed: [String]) { state.withLock { $0 } }
}

/// One heavy reader does not starve everyone: a client that pipelines hundreds of large Lists queues behind its
/// own share of the host, and another client's calls go on being answered.
final class OverloadFairnessEndToEndTests: XCTestCase {
    static let residents = 10_000
    static let heavyLists = 500

    /// Creates `count` Residents of about 300 bytes each, a thousand per transaction.
    private func seed(_ objects: Gongzhi_Host_V1_ObjectsClient, count: Int) async throws {
        var index = 0
        while index < count {
            var txn = Gongzhi_Host_V1_TxnRequest()
            for number in index..<min(index + 1000, count) {
                var resident = Gongzhi_Core_V1_Resident()
                resident.id = String(format: "R-%05d", number)
                resident.name = "居民\(number)"
                resident.notes = String(repeating: "住在第\(number % 40)栋，", count: 12)
                var object = Gongzhi_Host_V1_Object()
                object.kind = "Resident"
                object.id = resident.id
                object.labels = ["compound": "c\(number % 7)"]
                object.data = try resident.serializedBytes()
                var write = Gongzhi_Host_V1_Write()
                write.create = object
                txn.writes.append(write)
            }
            _ = try await objects.txn(txn)
            index += 1000
        }
    }

    func testAHeavyReaderQueuesBehindItsOwnShareWhileAnotherClientIsAnswered() async throws {
        let names = ["alpha", "beta", "gamma"]
        var supervision = SupervisionPolicy.forTests
        supervision.healthInterval = .seconds(1)
        supervision.healthTimeout = .seconds(2)
        let host = try await HostUnderTest(
            // Each serves the test services under a name of its own.
            plugins: try names.map {
                try HostUnderTest.testPlugin($0, serviceSuffix: $0 == "alpha" ? "" : $0.capitalized)
            },
            supervision: supervision
        )
        addTeardownBlock { await host.stop() }
        for name in names { try await host.waitUntil(name) }
        try await seed(Gongzhi_Host_V1_ObjectsClient(channel: host.admin), count: Self.residents)
        var restarts: [String: UInt32] = [:]
        for name in names { restarts[name] = try await host.status(name).restarts }

        let heavyToken = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/*"]).token
        let lightToken = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/ListKinds"]).token
        // One connection for all of the heavy reader's calls, as a pipelining client would.
        let heavyChannel = host.channel(token: heavyToken)
        let light = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: lightToken))
        // The light client's connection is open before the load starts.
        _ = try await light.listKinds(Gongzhi_Host_V1_ListKindsRequest())

        let outcome = HeavyReaderOutcome()
        let calls = Self.heavyLists
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<calls {
                    group.addTask {
                        let heavy = Gongzhi_Host_V1_ObjectsClient(channel: heavyChannel)
                        var request = Gongzhi_Host_V1_ListRequest()
                        request.kind = "Resident"
                        request.pageSize = 10_000
                        do {
                            let page = try await heavy.list(request)
                            if page.objects.isEmpty {
                                outcome.failed(TestSupportError("an empty page"))
                            } else {
                                outcome.listed()
                            }
                        } catch let error as RPCError where error.code == .resourceExhausted {
                            outcome.refused(error)
                        } catch {
                            outcome.failed(error)
                        }
                    }
                }
            }
        }
        // The load is on once the host has answered some of it.
        try await pollUntil("the heavy reader's first pages arrive", timeout: .seconds(60)) {
            let counts = outcome.counts
            return counts.listed + counts.refused.count > 0
        }

        var lightAnswers: [Duration] = []
        for _ in 0..<8 {
            let started = ContinuousClock.now
            do {
                let kinds = try await light.listKinds(
                    Gongzhi_Host_V1_ListKindsRequest(),
                    options: CallOptions(timeout: .seconds(5))
                )
                XCTAssertTrue(kinds.kinds.contains { $0.name == "Resident" })
                lightAnswers.append(ContinuousClock.now - started)
            } catch {
                XCTFail("the light client's ListKinds failed under the heavy reader's load: \(error)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        await load.value
        XCTAssertEqual(lightAnswers.count, 8, "answered in \(lightAnswers)")

        let counts = outcome.counts
        XCTAssertEqual(counts.failed, [], "the heavy reader's calls failed otherwise than refused")
        XCTAssertEqual(counts.listed + counts.refused.count, Self.heavyLists)
        XCTAssertGreaterThan(counts.listed, 0)
        for error in counts.refused {
            XCTAssertTrue(error.message.contains("[admission.clients]"), error.message)
            XCTAssertTrue(error.message.contains("token "), error.message)
            XCTAssertTrue(error.message.contains("retry in"), error.message)
            XCTAssertNotNil(error.metadata["gongzhi-retry-after-ms"], error.message)
        }
        // Refusals are logged, but not one line each.
        let logged = host.log.split(separator: "\n").filter { $0.contains("call refused") }
        if !counts.refused.isEmpty {
            XCTAssertFalse(logged.isEmpty, "no refusal logged")
            XCTAssertLessThan(logged.count, 10, "\(logged.count) refusal lines for \(counts.refused.count) refusals")
        }
        print(
            "heavy reader: \(counts.listed) lists answered, \(counts.refused.count) refused; "
                + "light client's ListKinds answered in \(lightAnswers); \(logged.count) refusal lines logged"
        )

        // Idle plugins are not blamed for the host's load.
        for name in names {
            let status = try await host.status(name)
            XCTAssertEqual(status.state, "ready", "\(name): \(status.reason)")
            XCTAssertEqual(status.restarts, restarts[name], "\(name) was restarted: \(status.reason)")
        }
    }
}
