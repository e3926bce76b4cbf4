import Foundation
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The points plugin, and then the host, killed with SIGKILL while clients send transfers: after the restart no
/// transfer that was answered OK is lost, the hash chain verifies, every balance is the sum of its transfers, and a
/// retry of what was left unanswered records each transfer once.
final class PointsDurabilityEndToEndTests: XCTestCase {
    static let holders = (0..<16).map { "volunteer:resident:H\($0)" }

    /// Transfers answered by the plugin, from many clients.
    final class Answered: Sendable {
        struct State {
            /// Transfers answered OK or EXISTS (recorded), by id.
            var recorded: [String: Gongzhi_Points_V1_Transfer] = [:]
            /// Calls that failed (UNAVAILABLE while the plugin or the host was down).
            var failedCalls = 0
            /// Batches whose call failed and that were not sent again.
            var unanswered: [[Gongzhi_Points_V1_Transfer]] = []
            var stop = false
        }

        private let state = Mutex(State())

        func add(_ results: [Gongzhi_Points_V1_TransferResult]) {
            state.withLock { state in
                for result in results where result.result == .ok || result.result == .exists {
                    state.recorded[result.id] = result.transfer
                }
            }
        }

        func failed(_ batch: [Gongzhi_Points_V1_Transfer], keep: Bool) {
            state.withLock { state in
                state.failedCalls += 1
                if keep { state.unanswered.append(batch) }
            }
        }

        func stop() { state.withLock { $0.stop = true } }
        var stopped: Bool { state.withLock { $0.stop } }
        var recorded: [String: Gongzhi_Points_V1_Transfer] { state.withLock { $0.recorded } }
        var count: Int { state.withLock { $0.recorded.count } }
        var failedCalls: Int { state.withLock { $0.failedCalls } }
        var unanswered: [[Gongzhi_Points_V1_Transfer]] { state.withLock { $0.unanswered } }
    }

    /// Batch `number` of client `client`: four credits from the issuing account and four gifts between holders
    /// (a gift may find too few points: that is an answer too, and nothing is recorded).
    static func batch(client: Int, number: Int) -> [Gongzhi_Points_V1_Transfer] {
        (0..<8).map { index in
            let id = "c\(client)-\(number)-\(index)"
            let holder = holders[(client + number + index) % holders.count]
            if index % 2 == 0 {
                return PointsWorld.transfer(id, from: PointsWorld.issuer, to: holder, 3, code: "deliberation")
            }
            let next = holders[(client + number + index + 5) % holders.count]
            return PointsWorld.transfer(id, from: holder, to: next, 2)
        }
    }

    /// Starts `clients` clients, each on a connection of its own, sending batches until told to stop. A batch whose
    /// call fails is sent again with the same ids when `retry`, else kept as unanswered and the client stops.
    func startLoad(
        _ world: PointsWorld,
        clients: Int,
        retry: Bool,
        answered: Answered
    ) -> [Task<Void, any Error>] {
        (0..<clients).map { client in
            let socket = world.host.adminSocket
            return Task {
                let connection = RPCClient(socketPath: socket)
                let points = Gongzhi_Points_V1_PointsClient(channel: connection)
                var number = 0
                while !answered.stopped {
                    let batch = Self.batch(client: client, number: number)
                    var request = Gongzhi_Points_V1_CreateTransfersRequest()
                    request.transfers = batch
                    do {
                        let results = try await points.createTransfers(request).results
                        XCTAssertEqual(
                            results.filter { $0.result != .ok && $0.result != .exists && $0.result != .exceedsCredits }
                                .map(\.message),
                            []
                        )
                        answered.add(results)
                        number += 1
                    } catch {
                        answered.failed(batch, keep: !retry)
                        if !retry { break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                await connection.close()
            }
        }
    }

    /// Checks the store against what was answered: every recorded transfer there as answered, the chain verifying,
    /// every balance the sum of its transfers.
    func checkNothingAnsweredIsLost(_ world: PointsWorld, _ answered: Answered) async throws {
        let stored = try await world.storedTransfers()
        let recorded = answered.recorded
        var missing: [String] = []
        for (id, transfer) in recorded {
            guard let found = stored[id] else {
                missing.append(id)
                continue
            }
            XCTAssertEqual(found, transfer, "\(id) is stored as it was answered")
        }
        XCTAssertEqual(missing.sorted(), [], "of \(recorded.count) answered transfers, \(missing.count) are lost")
        let accounts = try await world.checkBalancesAgainstTransfers()
        XCTAssertEqual(accounts, Self.holders.count + 2, "the holders, R1 and the issuing account")
    }

    func setUpHolders(_ world: PointsWorld) async throws {
        try await world.openIssuer()
        try await world.openAccounts(Self.holders)
        try await world.credit(Dictionary(uniqueKeysWithValues: Self.holders.map { ($0, 20) }))
    }

    func testAPointsPluginKilledUnderLoadLosesNoAnsweredTransfer() async throws {
        let world = try await PointsWorld.start(self)
        try await setUpHolders(world)
        let answered = Answered()
        let load = startLoad(world, clients: 8, retry: true, answered: answered)
        try await pollUntil("the clients have 400 transfers recorded", timeout: .seconds(60)) { answered.count >= 400 }
        let running = try await world.host.status("points")
        kill(running.pid, SIGKILL)
        try await world.host.waitUntilRestarted("points", from: running.pid)
        let atRestart = answered.count
        try await pollUntil("the clients go on after the restart", timeout: .seconds(60)) {
            answered.count >= atRestart + 400
        }
        answered.stop()
        for client in load { try await client.value }
        XCTAssertGreaterThan(answered.failedCalls, 0, "calls failed while the plugin was down")

        try await checkNothingAnsweredIsLost(world, answered)
        let status = try await world.host.status("points")
        XCTAssertEqual(status.restarts, running.restarts + 1, "restarted once, by the host")
    }

    func testAHostKilledUnderLoadLosesNoAnsweredTransfer() async throws {
        let directory = try TemporaryDirectory(prefix: "gzpointscrash")
        let world = try await PointsWorld.start(self, directory: directory)
        try await setUpHolders(world)
        let answered = Answered()
        let load = startLoad(world, clients: 8, retry: false, answered: answered)
        try await pollUntil("the clients have 400 transfers recorded", timeout: .seconds(60)) { answered.count >= 400 }
        let plugin = try await world.host.status("points")
        world.host.process.signal(SIGKILL)
        for client in load { try await client.value }
        _ = await world.host.process.waitForExit()
        await world.host.admin.close()
        let pluginGone = await waitUntilGone(plugin.pid)
        XCTAssertTrue(pluginGone, "the points plugin went with its host")
        XCTAssertEqual(answered.unanswered.count, 8, "every client's last call failed with the host")

        let host = try await HostUnderTest(plugins: world.host.plugins, directory: directory)
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("points")
        let restarted = PointsWorld(
            host: host,
            points: Gongzhi_Points_V1_PointsClient(channel: host.admin),
            objects: Gongzhi_Host_V1_ObjectsClient(channel: host.admin),
            clockFile: world.clockFile
        )
        try await checkNothingAnsweredIsLost(restarted, answered)

        // What was left unanswered, sent again with the same ids: each transfer recorded once.
        let before = try await restarted.storedTransfers()
        var retried: [Gongzhi_Points_V1_TransferResult] = []
        for batch in answered.unanswered {
            var request = Gongzhi_Points_V1_CreateTransfersRequest()
            request.transfers = batch
            retried += try await restarted.points.createTransfers(request).results
        }
        for result in retried {
            if before[result.id] != nil {
                XCTAssertEqual(result.result, .exists, "\(result.id) was stored before the crash")
                XCTAssertEqual(result.transfer, before[result.id])
            } else {
                XCTAssertTrue([.ok, .exceedsCredits].contains(result.result), "\(result.id): \(result.message)")
            }
        }
        let after = try await restarted.storedTransfers()
        XCTAssertEqual(after.count, before.count + retried.filter { $0.result == .ok }.count)
        try await restarted.checkBalancesAgainstTransfers()
    }
}
