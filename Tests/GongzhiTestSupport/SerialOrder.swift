/// Writes that raced on one object, and what each of them got: checks that the outcomes are those of the same
/// writes done one after another, in the order of the revisions they committed at.
///
/// A committed write must have been allowed where it stands in that order (a create where the object is absent,
/// an update or delete where it exists and, when it named one, at the revision it expected); a refused write
/// must have been refused for a reason that held at some point of the order (absent, present, or at another
/// revision than it expected — the one the store reported, when it reported one).
public struct SerialOrder: Sendable {
    public enum Write: Sendable, Hashable, CustomStringConvertible {
        case create
        case update(expectedRevision: Int64?)
        case delete(expectedRevision: Int64?)

        public var description: String {
            switch self {
            case .create: "create"
            case .update(let expected): "update" + (expected.map { " at \($0)" } ?? "")
            case .delete(let expected): "delete" + (expected.map { " at \($0)" } ?? "")
            }
        }
    }

    public enum Result: Sendable, Hashable, CustomStringConvertible {
        case committed(revision: Int64)
        case notFound
        case alreadyExists
        /// Refused for expecting another revision; `current` is the revision the store said it found, if it said.
        case conflict(current: Int64?)

        public var description: String {
            switch self {
            case .committed(let revision): "committed at \(revision)"
            case .notFound: "not found"
            case .alreadyExists: "already exists"
            case .conflict(let current): "conflict" + (current.map { " (current \($0))" } ?? "")
            }
        }
    }

    /// One writer's write and its result.
    public struct Outcome: Sendable, CustomStringConvertible {
        public var writer: Int
        public var write: Write
        public var result: Result

        public init(writer: Int, write: Write, result: Result) {
            self.writer = writer
            self.write = write
            self.result = result
        }

        public var description: String { "writer \(writer): \(write) → \(result)" }
    }

    /// The object at one point of the order: absent, or present at a revision, last written by a writer (nil
    /// for the object as it was before the race).
    public struct State: Sendable, Hashable, CustomStringConvertible {
        public var revision: Int64?
        public var writer: Int?

        public var exists: Bool { revision != nil }

        public init(revision: Int64?, writer: Int? = nil) {
            self.revision = revision
            self.writer = writer
        }

        public var description: String {
            revision.map { "at revision \($0)" + (writer.map { " by writer \($0)" } ?? "") } ?? "absent"
        }
    }

    /// Where the object stood before the race.
    public var initial: State
    public var outcomes: [Outcome]

    public init(initial: State, outcomes: [Outcome]) {
        self.initial = initial
        self.outcomes = outcomes
    }

    /// The committed writes in the order of their revisions.
    public var committed: [(outcome: Outcome, revision: Int64)] {
        outcomes.compactMap { outcome in
            if case .committed(let revision) = outcome.result { return (outcome, revision) }
            return nil
        }.sorted { $0.revision < $1.revision }
    }

    /// Where the object stands after the race, if the outcomes are serial.
    public var final: State {
        states.last ?? initial
    }

    /// The object's states along the order: before the race, then after each committed write.
    public var states: [State] {
        var states = [initial]
        for (outcome, revision) in committed {
            if case .delete = outcome.write {
                states.append(State(revision: nil))
            } else {
                states.append(State(revision: revision, writer: outcome.writer))
            }
        }
        return states
    }

    /// What is wrong with the outcomes; empty when they are those of a serial order.
    public var problems: [String] {
        var problems: [String] = []
        var state = initial
        var lastRevision = initial.revision ?? Int64.min
        for (outcome, revision) in committed {
            if revision <= lastRevision {
                problems.append("\(outcome) shares or precedes revision \(lastRevision)")
            }
            lastRevision = revision
            switch outcome.write {
            case .create:
                if state.exists { problems.append("\(outcome), but the object existed (\(state))") }
                state = State(revision: revision, writer: outcome.writer)
            case .update(let expected), .delete(let expected):
                if !state.exists {
                    problems.append("\(outcome), but the object was absent")
                } else if let expected, expected != state.revision {
                    problems.append("\(outcome), but the object was \(state)")
                }
                if case .delete = outcome.write {
                    state = State(revision: nil)
                } else {
                    state = State(revision: revision, writer: outcome.writer)
                }
            }
        }
        let states = self.states
        for outcome in outcomes {
            let explained: Bool
            switch (outcome.result, outcome.write) {
            case (.committed, _):
                continue
            case (.notFound, .update), (.notFound, .delete):
                explained = states.contains { !$0.exists }
            case (.alreadyExists, .create):
                explained = states.contains { $0.exists }
            case (.conflict(let current), .update(let expected?)), (.conflict(let current), .delete(let expected?)):
                explained = states.contains { state in
                    guard let revision = state.revision, revision != expected else { return false }
                    return current == nil || current == revision
                }
            default:
                explained = false
            }
            if !explained {
                problems.append("\(outcome): no point of the order explains it (states: \(states))")
            }
        }
        return problems
    }
}
