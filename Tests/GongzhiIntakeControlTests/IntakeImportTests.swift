import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import XCTest

@testable import GongzhiIntakeControl

/// `intake import`: the file read as a stream and split into whole records, the chunks the `Import` stream
/// carries, and the end of an import, against the fake plugin on a real socket; the chunker in-process.
final class IntakeImportTests: XCTestCase {
    private func withFakeHost(
        intake: FakeIntakeService = FakeIntakeService(),
        terminal: Bool = false,
        _ body: (_ run: @escaping IntakeFakeHostTests.Run, _ directory: TemporaryDirectory) async throws -> Void
    ) async throws {
        try await withRPCServer(services: [intake]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments in
                    let console = TestConsole(
                        IntakeCommandLine.self,
                        environment: ["GONGZHI_ADMIN_SOCKET": socket],
                        terminal: terminal
                    )
                    let status = await console.run(arguments)
                    return (status, console.output, console.errors)
                },
                directory
            )
        }
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    // MARK: The chunker

    func testChunksHoldAtMostTheirRecordsAndBytesAndTheFirstLineOfEach() {
        var chunker = ImportChunker(
            source: "urban-management",
            fileName: "t.csv",
            importID: "i-1",
            maximumRecords: 3,
            maximumBytes: 10
        )
        var chunks: [Gongzhi_Intake_V1_ImportChunk] = []
        for (text, line) in [
            ("h", 1), ("a", 2), ("b", 3), ("c", 5), ("dddddddd", 6), ("eeeeeeeeeeeeeeee", 7), ("f", 9),
        ] {
            if let chunk = chunker.add(text, line: line) { chunks.append(chunk) }
        }
        chunks.append(chunker.finish())
        XCTAssertEqual(chunks.map(\.records), [["h", "a", "b"], ["c", "dddddddd"], ["eeeeeeeeeeeeeeee"], ["f"]])
        XCTAssertEqual(chunks.map(\.firstLine), [1, 5, 7, 9])
        XCTAssertEqual(chunks.map(\.last), [false, false, false, true])
        XCTAssertEqual(chunks.map(\.source), ["urban-management", "", "", ""], "the first carries the source")
        XCTAssertEqual(chunks.map(\.fileName), ["t.csv", "", "", ""])
        XCTAssertEqual(Set(chunks.map(\.importID)), ["i-1"])

        var empty = ImportChunker(source: "s", fileName: "f", importID: "i")
        let only = empty.finish()
        XCTAssertEqual(only.records, [])
        XCTAssertTrue(only.last)
        XCTAssertEqual(only.source, "s")
    }

    func testTheDefaultLimitsAreAThousandRecordsAndAMebibyte() {
        var chunker = ImportChunker(source: "s", fileName: "f", importID: "i")
        var sizes: [Int] = []
        for line in 1...2500 {
            if let chunk = chunker.add("r\(line)", line: line) { sizes.append(chunk.records.count) }
        }
        sizes.append(chunker.finish().records.count)
        XCTAssertEqual(sizes, [1000, 1000, 500])

        var large = ImportChunker(source: "s", fileName: "f", importID: "i")
        let record = String(repeating: "字", count: 100_000)  // 300,000 bytes
        var counts: [Int] = []
        for line in 1...7 {
            if let chunk = large.add(record, line: line) {
                counts.append(chunk.records.count)
                XCTAssertLessThanOrEqual(chunk.records.map(\.utf8.count).reduce(0, +), 1 << 20)
            }
        }
        counts.append(large.finish().records.count)
        XCTAssertEqual(counts, [3, 3, 1])
    }

    // MARK: Through the stream

    func testACSVFileGoesInWholeRecordsWithTheHeaderFirstAndEndsWithItsLine() async throws {
        let intake = FakeIntakeService()
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("tickets.csv")
            var text = "\u{FEFF}工单编号,诉求内容\r\n"
            text += "GD1,\"第一行\r\n第二行，含\"\"引号\"\"\"\r\n"
            for n in 2...2400 { text += "GD\(n),道路积水\(n % 7 == 0 ? "BAD" : "")\r\n" }
            text += "\r\nGD2401,\"末行\nno line break at the end\""
            try Self.write(text, to: file)
            let (status, output, errors) = await run(["intake", "import", file, "--source", "urban-management"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(errors, "", "no progress when standard error is not a terminal")
            XCTAssertEqual(
                output,
                "tickets.csv: received 2,401 = accepted 2,059 + duplicates 0 + dead-lettered 342 + in flight 0\n"
                    + "dead letters: gongzhictl intake dead-letters list --source urban-management --state open\n"
            )
        }
        let streams = intake.streams.withLock { $0 }
        XCTAssertEqual(streams.count, 1, "the last chunk's answer had nothing in flight: no need to ask again")
        let chunks = streams[0]
        XCTAssertEqual(chunks.map(\.records.count), [1000, 1000, 402])
        XCTAssertEqual(chunks.map(\.last), [false, false, true])
        // Record n (the header 0, GD1 on lines 2 and 3) starts on line n + 2 from GD2 on.
        XCTAssertEqual(chunks.map(\.firstLine), [1, 1002, 2002])
        XCTAssertEqual(chunks[0].records[0], "工单编号,诉求内容", "the header first, without the byte order mark")
        XCTAssertEqual(chunks[0].records[1], "GD1,\"第一行\r\n第二行，含\"\"引号\"\"\"", "a record spanning lines is whole")
        XCTAssertEqual(chunks[0].records[2], "GD2,道路积水")
        XCTAssertEqual(chunks[2].records.last, "GD2401,\"末行\nno line break at the end\"")
        XCTAssertEqual(chunks[0].source, "urban-management")
        XCTAssertEqual(chunks[0].fileName, "tickets.csv")
        XCTAssertTrue(chunks[0].importID.hasPrefix("import-"))
        XCTAssertEqual(chunks[0].importID.count, 39)
        XCTAssertEqual(Set(chunks.map(\.importID)).count, 1)
    }

    func testTheSameFileAndSourceMakeTheSameImportID() async throws {
        let intake = FakeIntakeService()
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("a.csv")
            try Self.write("id,x\n1,a\n", to: file)
            for _ in 0..<2 {
                let again = await run(["intake", "import", file, "--source", "urban-management"])
                XCTAssertEqual(again.status, 0, again.errors)
            }
            try Self.write("id,x\n1,b\n", to: file)
            _ = await run(["intake", "import", file, "--source", "urban-management"])
            _ = await run(["intake", "import", file, "--source", "urban-management", "--import-id", "城管-2025-11"])
        }
        let ids = intake.streams.withLock { $0 }.map { $0[0].importID }
        XCTAssertEqual(ids.count, 4)
        XCTAssertEqual(ids[0], ids[1], "a re-run is recognised")
        XCTAssertNotEqual(ids[1], ids[2], "another content is another import")
        XCTAssertEqual(ids[3], "城管-2025-11")
    }

    func testAJSONLinesFileIsOneRecordALine() async throws {
        let intake = FakeIntakeService()
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("export.ndjson")
            try Self.write(
                "{\"id\": \"1\", \"text\": \"a\\nb\"}\n\n{\"id\": \"2\", \"text\": \"\\\"\"}\r\n{\"id\": \"3\"}",
                to: file
            )
            let (status, output, errors) = await run(["intake", "import", file, "--source", "urban-management"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                output,
                "export.ndjson: received 3 = accepted 3 + duplicates 0 + dead-lettered 0 + in flight 0\n"
            )
            // --format overrides the name.
            let named = directory.file("export.txt")
            try Self.write("{\"id\": \"9\"}\n", to: named)
            let forced = await run(["intake", "import", named, "--source", "urban-management", "--format", "jsonl"])
            XCTAssertEqual(forced.status, 0, forced.errors)
        }
        let streams = intake.streams.withLock { $0 }
        XCTAssertEqual(
            streams[0].map(\.records),
            [["{\"id\": \"1\", \"text\": \"a\\nb\"}", "{\"id\": \"2\", \"text\": \"\\\"\"}", "{\"id\": \"3\"}"]]
        )
        XCTAssertEqual(streams[0].map(\.firstLine), [1])
        XCTAssertEqual(streams[1].map(\.records), [["{\"id\": \"9\"}"]])
    }

    func testARecordWhoseQuoteIsNeverClosedIsSentAsItIsWithItsLine() async throws {
        let intake = FakeIntakeService()
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("broken.csv")
            try Self.write("id,text\n1,ok\n2,\"never closed\n3,x\n", to: file)
            let (status, output, errors) = await run(["intake", "import", file, "--source", "urban-management"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                errors,
                "note: \(file) line 3 opens a quote that is never closed: the rest of the file goes as one record, "
                    + "which the plugin keeps as a dead letter\n"
            )
            XCTAssertTrue(output.hasPrefix("broken.csv: received 2 = "), output)
        }
        let chunk = intake.streams.withLock { $0 }[0][0]
        XCTAssertEqual(chunk.records, ["id,text", "1,ok", "2,\"never closed\n3,x\n"])
    }

    func testItWaitsUntilNothingIsInFlightUnlessToldNotTo() async throws {
        let intake = FakeIntakeService(settling: 3)
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("t.csv")
            try Self.write("id\n1\n2\n3\n4\nBAD\n", to: file)
            let waited = await run(["intake", "import", file, "--source", "urban-management"])
            XCTAssertEqual(waited.status, 0, waited.errors)
            XCTAssertEqual(
                waited.output,
                "t.csv: received 5 = accepted 4 + duplicates 0 + dead-lettered 1 + in flight 0\n"
                    + "dead letters: gongzhictl intake dead-letters list --source urban-management --state open\n"
            )
            let noWait = await run(["intake", "import", file, "--source", "urban-management", "--no-wait"])
            XCTAssertEqual(noWait.status, 0, noWait.errors)
            XCTAssertEqual(
                noWait.output,
                "t.csv: received 5 = accepted 1 + duplicates 0 + dead-lettered 1 + in flight 3\n"
                    + "dead letters: gongzhictl intake dead-letters list --source urban-management --state open\n"
                    + "not waiting for the 3 in flight: gongzhictl intake stats --source urban-management shows when "
                    + "they are through\n"
            )
        }
        let streams = intake.streams.withLock { $0 }
        XCTAssertEqual(streams.count, 5, "the import, three questions until nothing was in flight, the import again")
        for query in streams[1...3] {
            XCTAssertEqual(query.count, 1)
            XCTAssertEqual(query[0].records, [])
            XCTAssertTrue(query[0].last)
            XCTAssertEqual(query[0].importID, streams[0][0].importID, "the same import")
        }
    }

    func testAWaitThatTimesOutSaysSoAndExits1() async throws {
        let intake = FakeIntakeService(settling: 1000)
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("t.csv")
            try Self.write("id\n1\n2\n", to: file)
            let (status, output, errors) = await run([
                "intake", "import", file, "--source", "urban-management", "--timeout", "1s",
            ])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertTrue(
                output.hasPrefix("t.csv: received 2 = accepted 0 + duplicates 0 + dead-lettered 0 + in flight "),
                output
            )
            XCTAssertTrue(
                errors.hasSuffix(
                    "of the import's records are still in flight after 1s; gongzhictl intake stats --source "
                        + "urban-management shows when they are through\n"
                ),
                errors
            )
        }
    }

    func testProgressIsShownOnATerminalOnly() async throws {
        try await withFakeHost(terminal: true) { run, directory in
            let file = directory.file("t.csv")
            try Self.write("id\n" + (1...1500).map { "\($0)\n" }.joined(), to: file)
            let (status, output, errors) = await run(["intake", "import", file, "--source", "urban-management"])
            XCTAssertEqual(status, 0, errors)
            XCTAssertTrue(errors.contains("\r\u{1B}[Kt.csv: sent 1,000 of 1,501 records (66%)"), errors)
            XCTAssertTrue(errors.contains("t.csv: sent 1,501 of 1,501 records (100%), received 1,500"), errors)
            XCTAssertTrue(errors.hasSuffix("\r\u{1B}[K"), "the line is cleared before the result")
            XCTAssertEqual(
                output,
                "t.csv: received 1,500 = accepted 1,500 + duplicates 0 + dead-lettered 0 + in flight 0\n"
            )
        }
    }

    func testAnEncodingIsReadAsAskedAndAFileThatIsNotUTF8IsRefusedBeforeAnythingIsSent() async throws {
        let intake = FakeIntakeService()
        // "编号,内容\n1,道路积水\n" in GB18030.
        let gb18030: [UInt8] = [
            0xB1, 0xE0, 0xBA, 0xC5, 0x2C, 0xC4, 0xDA, 0xC8, 0xDD, 0x0A, 0x31, 0x2C, 0xB5, 0xC0, 0xC2, 0xB7, 0xBB,
            0xFD, 0xCB, 0xAE, 0x0A,
        ]
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("导出.csv")
            try Self.write(gb18030, to: file)
            let refused = await run(["intake", "import", file, "--source", "urban-management"])
            XCTAssertEqual(refused.status, ControlExitCode.failed)
            XCTAssertEqual(
                refused.errors,
                "error: \(file) line 1 is not UTF-8 text; an export in GB18030 (GBK) is read with --encoding gb18030\n"
            )
            let read = await run(["intake", "import", file, "--source", "urban-management", "--encoding", "gb18030"])
            XCTAssertEqual(read.status, 0, read.errors)

            let cut = directory.file("cut.csv")
            try Self.write(Array(gb18030.prefix(12)) + [0xB5], to: cut)
            let short = await run(["intake", "import", cut, "--source", "urban-management", "--encoding", "gb18030"])
            XCTAssertEqual(short.status, ControlExitCode.failed)
            XCTAssertEqual(short.errors, "error: \(cut) ends inside a GB18030 character (byte 13); is it cut short?\n")

            let header = directory.file("header.csv")
            try Self.write("id,text\n\n", to: header)
            let alone = await run(["intake", "import", header, "--source", "urban-management"])
            XCTAssertEqual(alone.status, ControlExitCode.failed)
            XCTAssertEqual(alone.errors, "error: \(header) holds its header line alone: no records to import\n")
        }
        let streams = intake.streams.withLock { $0 }
        XCTAssertEqual(streams.count, 1, "only the file read as GB18030 was sent")
        XCTAssertEqual(streams[0][0].records, ["编号,内容", "1,道路积水"])
    }

    func testAGB18030CharacterCutBetweenTwoReadsIsKeptWhole() async throws {
        let intake = FakeIntakeService()
        // "编号,内容\n" and 60,000 times "1,道路积水\n" in GB18030: 660,010 bytes, read 256 KiB at a time; the
        // second read ends between the two bytes of 积.
        let header: [UInt8] = [0xB1, 0xE0, 0xBA, 0xC5, 0x2C, 0xC4, 0xDA, 0xC8, 0xDD, 0x0A]
        let row: [UInt8] = [0x31, 0x2C, 0xB5, 0xC0, 0xC2, 0xB7, 0xBB, 0xFD, 0xCB, 0xAE, 0x0A]
        var bytes = header
        for _ in 0..<60_000 { bytes += row }
        XCTAssertEqual(bytes[2 * ImportFile.pieceSize - 1], 0xBB, "a read ends after the first byte of 积")
        try await withFakeHost(intake: intake) { run, directory in
            let file = directory.file("big.csv")
            try Self.write(bytes, to: file)
            let (status, output, errors) = await run([
                "intake", "import", file, "--source", "urban-management", "--encoding", "gb18030",
            ])
            XCTAssertEqual(status, 0, errors)
            XCTAssertEqual(
                output,
                "big.csv: received 60,000 = accepted 60,000 + duplicates 0 + dead-lettered 0 + in flight 0\n"
            )
        }
        let chunks = intake.streams.withLock { $0 }[0]
        XCTAssertEqual(chunks.count, 61)
        XCTAssertEqual(chunks[0].records.first, "编号,内容")
        XCTAssertEqual(Set(chunks.flatMap(\.records).dropFirst()), ["1,道路积水"])
        XCTAssertEqual(chunks.last?.firstLine, 60_001)
    }

    func testAnImportTheSourceRefusesIsThePluginsMessage() async throws {
        try await withFakeHost(terminal: true) { run, directory in
            let file = directory.file("t.csv")
            try Self.write("id\n" + (1...5000).map { "\($0)\n" }.joined(), to: file)
            let (status, output, errors) = await run(["intake", "import", file, "--source", "hotline-12345"])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(output, "")
            XCTAssertTrue(
                errors.hasSuffix(
                    "\r\u{1B}[Kerror: hotline-12345 is not a file source; the file sources are urban-management\n"
                ),
                "the progress line is cleared before the error: \(errors)"
            )
        }
    }
}
