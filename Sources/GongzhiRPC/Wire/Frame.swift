import NIOCore

/// The type byte of a ttrpc frame header.
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Opens a stream and carries the call's envelope.
    public static let request = FrameType(rawValue: 0x01)
    /// Ends a stream with a status and, for unary and client-streaming calls, the answer.
    public static let response = FrameType(rawValue: 0x02)
    /// One message on an open stream, in either direction.
    public static let data = FrameType(rawValue: 0x03)

    public var isKnown: Bool { (0x01...0x03).contains(rawValue) }

    public var description: String {
        switch self {
        case .request: "request"
        case .response: "response"
        case .data: "data"
        default: "unknown(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// The flag byte of a ttrpc frame header; its meaning depends on the frame type.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The sender has nothing more to send on this stream.
    public static let remoteClosed = FrameFlags(rawValue: 0x01)
    /// On a request: the sender will send more data frames (a client-streaming call).
    public static let remoteOpen = FrameFlags(rawValue: 0x02)
    /// On a data frame: the frame carries no message, only flags.
    public static let noData = FrameFlags(rawValue: 0x04)
}

/// One ttrpc frame: a 10-byte header (data length, stream id, type, flags) and its data.
public struct Frame: Sendable, Hashable {
    /// Size of the fixed frame header in bytes.
    public static let headerSize = 10
    /// The largest data length the protocol allows (4 MiB).
    public static let maxDataLength = 4 << 20

    public var streamID: UInt32
    public var type: FrameType
    public var flags: FrameFlags
    public var data: ByteBuffer

    public init(streamID: UInt32, type: FrameType, flags: FrameFlags = [], data: ByteBuffer) {
        self.streamID = streamID
        self.type = type
        self.flags = flags
        self.data = data
    }
}

extension ByteBuffer {
    /// Writes a frame header for `dataLength` bytes of data that the caller writes next.
    @inlinable
    public mutating func writeFrameHeader(dataLength: Int, streamID: UInt32, type: FrameType, flags: FrameFlags) {
        self.writeInteger(UInt32(truncatingIfNeeded: dataLength), endianness: .big)
        self.writeInteger(streamID, endianness: .big)
        self.writeInteger(type.rawValue)
        self.writeInteger(flags.rawValue)
    }

    /// Writes a whole frame: header and data.
    public mutating func writeFrame(_ frame: Frame) {
        self.writeFrameHeader(
            dataLength: frame.data.readableBytes,
            streamID: frame.streamID,
            type: frame.type,
            flags: frame.flags
        )
        var data = frame.data
        self.writeBuffer(&data)
    }

    /// Writes a frame whose data are `bytes`.
    public mutating func writeFrame(
        streamID: UInt32,
        type: FrameType,
        flags: FrameFlags = [],
        bytes: some Collection<UInt8>
    ) {
        self.writeFrameHeader(dataLength: bytes.count, streamID: streamID, type: type, flags: flags)
        self.writeBytes(bytes)
    }
}
