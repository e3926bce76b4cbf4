import GongzhiRPC
import GongzhiRPCPosix

/// What one answered call did.
struct CallOutcome: Sendable {
    /// Transfers recorded, balances read or objects created.
    var done: Int
    /// Transfers answered with a result other than OK.
    var refused = 0
    /// The first refusal's result and message.
    var firstRefusal: String?
}

/// Connections to the host's socket, each presenting the client token on every call: one client each, opened by
/// a warm-up before any measured run, so that no run's clock includes connecting.
final class HostClients: Sendable {
    let connections: [RPCClient]
    let channels: [any RPCClientChannel]

    init(socket: String, token: String, count: Int) {
        self.connections = (0..<count).map { _ in RPCClient(socketPath: socket) }
        self.channels = connections.map { $0.addingMetadata(["gongzhi-token": token]) }
    }

    var count: Int { channels.count }

    func close() async {
        for connection in connections { await connection.close() }
    }

    /// Gives up after this many failed calls in a row on one connection: the host is gone or refusing.
    static let maximumConsecutiveFailures = 20

    /// Every connection makes calls one at a time until `seconds` have passed since the first was sent; `call`
    /// makes call `sequence` (from 0, per connection) of connection `client`. The run ends with the last answer.
    /// CPU time of the host, the plugin and this process is read around it.
    func timedRun(
        seconds: Double,
        hostPID: Int32,
        pluginPID: Int32?,
        _ call:
            @escaping @Sendable (_ channel: any RPCClientChannel, _ client: Int, _ sequence: Int) async throws ->
            CallOutcome
    ) async throws -> MeasuredRun {
        struct ClientResult: Sendable {
            var latencies: [UInt64] = []
            var done = 0
            var refused = 0
            var failed = 0
            var firstProblem: String?
        }
        let loadAtStart = MachineState.now().oneMinuteLoad
        let hostBefore = cpuMicros(pid: hostPID)
        let pluginBefore = pluginPID.flatMap(cpuMicros)
        let clientBefore = ownCPUMicros()
        let waitBefore = [hostPID, pluginPID].compactMap { $0 }.compactMap(runQueueWaitNanos).reduce(0, +)
        let machineBefore = MachineCounters.now()
        let started = monotonicNanos()
        let deadline = started + UInt64(seconds * 1e9)
        let results = try await withThrowingTaskGroup(of: ClientResult.self) { group in
            for (client, channel) in channels.enumerated() {
                group.addTask {
                    var result = ClientResult()
                    var failedInARow = 0
                    var sequence = 0
                    while monotonicNanos() < deadline {
                        let sent = monotonicNanos()
                        do {
                            let outcome = try await call(channel, client, sequence)
                            result.latencies.append(monotonicNanos() - sent)
                            result.done += outcome.done
                            result.refused += outcome.refused
                            if result.firstProblem == nil, let refusal = outcome.firstRefusal {
                                result.firstProblem = refusal
                            }
                            failedInARow = 0
                        } catch {
                            result.failed += 1
                            if result.firstProblem == nil { result.firstProblem = "\(error)" }
                            failedInARow += 1
                            if failedInARow >= Self.maximumConsecutiveFailures {
                                throw BenchFailure("\(failedInARow) calls in a row failed; the last with: \(error)")
                            }
                        }
                        sequence += 1
                    }
                    return result
                }
            }
            var all: [ClientResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        let ended = monotonicNanos()
        let machine = MachineCounters.now().since(machineBefore)
        let waitAfter = [hostPID, pluginPID].compactMap { $0 }.compactMap(runQueueWaitNanos).reduce(0, +)
        var run = MeasuredRun(
            clients: channels.count,
            calls: results.map(\.latencies.count).reduce(0, +),
            operations: results.map(\.done).reduce(0, +),
            seconds: Double(ended - started) / 1e9,
            latencies: results.flatMap(\.latencies),
            loadAtStart: loadAtStart
        )
        run.refused = results.map(\.refused).reduce(0, +)
        run.failedCalls = results.map(\.failed).reduce(0, +)
        run.firstProblem = results.compactMap(\.firstProblem).first
        if let hostBefore, let after = cpuMicros(pid: hostPID) { run.serverCPU = after - hostBefore }
        if let pluginBefore, let pluginPID, let after = cpuMicros(pid: pluginPID) {
            run.pluginCPU = after - pluginBefore
        }
        run.clientCPU = ownCPUMicros() - clientBefore
        run.machine = machine
        run.serverRunQueueWait = Double(waitAfter &- waitBefore)
        return run
    }
}
