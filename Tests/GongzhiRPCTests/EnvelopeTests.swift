import Foundation
import GongzhiRPC
import NIOCore
import SwiftProtobuf
import XCTest

final class EnvelopeTests: XCTestCase {
    private let allocator = ByteBufferAllocator()

    /// A request as containerd ttrpc (Go) marshals it, field by field in field-number order:
    /// service = 1, method = 2, payload = 3, timeout_nano = 4, metadata = 5 (KeyValue: key = 1, value = 2).
    private let goRequestBytes: [UInt8] =
        [0x0a, 0x03] + Array("a.B".utf8)
        + [0x12, 0x02] + Array("Do".utf8)
        + [0x1a, 0x03, 0x08, 0x96, 0x01]
        + [0x20, 0x80, 0xde, 0xa0, 0xcb, 0x05]  // 1_500_000_000 as a varint
        + [0x2a, 0x06, 0x0a, 0x01] + Array("k".utf8) + [0x12, 0x01] + Array("v".utf8)
        + [0x2a, 0x0a, 0x0a, 0x05] + Array("trace".utf8) + [0x12, 0x01] + Array("1".utf8)

    private var knownRequest: Gongzhi_Rpc_V1_Request {
        var request = Gongzhi_Rpc_V1_Request()
        request.service = "a.B"
        request.method = "Do"
        request.payload = Data([0x08, 0x96, 0x01])
        request.timeoutNano = 1_500_000_000
        let metadata: Metadata = ["k": "v", "trace": "1"]
        request.metadata = metadata.keyValues
        return request
    }

    // MARK: Request

    func testDecodesARequestAsGoTtrpcEncodesIt() throws {
        let request = try Envelope.decodeRequest(ByteBuffer(testBytes: goRequestBytes))
        XCTAssertEqual(request.service, "a.B")
        XCTAssertEqual(request.method, "Do")
        XCTAssertEqual(request.payload, Data([0x08, 0x96, 0x01]))
        XCTAssertEqual(request.timeoutNano, 1_500_000_000)
        XCTAssertEqual(request.metadata.map(\.key), ["k", "trace"])
        XCTAssertEqual(request.metadata.map(\.value), ["v", "1"])
        XCTAssertEqual(request, knownRequest)
    }

    func testEncodesARequestExactlyAsGoTtrpcDoes() throws {
        let bytes: [UInt8] = try knownRequest.serializedBytes()
        XCTAssertEqual(bytes, goRequestBytes)
    }

    func testRequestFieldsInAnyOrderAndUnknownFieldsAreAccepted() throws {
        let bytes: [UInt8] =
            [0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]  // timeout_nano = -1
            + [0x78, 0x01]  // field 15, varint: unknown to this side
            + [0x12, 0x01] + Array("M".utf8)
            + [0x0a, 0x01] + Array("S".utf8)
        let request = try Envelope.decodeRequest(ByteBuffer(testBytes: bytes))
        XCTAssertEqual(request.service, "S")
        XCTAssertEqual(request.method, "M")
        XCTAssertEqual(request.timeoutNano, -1)
        XCTAssertEqual(request.payload, Data())
        XCTAssertTrue(request.metadata.isEmpty)
    }

    func testEmptyDataDecodeAsEmptyEnvelopes() throws {
        XCTAssertEqual(try Envelope.decodeRequest(ByteBuffer()), Gongzhi_Rpc_V1_Request())
        XCTAssertEqual(try Envelope.decodeResponse(ByteBuffer()), Gongzhi_Rpc_V1_Response())
        XCTAssertEqual(
            try Envelope.decodeResponse(ByteBuffer()).outcome,
            .success(RawResponse(payload: Data()))
        )
    }

    func testRequestRoundTripThroughAFrame() throws {
        var request = knownRequest
        request.payload = Data((0..<1_000).map { UInt8(truncatingIfNeeded: $0) })
        var buffer = try Envelope.frame(request, streamID: 7, type: .request, flags: .remoteOpen)

        var decoder = FrameDecoder()
        guard case .frame(let frame) = try decoder.decode(buffer: &buffer) else {
            return XCTFail("expected a whole frame")
        }
        XCTAssertEqual(buffer.readableBytes, 0)
        XCTAssertEqual(frame.streamID, 7)
        XCTAssertEqual(frame.type, .request)
        XCTAssertEqual(frame.flags, .remoteOpen)
        XCTAssertEqual(try Envelope.decodeRequest(frame.data), request)
    }

    func testDecodingWorksOnASliceOfALargerBuffer() throws {
        var buffer = ByteBuffer(testBytes: [0xde, 0xad] + goRequestBytes + [0xbe, 0xef])
        buffer.moveReaderIndex(forwardBy: 2)
        let slice = buffer.getSlice(at: buffer.readerIndex, length: goRequestBytes.count)!
        XCTAssertEqual(try Envelope.decodeRequest(slice), knownRequest)
    }

    func testDecodedEnvelopeDoesNotShareTheFrameBytes() throws {
        let unknownField: [UInt8] = [0x7a, 0x02, 0x55, 0x66]  // field 15, length-delimited
        var buffer = ByteBuffer(testBytes: goRequestBytes + unknownField)
        let request = try Envelope.decodeRequest(buffer)
        // Overwrite the frame's storage in place (the buffer is its only owner again).
        let storage = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        buffer.setBytes([UInt8](repeating: 0, count: buffer.readableBytes), at: buffer.readerIndex)
        XCTAssertEqual(buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }, storage)
        XCTAssertEqual(request.payload, Data([0x08, 0x96, 0x01]))
        XCTAssertEqual(request.service, "a.B")
        XCTAssertEqual(request.unknownFields.data, Data(unknownField))
    }

    // MARK: Response

    func testDecodesAnErrorResponseAsGoTtrpcEncodesIt() throws {
        // Response{status: Status{code: 5, message: "nope"}}: status = 1 (code = 1, message = 2).
        let bytes: [UInt8] = [0x0a, 0x08, 0x08, 0x05, 0x12, 0x04] + Array("nope".utf8)
        let response = try Envelope.decodeResponse(ByteBuffer(testBytes: bytes))
        XCTAssertTrue(response.hasStatus)
        XCTAssertEqual(response.status.code, 5)
        XCTAssertEqual(response.status.message, "nope")
        XCTAssertEqual(response.outcome, .failure(RPCError(code: .notFound, message: "nope")))
    }

    func testDecodesStatusDetails() throws {
        // Status{code: 3, message: "bad", details: [Any{type_url: "t/x", value: [1]}]}: details = 3.
        let any: [UInt8] = [0x0a, 0x03] + Array("t/x".utf8) + [0x12, 0x01, 0x01]
        let status: [UInt8] = [0x08, 0x03, 0x12, 0x03] + Array("bad".utf8) + [0x1a, UInt8(any.count)] + any
        let bytes: [UInt8] = [0x0a, UInt8(status.count)] + status + [0x12, 0x01, 0x09]
        let response = try Envelope.decodeResponse(ByteBuffer(testBytes: bytes))
        XCTAssertEqual(response.status.code, 3)
        XCTAssertEqual(response.status.details.count, 1)
        XCTAssertEqual(response.status.details.first?.typeURL, "t/x")
        XCTAssertEqual(response.status.details.first?.value, Data([0x01]))
        XCTAssertEqual(response.payload, Data([0x09]))
        XCTAssertEqual(response.outcome, .failure(RPCError(code: .invalidArgument, message: "bad")))
    }

    func testResponseWithoutStatusIsOK() throws {
        // Response{payload: [1, 2]}: payload = 2, no status at all.
        let response = try Envelope.decodeResponse(ByteBuffer(testBytes: [0x12, 0x02, 0x01, 0x02]))
        XCTAssertFalse(response.hasStatus)
        XCTAssertEqual(response.outcome, .success(RawResponse(payload: Data([1, 2]))))
    }

    func testResponseWithAnEmptyStatusIsOK() throws {
        // Go ttrpc sends a present but empty status for a successful call.
        let response = try Envelope.decodeResponse(ByteBuffer(testBytes: [0x0a, 0x00, 0x12, 0x02, 0x01, 0x02]))
        XCTAssertTrue(response.hasStatus)
        XCTAssertEqual(response.outcome, .success(RawResponse(payload: Data([1, 2]))))
    }

    func testResponseMetadataReachesTheOutcome() throws {
        // metadata = 3, after status and payload; keys arrive in any case and are kept in lower case.
        let keyValue: [UInt8] = [0x0a, 0x02] + Array("Xy".utf8) + [0x12, 0x01] + Array("z".utf8)
        let ok: [UInt8] = [0x12, 0x01, 0x07, 0x1a, UInt8(keyValue.count)] + keyValue
        XCTAssertEqual(
            try Envelope.decodeResponse(ByteBuffer(testBytes: ok)).outcome,
            .success(RawResponse(payload: Data([7]), metadata: ["xy": "z"]))
        )

        let failed: [UInt8] = [0x0a, 0x04, 0x08, 0x2a, 0x12, 0x00, 0x1a, UInt8(keyValue.count)] + keyValue
        guard case .failure(let error) = try Envelope.decodeResponse(ByteBuffer(testBytes: failed)).outcome else {
            return XCTFail("a non-zero status is a failure")
        }
        XCTAssertEqual(error.code, StatusCode(rawValue: 42))
        XCTAssertEqual(error.code.description, "CODE_42")
        XCTAssertEqual(error.message, "")
        XCTAssertEqual(error.metadata, ["xy": "z"])
    }

    func testSuccessResponseEncoding() throws {
        let plain = Envelope.response(payload: Data([1, 2]), metadata: [:])
        XCTAssertEqual(try plain.serializedBytes(), [0x0a, 0x00, 0x12, 0x02, 0x01, 0x02] as [UInt8])

        let withMetadata = Envelope.response(payload: Data(), metadata: ["x": "y"])
        XCTAssertEqual(
            try withMetadata.serializedBytes(),
            [0x0a, 0x00, 0x1a, 0x06, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79] as [UInt8]
        )
        XCTAssertEqual(withMetadata.outcome, .success(RawResponse(payload: Data(), metadata: ["x": "y"])))
    }

    func testErrorResponseEncoding() throws {
        let error = RPCError(code: .notFound, message: "nope", metadata: ["b": "2"])
        let response = Envelope.response(error: error, metadata: ["a": "1"])
        let expected: [UInt8] =
            [0x0a, 0x08, 0x08, 0x05, 0x12, 0x04] + Array("nope".utf8)
            + [0x1a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x31]
            + [0x1a, 0x06, 0x0a, 0x01, 0x62, 0x12, 0x01, 0x32]
        XCTAssertEqual(try response.serializedBytes(), expected)

        let buffer = try Envelope.frame(response, streamID: 3, type: .response)
        var decoder = DirectDecoder(FrameDecoder())
        guard case .frame(let frame) = try decoder.feed(buffer.readableBytesView).first else {
            return XCTFail("expected a frame")
        }
        XCTAssertEqual(frame.type, .response)
        XCTAssertEqual(frame.flags, [])
        XCTAssertEqual(
            try Envelope.decodeResponse(frame.data).outcome,
            .failure(RPCError(code: .notFound, message: "nope", metadata: ["a": "1", "b": "2"]))
        )
    }

    func testDataFrame() {
        let buffer = Envelope.dataFrame(Data([5, 6]), streamID: 9, flags: .remoteClosed, allocator: allocator)
        XCTAssertEqual(buffer.testBytes, frameBytes(streamID: 9, type: 3, flags: 1, data: [5, 6]))
        let closing = Envelope.dataFrame(Data(), streamID: 9, flags: [.remoteClosed, .noData], allocator: allocator)
        XCTAssertEqual(closing.testBytes, frameBytes(streamID: 9, type: 3, flags: 5))
    }

    // MARK: Bad envelopes

    func testUndecodableBytesThrow() {
        let requests: [(String, [UInt8])] = [
            ("truncated string", [0x0a, 0x05, 0x61]),
            ("truncated varint", [0x20, 0x80]),
            ("invalid wire type", [0x0f]),
            ("field number zero", [0x02, 0x00]),
            ("invalid UTF-8 in a string", [0x12, 0x02, 0xff, 0xfe]),
            ("truncated metadata", [0x2a, 0x06, 0x0a, 0x01, 0x6b]),
        ]
        for (name, bytes) in requests {
            XCTAssertThrowsError(try Envelope.decodeRequest(ByteBuffer(testBytes: bytes)), name)
        }
        let responses: [(String, [UInt8])] = [
            ("truncated status", [0x0a, 0x03, 0x08]),
            ("truncated payload", [0x12, 0x04, 0x01]),
            ("lone tag", [0x12]),
        ]
        for (name, bytes) in responses {
            XCTAssertThrowsError(try Envelope.decodeResponse(ByteBuffer(testBytes: bytes)), name)
        }
    }
}
