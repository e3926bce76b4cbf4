import Logging
import Synchronization

/// One line a plugin wrote, with the level it carried.
package struct PluginLogLine: Sendable, Equatable {
    package var timeMilliseconds: Int64
    package var level: Logger.Level
    package var stream: OutputStream
    package var text: String

    /// Reads the level a line starts with (`error: …`, `warning …`); lines without one are `info` on
    /// stdout and `warning` on stderr.
    package init(stream: OutputStream, raw: String, timeMilliseconds: Int64) {
        self.timeMilliseconds = timeMilliseconds
        self.stream = stream
        for level in Logger.Level.allCases {
            let word = level.rawValue
            guard raw.hasPrefix(word) else { continue }
            let rest = raw.dropFirst(word.count)
            if rest.first == ":" || rest.first == " " {
                self.level = level
                self.text = String(rest.dropFirst().drop { $0 == " " })
                return
            }
        }
        self.level = stream == .stdout ? .info : .warning
        self.text = raw
    }
}

/// The last lines of a plugin's output, and the followers that want new ones as they come.
final class PluginLogBuffer: Sendable {
    private struct State {
        var lines: [PluginLogLine] = []
        var start = 0
        var followers: [Int: AsyncStream<PluginLogLine>.Continuation] = [:]
        var nextFollower = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    func append(_ line: PluginLogLine) {
        let followers = state.withLock { state -> [AsyncStream<PluginLogLine>.Continuation] in
            if state.lines.count < capacity {
                state.lines.append(line)
            } else {
                state.lines[state.start] = line
                state.start = (state.start + 1) % capacity
            }
            return Array(state.followers.values)
        }
        for follower in followers { follower.yield(line) }
    }

    /// The last `count` lines kept (all when `count` is 0), oldest first.
    func tail(_ count: Int) -> [PluginLogLine] {
        state.withLock { Self.last(count, of: $0) }
    }

    /// The last `count` kept lines of `state` (all when `count` is 0), oldest first.
    private static func last(_ count: Int, of state: State) -> [PluginLogLine] {
        let ordered = Array(state.lines[state.start...] + state.lines[..<state.start])
        return count == 0 ? ordered : Array(ordered.suffix(count))
    }

    /// The last `count` lines, then every new line until the stream is dropped.
    func follow(tail count: Int) -> AsyncStream<PluginLogLine> {
        let (stream, continuation) = AsyncStream<PluginLogLine>.makeStream(bufferingPolicy: .bufferingNewest(capacity))
        state.withLock { state in
            for line in Self.last(count, of: state) {
                continuation.yield(line)
            }
            let id = state.nextFollower
            state.nextFollower += 1
            state.followers[id] = continuation
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.followers.removeValue(forKey: id) }
            }
        }
        return stream
    }
}
