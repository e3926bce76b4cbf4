import Foundation
import GongzhiTestSupport
import Logging
import XCTest

@testable import GongzhiHost

/// The audit log: a hash chain of JSON lines that `verify` checks.
final class AuditLogTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var path: String { directory.file("audit.log") }
    private let logger = Logger(label: "audit-test")

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory?.remove()
    }

    /// Writes three records and closes the log.
    private func writeThree() async throws {
        let log = try AuditLog(path: path, logger: logger)
        log.record(principal: "admin:uid=0", action: "plugin.enable", target: "grid", outcome: "ok")
        log.record(principal: "client:abc", action: "call", target: "gongzhi.grid.v1.Grid/Get", outcome: "denied")
        log.record(principal: "plugin:grid", action: "register", outcome: "ok", detail: "services=2")
        await log.close()
    }

    private func lines() throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    private func records() throws -> [AuditRecord] {
        try lines().map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
    }

    private func write(_ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func encode(_ record: AuditRecord) throws -> String {
        String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
    }

    // MARK: Writing

    func testRecordsFormAChain() async throws {
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        try await writeThree()
        let after = Int64(Date().timeIntervalSince1970 * 1000)

        let records = try records()
        XCTAssertEqual(records.map(\.sequence), [1, 2, 3])
        XCTAssertEqual(records.map(\.principal), ["admin:uid=0", "client:abc", "plugin:grid"])
        XCTAssertEqual(records.map(\.action), ["plugin.enable", "call", "register"])
        XCTAssertEqual(records.map(\.target), ["grid", "gongzhi.grid.v1.Grid/Get", ""])
        XCTAssertEqual(records.map(\.outcome), ["ok", "denied", "ok"])
        XCTAssertEqual(records.map(\.detail), ["", "", "services=2"])
        XCTAssertEqual(Set(records.map(\.hash)).count, 3, "each hash differs")
        for record in records {
            XCTAssertEqual(record.hash.count, 64)
            XCTAssertTrue(record.hash.allSatisfy { $0.isHexDigit && !$0.isUppercase }, record.hash)
            XCTAssertGreaterThanOrEqual(record.timeMilliseconds, before - 1000)
            XCTAssertLessThanOrEqual(record.timeMilliseconds, after + 1000)
        }

        // Each hash covers the one before it.
        var previous = AuditLog.genesisHash
        for record in records {
            XCTAssertEqual(record.hash, AuditRecord.chainHash(previous: previous, fields: record.hashedFields))
            previous = record.hash
        }
        XCTAssertEqual(AuditLog.genesisHash, String(repeating: "0", count: 64))
    }

    func testCloseFlushesEveryRecord() async throws {
        let log = try AuditLog(path: path, logger: logger)
        for index in 1...200 {
            log.record(principal: "admin:uid=0", action: "a\(index)", outcome: "ok")
        }
        await log.close()
        let records = try records()
        XCTAssertEqual(records.count, 200)
        XCTAssertEqual(records.map(\.sequence), (1...200).map { UInt64($0) })
        XCTAssertEqual(records.last?.action, "a200")
        XCTAssertNil(try AuditLog.verify(path: path))
    }

    func testRecentKeepsTheLastRecords() async throws {
        let log = try AuditLog(path: path, logger: logger)
        XCTAssertEqual(log.recent(5), [])
        log.record(principal: "p", action: "one", outcome: "ok")
        log.record(principal: "p", action: "two", outcome: "ok")
        log.record(principal: "p", action: "three", outcome: "ok")
        XCTAssertEqual(log.recent(2).map(\.action), ["two", "three"])
        XCTAssertEqual(log.recent(10).map(\.sequence), [1, 2, 3])
        await log.close()
        XCTAssertEqual(try records(), log.recent(3))
    }

    func testFileIsPrivate() async throws {
        try await writeThree()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    // MARK: Verifying

    func testVerifyAcceptsAnIntactLog() async throws {
        try await writeThree()
        XCTAssertNil(try AuditLog.verify(path: path))
    }

    func testVerifyAcceptsAnEmptyLog() async throws {
        let log = try AuditLog(path: path, logger: logger)
        await log.close()
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        XCTAssertNil(try AuditLog.verify(path: path))
    }

    func testVerifyFindsAChangedField() async throws {
        try await writeThree()
        var lines = try lines()
        var record = try JSONDecoder().decode(AuditRecord.self, from: Data(lines[1].utf8))
        record.outcome = "ok"
        lines[1] = try encode(record)
        try write(lines)
        let problem = try AuditLog.verify(path: path)
        XCTAssertNotNil(problem)
        XCTAssertTrue(problem?.hasPrefix("line 2:") ?? false, problem ?? "")
        XCTAssertTrue(problem?.contains("does not match its hash") ?? false, problem ?? "")
    }

    func testVerifyFindsAChangedTimeAndPrincipal() async throws {
        try await writeThree()
        var lines = try lines()
        var record = try JSONDecoder().decode(AuditRecord.self, from: Data(lines[2].utf8))
        record.timeMilliseconds += 1
        lines[2] = try encode(record)
        try write(lines)
        XCTAssertTrue(try AuditLog.verify(path: path)?.hasPrefix("line 3:") ?? false)

        try FileManager.default.removeItem(atPath: path)
        try await writeThree()
        lines = try self.lines()
        record = try JSONDecoder().decode(AuditRecord.self, from: Data(lines[0].utf8))
        record.principal = "admin:uid=1000"
        lines[0] = try encode(record)
        try write(lines)
        XCTAssertTrue(try AuditLog.verify(path: path)?.hasPrefix("line 1:") ?? false)
    }

    func testVerifyFindsARehashedRecordBreaksTheNextOne() async throws {
        try await writeThree()
        var lines = try lines()
        var records = try records()
        // Someone changes record 2 and recomputes its hash: record 3 no longer follows.
        records[1].outcome = "ok"
        records[1].hash = AuditRecord.chainHash(previous: records[0].hash, fields: records[1].hashedFields)
        lines[1] = try encode(records[1])
        try write(lines)
        let problem = try AuditLog.verify(path: path)
        XCTAssertTrue(problem?.hasPrefix("line 3:") ?? false, problem ?? "nil")
    }

    func testVerifyFindsARemovedMiddleLine() async throws {
        try await writeThree()
        var lines = try lines()
        lines.remove(at: 1)
        try write(lines)
        let problem = try AuditLog.verify(path: path)
        XCTAssertNotNil(problem)
        XCTAssertTrue(problem?.hasPrefix("line 2:") ?? false, problem ?? "")
        XCTAssertTrue(problem?.contains("record 3 where 2 was expected") ?? false, problem ?? "")
    }

    func testVerifyFindsARemovedFirstLine() async throws {
        try await writeThree()
        var lines = try lines()
        lines.removeFirst()
        try write(lines)
        XCTAssertTrue(try AuditLog.verify(path: path)?.contains("line 1: record 2 where 1 was expected") ?? false)
    }

    func testVerifyFindsANonJSONLine() async throws {
        try await writeThree()
        var lines = try lines()
        lines[1] = "this is not json"
        try write(lines)
        XCTAssertEqual(try AuditLog.verify(path: path), "line 2 is not an audit record")

        lines = try self.lines()
        lines[1] = "{\"sequence\": 2}"
        try write(lines)
        XCTAssertEqual(try AuditLog.verify(path: path), "line 2 is not an audit record", "a record lacking fields")
    }

    func testVerifyOfAMissingFileThrows() {
        XCTAssertThrowsError(try AuditLog.verify(path: directory.file("none.log")))
    }

    func testNewlinesInFieldsStayOnOneLine() async throws {
        let log = try AuditLog(path: path, logger: logger)
        log.record(principal: "p", action: "a", outcome: "ok", detail: "first\nsecond")
        log.record(principal: "p", action: "b", outcome: "ok")
        await log.close()
        XCTAssertEqual(try lines().count, 2)
        XCTAssertEqual(try records()[0].detail, "first\nsecond")
        XCTAssertNil(try AuditLog.verify(path: path))
    }

    func testChangingANewlineIntoASpaceBreaksTheChain() async throws {
        let log = try AuditLog(path: path, logger: logger)
        log.record(principal: "p", action: "a", outcome: "ok", detail: "rm -rf /srv\nthen restore")
        await log.close()
        var record = try records()[0]
        record.detail = "rm -rf /srv then restore"
        try write([try encode(record)])
        let broken = try AuditLog.verify(path: path)
        XCTAssertTrue(broken?.contains("does not match its hash") == true, String(describing: broken))
    }

    // MARK: Reopening

    func testReopeningContinuesTheSequenceAndChain() async throws {
        try await writeThree()
        let lastBefore = try records().last!

        let reopened = try AuditLog(path: path, logger: logger)
        XCTAssertEqual(reopened.recent(10).map(\.sequence), [1, 2, 3], "the recent records are read back")
        reopened.record(principal: "admin:uid=0", action: "host.start", outcome: "ok")
        reopened.record(principal: "admin:uid=0", action: "host.stop", outcome: "ok")
        await reopened.close()

        let records = try records()
        XCTAssertEqual(records.map(\.sequence), [1, 2, 3, 4, 5])
        XCTAssertEqual(records[2], lastBefore, "older records are untouched")
        XCTAssertEqual(
            records[3].hash,
            AuditRecord.chainHash(previous: lastBefore.hash, fields: records[3].hashedFields)
        )
        XCTAssertNil(try AuditLog.verify(path: path))
    }

    func testReopeningABrokenFileFails() throws {
        try write(["not json"])
        XCTAssertThrowsError(try AuditLog(path: path, logger: logger))
    }
}
