import Foundation
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiIntakeStore
import XCTest

/// A test with a fresh intake store in a temporary directory, removed afterwards.
class IntakeStoreTestCase: XCTestCase {
    var directory: URL!
    var store: IntakeStore!

    var databasePath: String { directory.appendingPathComponent("intake.sqlite").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gzintake-\(UUID().uuidString)",
            isDirectory: true
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try IntakeStore(path: databasePath)
    }

    override func tearDownWithError() throws {
        try? store?.close()
        store = nil
        try? FileManager.default.removeItem(at: directory)
    }

    /// Closes the store and opens the file again.
    func reopen() throws {
        try store.close()
        store = try IntakeStore(path: databasePath)
    }

    func input(
        _ n: Int,
        externalID: String = "",
        atMs: Int64 = 1_000,
        importID: String = "",
        line: UInt64 = 0
    ) -> InboxInput {
        InboxInput(
            origin: "gz/v1/readings/WL-\(n)",
            externalID: externalID,
            contentType: "application/json",
            payload: Array("{\"n\":\(n)}".utf8),
            receivedAtMs: atMs,
            importID: importID,
            importLine: line
        )
    }

    /// Checks the equation on the stored counters, that a recount from the rows gives the same counters, and that
    /// in flight is the number of pending rows.
    func assertBalanced(
        _ source: String,
        _ message: @autoclosure () -> String = "",
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let counters = try store.counters(source: source)
        XCTAssertEqual(
            counters.received,
            counters.accepted + counters.duplicates + counters.deadLettered + counters.inFlight,
            "\(source) does not balance: \(counters) \(message())",
            file: file,
            line: line
        )
        XCTAssertEqual(
            counters,
            try store.recount(source: source),
            "counters ≠ recount \(message())",
            file: file,
            line: line
        )
        let pending = try store.pending(source: source, limit: 1_000_000, nowMs: .max)
        XCTAssertEqual(
            UInt64(pending.count),
            counters.inFlight,
            "in flight ≠ pending rows \(message())",
            file: file,
            line: line
        )
        XCTAssertEqual(try store.inFlight(source: source), pending.count, file: file, line: line)
    }

    func assertRefused(
        _ expected: IntakeStoreError.Code,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected a refusal (\(expected)), but the call succeeded", file: file, line: line)
        } catch let error as IntakeStoreError {
            XCTAssertEqual(error.code, expected, "\(error)", file: file, line: line)
        } catch {
            XCTFail("expected an IntakeStoreError, got \(error)", file: file, line: line)
        }
    }
}
