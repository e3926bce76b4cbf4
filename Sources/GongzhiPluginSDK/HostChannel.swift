import GongzhiRPC
import GongzhiRPCPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The plugin's connection to its host's `host.sock`: every call carries the plugin's `gongzhi-token`.
///
/// Give it to any generated client to call a service through the host, e.g.
/// `Gongzhi_Test_V1_EchoClient(channel: context.host)`. The host answers PERMISSION_DENIED for a call
/// the plugin holds no grant for. Calls share one connection, which is opened on the first call.
public struct HostChannel: RPCClientChannel, CustomStringConvertible {
    /// The metadata key that carries the plugin's token.
    public static let tokenKey = "gongzhi-token"

    /// Where the host listens: its socket, or what stands for it (`in-process`).
    public let socketPath: String

    private let client: RPCClient?
    private let channel: MetadataAddingChannel

    /// A channel over `client` that adds `token` to every call, replacing any token the caller set.
    public init(client: RPCClient, token: String) {
        self.client = client
        self.socketPath = client.configuration.socketPath
        self.channel = client.addingMetadata([Self.tokenKey: token])
    }

    /// A channel over any channel to the host (such as the testing kit's in-process host) that adds `token`
    /// to every call; `address` names where it leads, in place of a socket path.
    public init(channel: any RPCClientChannel, token: String, address: String = "in-process") {
        self.client = nil
        self.socketPath = address
        self.channel = channel.addingMetadata([Self.tokenKey: token])
    }

    public func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse
    {
        try await channel.unary(service: service, method: method, payload: payload, options: options)
    }

    public func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream {
        try await channel.openStream(service: service, method: method, kind: kind, payload: payload, options: options)
    }

    /// Closes the connection to the host; later calls fail with UNAVAILABLE. A channel that is not a socket's
    /// has no connection to close.
    public func close() async {
        await client?.close()
    }

    /// Names the socket, never the token.
    public var description: String { "HostChannel(\(socketPath))" }
}
