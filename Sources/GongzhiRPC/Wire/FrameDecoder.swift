import NIOCore

/// What the frame decoder hands on: a whole frame, or the header of a frame too large to accept.
public enum DecodedFrame: Sendable, Hashable {
    /// A complete frame whose data fit within the limit.
    case frame(Frame)
    /// A frame whose declared data length is over the limit. Its data are skipped without being
    /// buffered, so the connection stays usable and the sender can be told which stream failed.
    case oversized(streamID: UInt32, type: FrameType, dataLength: Int)
}

/// The connection-level error for input that cannot be ttrpc framing at all.
public struct FrameDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Tells the connection whether bytes of an unfinished frame are waiting, so that a peer that stops
/// mid-frame can be told apart from an idle one. Confined to the connection's event loop.
public final class FrameProgress {
    /// True while the decoder holds part of a frame, or is skipping an oversized one.
    public internal(set) var isInsideFrame = false {
        didSet { if !isInsideFrame { frameStarted = nil } }
    }
    /// When the frame now arriving began to arrive, moved later by the time the server paused reading meanwhile;
    /// nil between frames.
    public internal(set) var frameStarted: NIODeadline?
    /// The clock frames are timed by (a test's may be its own).
    public let clock: @Sendable () -> NIODeadline
    /// Why the server does not read the connection now; empty while it reads.
    private var pauses: Set<Pause> = []
    /// Since when the server has not read the connection, while it does not.
    private var pausedAt: NIODeadline?

    /// Why a server stops reading a connection of its own accord.
    public enum Pause: Sendable, Hashable {
        /// Its client leaves answers unread (over the outbound budget).
        case unreadAnswers
        /// Its client sent more calls than may run; they wait to start.
        case waitingCalls
    }

    public init(clock: @escaping @Sendable () -> NIODeadline = { .now() }) {
        self.clock = clock
    }

    /// A new frame's first bytes arrived now.
    func frameBegan() {
        frameStarted = clock()
    }

    /// The server stopped reading the connection for `reason`: the time until it reads again (every reason
    /// ``resumed(_:)``) is not held against the frame arriving.
    public func paused(_ reason: Pause) {
        if pauses.isEmpty { pausedAt = clock() }
        pauses.insert(reason)
    }

    /// `reason` no longer keeps the server from reading; once none does, the frame arriving is timed as if the
    /// pause had not been.
    public func resumed(_ reason: Pause) {
        guard pauses.remove(reason) != nil, pauses.isEmpty, let pausedAt else { return }
        self.pausedAt = nil
        if let started = frameStarted { frameStarted = started + (clock() - pausedAt) }
    }
}

/// Splits a byte stream into ttrpc frames.
///
/// The data length is checked against `maxDataLength` as soon as the header is read, before any
/// buffer is set aside for the data. Oversized frames are reported and their data discarded as they
/// arrive. A header whose reserved first byte is not zero cannot be ttrpc and ends the connection.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = DecodedFrame

    public let maxDataLength: Int
    private var bytesToDiscard = 0
    private let progress: FrameProgress?

    public init(maxDataLength: Int = Frame.maxDataLength, progress: FrameProgress? = nil) {
        precondition(maxDataLength >= 0 && maxDataLength <= 0x00FF_FFFF, "maxDataLength must be below 16 MiB")
        self.maxDataLength = maxDataLength
        self.progress = progress
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> DecodedFrame? {
        let result = try self.decodeOne(&buffer)
        // Updated after every step: the handler stops calling once its buffer is empty, so the state
        // after the last frame of a read must already be right.
        self.progress?.isInsideFrame = self.bytesToDiscard > 0 || buffer.readableBytes > 0
        return result
    }

    /// True while the data of an oversized frame are being skipped.
    public var isSkipping: Bool { bytesToDiscard > 0 }

    /// How many more bytes `buffer` needs before `decode` can hand on its next record: the rest of the header,
    /// then the rest of the frame. Zero when it can decode now, and also when the header declares data over the
    /// limit or is not ttrpc framing (`decode` reports either at once).
    func bytesMissing(in buffer: ByteBuffer) -> Int {
        guard buffer.readableBytes >= Frame.headerSize else { return Frame.headerSize - buffer.readableBytes }
        let length = Int(buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self)!)
        guard length <= self.maxDataLength else { return 0 }
        return max(0, Frame.headerSize + length - buffer.readableBytes)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodedFrame? {
        // A partial frame left at the end of input is dropped: its sender is gone.
        try self.decode(buffer: &buffer)
    }

    private mutating func decodeOne(_ buffer: inout ByteBuffer) throws -> DecodedFrame? {
        if self.bytesToDiscard > 0 {
            let skipped = min(self.bytesToDiscard, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skipped)
            self.bytesToDiscard -= skipped
            if self.bytesToDiscard > 0 { return nil }
        }
        guard buffer.readableBytes >= Frame.headerSize else { return nil }
        let start = buffer.readerIndex
        let length = Int(buffer.getInteger(at: start, endianness: .big, as: UInt32.self)!)
        if length > 0x00FF_FFFF {
            throw FrameDecodingError(
                "received bytes that are not ttrpc framing (a frame header declared \(length) bytes of data; "
                    + "the first header byte must be zero); closing the connection"
            )
        }
        let streamID = buffer.getInteger(at: start + 4, endianness: .big, as: UInt32.self)!
        let type = FrameType(rawValue: buffer.getInteger(at: start + 8, as: UInt8.self)!)
        let flags = FrameFlags(rawValue: buffer.getInteger(at: start + 9, as: UInt8.self)!)

        if length > self.maxDataLength {
            buffer.moveReaderIndex(forwardBy: Frame.headerSize)
            let skipped = min(length, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skipped)
            self.bytesToDiscard = length - skipped
            return .oversized(streamID: streamID, type: type, dataLength: length)
        }
        guard buffer.readableBytes >= Frame.headerSize + length else { return nil }
        buffer.moveReaderIndex(forwardBy: Frame.headerSize)
        let data = buffer.readSlice(length: length)!
        return .frame(Frame(streamID: streamID, type: type, flags: flags, data: data))
    }
}
