import XCTest

@testable import GongzhiHost

/// Plugin output lines: the level each carries, and the ring buffer that keeps the last ones.
final class PluginLogBufferTests: XCTestCase {
    private func stdout(_ raw: String) -> PluginLogLine {
        PluginLogLine(stream: .stdout, raw: raw, timeMilliseconds: 1)
    }

    private func stderr(_ raw: String) -> PluginLogLine {
        PluginLogLine(stream: .stderr, raw: raw, timeMilliseconds: 1)
    }

    private func line(_ number: Int) -> PluginLogLine {
        PluginLogLine(stream: .stdout, raw: "line \(number)", timeMilliseconds: Int64(number))
    }

    // MARK: Levels

    func testLevelPrefixes() {
        let error = stdout("error: disk full")
        XCTAssertEqual(error.level, .error)
        XCTAssertEqual(error.text, "disk full")

        let warning = stdout("warning low memory")
        XCTAssertEqual(warning.level, .warning)
        XCTAssertEqual(warning.text, "low memory")

        let debug = stdout("debug:x")
        XCTAssertEqual(debug.level, .debug)
        XCTAssertEqual(debug.text, "x")

        XCTAssertEqual(stdout("trace: t").level, .trace)
        XCTAssertEqual(stdout("info: i").level, .info)
        XCTAssertEqual(stdout("notice: n").level, .notice)
        XCTAssertEqual(stdout("critical: c").level, .critical)
        XCTAssertEqual(stdout("critical: c").text, "c")
        XCTAssertEqual(stdout("error:   spaced").text, "spaced")
        XCTAssertEqual(stdout("error:").text, "")
    }

    func testAPrefixOnStderrWins() {
        let line = stderr("info: ready")
        XCTAssertEqual(line.level, .info)
        XCTAssertEqual(line.text, "ready")
        XCTAssertEqual(line.stream, .stderr)
        XCTAssertEqual(line.timeMilliseconds, 1)
    }

    func testNoPrefixIsInfoOnStdoutAndWarningOnStderr() {
        let out = stdout("listening on plugin.sock")
        XCTAssertEqual(out.level, .info)
        XCTAssertEqual(out.text, "listening on plugin.sock")
        XCTAssertEqual(out.stream, .stdout)

        let err = stderr("panic: something")
        XCTAssertEqual(err.level, .warning)
        XCTAssertEqual(err.text, "panic: something")
        XCTAssertEqual(err.stream, .stderr)

        XCTAssertEqual(stdout("").level, .info)
        XCTAssertEqual(stderr("").level, .warning)
    }

    func testWordsThatOnlyStartWithALevelAreNotPrefixes() {
        let information = stdout("information about x")
        XCTAssertEqual(information.level, .info)
        XCTAssertEqual(information.text, "information about x", "the text is kept whole")

        let errors = stderr("errors: 3")
        XCTAssertEqual(errors.level, .warning)
        XCTAssertEqual(errors.text, "errors: 3")

        let debugger = stdout("debugger attached")
        XCTAssertEqual(debugger.level, .info)
        XCTAssertEqual(debugger.text, "debugger attached")

        XCTAssertEqual(stdout("ERROR: upper case").level, .info, "levels are lower case")
        XCTAssertEqual(stdout(" error: indented").level, .info)
        XCTAssertEqual(stdout("error").level, .info, "a level word alone has no separator")
        XCTAssertEqual(stdout("error").text, "error")
    }

    // MARK: Buffer

    func testKeepsLinesInOrderBelowCapacity() {
        let buffer = PluginLogBuffer(capacity: 5)
        XCTAssertEqual(buffer.tail(0), [])
        for number in 1...3 { buffer.append(line(number)) }
        XCTAssertEqual(buffer.tail(0).map(\.text), ["line 1", "line 2", "line 3"])
        XCTAssertEqual(buffer.tail(2).map(\.text), ["line 2", "line 3"])
        XCTAssertEqual(buffer.tail(10).map(\.text), ["line 1", "line 2", "line 3"])
    }

    func testKeepsTheLastLinesAcrossWraparound() {
        let buffer = PluginLogBuffer(capacity: 4)
        for total in 1...13 {
            buffer.append(line(total))
            let kept = Array(max(1, total - 3)...total).map { "line \($0)" }
            XCTAssertEqual(buffer.tail(0).map(\.text), kept, "after \(total) lines")
        }
        XCTAssertEqual(buffer.tail(1).map(\.text), ["line 13"])
        XCTAssertEqual(buffer.tail(3).map(\.text), ["line 11", "line 12", "line 13"])
        XCTAssertEqual(buffer.tail(4).map(\.text), ["line 10", "line 11", "line 12", "line 13"])
        XCTAssertEqual(buffer.tail(100).map(\.timeMilliseconds), [10, 11, 12, 13])
    }

    func testCapacityIsAtLeastOne() {
        let buffer = PluginLogBuffer(capacity: 0)
        buffer.append(line(1))
        buffer.append(line(2))
        XCTAssertEqual(buffer.tail(0).map(\.text), ["line 2"])
    }

    func testFollowYieldsTheTailThenNewLines() async {
        let buffer = PluginLogBuffer(capacity: 3)
        for number in 1...5 { buffer.append(line(number)) }
        var lines = buffer.follow(tail: 2).makeAsyncIterator()
        let first = await lines.next()
        let second = await lines.next()
        XCTAssertEqual(first?.text, "line 4")
        XCTAssertEqual(second?.text, "line 5")

        buffer.append(line(6))
        buffer.append(line(7))
        let third = await lines.next()
        let fourth = await lines.next()
        XCTAssertEqual(third?.text, "line 6")
        XCTAssertEqual(fourth?.text, "line 7")
    }

    func testFollowWithZeroTailYieldsEverythingKept() async {
        let buffer = PluginLogBuffer(capacity: 3)
        for number in 1...4 { buffer.append(line(number)) }
        var lines = buffer.follow(tail: 0).makeAsyncIterator()
        var texts: [String] = []
        for _ in 0..<3 { texts.append(await lines.next()?.text ?? "<none>") }
        XCTAssertEqual(texts, ["line 2", "line 3", "line 4"])
        buffer.append(line(5))
        let next = await lines.next()
        XCTAssertEqual(next?.text, "line 5")
    }

    func testEveryFollowerGetsNewLines() async {
        let buffer = PluginLogBuffer(capacity: 10)
        buffer.append(line(1))
        var one = buffer.follow(tail: 1).makeAsyncIterator()
        var two = buffer.follow(tail: 1).makeAsyncIterator()
        buffer.append(line(2))
        let oneFirst = await one.next()
        let oneSecond = await one.next()
        let twoFirst = await two.next()
        let twoSecond = await two.next()
        XCTAssertEqual([oneFirst?.text, oneSecond?.text], ["line 1", "line 2"])
        XCTAssertEqual([twoFirst?.text, twoSecond?.text], ["line 1", "line 2"])
    }

    func testFollowOfAnEmptyBufferWaitsForNewLines() async {
        let buffer = PluginLogBuffer(capacity: 2)
        var lines = buffer.follow(tail: 5).makeAsyncIterator()
        buffer.append(line(1))
        let first = await lines.next()
        XCTAssertEqual(first?.text, "line 1")
    }
}
