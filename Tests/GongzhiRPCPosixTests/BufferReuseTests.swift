import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiTestSeeds
import GongzhiTestSupport
import XCTest

/// Connections reuse their receive and outbound buffers from call to call, and large payloads reach handlers and
/// callers in the memory they arrived in. None of that may let one call's bytes into another's: over real sockets,
/// every handler and every caller here sees exactly the bytes that were sent to it — after a larger call on the same
/// connection, while other calls arrive, and while a handler still holds its payload.
final class BufferReuseTests: XCTestCase {
    private static let service = "gongzhi.test.v1.Held"

    /// A payload that says what it should hold: a seed and a length, then bytes drawn from the seed.
    private static func payload(seed: UInt32, count: Int) -> Data {
        var bytes = [UInt8](repeating: 0, count: max(count, 8))
        withUnsafeBytes(of: seed.bigEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        for index in 8..<bytes.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return Data(bytes)
    }

    /// Nil when `data` holds exactly what its seed and length say, else what is wrong.
    private static func problem(in data: Data) -> String? {
        guard data.count >= 8 else { return "only \(data.count) bytes" }
        let seed = data.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let count = data.dropFirst(4).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard Int(count) == data.count else { return "\(data.count) bytes where \(count) were sent (seed \(seed))" }
        guard data == payload(seed: seed, count: Int(count)) else {
            return "the \(count) bytes of seed \(seed) are not the bytes sent"
        }
        return nil
    }

    /// `Echo` checks its payload, waits (so that other calls arrive on the connection meanwhile), checks it again
    /// and answers it; `Collect` checks each message of a stream, keeps them all until the end, checks them all
    /// again, and answers how many there were.
    private struct HeldPayloads: RPCService {
        var serviceName: String { BufferReuseTests.service }
        var methodHandlers: [String: RPCMethodHandler] {
            [
                "Echo": RPCMethodHandler(unary: { payload, _ in
                    if let problem = BufferReuseTests.problem(in: payload) {
                        throw RPCError(code: .dataLoss, message: "on arrival: \(problem)")
                    }
                    let seed = payload.prefix(4).reduce(0) { $0 << 8 | Int($1) }
                    try await Task.sleep(for: .microseconds(seed % 3_000))
                    if let problem = BufferReuseTests.problem(in: payload) {
                        throw RPCError(code: .dataLoss, message: "after waiting: \(problem)")
                    }
                    return payload
                }),
                "Collect": RPCMethodHandler(kind: .clientStreaming) { requests, _, _ in
                    var kept: [Data] = []
                    for try await message in requests {
                        if let problem = BufferReuseTests.problem(in: message) {
                            throw RPCError(code: .dataLoss, message: "message \(kept.count): \(problem)")
                        }
                        kept.append(message)
                    }
                    for (index, message) in kept.enumerated() {
                        if let problem = BufferReuseTests.problem(in: message) {
                            throw RPCError(code: .dataLoss, message: "message \(index) at the end: \(problem)")
                        }
                    }
                    return Data("\(kept.count)".utf8)
                },
            ]
        }
    }

    /// What a caller saw that was not what it was sent.
    private struct WrongAnswer: Error, CustomStringConvertible {
        var description: String
    }

    /// Makes one `Echo` call and throws unless the answer holds exactly the bytes sent.
    private static func echo(_ client: RPCClient, seed: UInt32, count: Int) async throws {
        let sent = payload(seed: seed, count: count)
        let answer = try await client.unary(service: service, method: "Echo", payload: sent, options: .defaults)
        if let problem = problem(in: answer.payload) {
            throw WrongAnswer(description: "the answer to seed \(seed): \(problem)")
        }
        guard answer.payload == sent else { throw WrongAnswer(description: "the answer to seed \(seed) differs") }
    }

    func testASmallCallAfterALargeOneSeesOnlyItsOwnBytes() async throws {
        for onLoop in [true, false] {
            try await withRPCServer(services: [HeldPayloads()], startsHandlersOnEventLoop: onLoop) { server, _ in
                let client = RPCClient(socketPath: server.configuration.socketPath)
                // Large, small, large, smaller: each lands where the last one was, once that one is released.
                let sizes = [1 << 20, 10, 300_000, 8, 70_000, 20_000, 9, 4 << 20 - 1_000, 12]
                for (index, size) in sizes.enumerated() {
                    try await Self.echo(client, seed: UInt32(index + 1), count: size)
                }
                await client.close()
            }
        }
    }

    func testConcurrentCallsOfMixedSizesEachSeeTheirOwnBytes() async throws {
        var random = seededRandom()
        let sizes = (0..<200).map { _ in
            [8, 100, 4_096, 16_384, 65_536, 200_000, 1 << 20].randomElement(using: &random)!
        }
        for onLoop in [true, false] {
            try await withRPCServer(services: [HeldPayloads()], startsHandlersOnEventLoop: onLoop) { server, _ in
                let client = RPCClient(socketPath: server.configuration.socketPath)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, size) in sizes.enumerated() {
                        group.addTask { try await Self.echo(client, seed: UInt32(index * 7 + 3), count: size) }
                        if index >= 64 { try await group.next() }
                    }
                    try await group.waitForAll()
                }
                await client.close()
            }
        }
    }

    func testStreamedMessagesKeptByTheHandlerKeepTheirBytes() async throws {
        try await withRPCServer(services: [HeldPayloads()]) { server, _ in
            let client = RPCClient(socketPath: server.configuration.socketPath)
            // Two streams at once on one connection, their messages interleaved, large and small.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for stream in 0..<2 {
                    group.addTask {
                        let call = try await client.openStream(
                            service: Self.service,
                            method: "Collect",
                            kind: .clientStreaming,
                            payload: Data(),
                            options: .defaults
                        )
                        let sizes = [300_000, 9, 70_000, 16_384, 1 << 20, 10, 100_000]
                        for (index, size) in sizes.enumerated() {
                            try await call.send(Self.payload(seed: UInt32(stream * 100 + index), count: size))
                        }
                        try await call.closeSend()
                        let answer = String(decoding: try await call.finalResponse().payload, as: UTF8.self)
                        guard answer == "\(sizes.count)" else {
                            throw WrongAnswer(description: "stream \(stream) answered \(answer)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            await client.close()
        }
    }
}
