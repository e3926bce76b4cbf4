import Foundation
import GongzhiHashing
import GongzhiTestSeeds
import GongzhiTestSupport
import Logging
import XCTest

@testable import GongzhiHost

/// The audit log's hand-written JSON against `JSONEncoder`, which wrote (and hashed) every log
/// before it: the hashed fields must come out byte for byte the same, and a line with the same
/// members and bytes.
final class AuditJSONTests: XCTestCase {
    /// Strings worth a check of their own: each ASCII character alone and between letters, the
    /// characters JSON or JavaScript treat specially, and some of every kind of Unicode.
    private static let specialStrings: [String] = {
        var strings = ["", " ", "\"", "\\", "/", "//", "\\/", "\"\\/\"", "a/b\\c\"d", "\u{7f}", "\u{80}", "\u{a0}"]
        for code in 0..<128 {
            let character = String(UnicodeScalar(UInt8(code)))
            strings.append(character)
            strings.append("a\(character)b")
            strings.append("\(character)\(character)")
        }
        strings += [
            "\u{2028}", "\u{2029}", "line\u{2028}separator\u{2029}paragraph", "\u{feff}bom", "\u{fffd}", "\u{ffff}",
            "\u{0}", "nul\u{0}inside", "\u{1b}[31mred\u{1b}[0m", "\r\n", "tab\there", "\u{8}\u{c}\u{b}\u{1f}",
            "身份证号码", "张三，李四；王五。", "Résumé naïve façade", "e\u{301}", "ﬁ", "😀", "👩‍👩‍👧‍👦", "🇨🇳🇫🇷",
            "\u{10ffff}", "\u{1f600}/\u{1f600}", "Ελληνικά", "עברית", "العربية", "\u{200b}\u{200d}\u{2060}",
            "shown id_card_number, phone of 1 Resident: p-0000123", "admin(uid=0,pid=123)",
            "gongzhi.host.v1.Objects/Get", String(repeating: "/\"\\\n", count: 100),
        ]
        return strings
    }()

    /// A random string of 0 to 40 characters from a mix of ASCII, control characters, the BMP
    /// and the planes above it.
    private static func randomString(using generator: inout SplitMix64) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...40, using: &generator) {
            let value: UInt32
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: value = UInt32.random(in: 0..<0x20, using: &generator)
            case 1, 2: value = UInt32.random(in: 0x20..<0x80, using: &generator)
            case 3: value = UInt32.random(in: 0x80..<0x800, using: &generator)
            case 4: value = [0x2028, 0x2029, 0x7f, 0x2f, 0x5c, 0x22, 0xfeff][Int.random(in: 0..<7, using: &generator)]
            default:
                value =
                    Bool.random(using: &generator)
                    ? UInt32.random(in: 0x800..<0x10000, using: &generator)
                    : UInt32.random(in: 0x10000...0x10ffff, using: &generator)
            }
            if let scalar = UnicodeScalar(value) { scalars.append(scalar) }  // no surrogates
        }
        return String(scalars)
    }

    /// Every special string in every field, then random records, each with random numbers.
    private static func records(using generator: inout SplitMix64) -> [AuditRecord] {
        let numbers: [(UInt64, Int64)] = [
            (0, 0), (1, -1), (UInt64.max, Int64.max), (10, Int64.min), (1_234_567, 1_763_769_600_123),
        ]
        func number(_ index: Int) -> (UInt64, Int64) {
            index < numbers.count
                ? numbers[index]
                : (
                    UInt64.random(in: 0...UInt64.max, using: &generator),
                    Int64.random(in: Int64.min...Int64.max, using: &generator)
                )
        }
        var records: [AuditRecord] = []
        func add(_ fields: [String]) {
            let (sequence, time) = number(records.count)
            records.append(
                AuditRecord(
                    sequence: sequence,
                    timeMilliseconds: time,
                    principal: fields[0],
                    action: fields[1],
                    target: fields[2],
                    outcome: fields[3],
                    detail: fields[4],
                    hash: fields[5]
                )
            )
        }
        for (index, special) in specialStrings.enumerated() {
            var fields = (0..<6).map { _ in randomString(using: &generator) }
            fields[index % 6] = special
            add(fields)
        }
        for _ in 0..<2000 {
            add((0..<6).map { _ in randomString(using: &generator) })
        }
        return records
    }

    func testHandWrittenJSONMatchesJSONEncoder() throws {
        let encoder = JSONEncoder()
        var previous = AuditLog.genesisHash
        var random = seededRandom()
        for record in Self.records(using: &random) {
            // The hashed fields: byte for byte, and so is the hash.
            let fields = [
                String(record.sequence), String(record.timeMilliseconds), record.principal, record.action,
                record.target, record.outcome, record.detail,
            ]
            let expectedFields = try encoder.encode(fields)
            var fieldsJSON: [UInt8] = []
            record.appendHashedFields(to: &fieldsJSON)
            XCTAssertEqual(fieldsJSON, Array(expectedFields), "\(fields)")
            XCTAssertEqual(record.hashedFields, String(decoding: expectedFields, as: UTF8.self))
            let hash = AuditRecord.chainHash(previous: previous, fieldsJSON: fieldsJSON)
            XCTAssertEqual(hash, SHA256.hexHash(Array((previous + "\n").utf8) + Array(expectedFields)))
            XCTAssertEqual(hash, AuditRecord.chainHash(previous: previous, fields: record.hashedFields))
            previous = hash

            // Each string alone, as the value of a member.
            for string in fields {
                var quoted: [UInt8] = []
                AuditJSON.appendString(string, to: &quoted)
                XCTAssertEqual(quoted, Array(try encoder.encode(string)), string.debugDescription)
            }

            // The line: the members of JSONEncoder's object (whose order is a Dictionary's), in the
            // order of the declaration, and it reads back as the record.
            var line: [UInt8] = []
            record.appendLine(to: &line)
            let expectedLine = Array(try encoder.encode(record))
            let members = try XCTUnwrap(Self.members(of: line))
            let expectedMembers = try XCTUnwrap(Self.members(of: expectedLine))
            XCTAssertEqual(members.count, 8)
            XCTAssertEqual(
                members.sorted { $0.lexicographicallyPrecedes($1) },
                expectedMembers.sorted { $0.lexicographicallyPrecedes($1) }
            )
            XCTAssertEqual(
                members.map { String(decoding: $0.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self) },
                [
                    #""sequence""#, #""timeMilliseconds""#, #""principal""#, #""action""#, #""target""#,
                    #""outcome""#, #""detail""#, #""hash""#,
                ]
            )
            XCTAssertEqual(line.count, expectedLine.count)
            XCTAssertEqual(try JSONDecoder().decode(AuditRecord.self, from: Data(line)), record)
            XCTAssertFalse(line.contains(UInt8(ascii: "\n")), "a record stays on one line")
        }
    }

    /// The members of a flat JSON object (`"key":value`), split at the commas outside strings.
    private static func members(of json: [UInt8]) -> [[UInt8]]? {
        guard json.first == UInt8(ascii: "{"), json.last == UInt8(ascii: "}") else { return nil }
        var members: [[UInt8]] = []
        var member: [UInt8] = []
        var inString = false
        var escaped = false
        for byte in json.dropFirst().dropLast() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ",") {
                members.append(member)
                member = []
                continue
            }
            member.append(byte)
        }
        members.append(member)
        return members
    }
}

/// The audit log's writer thread: lines reach the file before `close`, in the order of their sequence.
final class AuditWriterTests: XCTestCase {
    func testLinesReachTheFileBeforeCloseInSequenceOrder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let log = try AuditLog(path: path, logger: Logger(label: "audit-test"))
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<4 {
                group.addTask {
                    for index in 0..<250 { log.record(principal: "p\(thread)", action: "a\(index)", outcome: "ok") }
                }
            }
        }
        // Written without waiting for `close` (only the sync is coalesced).
        var checked: UInt64 = 0
        let start = ContinuousClock.now
        while checked < 1000 && ContinuousClock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(1))
            let check = try AuditLog.check(path: path)
            XCTAssertNil(check.problem)
            checked = check.records
        }
        XCTAssertEqual(checked, 1000)
        log.record(principal: "p", action: "last", outcome: "ok")
        await log.close()
        XCTAssertEqual(try AuditLog.check(path: path).records, 1001)
        XCTAssertNil(try AuditLog.verify(path: path))
    }
}
