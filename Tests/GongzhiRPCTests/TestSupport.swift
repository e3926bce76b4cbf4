import GongzhiRPC
import NIOCore
import XCTest

extension ByteBuffer {
    /// A buffer holding exactly `bytes`.
    init(testBytes bytes: [UInt8]) {
        self.init()
        self.writeBytes(bytes)
    }

    /// The readable bytes as an array.
    var testBytes: [UInt8] { Array(self.readableBytesView) }
}

/// One encoded frame, built byte by byte so that the tests do not depend on the encoder under test.
func frameBytes(
    streamID: UInt32,
    type: UInt8,
    flags: UInt8 = 0,
    data: [UInt8] = [],
    declaredLength: Int? = nil
) -> [UInt8] {
    bigEndian(UInt32(declaredLength ?? data.count)) + bigEndian(streamID) + [type, flags] + data
}

/// The four bytes of `value`, most significant first.
func bigEndian(_ value: UInt32) -> [UInt8] {
    [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
}

/// A `DecodedFrame.frame` built from plain values.
func decoded(
    streamID: UInt32,
    type: FrameType,
    flags: FrameFlags = [],
    data: [UInt8] = []
) -> DecodedFrame {
    .frame(Frame(streamID: streamID, type: type, flags: flags, data: ByteBuffer(testBytes: data)))
}

/// Drives a `FrameDecoder` without a channel: bytes are appended to one buffer and `decode` is called until
/// it returns nil, even when the buffer is empty (which `ByteToMessageHandler` does not do).
struct DirectDecoder {
    var decoder: FrameDecoder
    var buffer = ByteBuffer()

    init(_ decoder: FrameDecoder) { self.decoder = decoder }

    /// Appends `bytes` and returns every result the decoder produces from what it now holds.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [DecodedFrame] {
        buffer.writeBytes(Array(bytes))
        var results: [DecodedFrame] = []
        while let result = try decoder.decode(buffer: &buffer) {
            results.append(result)
        }
        return results
    }

    /// Feeds `bytes` in pieces cut at `cuts` (offsets into `bytes`, ascending) and collects the results.
    mutating func feed(_ bytes: [UInt8], cutAt cuts: [Int]) throws -> [DecodedFrame] {
        var results: [DecodedFrame] = []
        var start = 0
        for end in cuts + [bytes.count] {
            results += try feed(bytes[start..<end])
            start = end
        }
        return results
    }
}

extension RandomNumberGenerator {
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }
}
