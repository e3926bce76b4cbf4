import Foundation
import GongzhiRPC
import GongzhiTestSeeds
import NIOCore
import SwiftProtobuf
import XCTest

/// The frames the transport writes by hand (`writeRequestFrame`, `writeResponseFrame`, `writeDataFrame`) are the
/// bytes swift-protobuf writes for the same envelopes (`Envelope.frame`), and the lengths announced beforehand are
/// the lengths written.
final class EnvelopeFrameWritingTests: XCTestCase {
    private let texts = ["", "a", "gongzhi.test.v1.Echo", "Unary", "网格员", String(repeating: "x", count: 200)]
    private let payloadSizes = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000]
    private let timeouts: [Int64] = [0, 1, -1, 127, 128, 1_500_000_000, .max, .min]

    private func randomMetadata(_ random: inout SplitMix64) -> Metadata {
        var metadata = Metadata()
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            // Empty keys and values too: proto3 leaves them out of the KeyValue.
            metadata.add(texts.randomElement(using: &random)!, texts.randomElement(using: &random)!)
        }
        return metadata
    }

    private func payload(_ count: Int, _ random: inout SplitMix64) -> Data {
        Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    func testRequestFramesAreTheBytesSwiftProtobufWrites() throws {
        var random = seededRandom()
        for _ in 0..<300 {
            var request = Gongzhi_Rpc_V1_Request()
            request.service = texts.randomElement(using: &random)!
            request.method = texts.randomElement(using: &random)!
            request.payload = payload(payloadSizes.randomElement(using: &random)!, &random)
            request.timeoutNano = timeouts.randomElement(using: &random)!
            let metadata = randomMetadata(&random)
            request.metadata = metadata.keyValues
            let flags = FrameFlags(rawValue: UInt8.random(in: 0...7, using: &random))
            let streamID = UInt32.random(in: 0...UInt32.max, using: &random)

            var written = ByteBuffer()
            written.writeRequestFrame(
                streamID: streamID,
                flags: flags,
                service: request.service,
                method: request.method,
                payload: request.payload,
                timeoutNano: request.timeoutNano,
                metadata: metadata
            )
            let reference = try Envelope.frame(request, streamID: streamID, type: .request, flags: flags)
            XCTAssertEqual(written.testBytes, reference.testBytes, "\(request)")
            XCTAssertEqual(
                Envelope.requestDataLength(
                    service: request.service,
                    method: request.method,
                    payloadCount: request.payload.count,
                    timeoutNano: request.timeoutNano,
                    metadata: metadata
                ),
                written.readableBytes - Frame.headerSize
            )
        }
    }

    func testResponseFramesAreTheBytesSwiftProtobufWrites() throws {
        var random = seededRandom()
        let codes: [Int32] = [0, 1, 5, 13, 16, 127, 128, -1, .max, .min]
        for _ in 0..<300 {
            let streamID = UInt32.random(in: 0...UInt32.max, using: &random)
            let metadata = randomMetadata(&random)
            var written = ByteBuffer()
            let reference: Gongzhi_Rpc_V1_Response
            let announced: Int
            if Bool.random(using: &random) {
                let bytes = payload(payloadSizes.randomElement(using: &random)!, &random)
                written.writeResponseFrame(streamID: streamID, payload: bytes, metadata: metadata)
                reference = Envelope.response(payload: bytes, metadata: metadata)
                announced = Envelope.responseDataLength(payloadCount: bytes.count, metadata: metadata)
            } else {
                let error = RPCError(
                    code: StatusCode(rawValue: codes.randomElement(using: &random)!),
                    message: texts.randomElement(using: &random)!,
                    metadata: randomMetadata(&random)
                )
                written.writeResponseFrame(streamID: streamID, error: error, metadata: metadata)
                reference = Envelope.response(error: error, metadata: metadata)
                announced = Envelope.responseDataLength(error: error, metadata: metadata)
            }
            let expected = try Envelope.frame(reference, streamID: streamID, type: .response)
            XCTAssertEqual(written.testBytes, expected.testBytes, "\(reference)")
            XCTAssertEqual(announced, written.readableBytes - Frame.headerSize)
        }
    }

    func testDataFramesAreTheBytesOfEnvelopeDataFrame() {
        var random = seededRandom()
        for size in payloadSizes {
            let bytes = payload(size, &random)
            let flags = FrameFlags(rawValue: UInt8.random(in: 0...7, using: &random))
            var written = ByteBuffer()
            written.writeDataFrame(streamID: 9, flags: flags, payload: bytes)
            let reference = Envelope.dataFrame(bytes, streamID: 9, flags: flags, allocator: ByteBufferAllocator())
            XCTAssertEqual(written.testBytes, reference.testBytes)
        }
    }

    func testFramesFollowWhatIsAlreadyInTheBuffer() throws {
        // A connection gathers several frames in one buffer: each is written after the last, untouched.
        var buffer = ByteBuffer()
        buffer.writeRequestFrame(streamID: 1, service: "a.B", method: "C", payload: Data([1, 2, 3]))
        buffer.writeResponseFrame(streamID: 1, payload: Data([4]), metadata: ["k": "v"])
        buffer.writeResponseFrame(streamID: 3, error: RPCError(code: .notFound, message: "no"), metadata: [:])
        buffer.writeDataFrame(streamID: 5, flags: .remoteClosed, payload: Data())

        var decoder = FrameDecoder()
        var frames: [Frame] = []
        while case .frame(let frame)? = try decoder.decode(buffer: &buffer) { frames.append(frame) }
        XCTAssertEqual(buffer.readableBytes, 0)
        XCTAssertEqual(frames.map(\.streamID), [1, 1, 3, 5])
        XCTAssertEqual(try Envelope.decodeRequest(frames[0].data).payload, Data([1, 2, 3]))
        XCTAssertEqual(
            try Envelope.decodeResponse(frames[1].data).outcome,
            .success(RawResponse(payload: Data([4]), metadata: ["k": "v"]))
        )
        XCTAssertEqual(
            try Envelope.decodeResponse(frames[2].data).outcome,
            .failure(RPCError(code: .notFound, message: "no"))
        )
        XCTAssertEqual(frames[3].flags, .remoteClosed)
        XCTAssertEqual(frames[3].data.readableBytes, 0)
    }
}
