import GongzhiRPC
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Admits calls level by level and flow by flow (the shape of Kubernetes' API Priority and Fairness, with one
/// exact queue per flow instead of shuffle sharding).
///
/// A call takes `width` seats of its ``PriorityLevel`` while it runs. It is admitted at once when its flow has
/// nobody waiting, its flow stays within `seats_per_flow` and the level within `seats`; otherwise it waits in its
/// flow's FIFO queue (at most `queue_length_per_flow` calls; one more is refused at once). When seats come back,
/// the waiting flow with the fewest seats in use goes first (ties: the one served longest ago), so a principal
/// with many calls queues behind its own share, not in front of everyone. A call that waits `max_wait` (or until
/// its caller's deadline) is refused. ``PriorityLevel/system`` is exempt: never queued, never refused.
///
/// The state is behind one mutex: admitting a call that need not wait takes the lock once and never suspends.
final class AdmissionController: Sendable {
    /// Runs `action` after `delay` unless the returned closure cancels it first.
    typealias Timer = @Sendable (_ delay: Duration, _ action: @escaping @Sendable () -> Void) -> @Sendable () -> Void

    /// The response metadata entry that says how many milliseconds to wait before retrying a refused call.
    static let retryAfterMetadataKey = "gongzhi-retry-after-ms"

    private struct Waiter {
        var id: UInt64
        var seats: Int
        var resume: @Sendable (Result<AdmissionTicket, RPCError>) -> Void
        var cancelTimer: (@Sendable () -> Void)?
        var since: ContinuousClock.Instant
        var waitsUntilDeadline: Bool
    }

    private struct Flow {
        var seatsInUse = 0
        var queue: [Waiter] = []
        /// When the flow was last given a seat (the dispatch counter), for round robin between equals.
        var lastServed: UInt64 = 0
    }

    private struct Level {
        var limits: LevelLimits
        var seatsInUse = 0
        var flows: [FlowKey: Flow] = [:]
        var statistics: AdmissionStatistics
        /// A moving average of how long the level's calls hold their seats, for the retry advice.
        var meanHold: Duration = .milliseconds(50)

        init(_ level: PriorityLevel, limits: LevelLimits) {
            self.limits = limits
            self.statistics = AdmissionStatistics(level: level.description, seats: limits.seats)
        }
    }

    private struct State {
        var limits: AdmissionLimits
        var levels: [PriorityLevel: Level] = [:]
        var openStreams: [FlowKey: Int] = [:]
        var streamsRefused: UInt64 = 0
        var nextID: UInt64 = 0
        var dispatches: UInt64 = 0
        /// Exempt calls admitted.
        var exempt: UInt64 = 0
    }

    private let state: Mutex<State>
    private let timer: Timer
    /// Where refusals are logged, at most once per limit every 10 s.
    private let refusals: RateLimitedLog?
    /// Where refusals are counted, by limit, for `gongzhictl status`.
    private let counters: LimitCounters?
    /// Named in refusals, so that a person knows which file sets the limit.
    let configurationPath: String

    init(
        limits: AdmissionLimits,
        configurationPath: String,
        logger: Logger? = nil,
        counters: LimitCounters? = nil,
        timer: @escaping Timer = AdmissionController.eventLoopTimer
    ) {
        self.state = Mutex(State(limits: limits))
        self.timer = timer
        self.refusals = logger.map { RateLimitedLog(logger: $0) }
        self.counters = counters
        self.configurationPath = configurationPath
    }

    /// A timer on one of NIO's shared event loops: no task for a waiter until it times out.
    static let eventLoopTimer: Timer = { delay, action in
        let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(
            in: .nanoseconds(delay.saturatingNanoseconds)
        ) { action() }
        return { scheduled.cancel() }
    }

    // MARK: Admitting

    /// Admits a call of `width` seats, waiting when it must; throws RESOURCE_EXHAUSTED when its flow's queue is
    /// full or it waited `max_wait`, DEADLINE_EXCEEDED when the caller's deadline passed first, CANCELLED when
    /// the caller went away (its place in the queue is freed at once).
    func admit(
        _ flow: FlowKey,
        level: PriorityLevel,
        width: Int = 1,
        deadline: ContinuousClock.Instant? = nil
    ) async throws(RPCError) -> AdmissionTicket {
        switch admitAtOnce(flow, level: level, width: width) {
        case .some(.success(let ticket)): return ticket
        case .some(.failure(let error)):
            throw refused(error, limit: "\(level.configurationTable) queue_length_per_flow")
        case .none: break
        }
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<AdmissionTicket, RPCError>, Never>) in
                enqueue(id: id, flow, level: level, width: width, deadline: deadline) {
                    continuation.resume(returning: $0)
                }
                if Task.isCancelled { cancel(id, level: level, flow: flow) }
            }
        } onCancel: {
            cancel(id, level: level, flow: flow)
        }
        return try result.get()
    }

    /// Admits a call of `width` seats and passes its ticket (or its refusal) to `completion`: at once, on the
    /// calling thread, when it need not wait; otherwise from the thread that frees a seat or from the timer.
    /// For handlers that answer through a callback and run no task.
    func admit(
        _ flow: FlowKey,
        level: PriorityLevel,
        width: Int = 1,
        deadline: ContinuousClock.Instant? = nil,
        completion: @escaping @Sendable (Result<AdmissionTicket, RPCError>) -> Void
    ) {
        if let result = admitAtOnce(flow, level: level, width: width) {
            completion(result.mapError { refused($0, limit: "\(level.configurationTable) queue_length_per_flow") })
            return
        }
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        enqueue(id: id, flow, level: level, width: width, deadline: deadline, resume: completion)
    }

    /// The ticket of a call that need not wait, a refusal, or nil when the call must queue.
    private func admitAtOnce(
        _ flow: FlowKey,
        level: PriorityLevel,
        width: Int
    ) -> Result<AdmissionTicket, RPCError>? {
        state.withLock { state -> Result<AdmissionTicket, RPCError>? in
            guard let limits = state.limits.limits(of: level) else {
                state.exempt += 1
                return .success(AdmissionTicket(flow: flow, hold: .nothing, release: nil))
            }
            if state.levels[level] == nil { state.levels[level] = Level(level, limits: limits) }
            let seats = state.levels[level]!.limits.seats(forWidth: width)
            let current = state.levels[level]!.flows[flow] ?? Flow()
            let levelState = state.levels[level]!
            guard current.queue.isEmpty, current.seatsInUse + seats <= levelState.limits.seatsPerFlow,
                levelState.seatsInUse + seats <= levelState.limits.seats,
                levelState.statistics.waiting == 0 || !levelHasWaiterThatFits(levelState)
            else {
                if current.queue.count >= levelState.limits.queueLengthPerFlow {
                    state.levels[level]!.statistics.rejected += 1
                    return .failure(queueFull(flow, level: level, levelState, current))
                }
                return nil
            }
            return .success(take(seats, of: level, for: flow, &state))
        }
    }

    /// True when a waiting call of another flow is within its flow's share: it goes before a newcomer.
    private func levelHasWaiterThatFits(_ level: Level) -> Bool {
        level.flows.values.contains { flow in
            guard let head = flow.queue.first else { return false }
            return flow.seatsInUse + head.seats <= level.limits.seatsPerFlow
        }
    }

    private func enqueue(
        id: UInt64,
        _ flow: FlowKey,
        level: PriorityLevel,
        width: Int,
        deadline: ContinuousClock.Instant?,
        resume: @escaping @Sendable (Result<AdmissionTicket, RPCError>) -> Void
    ) {
        let now = ContinuousClock.now
        enum Outcome {
            case exempt
            case refused(RPCError)
            case queued(Duration, [(Waiter, Result<AdmissionTicket, RPCError>)])
            case admitted([(Waiter, Result<AdmissionTicket, RPCError>)])
        }
        let outcome = state.withLock { state -> Outcome in
            guard let limits = state.limits.limits(of: level) else {
                state.exempt += 1
                return .exempt
            }
            if state.levels[level] == nil { state.levels[level] = Level(level, limits: limits) }
            let levelState = state.levels[level]!
            let current = levelState.flows[flow] ?? Flow()
            if current.queue.count >= levelState.limits.queueLengthPerFlow {
                state.levels[level]!.statistics.rejected += 1
                return .refused(queueFull(flow, level: level, levelState, current))
            }
            var wait = levelState.limits.maxWait
            var untilDeadline = false
            if let deadline, deadline - now < wait {
                wait = max(.zero, deadline - now)
                untilDeadline = true
            }
            let waiter = Waiter(
                id: id,
                seats: levelState.limits.seats(forWidth: width),
                resume: resume,
                since: now,
                waitsUntilDeadline: untilDeadline
            )
            state.levels[level]!.flows[flow, default: Flow()].queue.append(waiter)
            state.levels[level]!.statistics.queued += 1
            state.levels[level]!.statistics.waiting += 1
            let resumed = dispatch(level, &state)
            return resumed.contains { $0.0.id == id } ? .admitted(resumed) : .queued(wait, resumed)
        }
        switch outcome {
        case .exempt:
            resume(.success(AdmissionTicket(flow: flow, hold: .nothing, release: nil)))
        case .refused(let error):
            resume(.failure(refused(error, limit: "\(level.configurationTable) queue_length_per_flow")))
        case .admitted(let resumed):
            self.resume(resumed)
        case .queued(let wait, let resumed):
            self.resume(resumed)
            let cancelTimer = timer(wait) { [weak self] in self?.expire(id, level: level, flow: flow) }
            let stillWaiting = state.withLock { state -> Bool in
                guard let index = state.levels[level]?.flows[flow]?.queue.firstIndex(where: { $0.id == id }) else {
                    return false
                }
                state.levels[level]!.flows[flow]!.queue[index].cancelTimer = cancelTimer
                return true
            }
            if !stillWaiting { cancelTimer() }
        }
    }

    /// Gives waiting calls of `level` the seats they fit in, fairest first; returns them to resume outside the lock.
    private func dispatch(_ level: PriorityLevel, _ state: inout State) -> [(Waiter, Result<AdmissionTicket, RPCError>)]
    {
        var resumed: [(Waiter, Result<AdmissionTicket, RPCError>)] = []
        while let levelState = state.levels[level] {
            // The waiting flows within their share, fewest seats in use first, then the one served longest ago,
            // then the one whose call came first.
            var best: (key: FlowKey, flow: Flow)?
            for (key, flow) in levelState.flows {
                guard let head = flow.queue.first, flow.seatsInUse + head.seats <= levelState.limits.seatsPerFlow
                else { continue }
                if let chosen = best, let chosenHead = chosen.flow.queue.first,
                    (chosen.flow.seatsInUse, chosen.flow.lastServed, chosenHead.id)
                        <= (flow.seatsInUse, flow.lastServed, head.id)
                {
                    continue
                }
                best = (key, flow)
            }
            // The fairest call waits for enough seats rather than let narrower ones past it for ever.
            guard let best, let head = best.flow.queue.first,
                levelState.seatsInUse + head.seats <= levelState.limits.seats
            else { break }
            state.levels[level]!.flows[best.key]!.queue.removeFirst()
            state.levels[level]!.statistics.waiting -= 1
            let ticket = take(head.seats, of: level, for: best.key, &state)
            resumed.append((head, .success(ticket)))
        }
        return resumed
    }

    /// Charges `seats` to the flow and the level and makes the ticket that gives them back.
    private func take(
        _ seats: Int,
        of level: PriorityLevel,
        for flow: FlowKey,
        _ state: inout State
    ) -> AdmissionTicket {
        state.dispatches += 1
        state.levels[level]!.seatsInUse += seats
        state.levels[level]!.flows[flow, default: Flow()].seatsInUse += seats
        state.levels[level]!.flows[flow]!.lastServed = state.dispatches
        state.levels[level]!.statistics.admitted += 1
        state.levels[level]!.statistics.seatsInUse = state.levels[level]!.seatsInUse
        return AdmissionTicket(flow: flow, hold: .seats(level, seats)) { [weak self] ticket in
            self?.release(ticket)
        }
    }

    private func release(_ ticket: AdmissionTicket) {
        let held = ContinuousClock.now - ticket.admittedAt
        let resumed = state.withLock { state -> [(Waiter, Result<AdmissionTicket, RPCError>)] in
            switch ticket.hold {
            case .nothing:
                return []
            case .stream:
                let open = (state.openStreams[ticket.flow] ?? 1) - 1
                state.openStreams[ticket.flow] = open > 0 ? open : nil
                return []
            case .seats(let level, let seats):
                guard state.levels[level] != nil else { return [] }
                state.levels[level]!.seatsInUse -= seats
                state.levels[level]!.statistics.seatsInUse = state.levels[level]!.seatsInUse
                state.levels[level]!.meanHold = (state.levels[level]!.meanHold * 7 + held) / 8
                if var flow = state.levels[level]!.flows[ticket.flow] {
                    flow.seatsInUse -= seats
                    state.levels[level]!.flows[ticket.flow] = flow.seatsInUse == 0 && flow.queue.isEmpty ? nil : flow
                }
                return dispatch(level, &state)
            }
        }
        resume(resumed)
    }

    private func resume(_ resumed: [(Waiter, Result<AdmissionTicket, RPCError>)]) {
        for (waiter, result) in resumed {
            waiter.cancelTimer?()
            waiter.resume(result)
        }
    }

    /// Takes the waiter `id` out of its queue, if it is still there.
    private func remove(_ id: UInt64, level: PriorityLevel, flow: FlowKey, _ state: inout State) -> Waiter? {
        guard let index = state.levels[level]?.flows[flow]?.queue.firstIndex(where: { $0.id == id }) else {
            return nil
        }
        let waiter = state.levels[level]!.flows[flow]!.queue.remove(at: index)
        state.levels[level]!.statistics.waiting -= 1
        if let remaining = state.levels[level]!.flows[flow], remaining.seatsInUse == 0, remaining.queue.isEmpty {
            state.levels[level]!.flows[flow] = nil
        }
        return waiter
    }

    /// The caller went away: its place is freed and it is answered CANCELLED.
    private func cancel(_ id: UInt64, level: PriorityLevel, flow: FlowKey) {
        let (waiter, resumed) = state.withLock { state -> (Waiter?, [(Waiter, Result<AdmissionTicket, RPCError>)]) in
            guard let waiter = remove(id, level: level, flow: flow, &state) else { return (nil, []) }
            state.levels[level]!.statistics.cancelled += 1
            // The flow's next call may fit where this one did not.
            return (waiter, dispatch(level, &state))
        }
        guard let waiter else { return }
        waiter.cancelTimer?()
        waiter.resume(
            .failure(RPCError(code: .cancelled, message: "the call was cancelled while it waited for admission"))
        )
        resume(resumed)
    }

    /// The waiter waited as long as it may.
    private func expire(_ id: UInt64, level: PriorityLevel, flow: FlowKey) {
        let (waiter, error, resumed) = state.withLock {
            state -> (Waiter?, RPCError?, [(Waiter, Result<AdmissionTicket, RPCError>)]) in
            guard let waiter = remove(id, level: level, flow: flow, &state) else { return (nil, nil, []) }
            let levelState = state.levels[level]!
            let error: RPCError
            if waiter.waitsUntilDeadline {
                state.levels[level]!.statistics.cancelled += 1
                error = RPCError(
                    code: .deadlineExceeded,
                    message: "the caller's deadline passed while the call waited for admission: \(flow) has "
                        + "\(levelState.flows[flow]?.seatsInUse ?? 0) seats in use at level \(level), its share "
                        + "\(levelState.limits.configurationKey("seats_per_flow", of: level)) = "
                        + "\(levelState.limits.seatsPerFlow)"
                )
            } else {
                state.levels[level]!.statistics.rejected += 1
                error = waitedTooLong(flow, level: level, levelState, waited: ContinuousClock.now - waiter.since)
            }
            return (waiter, error, dispatch(level, &state))
        }
        if let waiter, let error {
            if error.code == .resourceExhausted {
                _ = refused(error, limit: "\(level.configurationTable) max_wait")
            }
            waiter.resume(.failure(error))
        }
        resume(resumed)
    }

    // MARK: Streams

    /// Opens one of the flow's streams, or refuses it (RESOURCE_EXHAUSTED) when the flow has
    /// `max_streams_per_flow` open. A stream holds no seats: release the ticket when it ends.
    func openStream(_ flow: FlowKey) throws(RPCError) -> AdmissionTicket {
        let refusal = state.withLock { state -> RPCError? in
            let open = state.openStreams[flow] ?? 0
            guard open < state.limits.maxStreamsPerFlow else {
                state.streamsRefused += 1
                return RPCError(
                    code: .resourceExhausted,
                    message: "\(flow) has \(open) streams open, the limit [admission] max_streams_per_flow = "
                        + "\(state.limits.maxStreamsPerFlow) in \(configurationPath); close one (end a Watch) and "
                        + "retry, or raise the limit",
                    metadata: [Self.retryAfterMetadataKey: "1000"]
                )
            }
            state.openStreams[flow] = open + 1
            return nil
        }
        if let refusal { throw refused(refusal, limit: "[admission] max_streams_per_flow") }
        return AdmissionTicket(flow: flow, hold: .stream) { [weak self] ticket in self?.release(ticket) }
    }

    // MARK: Statistics

    /// Every level that has seen a call, in name order: seats in use, waiting, admitted, queued, rejected.
    var statistics: [AdmissionStatistics] {
        state.withLock { state in
            var all = state.levels.values.map(\.statistics)
            var system = AdmissionStatistics(level: PriorityLevel.system.description, seats: 0)
            system.admitted = state.exempt
            all.append(system)
            return all.sorted { $0.level < $1.level }
        }
    }

    /// Streams refused because their flow had `max_streams_per_flow` open.
    var streamsRefused: UInt64 { state.withLock { $0.streamsRefused } }

    // MARK: Refusals

    /// The refusal, counted under its limit (`[admission.clients] max_wait` as `admission.clients.max_wait`) and
    /// logged (at most once per limit every 10 s).
    private func refused(_ error: RPCError, limit: String) -> RPCError {
        let name = limit.filter { $0 != "[" }.replacingOccurrences(of: "] ", with: ".")
        counters?.count(name, detail: String(error.message.prefix(160)))
        refusals?.warning(limit: name, key: "", "call refused: \(error.message)")
        return error
    }

    /// How long a refused caller of `level` should wait: the level's mean hold time × the calls ahead of it per
    /// seat of its share, between 50 ms and 5 s.
    private func retryAfter(_ levelState: Level, queued: Int) -> Duration {
        let perSeat = levelState.meanHold * (queued + 1) / max(1, levelState.limits.seatsPerFlow)
        return min(max(perSeat, .milliseconds(50)), .seconds(5))
    }

    private func queueFull(_ flow: FlowKey, level: PriorityLevel, _ levelState: Level, _ current: Flow) -> RPCError {
        let retry = retryAfter(levelState, queued: current.queue.count)
        let milliseconds = retry.saturatingNanoseconds / 1_000_000
        return RPCError(
            code: .resourceExhausted,
            message: "\(flow) has \(current.seatsInUse) seats in use and \(current.queue.count) calls waiting at "
                + "level \(level), the limit \(levelState.limits.configurationKey("queue_length_per_flow", of: level)) "
                + "= \(levelState.limits.queueLengthPerFlow) in \(configurationPath); retry in \(milliseconds) ms, "
                + "or send fewer calls at once",
            metadata: [Self.retryAfterMetadataKey: "\(milliseconds)"]
        )
    }

    private func waitedTooLong(_ flow: FlowKey, level: PriorityLevel, _ levelState: Level, waited: Duration) -> RPCError
    {
        let queued = levelState.flows[flow]?.queue.count ?? 0
        let retry = retryAfter(levelState, queued: queued)
        let milliseconds = retry.saturatingNanoseconds / 1_000_000
        return RPCError(
            code: .resourceExhausted,
            message: "\(flow) waited \(waited.configurationText) for a seat at "
                + "level \(level), the limit \(levelState.limits.configurationKey("max_wait", of: level)) = "
                + "\"\(levelState.limits.maxWait.configurationText)\" in \(configurationPath) (it has \(levelState.flows[flow]?.seatsInUse ?? 0) "
                + "of its \(levelState.limits.seatsPerFlow) seats in use, \(queued) more calls waiting); retry in "
                + "\(milliseconds) ms, or send fewer calls at once",
            metadata: [Self.retryAfterMetadataKey: "\(milliseconds)"]
        )
    }
}

extension LevelLimits {
    /// `[admission.LEVEL] key`, as a refusal names it.
    fileprivate func configurationKey(_ key: String, of level: PriorityLevel) -> String {
        "\(level.configurationTable) \(key)"
    }
}

extension Duration {
    /// The duration as the configuration writes it: `250ms`, `10s`.
    fileprivate var configurationText: String {
        let milliseconds = saturatingNanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}
