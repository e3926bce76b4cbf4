import GongzhiStore
import GongzhiTestSeeds
import GongzhiTestSupport
import XCTest

/// Writers racing on one object — how many, in which order they start and how long each waits are drawn from
/// the test's seed — get the outcomes of the same writes done one after another.
final class RacingWritersTests: StoreTestCase {
    /// One writer's part in a race: its write, and how it dawdles before it.
    struct Racer: Sendable {
        var writer: Int
        var write: SerialOrder.Write
        /// Times it yields before writing, and a pause after that (none when nil).
        var yields: Int
        var pause: Duration?
    }

    private func draw(_ writes: [SerialOrder.Write], _ random: inout SplitMix64) -> [Racer] {
        writes.enumerated().map { writer, write in
            Racer(
                writer: writer,
                write: write,
                yields: Int.random(in: 0...40, using: &random),
                pause: Bool.random(using: &random) ? .microseconds(Int.random(in: 0...800, using: &random)) : nil
            )
        }.shuffled(using: &random)
    }

    /// Runs the racers at once (started in their shuffled order) and returns what each got.
    private func race(_ racers: [Racer], id: String) async -> [SerialOrder.Outcome] {
        let storage = self.storage!
        return await withTaskGroup(of: SerialOrder.Outcome.self) { group in
            for racer in racers {
                group.addTask {
                    for _ in 0..<racer.yields { await Task.yield() }
                    if let pause = racer.pause { try? await Task.sleep(for: pause) }
                    let draft = StoredObjectDraft(
                        kind: "grid",
                        id: id,
                        labels: ["writer": "\(racer.writer)"],
                        owner: "grid-plugin",
                        data: [UInt8(racer.writer)]
                    )
                    let result: SerialOrder.Result
                    do throws(StoreError) {
                        switch racer.write {
                        case .create:
                            result = .committed(revision: try await storage.create(draft).revision)
                        case .update(let expected):
                            result = .committed(
                                revision: try await storage.update(draft, expectedRevision: expected).revision
                            )
                        case .delete(let expected):
                            result = .committed(
                                revision: try await storage.delete(kind: "grid", id: id, expectedRevision: expected)
                                    .revision
                            )
                        }
                    } catch {
                        switch error.code {
                        case .notFound: result = .notFound
                        case .alreadyExists: result = .alreadyExists
                        case .revisionConflict(let current): result = .conflict(current: current)
                        default:
                            XCTFail("writer \(racer.writer): \(racer.write) failed: \(error)")
                            result = .conflict(current: -1)
                        }
                    }
                    return SerialOrder.Outcome(writer: racer.writer, write: racer.write, result: result)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Checks a race's outcomes against a serial order, the stored object and the history.
    private func check(_ order: SerialOrder, id: String, round: Int) async throws {
        let outcomes = order.outcomes.sorted { $0.writer < $1.writer }.map(\.description).joined(separator: "; ")
        let context = "round \(round): \(outcomes)"
        XCTAssertEqual(order.problems, [], context)
        let stored = try await storage.get(kind: "grid", id: id)
        let final = order.final
        XCTAssertEqual(stored?.revision, final.revision, context)
        if let writer = final.writer {
            XCTAssertEqual(stored?.data, [UInt8(writer)], context)
        }
        // The history holds exactly the committed writes, at the revisions their writers were told.
        let since = order.initial.revision ?? 0
        let history = try await storage.changes(after: since, kind: "grid", limit: 10_000).filter { $0.object.id == id }
        let expected = order.committed.map { outcome, revision -> String in
            let type: String
            switch outcome.write {
            case .create: type = "added"
            case .update: type = "modified"
            case .delete: type = "deleted"
            }
            return "\(type) \(revision)"
        }
        XCTAssertEqual(history.map { "\($0.type) \($0.revision)" }, expected, context)
    }

    func testOfWritersCreatingOneObjectExactlyOneWinsAndTheOthersAreToldItExists() async throws {
        var random = seededRandom()
        for round in 0..<Int.random(in: 30...50, using: &random) {
            let id = "create-\(round)"
            let count = Int.random(in: 2...8, using: &random)
            let outcomes = await race(draw(Array(repeating: .create, count: count), &random), id: id)
            XCTAssertEqual(outcomes.filter { if case .committed = $0.result { true } else { false } }.count, 1)
            XCTAssertEqual(outcomes.filter { $0.result == .alreadyExists }.count, count - 1)
            try await check(
                SerialOrder(initial: SerialOrder.State(revision: nil), outcomes: outcomes),
                id: id,
                round: round
            )
        }
    }

    func testOfWritersUpdatingOneRevisionExactlyOneWinsAndTheOthersAreToldTheNewRevision() async throws {
        var random = seededRandom()
        for round in 0..<Int.random(in: 30...50, using: &random) {
            let id = "update-\(round)"
            let created = try await storage.create(draft(id)).revision
            let count = Int.random(in: 2...8, using: &random)
            let writes = Array(repeating: SerialOrder.Write.update(expectedRevision: created), count: count)
            let outcomes = await race(draw(writes, &random), id: id)
            let winners = outcomes.compactMap { if case .committed(let revision) = $0.result { revision } else { nil } }
            XCTAssertEqual(winners.count, 1, "round \(round): \(outcomes)")
            for outcome in outcomes where outcome.result != .committed(revision: winners.first ?? 0) {
                XCTAssertEqual(outcome.result, .conflict(current: winners.first), "round \(round)")
            }
            try await check(
                SerialOrder(initial: SerialOrder.State(revision: created), outcomes: outcomes),
                id: id,
                round: round
            )
        }
    }

    /// Deletes and updates, some expecting the revision they read and some not: whatever the interleaving, the
    /// results are those of one order, the object ends as that order leaves it, and the history agrees.
    func testDeletesAndUpdatesRacingOnOneObjectHaveTheOutcomesOfSomeSerialOrder() async throws {
        var random = seededRandom()
        for round in 0..<Int.random(in: 30...50, using: &random) {
            let id = "mixed-\(round)"
            let created = try await storage.create(draft(id)).revision
            let writes = (0..<Int.random(in: 2...8, using: &random)).map { _ -> SerialOrder.Write in
                let expected = Bool.random(using: &random) ? created : nil
                return Bool.random(using: &random)
                    ? .delete(expectedRevision: expected) : .update(expectedRevision: expected)
            }
            let outcomes = await race(draw(writes, &random), id: id)
            try await check(
                SerialOrder(initial: SerialOrder.State(revision: created), outcomes: outcomes),
                id: id,
                round: round
            )
        }
    }
}
