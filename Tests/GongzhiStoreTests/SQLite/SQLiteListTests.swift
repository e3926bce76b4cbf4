import GongzhiStore
import GongzhiTestSeeds
import XCTest

final class SQLiteListTests: StoreTestCase {
    /// Objects whose labels cover every operator's cases: present with the value, present with another, absent.
    private let labelled: [String: [String: String]] = [
        "g01": ["zone": "east", "tier": "gold"],
        "g02": ["zone": "east", "tier": "silver", "audited": "yes"],
        "g03": ["zone": "west", "tier": "gold", "audited": ""],
        "g04": ["zone": "north"],
        "g05": ["tier": "bronze"],
        "g06": [:],
        "g07": ["zone": "east", "archived": "true"],
    ]

    private func createLabelled() async throws {
        for (id, labels) in labelled.sorted(by: { $0.key < $1.key }) {
            try await storage.create(draft(id, labels: labels))
        }
        // Another kind with the same labels must never show up.
        try await storage.create(draft("g01", kind: "building", labels: ["zone": "east", "tier": "gold"]))
    }

    private func ids(_ requirements: [LabelRequirement], parent: String? = nil) async throws -> [String] {
        let page = try await storage.list(kind: "grid", labels: requirements, parent: parent, pageSize: 100, after: nil)
        XCTAssertNil(page.nextPageToken)
        return page.objects.map(\.id)
    }

    func testEachSelectorOperator() async throws {
        try await createLabelled()
        let eastOrWest = try await ids([.in("zone", ["east", "west"])])
        XCTAssertEqual(eastOrWest, ["g01", "g02", "g03", "g07"])
        let cases: [([LabelRequirement], [String])] = [
            ([.equals("zone", "east")], ["g01", "g02", "g07"]),
            ([.notEquals("zone", "east")], ["g03", "g04", "g05", "g06"]),
            ([.exists("audited")], ["g02", "g03"]),
            ([.notExists("zone")], ["g05", "g06"]),
            ([.in("tier", ["gold", "bronze"])], ["g01", "g03", "g05"]),
            ([.notIn("tier", ["gold", "bronze"])], ["g02", "g04", "g06", "g07"]),
            ([.equals("audited", "")], ["g03"]),
            ([.equals("zone", "east"), .notExists("archived")], ["g01", "g02"]),
            ([.exists("zone"), .equals("tier", "gold")], ["g01", "g03"]),
            ([.in("zone", ["east", "west"]), .notEquals("tier", "gold"), .notExists("archived")], ["g02"]),
            ([.equals("zone", "east"), .equals("tier", "silver")], ["g02"]),
            ([.equals("zone", "south")], []),
            ([], ["g01", "g02", "g03", "g04", "g05", "g06", "g07"]),
        ]
        for (requirements, expected) in cases {
            let found = try await ids(requirements)
            XCTAssertEqual(found, expected, "\(requirements)")
            // The query and the in-memory matcher agree.
            let matched = labelled.filter { _, labels in requirements.allSatisfy { $0.matches(labels) } }.keys.sorted()
            XCTAssertEqual(found, matched, "\(requirements)")
        }
    }

    func testAParsedSelectorLists() async throws {
        try await createLabelled()
        let requirements = try LabelRequirement.parseSelector("zone in (east, west), tier!=gold, !archived")
        let found = try await ids(requirements)
        XCTAssertEqual(found, ["g02"])
    }

    func testParentFilter() async throws {
        try await storage.create(draft("g1", labels: ["zone": "east"], parent: "community-a"))
        try await storage.create(draft("g2", labels: ["zone": "east"], parent: "community-b"))
        try await storage.create(draft("g3", parent: "community-a"))
        try await storage.create(draft("g4"))
        let childrenOfA = try await ids([], parent: "community-a")
        XCTAssertEqual(childrenOfA, ["g1", "g3"])
        let eastChildrenOfA = try await ids([.equals("zone", "east")], parent: "community-a")
        XCTAssertEqual(eastChildrenOfA, ["g1"])
        let orphans = try await ids([], parent: "")
        XCTAssertEqual(orphans, ["g4"])
        let none = try await ids([], parent: "community-z")
        XCTAssertEqual(none, [])
    }

    func testPagesCoverEveryObjectOnceInIDOrder() async throws {
        let all = (0..<23).map { String(format: "g%03d", $0) }
        var random = seededRandom()
        for id in all.shuffled(using: &random) {
            try await storage.create(draft(id, labels: ["zone": "east"]))
        }
        for requirements in [[], [LabelRequirement.equals("zone", "east")], [.exists("zone")]] {
            var seen: [String] = []
            var after: String?
            var pages = 0
            repeat {
                let page = try await storage.list(
                    kind: "grid",
                    labels: requirements,
                    parent: nil,
                    pageSize: 5,
                    after: after
                )
                XCTAssertEqual(page.revision, 23)
                XCTAssertLessThanOrEqual(page.objects.count, 5)
                seen += page.objects.map(\.id)
                after = page.nextPageToken
                pages += 1
            } while after != nil
            XCTAssertEqual(seen, all, "\(requirements)")
            XCTAssertEqual(pages, 5)
        }
        // A page that ends exactly at the last object says so.
        let exact = try await storage.list(kind: "grid", labels: [], parent: nil, pageSize: 23, after: nil)
        XCTAssertEqual(exact.objects.count, 23)
        XCTAssertNil(exact.nextPageToken)
    }

    func testPagingIsStableWhileLargerIDsAreInserted() async throws {
        let original = (0..<40).map { String(format: "a%03d", $0) }
        for id in original {
            try await storage.create(draft(id, labels: ["zone": "east"]))
        }
        // Deterministic: one larger id is inserted between every two pages; all of them must show up once.
        var created: [String] = []
        var seen: [String] = []
        var after: String?
        repeat {
            let page = try await storage.list(kind: "grid", labels: [], parent: nil, pageSize: 6, after: after)
            seen += page.objects.map(\.id)
            after = page.nextPageToken
            let larger = String(format: "b%03d", created.count)
            try await storage.create(draft(larger))
            created.append(larger)
            try await storage.create(draft(String(format: "0%03d", created.count)))  // Sorts before the cursor.
        } while after != nil
        XCTAssertEqual(seen, original + created.dropLast())

        // Concurrent: a writer inserts larger ids while a reader pages.
        let storage = self.storage!
        let writer = Task {
            for index in 0..<60 {
                let id = String(format: "c%03d", index)
                try await storage.create(
                    StoredObjectDraft(kind: "grid", id: id, labels: ["zone": "east"], owner: "grid-plugin")
                )
            }
        }
        var concurrent: [String] = []
        after = nil
        repeat {
            let page = try await storage.list(
                kind: "grid",
                labels: [.equals("zone", "east")],
                parent: nil,
                pageSize: 4,
                after: after
            )
            concurrent += page.objects.map(\.id)
            after = page.nextPageToken
        } while after != nil
        try await writer.value
        XCTAssertEqual(concurrent, concurrent.sorted())
        XCTAssertEqual(Set(concurrent).count, concurrent.count, "no object twice")
        XCTAssertEqual(Array(concurrent.prefix(original.count)), original, "no original object skipped")
        XCTAssertTrue(concurrent.dropFirst(original.count).allSatisfy { $0.hasPrefix("c") })
    }

    func testAPageCarriesTheRevisionItWasReadAt() async throws {
        try await storage.create(draft("a"))
        try await storage.create(draft("b", kind: "building"))
        let page = try await storage.list(kind: "grid", labels: [], parent: nil, pageSize: 10, after: nil)
        XCTAssertEqual(page.revision, 2)
        XCTAssertEqual(page.objects.map(\.revision), [1])
    }
}
