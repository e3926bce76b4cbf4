import NIOCore

/// Reads ttrpc frames from a connection: the first handler of a connection's pipeline, handing `DecodedFrame`s to
/// the next. It decodes with `FrameDecoder` and buffers so that frames are neither copied more than once nor
/// reallocated while they arrive:
///
/// - a frame that arrives whole within one read is handed on as a slice of that read's buffer, which NIO reuses for
///   a later read once nothing holds it;
/// - a frame that spans reads is gathered in the connection's receive buffer, which is reserved at the frame's full
///   size as soon as its header is read and is reused from one frame to the next (given back for a smaller one
///   when it grew much larger than the frames it now carries).
///
/// No frame's bytes are ever overwritten by a later one's: a frame handed on (or a payload shared from it, see
/// `ByteBuffer.payloadData()`) holds the buffer's storage, and a ByteBuffer that is written while anything else holds
/// its storage gets fresh storage first.
///
/// A header that is not ttrpc framing is reported as a `FrameDecodingError` through `errorCaught`, and nothing the
/// connection sends after it is read. Bytes of an unfinished frame left when the connection closes are dropped.
public final class FrameReader: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = DecodedFrame

    private var decoder: FrameDecoder
    private let progress: FrameProgress?
    /// The longest one frame may take to arrive, from its first byte; nil for no limit.
    private let frameTimeout: TimeAmount?
    /// Part of one frame, from its first byte; empty between frames.
    private var pending = ByteBuffer()
    private var allocator = ByteBufferAllocator()
    private var failed = false

    /// A reader that accepts frame data up to `maxDataLength` bytes and keeps `progress` up to date (true while
    /// part of a frame is held or an oversized one is being skipped). With `frameTimeout` (and `progress`), a frame
    /// still incomplete that long after its first byte arrived is reported as a `FrameDecodingError` at the next
    /// read: a client that sends a byte now and then, never stalling long enough to be taken for stalled, cannot
    /// keep the reader holding a frame for ever.
    public init(
        maxDataLength: Int = Frame.maxDataLength,
        progress: FrameProgress? = nil,
        frameTimeout: TimeAmount? = nil
    ) {
        self.decoder = FrameDecoder(maxDataLength: maxDataLength)
        self.progress = progress
        self.frameTimeout = frameTimeout
    }

    /// The capacity of the receive buffer, for tests of its reuse.
    public var receiveBufferCapacity: Int { pending.storageCapacity }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.allocator = context.channel.allocator
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var input = unwrapInboundIn(data)
        let wasSkipping = decoder.isSkipping
        do {
            if pending.readableBytes > 0 {
                try finishPendingFrame(from: &input, context: context)
            }
            if pending.readableBytes == 0 {
                while let decoded = try decoder.decode(buffer: &input) {
                    context.fireChannelRead(wrapInboundOut(decoded))
                }
                if input.readableBytes > 0 {
                    // The start of the next frame: its clock starts now, not with the frame before it.
                    keep(&input)
                    progress?.frameBegan()
                } else if decoder.isSkipping && !wasSkipping {
                    progress?.frameBegan()
                }
            }
        } catch {
            failed = true
            pending.clear()
            progress?.isInsideFrame = false
            context.fireErrorCaught(error)
            return
        }
        progress?.isInsideFrame = pending.readableBytes > 0 || decoder.isSkipping
        if let progress, let frameTimeout, let started = progress.frameStarted,
            progress.clock() - started > frameTimeout
        {
            failed = true
            pending = ByteBuffer()
            progress.isInsideFrame = false
            let milliseconds = frameTimeout.nanoseconds / 1_000_000
            let limit = milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
            context.fireErrorCaught(
                FrameDecodingError(
                    "the client took over \(limit) to send one frame (it sends, but too slowly: frame_timeout)"
                )
            )
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // An unfinished frame's sender is gone.
        pending = ByteBuffer()
        progress?.isInsideFrame = false
        context.fireChannelInactive()
    }

    /// Adds bytes from `input` to the frame in `pending` until it is whole (then hands it on) or `input` runs out.
    /// Only the bytes that frame needs are taken, so `pending` never holds more than one frame.
    private func finishPendingFrame(from input: inout ByteBuffer, context: ChannelHandlerContext) throws {
        while pending.readableBytes > 0 {
            let missing = decoder.bytesMissing(in: pending)
            guard missing == 0 else {
                let taken = min(missing, input.readableBytes)
                guard taken > 0 else { return }
                let hadHeader = pending.readableBytes >= Frame.headerSize
                var chunk = input.readSlice(length: taken)!
                pending.writeBuffer(&chunk)
                if !hadHeader && pending.readableBytes >= Frame.headerSize {
                    // The header is whole: make room for the whole frame at once.
                    pending.reserveCapacity(minimumWritableBytes: decoder.bytesMissing(in: pending))
                }
                continue
            }
            // A whole frame, or the header of an oversized one (whose data the decoder then skips).
            if let decoded = try decoder.decode(buffer: &pending) {
                context.fireChannelRead(wrapInboundOut(decoded))
            }
            assert(pending.readableBytes == 0, "the receive buffer held more than one frame")
        }
    }

    /// Keeps the start of a frame that `input` ends with, in the receive buffer, reserved for the whole frame when
    /// its header is there.
    private func keep(_ input: inout ByteBuffer) {
        let frameSize = input.readableBytes + decoder.bytesMissing(in: input)
        pending.prepareForReuse(minimumCapacity: frameSize, allocator: allocator)
        pending.writeBuffer(&input)
    }
}

extension ByteBuffer {
    /// Buffers no larger than this are kept for reuse whatever they carry next.
    static let retainedCapacity = 256 << 10

    /// Empties this buffer for `minimumCapacity` bytes: keeps its memory when nothing else holds it and it is not
    /// far larger than needed (so that a connection does not refault its buffer frame after frame), and otherwise
    /// takes fresh memory of the size needed (ByteBuffer never writes into storage that something else holds).
    package mutating func prepareForReuse(minimumCapacity: Int, allocator: ByteBufferAllocator) {
        if self.storageCapacity > Swift.max(4 * minimumCapacity, Self.retainedCapacity) {
            self = allocator.buffer(capacity: minimumCapacity)
        } else {
            self.clear(minimumCapacity: minimumCapacity)
        }
    }
}
