import Logging
import Synchronization

/// Keeps what a component logs, for a test to wait until it logs a line (`shutting down`) instead of guessing how
/// long it takes to get there.
public final class LogRecorder: Sendable {
    private struct State {
        var lines: [String] = []
        var awaited: [(text: String, event: TestEvent)] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// A logger whose every message (at `level` and above) this recorder keeps.
    public func logger(label: String, level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: label) { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = level
        return logger
    }

    /// The messages so far, each as `LEVEL message`.
    public var lines: [String] { state.withLock { $0.lines } }

    /// An event that happens when a message containing `text` is logged (or at once if one was).
    public func event(whenLogged text: String) -> TestEvent {
        let event = TestEvent("the log holds \"\(text)\"")
        let logged = state.withLock { state in
            if state.lines.contains(where: { $0.contains(text) }) { return true }
            state.awaited.append((text, event))
            return false
        }
        if logged { event.signal() }
        return event
    }

    fileprivate func record(_ line: String) {
        let events = state.withLock { state in
            state.lines.append(line)
            return state.awaited.filter { line.contains($0.text) }.map(\.event)
        }
        for event in events { event.signal() }
    }
}

private struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.record("\(event.level) \(event.message)")
    }
}
