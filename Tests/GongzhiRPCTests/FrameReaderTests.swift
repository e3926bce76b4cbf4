import GongzhiRPC
import GongzhiTestSeeds
import NIOCore
import NIOEmbedded
import Synchronization
import XCTest

/// `FrameReader` hands on what `FrameDecoder` decodes from the whole stream, wherever the reads are cut; gathers a
/// frame that spans reads in a receive buffer that it reuses; and never lets a later frame's bytes into one that is
/// still held.
final class FrameReaderTests: XCTestCase {
    private func channel(maxDataLength: Int = Frame.maxDataLength, progress: FrameProgress? = nil) -> EmbeddedChannel {
        EmbeddedChannel(handler: FrameReader(maxDataLength: maxDataLength, progress: progress))
    }

    private func reader(of channel: EmbeddedChannel) throws -> FrameReader {
        try channel.pipeline.syncOperations.handler(type: FrameReader.self)
    }

    private func readAll(_ channel: EmbeddedChannel) throws -> [DecodedFrame] {
        var frames: [DecodedFrame] = []
        while let frame = try channel.readInbound(as: DecodedFrame.self) { frames.append(frame) }
        return frames
    }

    /// Writes `bytes` to the channel in reads cut at `cuts`.
    private func deliver(_ bytes: [UInt8], cuts: [Int], to channel: EmbeddedChannel) throws {
        var start = 0
        for end in cuts + [bytes.count] where end > start {
            try channel.writeInbound(ByteBuffer(testBytes: Array(bytes[start..<end])))
            start = end
        }
    }

    private func pattern(_ count: Int, _ seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
    }

    private func address(of buffer: ByteBuffer) -> UInt {
        buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }
    }

    func testFramesAreWhatTheDecoderReadsFromTheWholeStreamWhereverReadsAreCut() throws {
        var random = seededRandom()
        for _ in 0..<200 {
            let limit = [16, 1_000, 70_000].randomElement(using: &random)!
            var stream: [UInt8] = []
            for index in 0..<Int.random(in: 1...8, using: &random) {
                let size = [0, 1, 15, 16, 17, 999, 1_001, 20_000, 80_000].randomElement(using: &random)!
                if size > limit {
                    // Oversized frames carry their data, which the reader skips.
                    stream += frameBytes(streamID: UInt32(index), type: 3, data: pattern(size, UInt8(index)))
                } else {
                    stream += frameBytes(streamID: UInt32(index), type: 1, flags: 2, data: pattern(size, UInt8(index)))
                }
            }
            var expected = DirectDecoder(FrameDecoder(maxDataLength: limit))
            let wanted = try expected.feed(stream)

            let cuts = (0..<Int.random(in: 0...12, using: &random)).map { _ in
                Int.random(in: 1..<max(2, stream.count), using: &random)
            }
            let channel = self.channel(maxDataLength: limit)
            try deliver(stream, cuts: Set(cuts).sorted(), to: channel)
            let frames = try readAll(channel)
            XCTAssertTrue(
                frames == wanted,
                "\(frames.count) records, not \(wanted.count); cuts at \(Set(cuts).sorted())"
            )
            XCTAssertTrue(try channel.finish().isClean)
        }
    }

    func testAHeaderThatIsNotTtrpcIsReportedAndNothingAfterItIsRead() throws {
        let channel = self.channel()
        try deliver(frameBytes(streamID: 1, type: 1, data: [1]) + [0x01, 0, 0, 0], cuts: [12], to: channel)
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(testBytes: [0, 0, 0, 1, 0, 0]))) { error in
            XCTAssertTrue(error is FrameDecodingError, "\(error)")
        }
        try channel.writeInbound(ByteBuffer(testBytes: frameBytes(streamID: 3, type: 1, data: [2])))
        XCTAssertEqual(try readAll(channel), [decoded(streamID: 1, type: .request, data: [1])])
    }

    func testProgressTellsWhetherPartOfAFrameIsHeld() throws {
        let progress = FrameProgress()
        let channel = self.channel(maxDataLength: 100, progress: progress)
        let frame = frameBytes(streamID: 1, type: 1, data: pattern(50, 1))
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame.prefix(4))))
        XCTAssertTrue(progress.isInsideFrame, "part of a header")
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame[4..<30])))
        XCTAssertTrue(progress.isInsideFrame, "part of the data")
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame[30...])))
        XCTAssertFalse(progress.isInsideFrame, "between frames")
        try channel.writeInbound(ByteBuffer(testBytes: frameBytes(streamID: 3, type: 1, declaredLength: 500)))
        XCTAssertTrue(progress.isInsideFrame, "skipping an oversized frame")
        try channel.writeInbound(ByteBuffer(testBytes: pattern(500, 2)))
        XCTAssertFalse(progress.isInsideFrame)
        XCTAssertEqual(try readAll(channel).count, 2)
    }

    /// A reader of frames up to 100 bytes with a 50 ms frame timeout, on a clock of the test's.
    private func timedReader() -> (ManualClock, FrameProgress, EmbeddedChannel) {
        let clock = ManualClock()
        let progress = FrameProgress(clock: clock.now)
        let channel = EmbeddedChannel(
            handler: FrameReader(maxDataLength: 100, progress: progress, frameTimeout: .milliseconds(50))
        )
        return (clock, progress, channel)
    }

    func testAFrameStillIncompleteAtTheFrameTimeoutIsAnError() throws {
        let (clock, progress, channel) = timedReader()
        let frame = frameBytes(streamID: 1, type: 1, data: pattern(50, 1))
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame.prefix(20))))
        XCTAssertEqual(progress.frameStarted, clock.now())
        clock.advance(.milliseconds(40))
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame[20..<40])))
        clock.advance(.milliseconds(20))
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(testBytes: Array(frame[40..<50])))) { error in
            XCTAssertTrue("\(error)".contains("frame_timeout"), "\(error)")
        }
        XCTAssertNil(progress.frameStarted)
    }

    func testEachFrameIsTimedFromItsOwnFirstBytesNotFromTheFrameBeforeIt() throws {
        let (clock, progress, channel) = timedReader()
        // A busy client whose reads never end at a frame's end: every read finishes one frame and starts the next.
        var stream: [UInt8] = []
        for index in 0..<10 { stream += frameBytes(streamID: UInt32(2 * index + 1), type: 1, data: pattern(50, 1)) }
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + 90)
            try channel.writeInbound(ByteBuffer(testBytes: Array(stream[offset..<end])))
            offset = end
            clock.advance(.milliseconds(30))
        }
        XCTAssertEqual(try readAll(channel).count, 10, "300 ms of frames, none of them over 50 ms")
        // Whole frames never start the clock.
        XCTAssertNil(progress.frameStarted)
    }

    func testTimeTheServerPausedReadingIsNotHeldAgainstTheFrame() throws {
        let (clock, progress, channel) = timedReader()
        let frame = frameBytes(streamID: 1, type: 1, data: pattern(50, 1))
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame.prefix(20))))
        clock.advance(.milliseconds(10))
        // Two reasons overlap: the pause lasts until both are over.
        progress.paused(.unreadAnswers)
        clock.advance(.milliseconds(100))
        progress.paused(.waitingCalls)
        progress.resumed(.unreadAnswers)
        clock.advance(.milliseconds(100))
        progress.resumed(.waitingCalls)
        clock.advance(.milliseconds(30))
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame[20...])))
        XCTAssertEqual(try readAll(channel).count, 1, "40 ms of the client's own time")
    }

    func testAFrameWithinOneReadIsHandedOnWithoutACopy() throws {
        let channel = self.channel()
        let read = ByteBuffer(testBytes: frameBytes(streamID: 1, type: 1, data: pattern(1_000, 1)))
        try channel.writeInbound(read)
        guard case .frame(let frame) = try channel.readInbound(as: DecodedFrame.self) else {
            return XCTFail("expected a frame")
        }
        XCTAssertEqual(address(of: frame.data), address(of: read) + UInt(Frame.headerSize))
    }

    func testAFrameThatSpansReadsGoesIntoTheBufferTheLastOneUsed() throws {
        let channel = self.channel()
        let size = 100_000
        var addresses: [UInt] = []
        for seed in 1...3 {
            let bytes = frameBytes(streamID: UInt32(seed), type: 1, data: pattern(size, UInt8(seed)))
            try deliver(bytes, cuts: [5, 40_000, 80_000], to: channel)
            guard case .frame(let frame) = try channel.readInbound(as: DecodedFrame.self) else {
                return XCTFail("expected a frame")
            }
            XCTAssertTrue(frame.data.readableBytesView.elementsEqual(pattern(size, UInt8(seed))), "frame \(seed)")
            addresses.append(address(of: frame.data))
            // The frame is released here, as a handler that is done with it releases it.
        }
        XCTAssertEqual(Set(addresses).count, 1, "the receive buffer is reused from frame to frame: \(addresses)")
    }

    func testAFrameStillHeldIsNeverOverwrittenByTheNextOnes() throws {
        // A large call, then small and large ones on the same connection, while a handler still holds the first.
        let channel = self.channel()
        let first = pattern(300_000, 1)
        try deliver(frameBytes(streamID: 1, type: 1, data: first), cuts: [3, 65_536, 131_072], to: channel)
        guard case .frame(let held) = try channel.readInbound(as: DecodedFrame.self) else {
            return XCTFail("expected the first frame")
        }

        let small = pattern(40, 2)
        try deliver(frameBytes(streamID: 3, type: 1, data: small), cuts: [7, 20], to: channel)
        let second = pattern(250_000, 3)
        try deliver(frameBytes(streamID: 5, type: 1, data: second), cuts: [10, 100_000], to: channel)

        let later = try readAll(channel)
        XCTAssertTrue(
            later == [
                decoded(streamID: 3, type: .request, data: small), decoded(streamID: 5, type: .request, data: second),
            ],
            "the later frames are exactly the small one and the second large one"
        )
        XCTAssertTrue(
            held.data.readableBytesView.elementsEqual(first),
            "the held frame keeps exactly its own bytes"
        )
        for case .frame(let frame) in later {
            XCTAssertNotEqual(address(of: frame.data), address(of: held.data))
        }
    }

    func testABufferMuchLargerThanTheFramesItNowCarriesIsGivenBack() throws {
        let channel = self.channel()
        let reader = try reader(of: channel)
        try deliver(frameBytes(streamID: 1, type: 1, data: pattern(3_000_000, 1)), cuts: [100, 1_000_000], to: channel)
        XCTAssertEqual(try readAll(channel).count, 1)
        XCTAssertGreaterThanOrEqual(reader.receiveBufferCapacity, 3_000_000)

        try deliver(frameBytes(streamID: 3, type: 1, data: pattern(2_000, 2)), cuts: [1_000], to: channel)
        XCTAssertEqual(try readAll(channel), [decoded(streamID: 3, type: .request, data: pattern(2_000, 2))])
        XCTAssertLessThanOrEqual(reader.receiveBufferCapacity, 256 << 10)
    }
}

/// A clock that moves only when a test says so.
private final class ManualClock: Sendable {
    private let current = Mutex(NIODeadline.uptimeNanoseconds(1_000_000_000))

    var now: @Sendable () -> NIODeadline { { self.current.withLock { $0 } } }

    func advance(_ amount: TimeAmount) {
        current.withLock { $0 = $0 + amount }
    }
}
