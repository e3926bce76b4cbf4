import GongzhiRPCPosix
import ServiceLifecycle

/// An `RPCServer` as a swift-service-lifecycle `Service`: a `ServiceGroup`'s graceful shutdown (SIGTERM,
/// say) becomes the server's graceful shutdown, which lets calls in flight finish.
public struct RPCServerService: Service {
    public let server: RPCServer

    public init(_ server: RPCServer) {
        self.server = server
    }

    public func run() async throws {
        let server = self.server
        try await withGracefulShutdownHandler {
            try await server.run()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
