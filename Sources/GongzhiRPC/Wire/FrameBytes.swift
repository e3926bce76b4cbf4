import NIOCore
import SwiftProtobuf

/// A frame under construction: protobuf serializes the data into it directly, after `Frame.headerSize` bytes
/// left for the header, so the encoded message is never copied.
///
/// swift-protobuf asks for its buffer with `init(repeating: 0, count:)` only to overwrite every byte of it, so
/// the bytes are not filled first: the memory is reserved, not zeroed.
struct FrameBytes: SwiftProtobufContiguousBytes {
    var buffer: ByteBuffer

    init(repeating value: UInt8, count: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: Frame.headerSize + count)
        if value == 0 {
            // The header is set once the data are written; the data are written by the encoder.
            buffer.moveWriterIndex(forwardBy: Frame.headerSize + count)
        } else {
            buffer.writeRepeatingByte(0, count: Frame.headerSize)
            buffer.writeRepeatingByte(value, count: count)
        }
    }

    init(_ sequence: some Sequence<UInt8>) {
        buffer = ByteBufferAllocator().buffer(capacity: Frame.headerSize + sequence.underestimatedCount)
        buffer.writeRepeatingByte(0, count: Frame.headerSize)
        buffer.writeBytes(sequence)
    }

    var count: Int { buffer.readableBytes - Frame.headerSize }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeReadableBytes {
            try body(UnsafeRawBufferPointer(rebasing: $0.dropFirst(Frame.headerSize)))
        }
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeMutableReadableBytes {
            try body(UnsafeMutableRawBufferPointer(rebasing: $0.dropFirst(Frame.headerSize)))
        }
    }
}
