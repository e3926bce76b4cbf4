import Foundation
import GongzhiRPC
import GongzhiTestSeeds
import NIOCore
import SwiftProtobuf
import XCTest

/// A large payload is decoded out of its envelope without a copy — the rest of the envelope decoded on its own and
/// the payload pointing into the frame — and that gives exactly what swift-protobuf decodes from the whole
/// envelope, whatever the order of the fields, and bytes that stay as they came whatever later happens to the
/// frame's buffer.
final class EnvelopePayloadSharingTests: XCTestCase {
    private let large = ByteBuffer.payloadSharingThreshold

    /// A length-delimited field, as bytes.
    private func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(number << 3 | 2)
        var length = UInt64(bytes.count)
        while length >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        buffer.writeInteger(UInt8(length))
        buffer.writeBytes(bytes)
        return buffer.testBytes
    }

    private func pattern(_ count: Int, _ seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    /// Decodes `bytes` both ways and checks that they agree: the same envelope, or both fail.
    private func assertDecodesAsSwiftProtobuf(
        _ bytes: [UInt8],
        _ name: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let reference = Result { try Gongzhi_Rpc_V1_Request(serializedBytes: bytes) }
        let decoded = Result { try Envelope.decodeRequest(ByteBuffer(testBytes: bytes)) }
        switch (reference, decoded) {
        case (.success(let expected), .success(let actual)):
            XCTAssertEqual(actual, expected, name, file: file, line: line)
        case (.failure, .failure):
            break
        case (.success, .failure(let error)):
            XCTFail("\(name): swift-protobuf decodes it, the envelope decoder fails: \(error)", file: file, line: line)
        case (.failure(let error), .success):
            XCTFail("\(name): swift-protobuf fails (\(error)), the envelope decoder decodes it", file: file, line: line)
        }
        let responseReference = Result { try Gongzhi_Rpc_V1_Response(serializedBytes: bytes) }
        let response = Result { try Envelope.decodeResponse(ByteBuffer(testBytes: bytes)) }
        switch (responseReference, response) {
        case (.success(let expected), .success(let actual)):
            XCTAssertEqual(actual, expected, "\(name), as a response", file: file, line: line)
        case (.failure, .failure):
            break
        default:
            XCTFail("\(name), as a response: \(responseReference) against \(response)", file: file, line: line)
        }
    }

    func testFieldsInAnyOrderAroundALargePayloadDecodeAsSwiftProtobufDecodesThem() {
        let payload = field(3, pattern(large + 5, 1))
        let service = field(1, Array("gongzhi.test.v1.Echo".utf8))
        let method = field(2, Array("Unary".utf8))
        let timeout: [UInt8] = [0x20, 0x80, 0xde, 0xa0, 0xcb, 0x05]
        let metadata = field(5, field(1, Array("k".utf8)) + field(2, Array("v".utf8)))
        let unknown: [UInt8] =
            [0x78, 0x01] + [0x7d, 1, 2, 3, 4] + [0x79, 1, 2, 3, 4, 5, 6, 7, 8] + field(14, [9, 9])
        let cases: [(String, [UInt8])] = [
            ("in field order", service + method + payload + timeout + metadata),
            ("payload first", payload + service + method + timeout + metadata),
            ("payload last", service + method + timeout + metadata + payload),
            ("payload alone", payload),
            ("payload twice, the last one kept", field(3, pattern(large, 2)) + service + payload + method),
            ("a small payload after the large one", payload + service + field(3, [1, 2, 3])),
            ("unknown fields on both sides", unknown + payload + unknown + metadata),
            ("a string that is not UTF-8 after the payload", payload + field(1, [0xff, 0xfe])),
            ("a field cut short after the payload", payload + [0x12, 0x05, 0x61]),
            ("a group before the payload", [0x73, 0x74] + payload),
            ("the payload field as a varint", service + [0x18, 0x01] + payload),
            ("a key of field number zero", payload + [0x02, 0x00]),
            ("a length past the end", Array(payload.dropLast())),
        ]
        for (name, bytes) in cases {
            assertDecodesAsSwiftProtobuf(bytes, name)
        }
    }

    func testRandomEnvelopesDecodeAsSwiftProtobufDecodesThem() throws {
        var random = seededRandom()
        for _ in 0..<200 {
            var request = Gongzhi_Rpc_V1_Request()
            request.service = String(repeating: "s", count: Int.random(in: 0...40, using: &random))
            request.method = String(repeating: "m", count: Int.random(in: 0...40, using: &random))
            request.payload = Data(pattern(Int.random(in: 0...(3 * large), using: &random), 7))
            request.timeoutNano = Int64.random(in: -10...Int64.max, using: &random)
            for index in 0..<Int.random(in: 0...3, using: &random) {
                var entry = Gongzhi_Rpc_V1_KeyValue()
                entry.key = "k\(index)"
                entry.value = String(repeating: "v", count: index * 3)
                request.metadata.append(entry)
            }
            let bytes: [UInt8] = try request.serializedBytes()
            XCTAssertEqual(try Envelope.decodeRequest(ByteBuffer(testBytes: bytes)), request)
            assertDecodesAsSwiftProtobuf(bytes, "random envelope")
        }
    }

    func testALargePayloadPointsIntoTheFrameAndKeepsItsBytesWhenTheBufferIsReused() throws {
        let bytes = pattern(large * 2, 3)
        var request = Gongzhi_Rpc_V1_Request()
        request.service = "a.B"
        request.method = "C"
        request.payload = Data(bytes)
        var buffer = ByteBuffer(testBytes: try request.serializedBytes())
        let storage = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }

        let decoded = try Envelope.decodeRequest(buffer)
        let payloadAddress = decoded.payload.withUnsafeBytes { UInt(bitPattern: $0.baseAddress!) }
        XCTAssertTrue(
            (storage..<storage + UInt(buffer.readableBytes)).contains(payloadAddress),
            "a large payload is read where it arrived, not copied"
        )

        // The connection reuses its buffer for the next frame: the payload holds the storage, so the buffer gets
        // fresh memory and the payload keeps its bytes.
        buffer.clear()
        buffer.writeBytes([UInt8](repeating: 0xee, count: bytes.count + 100))
        XCTAssertNotEqual(buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }, storage)
        XCTAssertTrue(decoded.payload.elementsEqual(bytes), "the payload kept its bytes")
        XCTAssertEqual(decoded.service, "a.B")
    }

    func testSmallPayloadsAreCopied() throws {
        var request = Gongzhi_Rpc_V1_Request()
        request.payload = Data(pattern(large - 1, 4))
        var buffer = ByteBuffer(testBytes: try request.serializedBytes())
        let decoded = try Envelope.decodeRequest(buffer)
        // The buffer is the storage's only owner again, so it is overwritten in place.
        let storage = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }
        buffer.setBytes([UInt8](repeating: 0, count: buffer.readableBytes), at: buffer.readerIndex)
        XCTAssertEqual(buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }, storage)
        XCTAssertTrue(decoded.payload.elementsEqual(pattern(large - 1, 4)), "the payload kept its bytes")
    }

    func testAPayloadInAMuchLargerBufferIsCopied() throws {
        // A payload that would keep a buffer four times its size alive is copied instead.
        var request = Gongzhi_Rpc_V1_Request()
        request.payload = Data(pattern(large, 5))
        var buffer = ByteBufferAllocator().buffer(capacity: large * 8)
        buffer.writeBytes(try request.serializedBytes() as [UInt8])
        let decoded = try Envelope.decodeRequest(buffer)
        let storage = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }
        let payloadAddress = decoded.payload.withUnsafeBytes { UInt(bitPattern: $0.baseAddress!) }
        XCTAssertFalse((storage..<storage + UInt(buffer.capacity)).contains(payloadAddress))
        XCTAssertTrue(decoded.payload.elementsEqual(pattern(large, 5)), "the payload kept its bytes")
    }
}
