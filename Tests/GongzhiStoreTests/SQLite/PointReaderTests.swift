import GongzhiStore
import XCTest

/// Gets read on connections of their own: many at once, each acknowledged commit visible at once, none after close.
final class PointReaderTests: StoreTestCase {
    func testManyConcurrentGetsEachSeeTheirObject() async throws {
        for index in 0..<40 {
            try await storage.create(
                draft("g\(index)", labels: ["n": "\(index)"], parent: "p\(index % 3)", data: [UInt8(index)])
            )
        }
        let storage = self.storage!
        // More readers at once than connections are kept between reads.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<5 {
                for index in 0..<40 {
                    group.addTask {
                        let object = try await storage.get(kind: "grid", id: "g\(index)")
                        XCTAssertEqual(object?.data, [UInt8(index)], "round \(round)")
                        XCTAssertEqual(object?.labels, ["n": "\(index)"])
                        XCTAssertEqual(object?.parent, "p\(index % 3)")
                        XCTAssertEqual(object?.owner, "grid-plugin")
                    }
                }
            }
            try await group.waitForAll()
        }
        let missing = try await storage.get(kind: "grid", id: "g40")
        XCTAssertNil(missing)
    }

    func testAnAcknowledgedWriteIsReadAtOnce() async throws {
        var written = try await storage.create(draft("a", data: [0])).revision
        for round in 1...50 {
            written = try await storage.update(draft("a", data: [UInt8(round)]), expectedRevision: written).revision
            let read = try await storage.get(kind: "grid", id: "a")
            XCTAssertEqual(read?.revision, written)
            XCTAssertEqual(read?.data, [UInt8(round)])
        }
    }

    func testNoGetAfterClose() async throws {
        try await storage.create(draft("a"))
        try await storage.close()
        await assertStoreError(.unavailable, messageContains: "closed") { () async throws(StoreError) in
            try await storage.get(kind: "grid", id: "a")
        }
    }
}
