import Foundation
import GongzhiGeo
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Logging
import XCTest

@testable import gongzhi_grid

/// The grid plugin's book of cases: it holds the plugin's own writes at once, indexes the open cases for
/// the duplicate check, takes in every case when it starts, and follows changes made elsewhere through the
/// watch. In-process, against the real host's Objects service.
final class CaseBookTests: XCTestCase {
    private let logger = Logger(label: "gongzhi.test.grid", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A second book over the plugin's own channel to the host, as the plugin has after a restart.
    private func secondBook(_ world: GridWorld) throws -> (CaseBook, HostObjects) {
        let objects = HostObjects(channel: try world.host.pluginChannel("grid"))
        let book = CaseBook(
            objects: objects,
            duplicateRadiusMeters: world.desk.catalogue.duplicateRadiusMeters,
            logger: logger
        )
        return (book, objects)
    }

    func testTheBookHoldsItsOwnWritesAtOnceAndIndexesOnlyOpenCases() async throws {
        try await withGridWorld { world in
            let category = try world.manualCategory.code
            let place = GridWorld.point(inGrid: 0)
            let first = try await world.desk.report(
                GridWorld.report(category: category, key: "k1"),
                by: GridWorld.caller("p")
            )
            // Held as soon as the write returns, before the watch brings it back.
            XCTAssertEqual(world.desk.cases[first.case.id]?.message.state, .reported)
            XCTAssertEqual(world.desk.cases.open(category: category, near: GeoPoint(place)).map(\.id), [first.case.id])
            XCTAssertEqual(
                world.desk.cases.open(category: try world.otherManualCategory.code, near: GeoPoint(place)),
                []
            )

            let duplicate = try await world.desk.report(
                GridWorld.report(category: category, at: GridWorld.point(inGrid: 0, dx: 0.51), key: "k2"),
                by: GridWorld.caller("q")
            )
            XCTAssertTrue(duplicate.duplicate)
            XCTAssertEqual(world.desk.cases.linkedCase(principal: "q", idempotencyKey: "k2"), first.case.id)
            XCTAssertNil(world.desk.cases.linkedCase(principal: "p", idempotencyKey: "k2"))

            // A rejected case is no longer open: a new report nearby opens a case of its own.
            _ = try await world.desk.step(
                .reject(reason: "不属于受理范围"),
                ref: GridWorld.ref(first.case.id),
                by: GridWorld.caller("p")
            )
            XCTAssertEqual(world.desk.cases.open(category: category, near: GeoPoint(place)), [])
            let fresh = try await world.desk.report(
                GridWorld.report(category: category, key: "k3"),
                by: GridWorld.caller("p")
            )
            XCTAssertTrue(fresh.created)
            XCTAssertNotEqual(fresh.case.id, first.case.id)
        }
    }

    func testABookThatStartsLaterTakesInEveryCaseFromTheStore() async throws {
        try await withGridWorld { world in
            let category = try world.manualCategory.code
            let opened = try await world.desk.report(
                GridWorld.report(category: category, key: "a"),
                by: GridWorld.caller("p")
            )
            _ = try await world.desk.report(
                GridWorld.report(category: category, at: GridWorld.point(inGrid: 0, dx: 0.51), key: "b"),
                by: GridWorld.caller("q")
            )
            _ = try await world.desk.report(
                GridWorld.report(category: category, at: GridWorld.point(inGrid: 2), key: "c"),
                by: GridWorld.caller("p")
            )

            let (book, _) = try secondBook(world)
            let following = Task { await book.run() }
            defer { following.cancel() }
            await book.waitUntilSynced()
            XCTAssertEqual(book.count, 2)
            XCTAssertEqual(book.all().mapValues(\.revision), world.desk.cases.all().mapValues(\.revision))
            XCTAssertEqual(book.linkedCase(principal: "q", idempotencyKey: "b"), opened.case.id)
            XCTAssertEqual(
                book.open(category: category, near: GeoPoint(GridWorld.point(inGrid: 0))).map(\.id),
                [opened.case.id]
            )
        }
    }

    func testTheBookFollowsChangesMadeElsewhere() async throws {
        try await withGridWorld(extraGrants: ["gongzhi.host.v1.Objects/Delete"]) { world in
            let category = try world.manualCategory.code
            let kept = try await world.desk.report(
                GridWorld.report(category: category, key: "kept"),
                by: GridWorld.caller("p")
            )
            let dropped = try await world.desk.report(
                GridWorld.report(category: category, at: GridWorld.point(inGrid: 2), key: "dropped"),
                by: GridWorld.caller("p")
            )

            // Another instance of the plugin changes one case and deletes the other.
            let (other, objects) = try secondBook(world)
            let following = Task { await other.run() }
            defer { following.cancel() }
            await other.waitUntilSynced()
            var changed = try XCTUnwrap(other[kept.case.id]).message
            changed.description_p = "井盖缺失（已补充）"
            let written = try await other.update(changed, over: try XCTUnwrap(other[kept.case.id]).revision)
            _ = try await objects.delete(Gongzhi_Grid_V1_Case.self, id: dropped.case.id)

            let book = world.desk.cases
            try await eventually("the plugin's book sees the change") {
                book[kept.case.id]?.revision == written.revision
            }
            XCTAssertEqual(book[kept.case.id]?.message.description_p, "井盖缺失（已补充）")
            try await eventually("the plugin's book drops the deleted case") { book[dropped.case.id] == nil }
            XCTAssertEqual(book.open(category: category, near: GeoPoint(GridWorld.point(inGrid: 2))), [])
            XCTAssertEqual(book.count, 1)
        }
    }
}
