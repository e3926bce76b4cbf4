import Synchronization

/// Counts frames handed to the event loop but not yet written, so that the loop flushes once per
/// burst instead of once per frame, and never leaves a frame unflushed.
final class OutboundBatch: Sendable {
    private let pending = Atomic<Int>(0)

    /// Called before handing a write to the loop; returns how many were already waiting.
    @discardableResult
    func enqueue() -> Int {
        pending.add(1, ordering: .acquiringAndReleasing).oldValue
    }

    /// Called on the loop after the write; true when no other write is waiting, so flush now.
    func dequeueShouldFlush() -> Bool {
        pending.subtract(1, ordering: .acquiringAndReleasing).newValue == 0
    }
}
