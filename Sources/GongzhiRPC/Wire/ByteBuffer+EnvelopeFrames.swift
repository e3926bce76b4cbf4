import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Request and response frames written by hand, straight into a connection's outbound buffer: the payload is
// copied once, from the handler's (or the caller's) bytes into the frame, with nothing allocated or zeroed on
// the way. The bytes are those swift-protobuf writes for the same envelope with `MessageCodec.encodingOptions`:
// fields in field-number order, default values left out, an OK status written as an empty `Status` (see
// Tests/Vectors/README.md); `Envelope.frame` remains the reference they are tested against.

extension Envelope {
    /// The data length of a request envelope, as `writeRequestFrame` writes it.
    public static func requestDataLength(
        service: String,
        method: String,
        payloadCount: Int,
        timeoutNano: Int64,
        metadata: Metadata
    ) -> Int {
        var length = stringFieldSize(service) + stringFieldSize(method)
        if payloadCount > 0 { length += ProtobufWire.lengthDelimitedFieldSize(payloadCount) }
        if timeoutNano != 0 { length += 1 + ProtobufWire.varintSize(UInt64(bitPattern: timeoutNano)) }
        return length + metadataSize(metadata)
    }

    /// The data length of an OK response envelope, as `writeResponseFrame(streamID:payload:metadata:)` writes it.
    public static func responseDataLength(payloadCount: Int, metadata: Metadata) -> Int {
        var length = 2  // The empty OK status: its key and a zero length.
        if payloadCount > 0 { length += ProtobufWire.lengthDelimitedFieldSize(payloadCount) }
        return length + metadataSize(metadata)
    }

    /// The data length of a failed response envelope, as `writeResponseFrame(streamID:error:metadata:)` writes it.
    public static func responseDataLength(error: RPCError, metadata: Metadata) -> Int {
        ProtobufWire.lengthDelimitedFieldSize(statusSize(error)) + metadataSize(metadata)
            + metadataSize(error.metadata)
    }

    fileprivate static func stringFieldSize(_ string: String) -> Int {
        string.isEmpty ? 0 : ProtobufWire.lengthDelimitedFieldSize(string.utf8.count)
    }

    fileprivate static func keyValueSize(_ entry: Metadata.Entry) -> Int {
        stringFieldSize(entry.key) + stringFieldSize(entry.value)
    }

    fileprivate static func metadataSize(_ metadata: Metadata) -> Int {
        var size = 0
        for entry in metadata {
            size += ProtobufWire.lengthDelimitedFieldSize(keyValueSize(entry))
        }
        return size
    }

    fileprivate static func statusSize(_ error: RPCError) -> Int {
        var size = stringFieldSize(error.message)
        if error.code.rawValue != 0 {
            size += 1 + ProtobufWire.varintSize(UInt64(bitPattern: Int64(error.code.rawValue)))
        }
        return size
    }
}

extension ByteBuffer {
    /// Writes a request frame: the header and a `Request` envelope with these fields (the same bytes as
    /// `Envelope.frame` of the same `Gongzhi_Rpc_V1_Request`).
    public mutating func writeRequestFrame(
        streamID: UInt32,
        flags: FrameFlags = [],
        service: String,
        method: String,
        payload: Data,
        timeoutNano: Int64 = 0,
        metadata: Metadata = [:]
    ) {
        let length = Envelope.requestDataLength(
            service: service,
            method: method,
            payloadCount: payload.count,
            timeoutNano: timeoutNano,
            metadata: metadata
        )
        self.reserveCapacity(minimumWritableBytes: Frame.headerSize + length)
        self.writeFrameHeader(dataLength: length, streamID: streamID, type: .request, flags: flags)
        self.writeProtobufField(1, string: service)
        self.writeProtobufField(2, string: method)
        self.writePayloadField(3, payload)
        if timeoutNano != 0 {
            self.writeProtobufKey(4, ProtobufWire.varint)
            self.writeProtobufVarint(UInt64(bitPattern: timeoutNano))
        }
        self.writeMetadataFields(5, metadata)
    }

    /// Writes the response frame of a call that succeeded: the header and a `Response` envelope with an OK status,
    /// the payload and the metadata (the same bytes as `Envelope.frame` of `Envelope.response(payload:metadata:)`).
    public mutating func writeResponseFrame(streamID: UInt32, payload: Data, metadata: Metadata) {
        let length = Envelope.responseDataLength(payloadCount: payload.count, metadata: metadata)
        self.reserveCapacity(minimumWritableBytes: Frame.headerSize + length)
        self.writeFrameHeader(dataLength: length, streamID: streamID, type: .response, flags: [])
        self.writeProtobufKey(1, ProtobufWire.lengthDelimited)
        self.writeInteger(UInt8(0))
        self.writePayloadField(2, payload)
        self.writeMetadataFields(3, metadata)
    }

    /// Writes the response frame of a call that failed: the header and a `Response` envelope with the error's
    /// status, and `metadata` followed by the error's own (the same bytes as `Envelope.frame` of
    /// `Envelope.response(error:metadata:)`).
    public mutating func writeResponseFrame(streamID: UInt32, error: RPCError, metadata: Metadata) {
        let length = Envelope.responseDataLength(error: error, metadata: metadata)
        self.reserveCapacity(minimumWritableBytes: Frame.headerSize + length)
        self.writeFrameHeader(dataLength: length, streamID: streamID, type: .response, flags: [])
        self.writeProtobufKey(1, ProtobufWire.lengthDelimited)
        self.writeProtobufVarint(UInt64(Envelope.statusSize(error)))
        if error.code.rawValue != 0 {
            self.writeProtobufKey(1, ProtobufWire.varint)
            self.writeProtobufVarint(UInt64(bitPattern: Int64(error.code.rawValue)))
        }
        self.writeProtobufField(2, string: error.message)
        self.writeMetadataFields(3, metadata)
        self.writeMetadataFields(3, error.metadata)
    }

    /// Writes a data frame carrying one already-encoded message (or none, with `.noData`).
    public mutating func writeDataFrame(streamID: UInt32, flags: FrameFlags = [], payload: Data) {
        self.reserveCapacity(minimumWritableBytes: Frame.headerSize + payload.count)
        self.writeFrameHeader(dataLength: payload.count, streamID: streamID, type: .data, flags: flags)
        payload.withUnsafeBytes { _ = self.writeBytes($0) }
    }

    private mutating func writePayloadField(_ field: Int, _ payload: Data) {
        guard !payload.isEmpty else { return }
        self.writeProtobufKey(field, ProtobufWire.lengthDelimited)
        self.writeProtobufVarint(UInt64(payload.count))
        payload.withUnsafeBytes { _ = self.writeBytes($0) }
    }

    private mutating func writeMetadataFields(_ field: Int, _ metadata: Metadata) {
        for entry in metadata {
            self.writeProtobufKey(field, ProtobufWire.lengthDelimited)
            self.writeProtobufVarint(UInt64(Envelope.keyValueSize(entry)))
            self.writeProtobufField(1, string: entry.key)
            self.writeProtobufField(2, string: entry.value)
        }
    }
}
