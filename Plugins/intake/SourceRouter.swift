import GongzhiHashing
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiIntakeStore
import GongzhiPluginSDK
import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What became of an input, for whoever waits on it (an Open311 POST of a realtime service).
struct InputFate: Sendable {
    var result: RowResult
    var itemID: String
}

/// The inputs being waited on, by inbox sequence.
final class InputWaiters: Sendable {
    private struct Waiting {
        var continuations: [UInt64: [CheckedContinuation<InputFate?, Never>]] = [:]
        /// Fates nobody waited for yet (the router can finish an input before its POST starts waiting), the
        /// newest `remembered` of them.
        var unclaimed: [UInt64: InputFate] = [:]
        var order: [UInt64] = []
    }
    private let state = Mutex(Waiting())
    private let remembered = 4_096

    /// Waits until the input is finished or `milliseconds` pass (nil then); answers at once when it was finished
    /// before the wait began. The timer starts only once the waiter is registered, so that it cannot go off
    /// before there is anyone to wake.
    func wait(for seq: UInt64, milliseconds: Int64) async -> InputFate? {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state -> InputFate? in
                if let fate = state.unclaimed.removeValue(forKey: seq) { return fate }
                state.continuations[seq, default: []].append(continuation)
                return nil
            }
            if let finished {
                continuation.resume(returning: finished)
                return
            }
            Task {
                try? await Task.sleep(for: .milliseconds(milliseconds))
                self.finish(seq, nil)
            }
        }
    }

    /// Wakes whoever waits on the input; a fate nobody waits for yet is kept for a wait that comes later.
    func finish(_ seq: UInt64, _ fate: InputFate?) {
        let waiting = state.withLock { state -> [CheckedContinuation<InputFate?, Never>] in
            if let waiting = state.continuations.removeValue(forKey: seq) { return waiting }
            if let fate {
                state.unclaimed[seq] = fate
                state.order.append(seq)
                if state.order.count > remembered {
                    let excess = state.order.count - remembered
                    for old in state.order.prefix(excess) { state.unclaimed[old] = nil }
                    state.order.removeFirst(excess)
                }
            }
            return []
        }
        for continuation in waiting { continuation.resume(returning: fate) }
    }
}

/// One source's router: takes its inputs from the inbox in order and runs them through the pipeline, each to
/// exactly one end (accepted, duplicate, dead letter) recorded in the same transaction as the counters; an
/// input a module could not take now stays in flight and is tried again with backoff. Each source has its own
/// router, so a flood or a failing path on one source does not hold up the others.
final class SourceRouter: Sendable {
    let source: IntakeSources.Source
    let pipeline: IntakePipeline
    let waiters: InputWaiters
    private let doorbell = Doorbell()
    /// Rows taken per round; MQTT rows are checked by the sensor adapter as one batch.
    let batch = 200

    init(source: IntakeSources.Source, pipeline: IntakePipeline, waiters: InputWaiters) {
        self.source = source
        self.pipeline = pipeline
        self.waiters = waiters
    }

    /// New inputs are in the inbox.
    func wake() {
        doorbell.ring()
    }

    /// Routes until cancelled.
    func run() async {
        while !Task.isCancelled {
            let rows: [InboxRow]
            do {
                rows = try pipeline.store.pending(source: source.name, limit: batch, nowMs: pipeline.clock.nowMs())
            } catch {
                pipeline.logger.error(
                    "reading the inbox failed",
                    metadata: ["source": "\(source.name)", "error": "\(error)"]
                )
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if rows.isEmpty {
                // Wake on a new input, or look again for inputs whose retry came due.
                await doorbell.wait(milliseconds: 250)
                continue
            }
            if case .mqtt = source.kind {
                // A batch of messages: checked together, finished in one transaction.
                await finish(rows, await pipeline.processReadings(rows, source: source), waitedOn: false)
            } else {
                // Tickets one by one, each finished before the next is looked at: the next one's dedupe must see
                // this one's ticket number and fingerprint.
                for row in rows {
                    await finish([row], [await pipeline.processTicket(row, source: source)], waitedOn: true)
                }
            }
        }
    }

    /// Records the ends of inputs: dead letter objects first (so that the count never runs ahead of them), then
    /// every finished row and the counters in one transaction; an input to try again is put back with backoff.
    /// When inputs are `waitedOn` (tickets: an Open311 POST may wait for its routing), their waiters are woken.
    /// A failure leaves the rows pending, to be run again: every step before is idempotent.
    func finish(_ rows: [InboxRow], _ results: [RowResult], waitedOn: Bool) async {
        var finishing: [(seq: UInt64, outcome: InboxOutcome, dedupe: DedupeRecord?)] = []
        var fates: [(seq: UInt64, fate: InputFate)] = []
        for (row, result) in zip(rows, results) {
            switch result {
            case .accepted(let outcome, _, let dedupe):
                finishing.append((row.seq, .accepted(outcome), dedupe))
                fates.append((row.seq, InputFate(result: result, itemID: itemID(row.seq))))
            case .duplicate(let first, _):
                finishing.append((row.seq, .duplicate(of: first), nil))
                fates.append((row.seq, InputFate(result: result, itemID: first == 0 ? "" : itemID(first))))
            case .dead(let refusal):
                do {
                    let letter = try await pipeline.books.createDeadLetter(deadLetter(row, refusal))
                    finishing.append((row.seq, .dead(deadLetterID: letter.id), nil))
                    fates.append((row.seq, InputFate(result: result, itemID: "")))
                    logDead(row, refusal)
                } catch {
                    pipeline.logger.error(
                        "writing a dead letter failed; the input will be run again",
                        metadata: ["source": "\(source.name)", "seq": "\(row.seq)", "error": "\(error)"]
                    )
                }
            case .retry(let why):
                retryLater(row, why)
            }
        }
        do {
            _ = try pipeline.store.finish(source: source.name, finishing)
            if waitedOn {
                for (seq, fate) in fates { waiters.finish(seq, fate) }
            }
        } catch {
            pipeline.logger.error(
                "recording inputs' ends failed; they will be run again",
                metadata: ["source": "\(source.name)", "inputs": "\(finishing.count)", "error": "\(error)"]
            )
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    private func itemID(_ seq: UInt64) -> String {
        IntakeIdentity.itemID(source: source.name, inboxSequence: seq)
    }

    /// Puts an input back, due again after a backoff of 0.1 s doubling to 30 s; it stays in flight.
    private func retryLater(_ row: InboxRow, _ why: String) {
        let delay = min(30_000, 100 * (1 << min(row.attempts, 9)))
        do {
            try pipeline.store.retryLater(seq: row.seq, atMs: pipeline.clock.nowMs() + Int64(delay), error: why)
        } catch {
            pipeline.logger.error(
                "putting an input back failed",
                metadata: ["source": "\(source.name)", "seq": "\(row.seq)", "error": "\(error)"]
            )
        }
        if row.attempts == 0 || row.attempts % 10 == 9 {
            pipeline.logger.warning(
                "an input waits to be tried again",
                metadata: [
                    "source": "\(source.name)", "seq": "\(row.seq)", "why": "\(why)", "attempts": "\(row.attempts + 1)",
                ]
            )
        }
    }

    private func logDead(_ row: InboxRow, _ refusal: Refusal) {
        pipeline.logger.info(
            "input dead-lettered",
            metadata: [
                "source": "\(source.name)", "seq": "\(row.seq)", "stage": "\(IntakeKinds.label(refusal.stage))",
                "reason": "\(refusal.code)",
            ]
        )
    }

    /// The dead letter of an input: its raw bytes (the first 64 KiB), where it came from, the stage and reason.
    func deadLetter(_ row: InboxRow, _ refusal: Refusal) -> Gongzhi_Intake_V1_DeadLetter {
        var letter = Gongzhi_Intake_V1_DeadLetter()
        letter.id = IntakeIdentity.deadLetterID(source: source.name, inboxSequence: row.seq)
        letter.source = source.name
        letter.sourceKind = source.sourceKind
        letter.inboxSequence = row.seq
        letter.origin = row.origin
        letter.contentType = row.contentType
        letter.raw = Data(DeadLetterRaw.raw(of: row))
        letter.rawSize = UInt64(
            IntakeContentType.truncatedSize(row.contentType) ?? DeadLetterRaw.rawBytes(of: row).count
        )
        letter.rawSha256 = SHA256.hexHash(DeadLetterRaw.rawBytes(of: row))
        letter.rawTruncated = letter.rawSize > UInt64(IntakeLimits.deadLetterRawBytes)
        letter.stage = refusal.stage
        letter.reasonCode = refusal.code
        letter.reason = refusal.reason
        letter.externalID = refusal.externalID.isEmpty ? row.externalID : refusal.externalID
        letter.deviceID = refusal.deviceID
        letter.gridCode = refusal.gridCode
        letter.receivedAtMs = row.receivedAtMs
        letter.deadAtMs = pipeline.clock.nowMs()
        letter.state = .open
        return letter
    }
}

/// Wakes a router when inputs arrive; a ring with nobody waiting is kept for the next wait.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next ring, or after `milliseconds`.
    func wait(milliseconds: Int) async {
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(milliseconds))
            if !Task.isCancelled { self.ring() }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let rung = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if rung { continuation.resume() }
        }
        timer.cancel()
    }
}

/// What a dead letter shows of its input: a CSV record without the header line the inbox keeps with it.
enum DeadLetterRaw {
    static func rawBytes(of row: InboxRow) -> [UInt8] {
        guard row.contentType == IntakeContentType.csvRecord, let newline = row.payload.firstIndex(of: 0x0A) else {
            return row.payload
        }
        return Array(row.payload[(newline + 1)...])
    }

    static func raw(of row: InboxRow) -> [UInt8] {
        Array(rawBytes(of: row).prefix(IntakeLimits.deadLetterRawBytes))
    }
}

/// The content types of inbox rows.
enum IntakeContentType {
    static let json = "application/json"
    static let protobuf = "application/x-protobuf"
    static let open311Request = "application/x-protobuf; message=gongzhi.intake.v1.SubmitTicketRequest"
    /// A CSV record, stored after its file's header line.
    static let csvRecord = "text/csv; header=present"
    static let jsonLine = "application/x-ndjson"
    static let truncatedPrefix = "application/octet-stream; truncated-from="

    /// The first bytes of a message too large to keep whole, and its size.
    static func truncated(from size: Int) -> String { truncatedPrefix + String(size) }

    /// The size of a cut message, from its content type; nil for a whole one.
    static func truncatedSize(_ contentType: String) -> Int? {
        guard contentType.hasPrefix(truncatedPrefix) else { return nil }
        return Int(contentType.dropFirst(truncatedPrefix.count))
    }
}
