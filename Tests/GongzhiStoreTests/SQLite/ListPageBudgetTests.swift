import GongzhiStore
import XCTest

/// A list page ends at its byte budget, read from the cursor, and the next page resumes right after it.
final class ListPageBudgetTests: StoreTestCase {
    /// Creates `count` objects of kind `grid` with `size` bytes of data each, ids `r00000`…, in a few transactions.
    private func createObjects(_ count: Int, size: Int, labels: (Int) -> [String: String] = { _ in [:] }) async throws {
        var index = 0
        while index < count {
            let end = min(index + 1000, count)
            let writes = (index..<end).map { number in
                Transaction.Write.create(
                    draft(
                        String(format: "r%05d", number),
                        labels: labels(number),
                        data: [UInt8](repeating: UInt8(number % 251), count: size)
                    )
                )
            }
            try await storage.commit(Transaction(writes: writes))
            index = end
        }
    }

    /// Every page read with `maxBytes`, in order.
    private func pages(
        labels: [LabelRequirement] = [],
        pageSize: Int,
        maxBytes: Int
    ) async throws -> [ObjectPage] {
        var pages: [ObjectPage] = []
        var after: String?
        repeat {
            let page = try await storage.list(
                kind: "grid",
                labels: labels,
                parent: nil,
                pageSize: pageSize,
                after: after,
                maxBytes: maxBytes
            )
            pages.append(page)
            after = page.nextPageToken
        } while after != nil
        return pages
    }

    func testALargePageEndsAtTheDefaultBudgetAndTheNextResumesRightAfter() async throws {
        try await createObjects(3000, size: 2048)
        let first = try await storage.list(kind: "grid", labels: [], parent: nil, pageSize: 10_000, after: nil)
        let bytes = first.objects.reduce(0) { $0 + $1.estimatedListBytes }
        XCTAssertLessThanOrEqual(bytes, ObjectStorageLimits.maximumPageBytes)
        // Full: one more object would not have fitted.
        XCTAssertGreaterThan(bytes + first.objects[0].estimatedListBytes, ObjectStorageLimits.maximumPageBytes)
        XCTAssertLessThan(first.objects.count, 3000)
        XCTAssertEqual(first.nextPageToken, first.objects.last?.id)

        let second = try await storage.list(
            kind: "grid",
            labels: [],
            parent: nil,
            pageSize: 10_000,
            after: first.nextPageToken
        )
        XCTAssertEqual(second.objects.first?.id, String(format: "r%05d", first.objects.count))
        XCTAssertNil(second.nextPageToken)
        XCTAssertEqual(first.objects.count + second.objects.count, 3000)
    }

    func testPagesUnderASmallBudgetCoverEveryObjectOnceInOrder() async throws {
        // 100 objects of 100 data bytes: each counts 100 + 6 (id) + 64 + labels.
        try await createObjects(100, size: 100, labels: { ["tier": $0 % 3 == 0 ? "gold" : "silver"] })
        let all = (0..<100).map { String(format: "r%05d", $0) }
        let gold = all.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
        let objectBytes = 100 + 6 + 64 + ("tier".utf8.count + "silver".utf8.count + 4)
        for (requirements, expected) in [
            ([LabelRequirement](), all),
            ([LabelRequirement.equals("tier", "gold")], gold),
            ([LabelRequirement.notIn("tier", ["silver"])], gold),
        ] {
            let budget = objectBytes * 7 + 10
            let pages = try await pages(labels: requirements, pageSize: 10_000, maxBytes: budget)
            XCTAssertEqual(pages.flatMap(\.objects).map(\.id), expected, "\(requirements)")
            for page in pages {
                let bytes = page.objects.reduce(0) { $0 + $1.estimatedListBytes }
                XCTAssertLessThanOrEqual(bytes, budget, "\(requirements)")
                XCTAssertFalse(page.objects.isEmpty)
            }
            // Every page but the last is full: 7 objects (gold ones are 2 bytes shorter and still 7 fit).
            XCTAssertEqual(pages.dropLast().map(\.objects.count), Array(repeating: 7, count: pages.count - 1))
            XCTAssertEqual(
                pages.map { $0.nextPageToken == nil },
                Array(repeating: false, count: pages.count - 1) + [true]
            )
        }
        // The page size ends a page before the budget does.
        let bySize = try await pages(pageSize: 3, maxBytes: objectBytes * 7 + 10)
        XCTAssertEqual(bySize.count, 34)
        XCTAssertEqual(bySize.flatMap(\.objects).map(\.id), all)
    }

    func testAnObjectLargerThanTheBudgetStillMakesAPageOfOne() async throws {
        try await createObjects(3, size: 500)
        let pages = try await pages(pageSize: 10, maxBytes: 100)
        XCTAssertEqual(pages.map(\.objects.count), [1, 1, 1])
        XCTAssertEqual(pages.flatMap(\.objects).map(\.id), ["r00000", "r00001", "r00002"])
    }

    func testABudgetBelowOneIsRefused() async throws {
        await assertStoreError(.invalidArgument, messageContains: "byte budget") { () async throws(StoreError) in
            try await storage.list(kind: "grid", labels: [], parent: nil, pageSize: 10, after: nil, maxBytes: 0)
        }
    }
}
