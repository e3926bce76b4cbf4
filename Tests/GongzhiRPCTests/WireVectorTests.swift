import Foundation
import GongzhiRPC
import GongzhiSchemas
import GongzhiSensorsSchemas
import NIOCore
import SwiftProtobuf
import XCTest

/// Checks the Swift side against the shared wire vectors in `Tests/Vectors` (listed in its README).
///
/// Guarantees, for every vector: Swift encodes the message or frame to exactly the bytes of its file (map
/// entries in key order, with `useDeterministicOrdering`), through the same functions the transport uses;
/// the file decodes back to an equal message, maps included; and `FrameDecoder`, fed the frame files in
/// small pieces, reads the header fields listed in the README. The C SDK's `test_vectors.c` checks the same
/// files, so the Swift and C implementations agree byte for byte.
///
/// With `GONGZHI_WRITE_VECTORS=1` in the environment the files are written from Swift instead of compared,
/// and the test fails so that a run that rewrote them cannot pass.
final class WireVectorTests: XCTestCase {
    /// Where the vector files are, found from this source file's path.
    private let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Vectors")

    private func contents(of vector: WireVector) throws -> [UInt8] {
        try contents(ofFile: vector.file)
    }

    private func contents(ofFile name: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw VectorError("cannot read \(url.path)")
        }
        return Array(data)
    }

    // MARK: Encoding

    func testSwiftEncodesEveryVectorToTheBytesOfItsFile() throws {
        if ProcessInfo.processInfo.environment["GONGZHI_WRITE_VECTORS"] == "1" {
            for vector in try WireVector.all {
                let url = directory.appendingPathComponent(vector.file)
                try Data(try vector.encoded()).write(to: url)
            }
            XCTFail(
                "GONGZHI_WRITE_VECTORS=1: wrote \(try WireVector.all.count) vectors to \(directory.path) "
                    + "instead of checking them; run again without it"
            )
            return
        }
        for vector in try WireVector.all {
            assertSameBytes(try vector.encoded(), try contents(of: vector), vector.file)
        }
    }

    /// The frames as the transport writes them (`Envelope.frame`, `Envelope.dataFrame`, `writeFrame`) are the
    /// bytes of the files too, not only frames assembled by this test.
    func testTheTransportsFrameFunctionsWriteTheFrameFiles() throws {
        for vector in try WireVector.all {
            guard case .frame(let streamID, let type, let flags) = vector.layout else { continue }
            var frame: ByteBuffer
            switch (type, vector.message) {
            case (.data, let message?):
                frame = Envelope.dataFrame(
                    Data(try message.serializedBytes(options: .deterministic) as [UInt8]),
                    streamID: streamID,
                    flags: flags,
                    allocator: ByteBufferAllocator()
                )
            case (_, let message?):
                frame = try Envelope.frame(message, streamID: streamID, type: type, flags: flags)
            case (_, nil):
                frame = ByteBuffer()
                frame.writeFrame(Frame(streamID: streamID, type: type, flags: flags, data: ByteBuffer()))
            }
            assertSameBytes(frame.testBytes, try contents(of: vector), vector.file)
        }
    }

    /// Payloads as the typed stubs encode them (`MessageCodec`), maps included, are the bytes of the files.
    func testTheStubsPayloadEncodingWritesTheMessageFiles() throws {
        var checked = 0
        for vector in try WireVector.all {
            guard case .message = vector.layout, let message = vector.message else { continue }
            assertSameBytes(Array(try MessageCodec.encode(message)), try contents(of: vector), vector.file)
            checked += 1
        }
        XCTAssertEqual(checked, 2, "the two bare messages, CheckRequest and CheckResponse")
    }

    // MARK: Decoding

    func testEveryFileDecodesToTheMessageItWasBuiltFrom() throws {
        for vector in try WireVector.all {
            let bytes = try contents(of: vector)
            let data: [UInt8]
            switch vector.layout {
            case .message:
                data = bytes
            case .frame(let streamID, let type, let flags):
                let frame = try decodeOneFrame(bytes, vector.file)
                XCTAssertEqual(frame.streamID, streamID, vector.file)
                XCTAssertEqual(frame.type, type, vector.file)
                XCTAssertEqual(frame.flags, flags, vector.file)
                XCTAssertEqual(
                    Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3]),
                    frame.data.readableBytes,
                    vector.file
                )
                data = frame.data.testBytes
            }
            guard let expected = vector.message else {
                XCTAssertEqual(data, [], "\(vector.file): a frame without data")
                continue
            }
            let decoded = try type(of: expected).init(serializedBytes: data)
            XCTAssertTrue(
                decoded.isEqualTo(message: expected),
                "\(vector.file) decodes to\n\(decoded)\ninstead of\n\(expected)"
            )
        }
    }

    /// The values of the README, read back from the files field by field, maps entry by entry.
    func testTheFilesHoldTheValuesTheReadmeLists() throws {
        let request = try Gongzhi_Sensors_V1_CheckRequest(serializedBytes: try contents(of: .checkRequest))
        XCTAssertEqual(request.readings.count, 2)
        let first = request.readings[0]
        XCTAssertEqual(first.deviceID, "WL-330199-0042")
        XCTAssertEqual(first.kind, "water_level")
        XCTAssertEqual(first.value.bitPattern, 0x4040_4000_0000_0000)
        XCTAssertEqual(first.timeUnixMs, 1_767_225_600_000)
        XCTAssertTrue(first.hasLocation)
        XCTAssertEqual(first.location.longitude.bitPattern, 0x405D_196A_8B8F_14DB)
        XCTAssertEqual(first.location.latitude.bitPattern, 0x4043_F550_C1B9_7354)
        XCTAssertEqual(first.attributes, ["firmware": "2.4.1", "unit": "cm", "vendor": "青岛水文仪器"])
        let second = request.readings[1]
        XCTAssertEqual(second.deviceID, "SM-330199-0007")
        XCTAssertEqual(second.kind, "smoke")
        XCTAssertEqual(second.value.bitPattern, 0x3FBE_B851_EB85_1EB8)
        XCTAssertEqual(second.timeUnixMs, 1_767_225_601_500)
        XCTAssertFalse(second.hasLocation)
        XCTAssertEqual(second.attributes, [:])

        let response = try Gongzhi_Sensors_V1_CheckResponse(serializedBytes: try contents(of: .checkResponse))
        XCTAssertEqual(response.alerts.count, 1)
        let alert = response.alerts[0]
        XCTAssertEqual(alert.index, 2)
        XCTAssertEqual(alert.deviceID, "WL-330199-0042")
        XCTAssertEqual(alert.kind, "water_level")
        XCTAssertEqual(alert.value, 32.5)
        XCTAssertEqual(alert.severity, .critical)
        XCTAssertEqual(alert.limit, 30)
        XCTAssertEqual(alert.message, "water_level 32.5 cm at WL-330199-0042 reached the critical threshold 30 cm")
        XCTAssertEqual(alert.timeUnixMs, 1_767_225_600_000)
        XCTAssertEqual(alert.location, Sample.location)
        XCTAssertEqual(alert.attributes, ["firmware": "2.4.1", "unit": "cm", "vendor": "青岛水文仪器"])
        XCTAssertEqual(response.rejections.count, 1)
        XCTAssertEqual(response.rejections[0].index, 4)
        XCTAssertEqual(response.rejections[0].deviceID, "NS-330199-0311")
        XCTAssertEqual(response.rejections[0].reason, "unknown kind \"noise_db\"")
        XCTAssertEqual(response.checkedByKind, ["battery": 3, "smoke": 5, "water_level": 11])
        XCTAssertEqual(response.checked, 19)

        let unary = try Envelope.decodeRequest(try decodeOneFrame(try contents(of: .unaryRequest), "unary").data)
        XCTAssertEqual(unary.service, "gongzhi.sensors.v1.Sensors")
        XCTAssertEqual(unary.method, "Check")
        XCTAssertEqual(unary.timeoutNano, 5_000_000_000)
        XCTAssertEqual(unary.metadata.map(\.key), ["gongzhi-caller", "traceparent"])
        XCTAssertEqual(
            unary.metadata.map(\.value),
            ["plugin:grid", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]
        )
        XCTAssertTrue(Array(unary.payload) == (try contents(of: .checkRequest)), "the payload is not check-request.pb")

        let register = try Envelope.decodeRequest(
            try decodeOneFrame(try contents(of: .registerRequest), "register").data
        )
        XCTAssertEqual(register.service, "gongzhi.host.v1.Registration")
        XCTAssertEqual(register.method, "Register")
        XCTAssertEqual(register.timeoutNano, 0)
        XCTAssertEqual(Metadata(register.metadata)["gongzhi-token"], "gzt-sensors-0f1e2d3c4b5a6978")
        let registration = try Gongzhi_Host_V1_RegisterRequest(serializedBytes: register.payload)
        XCTAssertEqual(registration.name, "sensors")
        XCTAssertEqual(registration.socketPath, "/run/gongzhi/plugins/sensors.sock")
        XCTAssertEqual(registration.services.map(\.name), ["gongzhi.sensors.v1.Sensors", "gongzhi.sensors.v1.Feed"])
        XCTAssertEqual(registration.services[1].methods.map(\.kind), [.serverStreaming, .clientStreaming])

        let ok = try Envelope.decodeResponse(try decodeOneFrame(try contents(of: .checkOKResponse), "ok").data)
        XCTAssertTrue(ok.hasStatus)
        XCTAssertEqual(ok.status.code, 0)
        XCTAssertTrue(Array(ok.payload) == (try contents(of: .checkResponse)), "the payload is not check-response.pb")

        let notFound = try Envelope.decodeResponse(
            try decodeOneFrame(try contents(of: .notFoundResponse), "not found").data
        )
        guard case .failure(let error) = notFound.outcome else { return XCTFail("not-found-response is OK") }
        XCTAssertEqual(error.code, .notFound)
        XCTAssertEqual(error.message, "设备 WL-330199-0099 未登记 (device not registered)")
        XCTAssertEqual(notFound.payload, Data())

        let accepted = try Gongzhi_Host_V1_RegistrationEvent(
            serializedBytes: try decodeOneFrame(try contents(of: .registrationAccepted), "accepted").data.testBytes
        )
        XCTAssertEqual(accepted.accepted.grants, ["gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/Watch"])
        XCTAssertEqual(accepted.accepted.protocolVersion, "gongzhi-plugin/1")
        XCTAssertEqual(accepted.accepted.hostVersion, "0.9.0")
    }

    /// All frame files in one stream, cut at every byte: the decoder hands out each frame once, in order.
    func testTheFrameFilesBackToBackDecodeInOrder() throws {
        let frames = try WireVector.all.filter { $0.isFrame }
        var stream: [UInt8] = []
        for vector in frames { stream += try contents(of: vector) }
        var decoder = DirectDecoder(FrameDecoder())
        let results = try decoder.feed(stream, cutAt: Array(1..<stream.count))
        XCTAssertEqual(results.count, frames.count)
        for (result, vector) in zip(results, frames) {
            guard case .frame(let frame) = result, case .frame(let streamID, let type, let flags) = vector.layout else {
                XCTFail("\(vector.file): \(result)")
                continue
            }
            XCTAssertEqual(
                [frame.streamID, UInt32(frame.type.rawValue), UInt32(frame.flags.rawValue)],
                [streamID, UInt32(type.rawValue), UInt32(flags.rawValue)],
                vector.file
            )
        }
        XCTAssertEqual(decoder.buffer.readableBytes, 0)
    }

    // MARK: The folder

    /// The README gives each file a section whose title ends with the file's size, and each frame's header
    /// in hex; both must match the files.
    func testTheFolderHoldsTheListedVectorsAndTheReadmeDescribesEach() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertEqual(names, (try WireVector.all.map(\.file) + ["README.md"]).sorted())
        let readme = String(decoding: try contents(ofFile: "README.md"), as: UTF8.self)
        let lines = readme.split(separator: "\n")
        for vector in try WireVector.all {
            let bytes = try contents(of: vector)
            let title = lines.first { $0.hasPrefix("### `\(vector.file)`") }
            XCTAssertEqual(title?.hasSuffix("(\(bytes.count) bytes)"), true, "README.md's section on \(vector.file)")
            if vector.isFrame {
                let header = bytes.prefix(Frame.headerSize).map { String(format: "%02x", $0) }.joined(separator: " ")
                XCTAssertTrue(readme.contains("Header `\(header)`"), "README.md lacks the header of \(vector.file)")
            }
        }
    }

    // MARK: Helpers

    private func decodeOneFrame(_ bytes: [UInt8], _ name: String) throws -> Frame {
        var decoder = DirectDecoder(FrameDecoder())
        // Small pieces: the header and the data both arrive split.
        let results = try decoder.feed(bytes, cutAt: Array(stride(from: 3, to: bytes.count, by: 3)))
        guard results.count == 1, case .frame(let frame) = results[0] else {
            throw VectorError("\(name): the decoder gave \(results) instead of one frame")
        }
        XCTAssertEqual(decoder.buffer.readableBytes, 0, "\(name): bytes after the frame")
        return frame
    }

    private func assertSameBytes(
        _ encoded: [UInt8],
        _ file: [UInt8],
        _ name: String,
        line: UInt = #line
    ) {
        guard encoded != file else { return }
        let offset =
            zip(encoded, file).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(encoded.count, file.count)
        XCTFail(
            "\(name): Swift's \(encoded.count) bytes differ from the file's \(file.count) at offset \(offset)",
            line: line
        )
    }
}

private struct VectorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension BinaryEncodingOptions {
    /// Map entries in key order, as the vectors have them.
    fileprivate static var deterministic: BinaryEncodingOptions {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return options
    }
}

/// One vector: a file, what it holds, and the message built from the README's values.
private struct WireVector {
    enum Layout {
        /// A bare protobuf message.
        case message
        /// A ttrpc frame: 10-byte header, then the message (or nothing).
        case frame(streamID: UInt32, type: FrameType, flags: FrameFlags)
    }

    var file: String
    var layout: Layout
    /// The message of the file or of the frame's data; nil for a frame without data.
    var message: (any SwiftProtobuf.Message)?

    var isFrame: Bool {
        if case .frame = layout { return true }
        return false
    }

    /// The bytes Swift encodes for this vector.
    func encoded() throws -> [UInt8] {
        let data: [UInt8] = try message?.serializedBytes(options: .deterministic) ?? []
        guard case .frame(let streamID, let type, let flags) = layout else { return data }
        var buffer = ByteBuffer()
        buffer.writeFrame(streamID: streamID, type: type, flags: flags, bytes: data)
        return buffer.testBytes
    }

    static let checkRequest = WireVector(file: "check-request.pb", layout: .message)
    static let checkResponse = WireVector(file: "check-response.pb", layout: .message)
    static let unaryRequest = WireVector(
        file: "unary-request.frame",
        layout: .frame(streamID: 1, type: .request, flags: [])
    )
    static let checkOKResponse = WireVector(
        file: "check-ok-response.frame",
        layout: .frame(streamID: 1, type: .response, flags: [])
    )
    static let registerRequest = WireVector(
        file: "register-request.frame",
        layout: .frame(streamID: 3, type: .request, flags: .remoteClosed)
    )
    static let registrationAccepted = WireVector(
        file: "registration-accepted.frame",
        layout: .frame(streamID: 3, type: .data, flags: [])
    )
    static let notFoundResponse = WireVector(
        file: "not-found-response.frame",
        layout: .frame(streamID: 5, type: .response, flags: [])
    )
    static let closeSend = WireVector(
        file: "close-send.frame",
        layout: .frame(streamID: 7, type: .data, flags: [.remoteClosed, .noData])
    )

    /// Every vector with its message, in the order of the README.
    static var all: [WireVector] {
        get throws {
            [
                checkRequest.holding(Sample.checkRequest),
                checkResponse.holding(Sample.checkResponse),
                unaryRequest.holding(try Sample.unaryRequest()),
                checkOKResponse.holding(try Sample.checkOKResponse()),
                registerRequest.holding(try Sample.registerRequest()),
                registrationAccepted.holding(Sample.registrationAccepted),
                notFoundResponse.holding(Sample.notFoundResponse),
                closeSend,
            ]
        }
    }

    private func holding(_ message: any SwiftProtobuf.Message) -> WireVector {
        var vector = self
        vector.message = message
        return vector
    }
}

/// The messages of the vectors, with the fixed values that `Tests/Vectors/README.md` lists.
private enum Sample {
    /// 2026-01-01T00:00:00Z.
    static let readingTime: Int64 = 1_767_225_600_000

    static var location: Gongzhi_Sensors_V1_Location {
        var location = Gongzhi_Sensors_V1_Location()
        location.longitude = 116.397128
        location.latitude = 39.916527
        return location
    }

    static let vendorAttributes = ["vendor": "青岛水文仪器", "firmware": "2.4.1", "unit": "cm"]

    static var checkRequest: Gongzhi_Sensors_V1_CheckRequest {
        var waterLevel = Gongzhi_Sensors_V1_Reading()
        waterLevel.deviceID = "WL-330199-0042"
        waterLevel.kind = "water_level"
        waterLevel.value = 32.5
        waterLevel.timeUnixMs = readingTime
        waterLevel.location = location
        waterLevel.attributes = vendorAttributes
        var smoke = Gongzhi_Sensors_V1_Reading()
        smoke.deviceID = "SM-330199-0007"
        smoke.kind = "smoke"
        smoke.value = 0.12
        smoke.timeUnixMs = readingTime + 1_500
        var request = Gongzhi_Sensors_V1_CheckRequest()
        request.readings = [waterLevel, smoke]
        return request
    }

    static var checkResponse: Gongzhi_Sensors_V1_CheckResponse {
        var alert = Gongzhi_Sensors_V1_Alert()
        alert.index = 2
        alert.deviceID = "WL-330199-0042"
        alert.kind = "water_level"
        alert.value = 32.5
        alert.severity = .critical
        alert.limit = 30
        alert.message = "water_level 32.5 cm at WL-330199-0042 reached the critical threshold 30 cm"
        alert.timeUnixMs = readingTime
        alert.location = location
        alert.attributes = vendorAttributes
        var rejection = Gongzhi_Sensors_V1_Rejection()
        rejection.index = 4
        rejection.deviceID = "NS-330199-0311"
        rejection.reason = "unknown kind \"noise_db\""
        var response = Gongzhi_Sensors_V1_CheckResponse()
        response.alerts = [alert]
        response.rejections = [rejection]
        response.checkedByKind = ["water_level": 11, "battery": 3, "smoke": 5]
        response.checked = 19
        return response
    }

    static func unaryRequest() throws -> Gongzhi_Rpc_V1_Request {
        var request = Gongzhi_Rpc_V1_Request()
        request.service = "gongzhi.sensors.v1.Sensors"
        request.method = "Check"
        request.payload = try checkRequest.serializedBytes(options: .deterministic)
        request.timeoutNano = 5_000_000_000
        let metadata: Metadata = [
            "gongzhi-caller": "plugin:grid",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ]
        request.metadata = metadata.keyValues
        return request
    }

    static func checkOKResponse() throws -> Gongzhi_Rpc_V1_Response {
        Envelope.response(payload: try checkResponse.serializedBytes(options: .deterministic), metadata: [:])
    }

    static func registerRequest() throws -> Gongzhi_Rpc_V1_Request {
        func method(_ name: String, _ kind: Gongzhi_Host_V1_MethodDescription.Kind) -> Gongzhi_Host_V1_MethodDescription
        {
            var method = Gongzhi_Host_V1_MethodDescription()
            method.name = name
            method.kind = kind
            return method
        }
        var sensors = Gongzhi_Host_V1_ServiceDescription()
        sensors.name = "gongzhi.sensors.v1.Sensors"
        sensors.methods = [method("Check", .unary), method("ListThresholds", .unary)]
        var feed = Gongzhi_Host_V1_ServiceDescription()
        feed.name = "gongzhi.sensors.v1.Feed"
        feed.methods = [method("Subscribe", .serverStreaming), method("Upload", .clientStreaming)]
        var registration = Gongzhi_Host_V1_RegisterRequest()
        registration.name = "sensors"
        registration.version = "1.0.0"
        registration.protocolVersion = "gongzhi-plugin/1"
        registration.socketPath = "/run/gongzhi/plugins/sensors.sock"
        registration.services = [sensors, feed]

        var request = Gongzhi_Rpc_V1_Request()
        request.service = "gongzhi.host.v1.Registration"
        request.method = "Register"
        request.payload = try registration.serializedBytes(options: .deterministic)
        let metadata: Metadata = ["gongzhi-token": "gzt-sensors-0f1e2d3c4b5a6978"]
        request.metadata = metadata.keyValues
        return request
    }

    static var registrationAccepted: Gongzhi_Host_V1_RegistrationEvent {
        var accepted = Gongzhi_Host_V1_Accepted()
        accepted.grants = ["gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/Watch"]
        accepted.protocolVersion = "gongzhi-plugin/1"
        accepted.hostVersion = "0.9.0"
        var event = Gongzhi_Host_V1_RegistrationEvent()
        event.accepted = accepted
        return event
    }

    static var notFoundResponse: Gongzhi_Rpc_V1_Response {
        Envelope.response(
            error: RPCError(code: .notFound, message: "设备 WL-330199-0099 未登记 (device not registered)"),
            metadata: [:]
        )
    }
}
