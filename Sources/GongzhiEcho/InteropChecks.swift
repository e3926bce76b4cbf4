import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks that a server of `gongzhi.test.v1.Echo` — ours or another ttrpc implementation's — answers
/// unary calls as the wire protocol says. Each check reports one line; the caller decides what a
/// failure means.
public enum InteropChecks {
    public struct Outcome: Sendable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public static func run(against channel: any RPCClientChannel) async -> [Outcome] {
        let client = Gongzhi_Test_V1_EchoClient(channel: channel)
        var outcomes: [Outcome] = []

        func check(_ name: String, _ body: () async throws -> String) async {
            do {
                outcomes.append(Outcome(name: name, passed: true, detail: try await body()))
            } catch {
                outcomes.append(Outcome(name: name, passed: false, detail: "\(error)"))
            }
        }

        await check("unary echo of text and a 100-byte payload") {
            var request = Gongzhi_Test_V1_EchoRequest()
            request.text = "hello from swift"
            request.payload = Data((0..<100).map { UInt8($0) })
            let response = try await client.unary(request)
            try expect(response.text == request.text, "text came back as \(response.text)")
            try expect(response.payload == request.payload, "payload came back with \(response.payload.count) bytes")
            return "peer=\(response.peer)"
        }
        await check("request metadata reaches the server") {
            var request = Gongzhi_Test_V1_EchoRequest()
            request.text = "with metadata"
            let response = try await client.unary(request, options: CallOptions(metadata: ["x-echo": "meta"]))
            try expect(response.text == "with metadata|meta", "text came back as \(response.text)")
            return response.text
        }
        await check("a failing call returns its status code and message") {
            var request = Gongzhi_Test_V1_EchoRequest()
            request.failCode = StatusCode.notFound.rawValue
            request.failMessage = "no such thing"
            do {
                _ = try await client.unary(request)
            } catch let error as RPCError {
                try expect(error.code == .notFound, "code was \(error.code)")
                try expect(error.message.contains("no such thing"), "message was \(error.message)")
                return "\(error)"
            }
            throw CheckFailure("the call succeeded")
        }
        await check("a deadline shorter than the handler gives DEADLINE_EXCEEDED") {
            var request = Gongzhi_Test_V1_EchoRequest()
            request.delayMs = 2000
            let start = ContinuousClock.now
            do {
                _ = try await client.unary(request, options: CallOptions(timeout: .milliseconds(200)))
            } catch let error as RPCError {
                let elapsed = ContinuousClock.now - start
                try expect(error.code == .deadlineExceeded, "code was \(error.code)")
                try expect(elapsed < .milliseconds(1500), "took \(elapsed)")
                return "after \(elapsed)"
            }
            throw CheckFailure("the call succeeded")
        }
        await check("64 concurrent calls on one connection") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        var request = Gongzhi_Test_V1_EchoRequest()
                        request.text = "call \(index)"
                        request.payload = Data(repeating: UInt8(index), count: index + 1)
                        let response = try await client.unary(request)
                        try expect(
                            response.text == request.text && response.payload == request.payload,
                            "call \(index) got another answer"
                        )
                    }
                }
                try await group.waitForAll()
            }
            return "all answered with their own payloads"
        }
        await check("a 1 MiB payload round-trips") {
            var request = Gongzhi_Test_V1_EchoRequest()
            request.payload = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let response = try await client.unary(request)
            try expect(response.payload == request.payload, "payload came back with \(response.payload.count) bytes")
            return "\(response.payload.count) bytes"
        }
        await check("an unknown method gives UNIMPLEMENTED") {
            do {
                _ = try await channel.unary(
                    service: "gongzhi.test.v1.Echo",
                    method: "NoSuchMethod",
                    payload: Data(),
                    options: .defaults
                )
            } catch let error as RPCError {
                try expect(error.code == .unimplemented, "code was \(error.code)")
                return "\(error)"
            }
            throw CheckFailure("the call succeeded")
        }
        return outcomes
    }

    struct CheckFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw CheckFailure(message()) }
    }
}
