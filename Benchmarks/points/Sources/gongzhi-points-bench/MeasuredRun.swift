/// One measured run of one side (ours or PostgreSQL): what it did, how long it took and what it cost.
struct MeasuredRun: Sendable {
    /// Concurrent clients, each on a connection of its own, one call (or transaction) at a time.
    var clients: Int
    /// Calls (ours) or transactions (PostgreSQL) answered.
    var calls: Int
    /// What the calls did: transfers recorded, balances read or objects created.
    var operations: Int
    /// Transfers refused with a result other than OK (none are expected: every holder is funded).
    var refused = 0
    /// Calls (or transactions) that failed as a whole.
    var failedCalls = 0
    var firstProblem: String?
    /// From the first call sent to the last answer, in seconds.
    var seconds: Double
    /// Each answered call's latency, in nanoseconds.
    var latencies: [UInt64]
    /// CPU time over the run, in microseconds: the server (gongzhi-host; PostgreSQL's postmaster with every
    /// backend), our plugin, and the client (this process; pgbench).
    var serverCPU: Double?
    var pluginCPU: Double?
    var clientCPU: Double?
    /// Nanoseconds our server's threads (gongzhi-host's and gongzhi-points') spent ready to run but waiting for a
    /// processor over the run; nil for PostgreSQL, whose backends end with the run.
    var serverRunQueueWait: Double?
    /// The whole machine over the run: processors busy, bytes written to the disks, the disks' busy time.
    var machine: MachineActivity?
    /// The one-minute load average when the run began.
    var loadAtStart: String
    /// pgbench's own figure of transactions per second (without the initial connection time).
    var pgbenchPerSecond: Double?

    /// Operations per second of the run.
    var perSecond: Double { seconds > 0 ? Double(operations) / seconds : 0 }

    var latency: LatencySummary { LatencySummary(nanoseconds: latencies) }

    /// CPU microseconds per operation of the server and plugin together, and of the client.
    var serverCPUPerOperation: Double? {
        guard let serverCPU, operations > 0 else { return nil }
        return (serverCPU + (pluginCPU ?? 0)) / Double(operations)
    }

    var pluginCPUPerOperation: Double? {
        guard let pluginCPU, operations > 0 else { return nil }
        return pluginCPU / Double(operations)
    }

    /// Microseconds per operation that our server's threads waited for a processor.
    var serverRunQueueWaitPerOperation: Double? {
        guard let serverRunQueueWait, operations > 0 else { return nil }
        return serverRunQueueWait / 1_000 / Double(operations)
    }

    var clientCPUPerOperation: Double? {
        guard let clientCPU, operations > 0 else { return nil }
        return clientCPU / Double(operations)
    }
}
