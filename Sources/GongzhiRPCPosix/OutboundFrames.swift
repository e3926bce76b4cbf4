import GongzhiRPC
import NIOCore

/// The frames a connection writes between two flushes, gathered in one outbound buffer that the connection reuses
/// from flush to flush: once NIO has written a buffer and let go of it, the next frames go into the same memory, so
/// a connection does not allocate (and the kernel does not fault in) a buffer per call. While NIO still holds the
/// last buffer, new frames go into fresh memory (ByteBuffer never writes into storage that something else holds).
/// Confined to the connection's event loop.
struct OutboundFrames {
    /// Frames are gathered into one buffer up to this size; a larger frame is written from a buffer of its own.
    static let gatherLimit = 256 << 10
    /// The least room a fresh buffer gets, so that a burst of small frames fits in it.
    static let minimumCapacity = 8 << 10

    private var buffer = ByteBuffer()
    /// Completed when the frames gathered so far are written.
    private var promise: EventLoopPromise<Void>?

    /// Writes a frame of `size` bytes (header included) with `body`, after the frames already gathered.
    mutating func write(
        _ size: Int,
        _ context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>? = nil,
        _ body: (inout ByteBuffer) -> Void
    ) {
        if buffer.readableBytes > 0 && buffer.readableBytes + size > Self.gatherLimit {
            writeGathered(context)
        }
        if buffer.readableBytes == 0 {
            buffer.prepareForReuse(
                minimumCapacity: max(size, Self.minimumCapacity),
                allocator: context.channel.allocator
            )
        }
        let start = buffer.writerIndex
        body(&buffer)
        assert(buffer.writerIndex - start == size, "a frame of \(buffer.writerIndex - start) bytes, not \(size)")
        if let promise {
            if let gathered = self.promise {
                gathered.futureResult.cascade(to: promise)
            } else {
                self.promise = promise
            }
        }
    }

    /// Writes the gathered frames, and flushes.
    mutating func flush(_ context: ChannelHandlerContext) {
        writeGathered(context)
        context.flush()
    }

    /// Hands the gathered frames to the channel, without flushing.
    private mutating func writeGathered(_ context: ChannelHandlerContext) {
        guard buffer.readableBytes > 0 else { return }
        context.write(NIOAny(buffer), promise: promise)
        promise = nil
        // Kept (empty) so that its memory is reused once the channel lets go of it.
        buffer.moveReaderIndex(to: buffer.writerIndex)
    }
}
