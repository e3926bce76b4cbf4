import Synchronization

/// The seats (or the stream place) held by one admitted call. ``release()`` gives them back and lets the next
/// waiting call in; it is idempotent, so an early release and the wrapper's own cannot give seats back twice.
final class AdmissionTicket: Sendable {
    /// What the ticket holds.
    enum Hold: Sendable, Equatable {
        /// Nothing: an exempt call.
        case nothing
        /// `seats` of `level`, charged to the flow.
        case seats(PriorityLevel, Int)
        /// One of the flow's open streams.
        case stream
    }

    let flow: FlowKey
    let hold: Hold
    private let releaser: Mutex<(@Sendable (AdmissionTicket) -> Void)?>
    let admittedAt: ContinuousClock.Instant

    init(flow: FlowKey, hold: Hold, release: (@Sendable (AdmissionTicket) -> Void)?) {
        self.flow = flow
        self.hold = hold
        self.releaser = Mutex(release)
        self.admittedAt = .now
    }

    /// Gives the seats back (once; later calls do nothing).
    func release() {
        let release = releaser.withLock { releaser in
            defer { releaser = nil }
            return releaser
        }
        release?(self)
    }

    /// True once the ticket was released.
    var isReleased: Bool { releaser.withLock { $0 == nil } }
}
