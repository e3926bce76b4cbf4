/// One source's in-flight budget with high and low watermarks, as a value: the source pauses when its inputs
/// in flight reach the budget and resumes only when they fall to the low watermark (80% by default), so that it
/// does not flap around one number. While paused, MQTT stops reading (the broker holds the rest), HTTP answers
/// 429 with a Retry-After from the drain rate, and an import's answer is held back. Nothing is dropped.
public struct SourceBudget: Equatable, Sendable {
    /// What changed when the count of inputs in flight moved.
    public enum Transition: Equatable, Sendable {
        case none
        /// The budget is full: stop taking inputs from the source.
        case paused
        /// The count fell to the low watermark: take inputs again.
        case resumed
    }

    /// The most inputs in flight: pending inbox rows and the source's outbox entries.
    public let maximumInFlight: Int
    /// The count at which a paused source resumes.
    public let lowWatermark: Int
    public private(set) var inFlight = 0
    public private(set) var isPaused = false
    /// How many times the source paused.
    public private(set) var pauses = 0

    /// Seconds of the drain rate's window.
    public static let drainWindowMs: Int64 = 10_000
    /// Inputs that left flight, by the millisecond they left, within the last window.
    private var drained: [(atMs: Int64, count: Int)] = []

    /// A budget of `maximumInFlight` that resumes at `resumeFraction` of it (0.8: pause at 100%, resume at 80%).
    public init(maximumInFlight: Int, resumeFraction: Double = 0.8) {
        precondition(maximumInFlight > 0, "a source's in-flight budget must be positive")
        precondition(resumeFraction > 0 && resumeFraction < 1, "the resume fraction lies between 0 and 1")
        self.maximumInFlight = maximumInFlight
        self.lowWatermark = Int((Double(maximumInFlight) * resumeFraction).rounded(.down))
    }

    public static func == (lhs: SourceBudget, rhs: SourceBudget) -> Bool {
        lhs.maximumInFlight == rhs.maximumInFlight && lhs.lowWatermark == rhs.lowWatermark
            && lhs.inFlight == rhs.inFlight && lhs.isPaused == rhs.isPaused && lhs.pauses == rhs.pauses
    }

    /// True when the source may take one more input now.
    public var admits: Bool { !isPaused && inFlight < maximumInFlight }

    /// `count` inputs were committed to the inbox.
    public mutating func received(_ count: Int = 1) -> Transition {
        inFlight += count
        if !isPaused, inFlight >= maximumInFlight {
            isPaused = true
            pauses += 1
            return .paused
        }
        return .none
    }

    /// `count` inputs left flight (accepted, duplicate or dead-lettered) at `atMs`.
    public mutating func finished(_ count: Int = 1, atMs: Int64) -> Transition {
        inFlight = max(0, inFlight - count)
        drained.append((atMs, count))
        drained.removeAll { atMs - $0.atMs >= Self.drainWindowMs }
        if isPaused, inFlight <= lowWatermark {
            isPaused = false
            return .resumed
        }
        return .none
    }

    /// The seconds an HTTP client is told to wait (Retry-After): the time the drain rate of the last 10 s
    /// needs to bring the count down to the low watermark, between 1 and 60; 60 when nothing drained.
    public func retryAfterSeconds(atMs: Int64) -> Int {
        let excess = inFlight - lowWatermark
        if excess <= 0 { return 1 }
        let recent = drained.filter { atMs - $0.atMs < Self.drainWindowMs }.reduce(0) { $0 + $1.count }
        guard recent > 0 else { return 60 }
        let perSecond = Double(recent) / (Double(Self.drainWindowMs) / 1_000)
        let seconds = (Double(excess) / perSecond).rounded(.up)
        return Int(min(60, max(1, seconds)))
    }
}
