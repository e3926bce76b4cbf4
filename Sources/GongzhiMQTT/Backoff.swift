/// Delays between attempts to connect: 0.1 s, doubling up to 5 s, back to the start after a connection.
struct Backoff: Sendable {
    static let first = Duration.milliseconds(100)
    static let longest = Duration.seconds(5)

    private var current = Backoff.first

    /// The delay before the next attempt.
    mutating func next() -> Duration {
        let delay = current
        current = min(current * 2, Backoff.longest)
        return delay
    }

    mutating func reset() {
        current = Backoff.first
    }
}
