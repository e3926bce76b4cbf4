import GongzhiRPC
import GongzhiTestSeeds
import NIOCore
import NIOEmbedded
import XCTest

final class FrameDecoderBadInputTests: XCTestCase {
    // MARK: Oversized frames

    func testOversizedFrameIsReportedFromItsHeaderAlone() throws {
        var decoder = DirectDecoder(FrameDecoder(maxDataLength: 1_000))
        let header = frameBytes(streamID: 11, type: 1, flags: 2, declaredLength: 1_001)
        XCTAssertEqual(
            try decoder.feed(header),
            [.oversized(streamID: 11, type: .request, dataLength: 1_001)],
            "the limit is checked as soon as the header is read, before any data arrive"
        )
        XCTAssertEqual(decoder.buffer.readableBytes, 0)
    }

    func testOversizedFrameDataAreDiscardedAsTheyArriveAndTheNextFrameDecodes() throws {
        let limit = 64 * 1024
        let declared = limit * 10 + 7
        var decoder = DirectDecoder(FrameDecoder(maxDataLength: limit))
        XCTAssertEqual(
            try decoder.feed(frameBytes(streamID: 3, type: 3, declaredLength: declared)),
            [.oversized(streamID: 3, type: .data, dataLength: declared)]
        )

        let chunk = [UInt8](repeating: 0x5a, count: 4_096)
        var remaining = declared
        while remaining > chunk.count {
            XCTAssertEqual(try decoder.feed(chunk), [])
            XCTAssertEqual(decoder.buffer.readableBytes, 0, "skipped data must not be kept")
            remaining -= chunk.count
        }
        // The tail of the oversized frame and a whole valid frame arrive together.
        let next = frameBytes(streamID: 5, type: 1, data: Array("after".utf8))
        XCTAssertEqual(
            try decoder.feed(chunk.prefix(remaining) + next),
            [decoded(streamID: 5, type: .request, data: Array("after".utf8))]
        )
        XCTAssertEqual(decoder.buffer.readableBytes, 0)
    }

    func testOversizedFrameThroughAChannelDoesNotBufferItsData() throws {
        // The handler refuses to hold more than a header's worth of undecoded bytes, so any attempt to
        // buffer the 5 MiB of data fails the test.
        let handler = ByteToMessageHandler(FrameDecoder(), maximumBufferSize: Frame.headerSize)
        let channel = EmbeddedChannel(handler: handler)
        let declared = 5 * 1024 * 1024
        XCTAssertLessThan(declared, 16 * 1024 * 1024)

        try channel.writeInbound(ByteBuffer(testBytes: frameBytes(streamID: 9, type: 2, declaredLength: declared)))
        XCTAssertEqual(
            try channel.readInbound(as: DecodedFrame.self),
            .oversized(streamID: 9, type: .response, dataLength: declared)
        )

        let chunk = ByteBuffer(repeating: 0x42, count: 64 * 1024)
        for _ in 0..<(declared / chunk.readableBytes) {
            try channel.writeInbound(chunk)
            XCTAssertNil(try channel.readInbound(as: DecodedFrame.self))
        }
        try channel.writeInbound(ByteBuffer(testBytes: frameBytes(streamID: 11, type: 3, flags: 1, data: [7, 8])))
        XCTAssertEqual(
            try channel.readInbound(as: DecodedFrame.self),
            decoded(streamID: 11, type: .data, flags: .remoteClosed, data: [7, 8])
        )
        XCTAssertNil(try channel.readInbound(as: DecodedFrame.self))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testLargestLengthAHeaderCanDeclareIsOversizedNotAnError() throws {
        var decoder = DirectDecoder(FrameDecoder())
        XCTAssertEqual(
            try decoder.feed(frameBytes(streamID: 1, type: 1, declaredLength: 0x00FF_FFFF)),
            [.oversized(streamID: 1, type: .request, dataLength: 0x00FF_FFFF)]
        )
    }

    // MARK: Input that is not ttrpc

    func testNonZeroFirstHeaderByteThrows() {
        for declared in [0x0100_0000, 0x0100_0005, 0x7F00_0000, 0xFFFF_FFFF] {
            var decoder = FrameDecoder()
            var buffer = ByteBuffer(testBytes: frameBytes(streamID: 1, type: 1, declaredLength: declared))
            XCTAssertThrowsError(try decoder.decode(buffer: &buffer), "declared length \(declared)") { error in
                guard let error = error as? FrameDecodingError else {
                    return XCTFail("expected a FrameDecodingError, got \(error)")
                }
                XCTAssertTrue(error.message.contains("not ttrpc framing"), error.message)
                XCTAssertEqual(error.description, error.message)
            }
        }
    }

    func testNonZeroFirstHeaderByteFailsTheChannelAfterEarlierFramesWereDelivered() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        // "GET / HTTP/1.1" is what a confused peer might send.
        let input = frameBytes(streamID: 1, type: 1, data: [1]) + Array("GET / HTTP/1.1\r\n".utf8)
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(testBytes: input))) { error in
            XCTAssertTrue(error is FrameDecodingError, "\(error)")
        }
        XCTAssertEqual(try channel.readInbound(as: DecodedFrame.self), decoded(streamID: 1, type: .request, data: [1]))
        XCTAssertNil(try channel.readInbound(as: DecodedFrame.self))
        _ = try? channel.finish()
    }

    func testTruncatedFramesYieldNothingUntilComplete() throws {
        let data: [UInt8] = Array(1...20)
        let bytes = frameBytes(streamID: 3, type: 2, flags: 1, data: data)
        var decoder = DirectDecoder(FrameDecoder())
        for byte in bytes.dropLast() {
            XCTAssertEqual(try decoder.feed([byte]), [])
        }
        XCTAssertEqual(decoder.buffer.readableBytes, bytes.count - 1, "a partial frame is kept until complete")
        XCTAssertEqual(
            try decoder.feed([bytes.last!]),
            [decoded(streamID: 3, type: .response, flags: .remoteClosed, data: data)]
        )
    }

    func testPartialFrameAtEndOfInputIsDropped() throws {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(testBytes: Array(frameBytes(streamID: 1, type: 1, data: [1, 2, 3]).dropLast()))
        XCTAssertNil(try decoder.decodeLast(buffer: &buffer, seenEOF: true))

        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(ByteBuffer(testBytes: Array(frameBytes(streamID: 1, type: 1).prefix(7))))
        XCTAssertNoThrow(try channel.finish())
        XCTAssertNil(try channel.readInbound(as: DecodedFrame.self))
    }

    func testUnknownMessageTypesArePassedOn() throws {
        var decoder = DirectDecoder(FrameDecoder())
        let results = try decoder.feed(
            frameBytes(streamID: 1, type: 7, flags: 0x80, data: [1, 2]) + frameBytes(streamID: 2, type: 0)
        )
        XCTAssertEqual(
            results,
            [
                decoded(streamID: 1, type: FrameType(rawValue: 7), flags: FrameFlags(rawValue: 0x80), data: [1, 2]),
                decoded(streamID: 2, type: FrameType(rawValue: 0)),
            ]
        )
        guard case .frame(let frame) = results.first else { return XCTFail("expected a frame") }
        XCTAssertEqual(frame.type, FrameType(rawValue: 7))
        XCTAssertFalse(frame.type.isKnown)
    }

    func testGarbageNeverCrashesAndDecodesTheSameHoweverItIsCut() {
        /// Decodes `input` fed in pieces of the given sizes; stops at the first error.
        func run(_ input: [UInt8], pieceSizes: () -> Int) -> (frames: [DecodedFrame], error: (any Error)?) {
            var decoder = FrameDecoder(maxDataLength: 48)
            var buffer = ByteBuffer()
            var frames: [DecodedFrame] = []
            var start = 0
            while start < input.count {
                let end = min(input.count, start + pieceSizes())
                buffer.writeBytes(input[start..<end])
                start = end
                do {
                    while let result = try decoder.decode(buffer: &buffer) { frames.append(result) }
                } catch {
                    return (frames, error)
                }
            }
            return (frames, nil)
        }

        var random = seededRandom()
        var (cleanRounds, failedRounds, frames, oversized) = (0, 0, 0, 0)
        for round in 0..<500 {
            // Mostly plausible frames with random fields, so that garbage gets past the first header byte,
            // with stray bytes now and then that throw the framing off.
            var input: [UInt8] = []
            while input.count < 600 {
                if Int.random(in: 0..<8, using: &random) > 0 {
                    let data = random.bytes(Int.random(in: 0...80, using: &random))
                    input += frameBytes(
                        streamID: UInt32.random(in: .min ... .max, using: &random),
                        type: UInt8.random(in: .min ... .max, using: &random),
                        flags: UInt8.random(in: .min ... .max, using: &random),
                        data: data
                    )
                } else {
                    input += random.bytes(Int.random(in: 1...12, using: &random))
                }
            }

            let whole = run(input, pieceSizes: { input.count })
            let drip = run(input, pieceSizes: { 1 })
            let chunked = run(input, pieceSizes: { Int.random(in: 1...40, using: &random) })
            for other in [drip, chunked] {
                XCTAssertEqual(other.frames, whole.frames, "round \(round)")
                XCTAssertEqual(other.error == nil, whole.error == nil, "round \(round)")
                if let error = other.error {
                    XCTAssertTrue(error is FrameDecodingError, "round \(round): \(error)")
                }
            }
            for result in whole.frames {
                switch result {
                case .frame(let frame):
                    XCTAssertLessThanOrEqual(frame.data.readableBytes, 48, "round \(round)")
                    frames += 1
                case .oversized(_, _, let dataLength):
                    XCTAssertGreaterThan(dataLength, 48, "round \(round)")
                    oversized += 1
                }
            }
            if whole.error == nil { cleanRounds += 1 } else { failedRounds += 1 }
        }
        // The input exercised every path.
        XCTAssertGreaterThan(cleanRounds, 0)
        XCTAssertGreaterThan(failedRounds, 0)
        XCTAssertGreaterThan(frames, 0)
        XCTAssertGreaterThan(oversized, 0)
    }

    // MARK: Progress

    func testProgressWhenDrivingTheDecoderDirectly() throws {
        let progress = FrameProgress()
        var decoder = DirectDecoder(FrameDecoder(maxDataLength: 16, progress: progress))
        XCTAssertFalse(progress.isInsideFrame, "nothing received yet")

        let frame = frameBytes(streamID: 1, type: 1, data: [1, 2, 3, 4])
        _ = try decoder.feed(frame.prefix(4))
        XCTAssertTrue(progress.isInsideFrame, "part of a header is pending")
        _ = try decoder.feed(frame[4..<12])
        XCTAssertTrue(progress.isInsideFrame, "a header and part of the data are pending")
        XCTAssertEqual(try decoder.feed(frame[12...]).count, 1)
        XCTAssertFalse(progress.isInsideFrame, "the frame is complete")

        XCTAssertEqual(try decoder.feed(frame + frame.prefix(1)).count, 1)
        XCTAssertTrue(progress.isInsideFrame, "one byte of the next frame is pending")
        XCTAssertEqual(try decoder.feed(frame.dropFirst()).count, 1)
        XCTAssertFalse(progress.isInsideFrame)

        XCTAssertEqual(try decoder.feed(frameBytes(streamID: 3, type: 3, declaredLength: 20)).count, 1)
        XCTAssertTrue(progress.isInsideFrame, "the data of an oversized frame are still to be skipped")
        _ = try decoder.feed([UInt8](repeating: 0, count: 19))
        XCTAssertTrue(progress.isInsideFrame, "one byte of the oversized frame is still to be skipped")
        _ = try decoder.feed([0])
        XCTAssertFalse(progress.isInsideFrame, "the oversized frame has been skipped")
    }

    func testProgressThroughAChannelWhenAFrameArrivesInOneRead() throws {
        let progress = FrameProgress()
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(progress: progress)))
        let frame = frameBytes(streamID: 1, type: 1, data: [1, 2, 3])

        try channel.writeInbound(ByteBuffer(testBytes: frame))
        XCTAssertNotNil(try channel.readInbound(as: DecodedFrame.self))
        XCTAssertFalse(progress.isInsideFrame)

        try channel.writeInbound(ByteBuffer(testBytes: frame + frame.prefix(3)))
        XCTAssertNotNil(try channel.readInbound(as: DecodedFrame.self))
        XCTAssertTrue(progress.isInsideFrame, "three bytes of the next frame are pending")
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testProgressThroughAChannelClearsWhenTheLastPiecesOfAFrameArrive() throws {
        let progress = FrameProgress()
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(progress: progress)))
        let frame = frameBytes(streamID: 1, type: 1, data: [1, 2, 3])

        try channel.writeInbound(ByteBuffer(testBytes: Array(frame.prefix(Frame.headerSize))))
        XCTAssertTrue(progress.isInsideFrame, "the header is in, the data are pending")
        try channel.writeInbound(ByteBuffer(testBytes: Array(frame.dropFirst(Frame.headerSize))))
        XCTAssertEqual(
            try channel.readInbound(as: DecodedFrame.self),
            decoded(streamID: 1, type: .request, data: [1, 2, 3])
        )
        XCTAssertFalse(progress.isInsideFrame, "the frame is complete and nothing else was received")
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testProgressThroughAChannelWhileAnOversizedFrameIsSkipped() throws {
        let progress = FrameProgress()
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxDataLength: 8, progress: progress)))

        try channel.writeInbound(ByteBuffer(testBytes: frameBytes(streamID: 1, type: 3, declaredLength: 100)))
        XCTAssertEqual(
            try channel.readInbound(as: DecodedFrame.self),
            .oversized(streamID: 1, type: .data, dataLength: 100)
        )
        XCTAssertTrue(progress.isInsideFrame, "100 bytes of the oversized frame are still to come")
        try channel.writeInbound(ByteBuffer(repeating: 0, count: 99))
        XCTAssertTrue(progress.isInsideFrame, "one byte of the oversized frame is still to come")
        try channel.writeInbound(ByteBuffer(repeating: 0, count: 1))
        XCTAssertFalse(progress.isInsideFrame)
        XCTAssertTrue(try channel.finish().isClean)
    }
}
