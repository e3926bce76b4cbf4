import NIOCore
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encoding and decoding of the ttrpc envelope (`Request`, `Response`) to and from frames.
public enum Envelope {
    /// Decodes the request envelope carried by a request frame. A large payload is not copied: it shares the
    /// frame's memory (see `ByteBuffer.payloadData()`).
    public static func decodeRequest(_ data: ByteBuffer) throws -> Gongzhi_Rpc_V1_Request {
        try decode(Gongzhi_Rpc_V1_Request.self, data, payloadField: 3) { $0.payload = $1 }
    }

    /// Decodes the response envelope carried by a response frame. A large payload is not copied, as for requests.
    public static func decodeResponse(_ data: ByteBuffer) throws -> Gongzhi_Rpc_V1_Response {
        try decode(Gongzhi_Rpc_V1_Response.self, data, payloadField: 2) { $0.payload = $1 }
    }

    /// Decodes an envelope whose `payloadField` holds the payload. When the payload is large and the envelope is
    /// a plain run of fields, the fields before and after the payload are decoded (merged, as protobuf does for
    /// concatenated messages) and the payload shares the frame's memory; otherwise swift-protobuf decodes it all.
    private static func decode<M: SwiftProtobuf.Message>(
        _ type: M.Type,
        _ data: ByteBuffer,
        payloadField: Int,
        setPayload: (inout M, Data) -> Void
    ) throws -> M {
        try data.withUnsafeReadableBytes { raw in
            guard raw.count > 0 else { return M() }
            guard raw.count >= ByteBuffer.payloadSharingThreshold,
                let location = ProtobufWire.lastLengthDelimitedField(payloadField, in: raw),
                location.value.count >= ByteBuffer.payloadSharingThreshold
            else {
                return try M(serializedBytes: view(raw))
            }
            var message = M()
            if location.field.lowerBound > 0 {
                try message.merge(
                    serializedBytes: view(UnsafeRawBufferPointer(rebasing: raw[..<location.field.lowerBound]))
                )
            }
            if location.field.upperBound < raw.count {
                try message.merge(
                    serializedBytes: view(UnsafeRawBufferPointer(rebasing: raw[location.field.upperBound...]))
                )
            }
            let payload = data.getSlice(at: data.readerIndex + location.value.lowerBound, length: location.value.count)!
            setPayload(&message, payload.payloadData())
            return message
        }
    }

    /// The bytes as `Data` without a copy, for swift-protobuf to read during one call: it copies every field it
    /// keeps, so the bytes need not outlive the call.
    private static func view(_ raw: UnsafeRawBufferPointer) -> Data {
        guard let base = raw.baseAddress, raw.count > 0 else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
    }

    /// Encodes `message` as the data of one frame, header included.
    public static func frame(
        _ message: some SwiftProtobuf.Message,
        streamID: UInt32,
        type: FrameType,
        flags: FrameFlags = []
    ) throws -> ByteBuffer {
        // Serialized straight into the frame's buffer, behind room for the header.
        var frame: FrameBytes = try message.serializedBytes(options: MessageCodec.encodingOptions)
        frame.buffer.setInteger(UInt32(truncatingIfNeeded: frame.count), at: 0, endianness: .big)
        frame.buffer.setInteger(streamID, at: 4, endianness: .big)
        frame.buffer.setInteger(type.rawValue, at: 8)
        frame.buffer.setInteger(flags.rawValue, at: 9)
        return frame.buffer
    }

    /// A data frame carrying one already-encoded message.
    public static func dataFrame(
        _ payload: Data,
        streamID: UInt32,
        flags: FrameFlags = [],
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Frame.headerSize + payload.count)
        buffer.writeFrame(streamID: streamID, type: .data, flags: flags, bytes: payload)
        return buffer
    }

    /// The response envelope for a finished call.
    public static func response(payload: Data, metadata: Metadata) -> Gongzhi_Rpc_V1_Response {
        var response = Gongzhi_Rpc_V1_Response()
        response.payload = payload
        response.metadata = metadata.keyValues
        // An OK status is sent explicitly; peers also read an absent status as OK.
        response.status = Gongzhi_Rpc_V1_Status()
        return response
    }

    /// The response envelope for a failed call.
    public static func response(error: RPCError, metadata: Metadata) -> Gongzhi_Rpc_V1_Response {
        var response = Gongzhi_Rpc_V1_Response()
        var status = Gongzhi_Rpc_V1_Status()
        status.code = error.code.rawValue
        status.message = error.message
        response.status = status
        var all = metadata
        for entry in error.metadata { all.add(entry.key, entry.value) }
        response.metadata = all.keyValues
        return response
    }
}

extension Metadata {
    /// Metadata from the envelope's key/value list.
    public init(_ keyValues: [Gongzhi_Rpc_V1_KeyValue]) {
        self.init(keyValues.map { Entry(key: $0.key, value: $0.value) })
    }

    /// The envelope's key/value list.
    public var keyValues: [Gongzhi_Rpc_V1_KeyValue] {
        entries.map { entry in
            var keyValue = Gongzhi_Rpc_V1_KeyValue()
            keyValue.key = entry.key
            keyValue.value = entry.value
            return keyValue
        }
    }
}

extension Gongzhi_Rpc_V1_Response {
    /// The call's outcome: the payload when the status is OK (or absent), the error otherwise.
    public var outcome: Result<RawResponse, RPCError> {
        let metadata = Metadata(self.metadata)
        if !hasStatus || status.code == 0 {
            return .success(RawResponse(payload: payload, metadata: metadata))
        }
        return .failure(RPCError(code: StatusCode(rawValue: status.code), message: status.message, metadata: metadata))
    }
}
