import GongzhiIntakeSchemas

/// What happened to one input, as the ledger counts it.
public enum LedgerEvent: Equatable, Sendable {
    /// Committed to the durable inbox: in flight from now on.
    case received
    /// Went through the pipeline, with its outcome.
    case accepted(AcceptedOutcome)
    /// A duplicate of an earlier input.
    case duplicate
    /// Refused by a stage: now a dead letter.
    case deadLettered
    /// A dead letter replayed successfully: it leaves the dead letters for accepted (or duplicates).
    case replayed(AcceptedOutcome?)
    /// A person discarded a dead letter: it stays counted as dead-lettered.
    case discarded
    /// Refused before it was durable (HTTP 400, 403, 413, 429): counted beside the equation.
    case refused(reason: String)
}

/// How an accepted input ended.
public enum AcceptedOutcome: Equatable, Sendable {
    case readingStored
    case alert
    case report
    case reportJoined
    case item
    case waitingForPerson
    case dispatchedToDepartment
}

/// A misuse of the ledger: an event for an input it does not hold (accepting with nothing in flight,
/// replaying with no dead letter). The plugin logs it and reports itself degraded; it should never happen.
public struct LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
}

/// The conservation counters of every source: received = accepted + duplicates + dead-lettered + in flight,
/// at every moment. Each input is received once and ends in exactly one of accepted, duplicate or dead; a
/// replay moves it from dead to accepted (or duplicate); a discard keeps it dead.
public struct ConservationLedger: Sendable {
    private var counters: [String: Gongzhi_Intake_V1_SourceCounters] = [:]

    public init() {}

    /// The sources counted, sorted by name.
    public var sources: [String] { counters.keys.sorted() }

    /// A source's counters (zero for a source never seen).
    public func counters(of source: String) -> Gongzhi_Intake_V1_SourceCounters {
        counters[source] ?? Self.empty(source)
    }

    /// True when the source's equation holds.
    public func balances(_ source: String) -> Bool {
        let c = counters(of: source)
        return c.received == c.accepted + c.duplicates + c.deadLettered + c.inFlight
    }

    /// Counts one event of a source.
    public mutating func record(_ event: LedgerEvent, source: String) throws(LedgerError) {
        var c = counters[source] ?? Self.empty(source)
        switch event {
        case .received:
            c.received += 1
            c.inFlight += 1
        case .accepted(let outcome):
            try Self.leaveInFlight(&c, event: "accepted")
            c.accepted += 1
            Self.count(outcome, in: &c)
        case .duplicate:
            try Self.leaveInFlight(&c, event: "a duplicate")
            c.duplicates += 1
        case .deadLettered:
            try Self.leaveInFlight(&c, event: "dead-lettered")
            c.deadLettered += 1
        case .replayed(let outcome):
            guard c.deadLettered > c.discarded else {
                throw LedgerError(description: "\(source): a replay with no open dead letter")
            }
            c.deadLettered -= 1
            c.replayed += 1
            if let outcome {
                c.accepted += 1
                Self.count(outcome, in: &c)
            } else {
                c.duplicates += 1
            }
        case .discarded:
            guard c.deadLettered > c.discarded else {
                throw LedgerError(description: "\(source): a discard with no open dead letter")
            }
            c.discarded += 1
        case .refused(let reason):
            c.refused += 1
            c.refusedByReason[reason, default: 0] += 1
        }
        counters[source] = c
    }

    /// The equation as `gongzhictl intake stats` prints it.
    public func line(for source: String) -> String {
        let c = counters(of: source)
        return "\(source): received \(c.received) = accepted \(c.accepted) + duplicates \(c.duplicates) "
            + "+ dead-lettered \(c.deadLettered) + in flight \(c.inFlight)"
            + (balances(source) ? "" : " — DOES NOT BALANCE")
    }

    private static func empty(_ source: String) -> Gongzhi_Intake_V1_SourceCounters {
        var c = Gongzhi_Intake_V1_SourceCounters()
        c.source = source
        return c
    }

    private static func leaveInFlight(
        _ c: inout Gongzhi_Intake_V1_SourceCounters,
        event: String
    ) throws(LedgerError) {
        guard c.inFlight > 0 else {
            throw LedgerError(description: "\(c.source): an input \(event) with none in flight")
        }
        c.inFlight -= 1
    }

    private static func count(_ outcome: AcceptedOutcome, in c: inout Gongzhi_Intake_V1_SourceCounters) {
        switch outcome {
        case .readingStored: c.readingsStored += 1
        case .alert: c.alerts += 1
        case .report: c.reports += 1
        case .reportJoined: c.reportsJoined += 1
        case .item: c.items += 1
        case .waitingForPerson: c.waitingForPerson += 1
        case .dispatchedToDepartment: c.dispatchedToDepartment += 1
        }
    }
}
