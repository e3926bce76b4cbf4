import Foundation
import GongzhiRPC
import SwiftProtobuf
import XCTest

final class StatusCodeTests: XCTestCase {
    private let canonical: [(StatusCode, Int32, String)] = [
        (.ok, 0, "OK"),
        (.cancelled, 1, "CANCELLED"),
        (.unknown, 2, "UNKNOWN"),
        (.invalidArgument, 3, "INVALID_ARGUMENT"),
        (.deadlineExceeded, 4, "DEADLINE_EXCEEDED"),
        (.notFound, 5, "NOT_FOUND"),
        (.alreadyExists, 6, "ALREADY_EXISTS"),
        (.permissionDenied, 7, "PERMISSION_DENIED"),
        (.resourceExhausted, 8, "RESOURCE_EXHAUSTED"),
        (.failedPrecondition, 9, "FAILED_PRECONDITION"),
        (.aborted, 10, "ABORTED"),
        (.outOfRange, 11, "OUT_OF_RANGE"),
        (.unimplemented, 12, "UNIMPLEMENTED"),
        (.internal, 13, "INTERNAL"),
        (.unavailable, 14, "UNAVAILABLE"),
        (.dataLoss, 15, "DATA_LOSS"),
        (.unauthenticated, 16, "UNAUTHENTICATED"),
    ]

    func testCanonicalCodesAndNames() {
        for (code, rawValue, name) in canonical {
            XCTAssertEqual(code.rawValue, rawValue, name)
            XCTAssertEqual(code.description, name)
            XCTAssertEqual(StatusCode(name: name), code)
        }
        XCTAssertEqual(StatusCode.deadlineExceeded.description, "DEADLINE_EXCEEDED")
    }

    func testNamesAreMatchedRegardlessOfCase() {
        XCTAssertEqual(StatusCode(name: "not_found"), .notFound)
        XCTAssertEqual(StatusCode(name: "Deadline_Exceeded"), .deadlineExceeded)
    }

    func testUnknownNamesAreRejected() {
        XCTAssertNil(StatusCode(name: ""))
        XCTAssertNil(StatusCode(name: "NOTFOUND"))
        XCTAssertNil(StatusCode(name: "CODE_42"))
        XCTAssertNil(StatusCode(name: "NOT FOUND"))
    }

    func testUnknownCodesAreKept() {
        XCTAssertEqual(StatusCode(rawValue: 42).rawValue, 42)
        XCTAssertEqual(StatusCode(rawValue: 42).description, "CODE_42")
        XCTAssertEqual(StatusCode(rawValue: 17).description, "CODE_17")
        XCTAssertEqual(StatusCode(rawValue: -1).description, "CODE_-1")
        XCTAssertNotEqual(StatusCode(rawValue: 42), .unknown)
    }
}

final class RPCErrorTests: XCTestCase {
    private struct Plain: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    private struct Convertible: RPCErrorConvertible {
        var rpcError: RPCError { RPCError(code: .notFound, message: "no such plugin") }
    }

    func testDescriptionNamesTheCode() {
        XCTAssertEqual(
            RPCError(code: .deadlineExceeded, message: "too slow").description,
            "DEADLINE_EXCEEDED: too slow"
        )
        XCTAssertEqual(RPCError(code: StatusCode(rawValue: 99), message: "new").description, "CODE_99: new")
    }

    func testEqualityIgnoresTheCause() {
        let one = RPCError(code: .internal, message: "m", metadata: ["k": "v"], cause: Plain())
        let other = RPCError(code: .internal, message: "m", metadata: ["k": "v"])
        XCTAssertEqual(one, other)
        XCTAssertEqual(one.hashValue, other.hashValue)
        XCTAssertNotEqual(one, RPCError(code: .internal, message: "m"))
        XCTAssertNotEqual(one, RPCError(code: .unknown, message: "m", metadata: ["k": "v"]))
        XCTAssertNotEqual(one, RPCError(code: .internal, message: "n", metadata: ["k": "v"]))
    }

    func testWrappingCancellation() {
        let error = RPCError(wrapping: CancellationError())
        XCTAssertEqual(error.code, .cancelled)
        XCTAssertEqual(error.code.description, "CANCELLED")
        XCTAssertTrue(error.cause is CancellationError)
    }

    func testWrappingAnArbitraryError() {
        let error = RPCError(wrapping: Plain())
        XCTAssertEqual(error.code, .unknown)
        XCTAssertEqual(error.code.description, "UNKNOWN")
        XCTAssertEqual(error.message, "disk on fire")
        XCTAssertTrue(error.cause is Plain)

        XCTAssertEqual(RPCError(wrapping: Plain(), code: .internal).code, .internal)
    }

    func testWrappingKeepsAnRPCError() {
        let original = RPCError(code: .permissionDenied, message: "no", metadata: ["who": "me"])
        XCTAssertEqual(RPCError(wrapping: original), original)
        XCTAssertEqual(RPCError(wrapping: original, code: .internal), original)
    }

    func testWrappingUsesAConvertibleErrorsStatus() {
        XCTAssertEqual(RPCError(wrapping: Convertible()), RPCError(code: .notFound, message: "no such plugin"))
    }
}

final class MetadataTests: XCTestCase {
    func testKeysAreLowerCased() {
        let literal: Metadata = ["X-Trace-ID": "abc"]
        XCTAssertEqual(literal.entries, [Metadata.Entry(key: "x-trace-id", value: "abc")])
        XCTAssertEqual(Metadata.Entry(key: "MiXeD", value: "Value").key, "mixed")
        XCTAssertEqual(Metadata.Entry(key: "MiXeD", value: "Value").value, "Value", "values keep their case")

        var added = Metadata()
        added.add("Content-Type", "x")
        XCTAssertEqual(added.entries.map(\.key), ["content-type"])
    }

    func testLookupIgnoresCase() {
        let metadata: Metadata = ["user-agent": "gongzhi"]
        XCTAssertEqual(metadata["User-Agent"], "gongzhi")
        XCTAssertEqual(metadata["USER-AGENT"], "gongzhi")
        XCTAssertNil(metadata["agent"])
        XCTAssertEqual(metadata.values(for: "User-Agent"), ["gongzhi"])
    }

    func testMultipleValuesKeepTheirOrder() {
        var metadata = Metadata()
        metadata.add("k", "1")
        metadata.add("other", "x")
        metadata.add("K", "2")
        XCTAssertEqual(metadata.count, 3)
        XCTAssertEqual(metadata["k"], "1", "the subscript answers the first value")
        XCTAssertEqual(metadata.values(for: "k"), ["1", "2"])
        XCTAssertEqual(metadata.values(for: "missing"), [])
        XCTAssertEqual(metadata.map(\.value), ["1", "x", "2"])
        XCTAssertEqual(metadata.description, "[k: 1, other: x, k: 2]")
    }

    func testSubscriptSetReplacesEveryValue() {
        var metadata: Metadata = ["k": "1", "other": "x"]
        metadata.add("k", "2")
        metadata["K"] = "3"
        XCTAssertEqual(metadata.values(for: "k"), ["3"])
        XCTAssertEqual(metadata["other"], "x")
        XCTAssertEqual(metadata.count, 2)
    }

    func testSubscriptSetNilAndRemove() {
        var metadata: Metadata = ["a": "1", "b": "2"]
        metadata.add("a", "3")
        metadata["A"] = nil
        XCTAssertNil(metadata["a"])
        XCTAssertEqual(metadata.count, 1)

        metadata.add("c", "4")
        metadata.remove("B")
        XCTAssertNil(metadata["b"])
        XCTAssertEqual(metadata.entries, [Metadata.Entry(key: "c", value: "4")])

        metadata.remove("c")
        XCTAssertTrue(metadata.isEmpty)
        XCTAssertEqual(metadata, Metadata())
        XCTAssertEqual(metadata.description, "[]")
    }

    func testEnvelopeKeyValuesRoundTrip() {
        var keyValue = Gongzhi_Rpc_V1_KeyValue()
        keyValue.key = "X-From-Wire"
        keyValue.value = "V"
        let fromWire = Metadata([keyValue, keyValue])
        XCTAssertEqual(fromWire.values(for: "x-from-wire"), ["V", "V"])

        let metadata: Metadata = ["a": "1", "b": "2"]
        XCTAssertEqual(metadata.keyValues.map(\.key), ["a", "b"])
        XCTAssertEqual(metadata.keyValues.map(\.value), ["1", "2"])
        XCTAssertEqual(Metadata(metadata.keyValues), metadata)
    }
}

final class MessageCodecTests: XCTestCase {
    func testRoundTrip() throws {
        var request = Gongzhi_Rpc_V1_Request()
        request.service = "s"
        request.timeoutNano = 7
        let data = try MessageCodec.encode(request)
        XCTAssertEqual(data, Data([0x0a, 0x01, 0x73, 0x20, 0x07]))
        XCTAssertEqual(try MessageCodec.decode(Gongzhi_Rpc_V1_Request.self, from: data), request)
    }

    func testMalformedMessageIsAnInvalidArgumentNamingTheType() {
        let malformed = Data([0x0a, 0x05, 0x61])
        XCTAssertThrowsError(try MessageCodec.decode(Gongzhi_Rpc_V1_Request.self, from: malformed)) { error in
            guard let error = error as? RPCError else { return XCTFail("expected an RPCError, got \(error)") }
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(error.message.contains("gongzhi.rpc.v1.Request"), error.message)
            XCTAssertTrue(error.message.contains("3 bytes"), error.message)
            XCTAssertNotNil(error.cause)
        }
        XCTAssertThrowsError(try MessageCodec.decode(Gongzhi_Rpc_V1_Status.self, from: Data([0xff]))) { error in
            XCTAssertEqual((error as? RPCError)?.code, .invalidArgument)
            XCTAssertTrue((error as? RPCError)?.message.contains("gongzhi.rpc.v1.Status") == true, "\(error)")
        }
    }
}
