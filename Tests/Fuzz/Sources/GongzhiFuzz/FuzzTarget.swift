// libFuzzer entry point: arbitrary bytes through the frame decoder as a server runs it, then the
// decoded frames through envelope decoding and the server's stream state machine.
//
// Input layout: byte 0 (the selector) chooses how the stream is cut into reads (see `ReadPlan`) and
// a second, small data limit; the remaining bytes are the byte stream a client would send.
//
// Each input goes through `FrameReader` in an EmbeddedChannel, as a server reads it: in one read
// and cut into reads with the 64 KiB limit, and cut into reads with a limit of `selector` bytes; and
// once more cut into reads through `ByteToMessageHandler(FrameDecoder)`, the decoder on its own.
// Every output is compared with `FramingModel`, an independent reading of the framing rules. Every broken invariant ends in `fuzzCheck`, which traps, so libFuzzer records the
// input as a crash.

import CLibFuzzerDriver
import GongzhiRPC
import NIOCore
import NIOEmbedded
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small enough that inputs of fuzzing size reach the oversized path.
let fuzzMaxDataLength = 64 << 10

/// With GONGZHI_FUZZ_TRACE=1, each input's records and the server model's steps are printed: for
/// looking at what one input (a seed, a crash) does, not for fuzzing.
let tracing: Bool = getenv("GONGZHI_FUZZ_TRACE").map { String(cString: $0) == "1" } ?? false

func trace(_ message: @autoclosure () -> String) {
    if tracing { print("trace: \(message())") }
}

@inline(never)
func fuzzCheck(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() {
        fatalError("fuzz invariant broken: \(message())", file: file, line: line)
    }
}

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let selector = input[0]
    let stream = Array(input.dropFirst())

    let expected = FramingModel(stream, maxDataLength: fuzzMaxDataLength)
    let plan = ReadPlan(selector: selector, length: stream.count)

    // The stream in one read, and the stream cut into reads: both must match the model.
    let whole = deliver(stream, cuts: [], maxDataLength: fuzzMaxDataLength, expected: expected)
    let cut = deliver(stream, cuts: plan.cuts, maxDataLength: fuzzMaxDataLength, expected: expected)
    fuzzCheck(whole == cut, "decoding depends on where reads are cut: \(whole.count) vs \(cut.count) outputs")
    let alone = deliver(
        stream,
        cuts: plan.cuts,
        maxDataLength: fuzzMaxDataLength,
        expected: expected,
        reader: .decoderAlone
    )
    fuzzCheck(alone == cut, "FrameReader and ByteToMessageHandler(FrameDecoder) disagree")

    // The same reads with a limit of at most 255 bytes, so that short inputs reach the limit's edge
    // and frames that follow a skipped one.
    let smallLimit = Int(selector)
    _ = deliver(
        stream,
        cuts: plan.cuts,
        maxDataLength: smallLimit,
        expected: FramingModel(stream, maxDataLength: smallLimit)
    )

    trace(
        "\(stream.count) bytes in reads ending at \(plan.cuts + [stream.count]); "
            + "garbage header at \(expected.garbageAt.map(String.init) ?? "none")"
    )
    var server = ServerModel()
    for output in cut {
        trace("\(output)")
        switch output {
        case .frame(let frame):
            checkReencoding(frame)
            server.receive(frame)
        case .oversized(let streamID, _, _):
            server.receiveOversized(streamID: streamID)
        }
    }
    return 0
}

// MARK: The framing as the protocol describes it

/// What the decoder must produce for a stream: computed by a separate, whole-input reading of the
/// framing rules, not by `FrameDecoder`.
struct FramingModel {
    enum Record: Equatable {
        case frame(streamID: UInt32, type: UInt8, flags: UInt8, data: Range<Int>)
        case oversized(streamID: UInt32, type: UInt8, dataLength: Int)
    }

    /// Records in stream order.
    var records: [Record] = []
    /// Where each record ends in the stream (header plus declared data, skipped data included).
    var recordEnds: Set<Int> = []
    /// Offset of a header whose first byte is not zero, if the stream reaches one.
    var garbageAt: Int?

    init(_ bytes: [UInt8], maxDataLength: Int) {
        var offset = 0
        while bytes.count - offset >= 10 {
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let streamID = bytes[offset + 4..<offset + 8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let type = bytes[offset + 8]
            let flags = bytes[offset + 9]
            if bytes[offset] != 0 {
                garbageAt = offset
                return
            }
            let end = offset + 10 + length
            if length > maxDataLength {
                records.append(.oversized(streamID: streamID, type: type, dataLength: length))
            } else if end <= bytes.count {
                records.append(.frame(streamID: streamID, type: type, flags: flags, data: offset + 10..<end))
            } else {
                return
            }
            recordEnds.insert(end)
            offset = end
        }
    }

    /// Whether a decoder that has seen the first `count` bytes holds part of a record.
    func isInsideRecord(afterReading count: Int) -> Bool {
        count != 0 && !recordEnds.contains(count)
    }

    /// Whether the first `count` bytes contain the whole header that is not ttrpc framing.
    func failsWithin(_ count: Int) -> Bool {
        guard let garbageAt else { return false }
        return count >= garbageAt + 10
    }

    func matches(_ output: DecodedFrame, _ record: Record, in bytes: [UInt8]) -> Bool {
        switch (output, record) {
        case (.frame(let frame), .frame(let streamID, let type, let flags, let range)):
            return frame.streamID == streamID && frame.type.rawValue == type && frame.flags.rawValue == flags
                && frame.data.readableBytes == range.count
                && frame.data.readableBytesView.elementsEqual(bytes[range])
        case (.oversized(let streamID, let type, let length), .oversized(let mStreamID, let mType, let mLength)):
            return streamID == mStreamID && type.rawValue == mType && length == mLength
        default:
            return false
        }
    }
}

// MARK: Reads

/// Where the stream is cut into reads, chosen by the input's first byte:
/// - 0x00: one read;
/// - high bit set: reads of a fixed size, `(selector & 0x7f) + 1` bytes (at most 2,048 reads);
/// - otherwise: `selector & 0x3f` cuts at pseudo-random places seeded by the selector and length,
///   half of them moved onto the first bytes of a frame header when bit 0x40 is set.
struct ReadPlan {
    var cuts: [Int] = []

    init(selector: UInt8, length: Int) {
        guard selector != 0, length > 1 else { return }
        if selector & 0x80 != 0 {
            let size = max(Int(selector & 0x7f) + 1, (length + 2047) / 2048)
            cuts = Array(stride(from: size, to: length, by: size))
            return
        }
        var state = UInt64(selector) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(length)
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var set = Set<Int>()
        let count = Int(selector & 0x3f)
        for index in 0..<count {
            var position = Int(next() % UInt64(length - 1)) + 1
            if selector & 0x40 != 0 && index % 2 == 0 {
                // Around the start of the stream's headers: a cut a few bytes into the first 64.
                position = min(length - 1, Int(next() % 12) + 1 + Int(next() % 4) * 10)
            }
            set.insert(position)
        }
        cuts = set.sorted()
    }
}

/// What reads the frames in `deliver`.
enum FrameReading {
    /// `FrameReader`, as a server's and a client's pipeline read them.
    case frameReader
    /// `FrameDecoder` inside NIO's `ByteToMessageHandler`.
    case decoderAlone
}

/// Feeds `stream` to a server-like pipeline (a `FrameReader`, or `ByteToMessageHandler` over
/// `FrameDecoder`, in an EmbeddedChannel), cut into reads at `cuts`, and checks what comes out
/// against the model.
func deliver(
    _ stream: [UInt8],
    cuts: [Int],
    maxDataLength: Int,
    expected: FramingModel,
    reader: FrameReading = .frameReader
) -> [DecodedFrame] {
    let progress = FrameProgress()
    let channel = EmbeddedChannel()
    do {
        switch reader {
        case .frameReader:
            try channel.pipeline.syncOperations.addHandler(
                FrameReader(maxDataLength: maxDataLength, progress: progress)
            )
        case .decoderAlone:
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(FrameDecoder(maxDataLength: maxDataLength, progress: progress))
            )
        }
    } catch {
        fatalError("cannot set up the pipeline: \(error)")
    }

    var outputs: [DecodedFrame] = []
    func drain() {
        while true {
            let output: DecodedFrame?
            do {
                output = try channel.readInbound(as: DecodedFrame.self)
            } catch {
                fatalError("reading inbound failed: \(error)")
            }
            guard let output else { return }
            if case .frame(let frame) = output {
                fuzzCheck(
                    frame.data.readableBytes <= maxDataLength,
                    "a frame of \(frame.data.readableBytes) bytes passed the \(maxDataLength)-byte limit"
                )
            }
            let index = outputs.count
            fuzzCheck(index < expected.records.count, "the decoder produced more records than the stream holds")
            fuzzCheck(
                expected.matches(output, expected.records[index], in: stream),
                "record \(index) is \(output), expected \(expected.records[index])"
            )
            outputs.append(output)
        }
    }

    var failed = false
    var start = 0
    for end in cuts + [stream.count] where end > start {
        var buffer = channel.allocator.buffer(capacity: end - start)
        buffer.writeBytes(stream[start..<end])
        do {
            try channel.writeInbound(buffer)
        } catch is FrameDecodingError {
            failed = true
        } catch {
            fatalError("the decoder threw something other than FrameDecodingError: \(error)")
        }
        drain()
        fuzzCheck(
            failed == expected.failsWithin(end),
            "after \(end) bytes the decoder \(failed ? "failed" : "did not fail"); "
                + "the garbage header is at \(expected.garbageAt.map(String.init) ?? "none")"
        )
        if failed { break }
        // What the server's stalled-frame timeout relies on.
        fuzzCheck(
            progress.isInsideFrame == expected.isInsideRecord(afterReading: end),
            "after \(end) bytes (reads ending at \(cuts + [stream.count])) isInsideFrame is \(progress.isInsideFrame)"
        )
        start = end
    }

    // End of input: a partial frame is dropped, nothing new may appear.
    do {
        _ = try channel.finish(acceptAlreadyClosed: true)
    } catch is FrameDecodingError where failed {
        // Already reported on the read that failed.
    } catch {
        fatalError("closing the channel failed: \(error)")
    }
    drain()
    fuzzCheck(
        outputs.count == expected.records.count,
        "the decoder produced \(outputs.count) records; the stream holds \(expected.records.count)"
    )
    return outputs
}

/// A decoded frame, written again and decoded by a fresh decoder, must come back unchanged.
func checkReencoding(_ frame: Frame) {
    var buffer = ByteBufferAllocator().buffer(capacity: Frame.headerSize + frame.data.readableBytes)
    buffer.writeFrame(frame)
    fuzzCheck(buffer.readableBytes == Frame.headerSize + frame.data.readableBytes, "writeFrame wrote a wrong size")
    var decoder = FrameDecoder(maxDataLength: fuzzMaxDataLength)
    let again: DecodedFrame?
    do {
        again = try decoder.decode(buffer: &buffer)
    } catch {
        fatalError("a re-encoded frame does not decode: \(error)")
    }
    fuzzCheck(again == .frame(frame), "re-encoded frame decodes as \(String(describing: again)), not \(frame)")
    fuzzCheck(buffer.readableBytes == 0, "re-encoded frame left \(buffer.readableBytes) bytes")
}

// MARK: What the server does with frames

/// The server connection's handling of decoded frames, without handlers or I/O: envelope decoding,
/// deadline arithmetic and one stream state machine per open stream. The server answers a stream
/// when a frame carries flag bit 0x10 (which the protocol leaves unused), so the input decides how
/// long streams stay open.
struct ServerModel {
    static let respondBit: UInt8 = 0x10
    static let streamReplyBit: UInt8 = 0x08

    var streams: [UInt32: StreamStateMachine] = [:]

    mutating func receive(_ frame: Frame) {
        switch frame.type {
        case .request: receiveRequest(frame)
        case .data: receiveData(frame)
        case .response: receiveResponse(frame)
        default: break
        }
    }

    mutating func receiveOversized(streamID: UInt32) {
        // The server fails an open stream with an error and forgets it.
        guard var machine = streams.removeValue(forKey: streamID) else { return }
        respond(&machine)
    }

    mutating func receiveRequest(_ frame: Frame) {
        guard frame.streamID % 2 == 1 else { return }
        if var open = streams[frame.streamID] {
            // The server closes the connection; the machine must refuse the request as well.
            do {
                try open.receiveRequest(flags: frame.flags)
                fatalError("a second request on an open stream was accepted")
            } catch {}
            return
        }
        guard let request = decodeEnvelope(frame, Envelope.decodeRequest) else {
            trace("stream \(frame.streamID): request envelope does not decode")
            return
        }
        trace("stream \(frame.streamID): request \(request.service)/\(request.method), \(request.payload.count) bytes")
        // The server's use of the envelope's fields.
        let metadata = Metadata(request.metadata)
        fuzzCheck(metadata.count == request.metadata.count, "metadata lost entries")
        _ = metadata.description
        if request.timeoutNano > 0 {
            _ = ContinuousClock.now + .nanoseconds(request.timeoutNano)
            _ = NIODeadline.now() + .nanoseconds(request.timeoutNano)
        }
        checkAnswers(to: request, streamID: frame.streamID, metadata: metadata)

        var machine = StreamStateMachine(role: .server)
        let flags = frame.flags
        let bothDirections = flags.contains(.remoteOpen) && flags.contains(.remoteClosed)
        let clientSendsData: Bool
        do {
            clientSendsData = try machine.receiveRequest(flags: flags)
        } catch {
            fuzzCheck(bothDirections, "request with flags \(flags.rawValue) refused: \(error.message)")
            trace("stream \(frame.streamID): request refused: \(error.message)")
            return
        }
        fuzzCheck(!bothDirections, "request with both remote-open and remote-closed accepted")
        fuzzCheck(clientSendsData == flags.contains(.remoteOpen), "receiveRequest answered \(clientSendsData)")
        let unary = !flags.contains(.remoteOpen) && !flags.contains(.remoteClosed)
        fuzzCheck(
            machine.state == .open(unary: unary, localClosed: false, remoteClosed: !clientSendsData),
            "state after request is \(machine.state)"
        )
        if flags.rawValue & Self.respondBit != 0 {
            respond(&machine)
        } else {
            streams[frame.streamID] = machine
        }
        trace("stream \(frame.streamID): \(machine.state)")
    }

    mutating func receiveData(_ frame: Frame) {
        guard var machine = streams[frame.streamID] else {
            // Late data for a stream that ended is dropped; a fresh machine must refuse it.
            var idle = StreamStateMachine(role: .server)
            do {
                _ = try idle.receiveData(flags: frame.flags)
                fatalError("data accepted on a stream that was never opened")
            } catch {}
            return
        }
        guard case .open(let unary, let localClosed, let remoteClosed) = machine.state else {
            fatalError("a stream the server keeps is in state \(machine.state)")
        }
        fuzzCheck(!localClosed, "the server closed its side without finishing the stream")
        let disposition: StreamStateMachine.DataDisposition
        do {
            disposition = try machine.receiveData(flags: frame.flags)
        } catch {
            fuzzCheck(unary || remoteClosed, "data refused on a stream open for data: \(error.message)")
            trace("stream \(frame.streamID): data refused: \(error.message)")
            // The server fails the call.
            respond(&machine)
            streams[frame.streamID] = nil
            return
        }
        fuzzCheck(!unary && !remoteClosed, "data accepted on a unary or remote-closed stream")
        let closing = frame.flags.contains(.remoteClosed)
        fuzzCheck(
            machine.state == .open(unary: false, localClosed: false, remoteClosed: closing),
            "state after data is \(machine.state)"
        )
        if frame.flags.contains(.noData) {
            fuzzCheck(disposition == .closeOnly, "no-data frame answered \(disposition)")
        } else {
            fuzzCheck(disposition == .deliver(isLast: closing), "data frame answered \(disposition)")
        }
        if frame.flags.rawValue & Self.streamReplyBit != 0 {
            do {
                try machine.sendResponseData()
            } catch {
                fatalError("the server could not stream a reply on an open stream: \(error.message)")
            }
        }
        if frame.flags.rawValue & Self.respondBit != 0 {
            respond(&machine)
            streams[frame.streamID] = nil
        } else {
            streams[frame.streamID] = machine
        }
        trace("stream \(frame.streamID): data \(disposition), \(machine.state)")
    }

    mutating func receiveResponse(_ frame: Frame) {
        // A server receives no responses; the envelope must still decode or fail cleanly.
        guard let response = decodeEnvelope(frame, Envelope.decodeResponse) else {
            trace("stream \(frame.streamID): response envelope does not decode")
            return
        }
        trace("stream \(frame.streamID): response \(response.outcome)")
        _ = Metadata(response.metadata).description
        switch response.outcome {
        case .success(let raw):
            fuzzCheck(!response.hasStatus || response.status.code == 0, "a failed status read as success")
            fuzzCheck(raw.payload == response.payload, "outcome lost the payload")
        case .failure(let error):
            fuzzCheck(error.code.rawValue == response.status.code, "outcome changed the status code")
        }
    }

    /// The responses an echoing handler and a failing one would send, decoded as a client would.
    private func checkAnswers(to request: Gongzhi_Rpc_V1_Request, streamID: UInt32, metadata: Metadata) {
        checkHandWrittenFrames(request, streamID: streamID, metadata: metadata)
        let ok = Envelope.response(payload: request.payload, metadata: metadata)
        switch decodeAnswer(ok, streamID: streamID).outcome {
        case .success(let raw):
            fuzzCheck(raw.payload == request.payload, "the echoed payload changed")
            fuzzCheck(raw.metadata == metadata, "the response metadata changed")
        case .failure(let error):
            fatalError("an OK response read as \(error)")
        }
        let error = RPCError(code: .invalidArgument, message: request.method, metadata: metadata)
        switch decodeAnswer(Envelope.response(error: error, metadata: [:]), streamID: streamID).outcome {
        case .success:
            fatalError("an error response read as success")
        case .failure(let decoded):
            fuzzCheck(
                decoded.code == error.code && decoded.message == error.message && decoded.metadata == metadata,
                "the error changed: \(decoded)"
            )
        }
    }

    /// The frames the transport writes by hand for this request and its answers are the bytes `Envelope.frame`
    /// writes for the same envelopes (metadata keys in lower case, as `Metadata` keeps them).
    private func checkHandWrittenFrames(_ request: Gongzhi_Rpc_V1_Request, streamID: UInt32, metadata: Metadata) {
        do {
            var reference = request
            reference.metadata = metadata.keyValues
            reference.unknownFields = UnknownStorage()
            var written = ByteBuffer()
            written.writeRequestFrame(
                streamID: streamID,
                flags: [.remoteOpen],
                service: request.service,
                method: request.method,
                payload: request.payload,
                timeoutNano: request.timeoutNano,
                metadata: metadata
            )
            let expected = try Envelope.frame(reference, streamID: streamID, type: .request, flags: [.remoteOpen])
            fuzzCheck(written == expected, "writeRequestFrame wrote other bytes than Envelope.frame")

            var ok = ByteBuffer()
            ok.writeResponseFrame(streamID: streamID, payload: request.payload, metadata: metadata)
            let okExpected = try Envelope.frame(
                Envelope.response(payload: request.payload, metadata: metadata),
                streamID: streamID,
                type: .response
            )
            fuzzCheck(ok == okExpected, "writeResponseFrame wrote other bytes than Envelope.frame")

            let error = RPCError(
                code: StatusCode(rawValue: Int32(truncatingIfNeeded: request.timeoutNano)),
                message: request.method,
                metadata: metadata
            )
            var failed = ByteBuffer()
            failed.writeResponseFrame(streamID: streamID, error: error, metadata: metadata)
            let failedExpected = try Envelope.frame(
                Envelope.response(error: error, metadata: metadata),
                streamID: streamID,
                type: .response
            )
            fuzzCheck(failed == failedExpected, "writeResponseFrame(error:) wrote other bytes than Envelope.frame")
        } catch {
            fatalError("Envelope.frame failed on a decoded request: \(error)")
        }
    }

    private func decodeAnswer(_ response: Gongzhi_Rpc_V1_Response, streamID: UInt32) -> Gongzhi_Rpc_V1_Response {
        do {
            var encoded = try Envelope.frame(response, streamID: streamID, type: .response)
            let frame = decodeWhole(&encoded)
            fuzzCheck(frame.streamID == streamID && frame.type == .response, "response header changed: \(frame)")
            let decoded = try Envelope.decodeResponse(frame.data)
            fuzzCheck(decoded == response, "a response changed on the wire")
            return decoded
        } catch {
            fatalError("a response does not go through a frame: \(error)")
        }
    }

    private func respond(_ machine: inout StreamStateMachine) {
        do {
            try machine.sendResponse()
        } catch {
            fatalError("the server could not respond on an open stream: \(error.message)")
        }
        fuzzCheck(machine.isFinished, "stream not finished after the response")
        do {
            _ = try machine.receiveData(flags: [])
            fatalError("data accepted on a finished stream")
        } catch {}
        do {
            try machine.sendResponse()
            fatalError("a second response on one stream was allowed")
        } catch {}
    }
}

/// Decodes the envelope in `frame` from a private copy of its data, drops the copy, then checks that
/// the message is what swift-protobuf decodes from the whole envelope (a large payload is decoded
/// apart from the rest of it), that its fields stay readable (each is copied, or a large payload keeps
/// the memory it shares alive: ASan reports any use of released bytes), that it survives a round
/// trip, and that it comes back unchanged from a frame that `Envelope.frame` builds.
func decodeEnvelope<M: SwiftProtobuf.Message & Equatable>(
    _ frame: Frame,
    _ decode: (ByteBuffer) throws -> M
) -> M? {
    let reference = try? M(serializedBytes: Array(frame.data.readableBytesView))
    let message: M
    do {
        var copy = ByteBufferAllocator().buffer(capacity: frame.data.readableBytes)
        copy.writeImmutableBuffer(frame.data)
        message = try decode(copy)
    } catch {
        fuzzCheck(reference == nil, "the envelope decoder failed where swift-protobuf does not: \(error)")
        return nil
    }
    fuzzCheck(reference == message, "the envelope decoder and swift-protobuf decode different envelopes")
    let bytes: [UInt8]
    do {
        bytes = try message.serializedBytes()
    } catch {
        fatalError("a decoded envelope does not encode: \(error)")
    }
    var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
    buffer.writeBytes(bytes)
    do {
        let again = try decode(buffer)
        fuzzCheck(again == message, "envelope changed in an encode/decode round trip")
    } catch {
        fatalError("a re-encoded envelope does not decode: \(error)")
    }

    let framed: Frame
    do {
        var encoded = try Envelope.frame(message, streamID: frame.streamID, type: frame.type, flags: frame.flags)
        framed = decodeWhole(&encoded)
    } catch {
        fatalError("Envelope.frame failed on a decoded envelope: \(error)")
    }
    fuzzCheck(
        framed.streamID == frame.streamID && framed.type == frame.type && framed.flags == frame.flags,
        "Envelope.frame wrote a header of \(framed), for \(frame)"
    )
    fuzzCheck(
        framed.data.readableBytesView.elementsEqual(bytes),
        "Envelope.frame wrote other bytes than serializedBytes"
    )
    do {
        let again = try decode(framed.data)
        fuzzCheck(again == message, "envelope changed going through Envelope.frame")
    } catch {
        fatalError("an envelope from Envelope.frame does not decode: \(error)")
    }
    return message
}

/// Decodes a buffer that must hold exactly one frame within the protocol's limit.
func decodeWhole(_ buffer: inout ByteBuffer) -> Frame {
    var decoder = FrameDecoder()
    let decoded: DecodedFrame?
    do {
        decoded = try decoder.decode(buffer: &buffer)
    } catch {
        fatalError("an encoded frame does not decode: \(error)")
    }
    guard case .frame(let frame) = decoded else {
        fatalError("an encoded frame decodes as \(String(describing: decoded))")
    }
    fuzzCheck(buffer.readableBytes == 0, "an encoded frame left \(buffer.readableBytes) bytes")
    return frame
}
