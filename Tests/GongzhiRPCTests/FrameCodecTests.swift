import GongzhiRPC
import GongzhiTestSeeds
import NIOCore
import NIOEmbedded
import NIOTestUtils
import XCTest

final class FrameCodecTests: XCTestCase {
    // MARK: Constants of the protocol

    func testProtocolConstants() {
        XCTAssertEqual(Frame.headerSize, 10)
        XCTAssertEqual(Frame.maxDataLength, 4 * 1024 * 1024)
        XCTAssertEqual(FrameType.request.rawValue, 1)
        XCTAssertEqual(FrameType.response.rawValue, 2)
        XCTAssertEqual(FrameType.data.rawValue, 3)
        XCTAssertEqual(FrameFlags.remoteClosed.rawValue, 0x01)
        XCTAssertEqual(FrameFlags.remoteOpen.rawValue, 0x02)
        XCTAssertEqual(FrameFlags.noData.rawValue, 0x04)
    }

    func testFrameTypeNamesAndKnownness() {
        XCTAssertEqual(FrameType.request.description, "request")
        XCTAssertEqual(FrameType.response.description, "response")
        XCTAssertEqual(FrameType.data.description, "data")
        XCTAssertEqual(FrameType(rawValue: 0x1f).description, "unknown(0x1f)")
        XCTAssertTrue(FrameType.request.isKnown)
        XCTAssertTrue(FrameType.response.isKnown)
        XCTAssertTrue(FrameType.data.isKnown)
        XCTAssertFalse(FrameType(rawValue: 0).isKnown)
        XCTAssertFalse(FrameType(rawValue: 4).isKnown)
        XCTAssertFalse(FrameType(rawValue: 0xff).isKnown)
    }

    // MARK: Encoding

    func testWriteFrameProducesTheTtrpcHeaderLayout() {
        var buffer = ByteBuffer()
        buffer.writeFrame(
            Frame(
                streamID: 0x0102_0304,
                type: .data,
                flags: [.remoteClosed, .noData],
                data: ByteBuffer(testBytes: Array("abc".utf8))
            )
        )
        XCTAssertEqual(
            buffer.testBytes,
            [0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04, 0x03, 0x05, 0x61, 0x62, 0x63]
        )
    }

    func testWriteFrameHeaderWritesOnlyTheHeader() {
        var buffer = ByteBuffer()
        buffer.writeFrameHeader(dataLength: 0x0012_3456, streamID: 0xFFFF_FFFF, type: .request, flags: .remoteOpen)
        XCTAssertEqual(buffer.testBytes, [0x00, 0x12, 0x34, 0x56, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02])
    }

    func testWriteFrameWritesOnlyTheReadableBytesOfTheData() {
        var data = ByteBuffer(testBytes: [9, 9, 1, 2, 3])
        data.moveReaderIndex(forwardBy: 2)
        var buffer = ByteBuffer()
        buffer.writeFrame(Frame(streamID: 7, type: .response, data: data))
        XCTAssertEqual(buffer.testBytes, frameBytes(streamID: 7, type: 2, data: [1, 2, 3]))
    }

    func testBothWriteFrameVariantsAgree() {
        let payload: [UInt8] = Array(0..<200)
        var fromFrame = ByteBuffer()
        fromFrame.writeFrame(
            Frame(streamID: 41, type: .request, flags: .remoteOpen, data: ByteBuffer(testBytes: payload))
        )
        var fromBytes = ByteBuffer()
        fromBytes.writeFrame(streamID: 41, type: .request, flags: .remoteOpen, bytes: payload)
        XCTAssertEqual(fromFrame, fromBytes)
        XCTAssertEqual(fromBytes.testBytes, frameBytes(streamID: 41, type: 1, flags: 2, data: payload))
    }

    func testWriteThenDecodeGivesTheSameFrame() throws {
        var random = seededRandom()
        for _ in 0..<200 {
            let length = Int.random(in: 0...2_000, using: &random)
            let frame = Frame(
                streamID: UInt32.random(in: .min ... .max, using: &random),
                type: FrameType(rawValue: UInt8.random(in: 1...3, using: &random)),
                flags: FrameFlags(rawValue: UInt8.random(in: 0...7, using: &random)),
                data: ByteBuffer(testBytes: random.bytes(length))
            )
            var buffer = ByteBuffer()
            buffer.writeFrame(frame)
            XCTAssertEqual(buffer.readableBytes, Frame.headerSize + length)

            var decoder = FrameDecoder()
            XCTAssertEqual(try decoder.decode(buffer: &buffer), .frame(frame))
            XCTAssertEqual(buffer.readableBytes, 0, "the decoder must consume the whole frame")
            XCTAssertNil(try decoder.decode(buffer: &buffer))
        }
    }

    func testFramesOfExactlyTheProtocolLimitAreAcceptedAndOneByteMoreIsNot() throws {
        var decoder = DirectDecoder(FrameDecoder())
        let atLimit = [UInt8](repeating: 0xab, count: Frame.maxDataLength)
        var buffer = ByteBuffer()
        buffer.writeFrame(streamID: 1, type: .request, bytes: atLimit)
        buffer.writeFrame(streamID: 3, type: .request, bytes: atLimit + [0xab])
        buffer.writeFrame(streamID: 5, type: .data, bytes: [1])

        let results = try decoder.feed(buffer.readableBytesView)
        XCTAssertEqual(results.count, 3)
        XCTAssertEqual(results.first, decoded(streamID: 1, type: .request, data: atLimit))
        XCTAssertEqual(
            results.dropFirst().first,
            .oversized(streamID: 3, type: .request, dataLength: atLimit.count + 1)
        )
        XCTAssertEqual(results.last, decoded(streamID: 5, type: .data, data: [1]))
    }

    // MARK: Decoding, verified for every way the input can be cut

    func testDecoderWithByteToMessageDecoderVerifier() throws {
        let hello = Array("hello".utf8)
        let big: [UInt8] = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let pairs: [([UInt8], [DecodedFrame])] = [
            (frameBytes(streamID: 1, type: 1, data: hello), [decoded(streamID: 1, type: .request, data: hello)]),
            (
                frameBytes(streamID: 1, type: 2, data: [0x0a, 0x00]),
                [decoded(streamID: 1, type: .response, data: [0x0a, 0x00])]
            ),
            (
                frameBytes(streamID: 3, type: 3, flags: 0x05),
                [decoded(streamID: 3, type: .data, flags: [.remoteClosed, .noData])]
            ),
            (frameBytes(streamID: 5, type: 1, flags: 0x02), [decoded(streamID: 5, type: .request, flags: .remoteOpen)]),
            (
                frameBytes(streamID: 0xFFFF_FFFF, type: 3, flags: 0x01, data: big),
                [decoded(streamID: 0xFFFF_FFFF, type: .data, flags: .remoteClosed, data: big)]
            ),
            (
                frameBytes(streamID: 7, type: 3, data: [1]) + frameBytes(streamID: 9, type: 3, data: [2, 3]),
                [decoded(streamID: 7, type: .data, data: [1]), decoded(streamID: 9, type: .data, data: [2, 3])]
            ),
        ]
        XCTAssertNoThrow(
            try ByteToMessageDecoderVerifier.verifyDecoder(
                inputOutputPairs: pairs.map { (ByteBuffer(testBytes: $0.0), $0.1) },
                decoderFactory: { FrameDecoder() }
            )
        )
    }

    func testDecoderAtASmallLimitWithByteToMessageDecoderVerifier() throws {
        let limit = 16
        let belowLimit: [UInt8] = Array(1...UInt8(limit - 1))
        let atLimit: [UInt8] = Array(1...UInt8(limit))
        let pairs: [([UInt8], [DecodedFrame])] = [
            (
                frameBytes(streamID: 1, type: 1, data: belowLimit),
                [decoded(streamID: 1, type: .request, data: belowLimit)]
            ),
            (frameBytes(streamID: 3, type: 2, data: atLimit), [decoded(streamID: 3, type: .response, data: atLimit)]),
            (
                frameBytes(streamID: 5, type: 3, data: atLimit + [0]),
                [.oversized(streamID: 5, type: .data, dataLength: limit + 1)]
            ),
            (
                frameBytes(streamID: 7, type: 1, flags: 0x02, data: [UInt8](repeating: 0xee, count: 100)),
                [.oversized(streamID: 7, type: .request, dataLength: 100)]
            ),
            (frameBytes(streamID: 9, type: 3), [decoded(streamID: 9, type: .data)]),
        ]
        XCTAssertNoThrow(
            try ByteToMessageDecoderVerifier.verifyDecoder(
                inputOutputPairs: pairs.map { (ByteBuffer(testBytes: $0.0), $0.1) },
                decoderFactory: { FrameDecoder(maxDataLength: limit) }
            )
        )
    }

    func testEveryCutOfAFrameStreamDecodesTheSame() throws {
        // Frames around a limit of 8 bytes, including an oversized one to be skipped.
        let stream =
            frameBytes(streamID: 1, type: 1, flags: 2, data: [1, 2, 3])
            + frameBytes(streamID: 1, type: 3, flags: 5)
            + frameBytes(streamID: 3, type: 3, data: Array(10...27))
            + frameBytes(streamID: 5, type: 2, data: Array(30...37))
            + frameBytes(streamID: 7, type: 7, data: [0xaa])
        let expected: [DecodedFrame] = [
            decoded(streamID: 1, type: .request, flags: .remoteOpen, data: [1, 2, 3]),
            decoded(streamID: 1, type: .data, flags: [.remoteClosed, .noData]),
            .oversized(streamID: 3, type: .data, dataLength: 18),
            decoded(streamID: 5, type: .response, data: Array(30...37)),
            decoded(streamID: 7, type: FrameType(rawValue: 7), data: [0xaa]),
        ]

        for first in 0...stream.count {
            for second in first...stream.count {
                var decoder = DirectDecoder(FrameDecoder(maxDataLength: 8))
                let results = try decoder.feed(stream, cutAt: [first, second])
                XCTAssertEqual(results, expected, "cut at \(first) and \(second)")
                XCTAssertEqual(decoder.buffer.readableBytes, 0, "cut at \(first) and \(second)")
            }
        }
    }

    func testEveryCutOfAFrameStreamDecodesTheSameThroughAChannel() throws {
        let stream =
            frameBytes(streamID: 1, type: 1, data: Array("abc".utf8))
            + frameBytes(streamID: 3, type: 3, data: Array(0..<40))
            + frameBytes(streamID: 5, type: 2)
        let expected: [DecodedFrame] = [
            decoded(streamID: 1, type: .request, data: Array("abc".utf8)),
            .oversized(streamID: 3, type: .data, dataLength: 40),
            decoded(streamID: 5, type: .response),
        ]
        for cut in 0...stream.count {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxDataLength: 32)))
            try channel.writeInbound(ByteBuffer(testBytes: Array(stream[..<cut])))
            try channel.writeInbound(ByteBuffer(testBytes: Array(stream[cut...])))
            var results: [DecodedFrame] = []
            while let result = try channel.readInbound(as: DecodedFrame.self) { results.append(result) }
            XCTAssertEqual(results, expected, "cut at \(cut)")
            XCTAssertTrue(try channel.finish().isClean, "cut at \(cut)")
        }
    }
}
