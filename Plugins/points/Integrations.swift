import Synchronization

/// The other modules the points module credits from, and whether each is there: a rule whose source module is
/// not deployed stays idle and says so.
final class Integrations: Sendable {
    struct Grid: Sendable {
        /// Why credits from grid cases are idle; nil while they are live.
        var idleReason: String? = "the grid's cases are not read yet"
        var credits = 0
        var reversals = 0
    }

    private let grid = Mutex(Grid())

    var gridStatus: Grid { grid.withLock { $0 } }

    func update(_ change: (inout Grid) -> Void) {
        grid.withLock { change(&$0) }
    }

    /// One line per integration, for `points status`.
    var lines: [String] {
        let grid = gridStatus
        if let reason = grid.idleReason { return ["grid cases: idle, \(reason)"] }
        return ["grid cases: live (\(grid.credits) credits, \(grid.reversals) reversals since start)"]
    }
}
