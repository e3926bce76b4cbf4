import GongzhiEcho
import GongzhiRPC
import GongzhiRPCPosix
import Logging

/// Runs an `RPCServer` (the echo service unless told otherwise) in this process for the duration of `body`, on a socket in a fresh directory.
public func withRPCServer<Result: Sendable>(
    services: [any RPCService] = [EchoService()],
    stalledFrameTimeout: Duration? = nil,
    frameTimeout: Duration? = nil,
    maxConcurrentStreamsPerConnection: Int? = nil,
    startsHandlersOnEventLoop: Bool? = nil,
    _ body: (RPCServer, TemporaryDirectory) async throws -> Result
) async throws -> Result {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    var configuration = RPCServer.Configuration(socketPath: directory.file("server.sock"))
    configuration.shutdownGracePeriod = .seconds(2)
    if let stalledFrameTimeout { configuration.stalledFrameTimeout = stalledFrameTimeout }
    if let frameTimeout { configuration.frameTimeout = frameTimeout }
    if let startsHandlersOnEventLoop { configuration.startsHandlersOnEventLoop = startsHandlersOnEventLoop }
    if let maxConcurrentStreamsPerConnection {
        configuration.maxConcurrentStreamsPerConnection = maxConcurrentStreamsPerConnection
    }
    var logger = Logger(label: "gongzhi.test.server")
    logger.logLevel = .critical
    let server = RPCServer(configuration: configuration, services: services, logger: logger)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await server.run()
            return nil
        }
        do {
            try await server.waitUntilListening()
            let result = try await body(server, directory)
            server.beginGracefulShutdown()
            while let next = try await group.next() { _ = next }
            return result
        } catch {
            server.beginGracefulShutdown()
            group.cancelAll()
            throw error
        }
    }
}
