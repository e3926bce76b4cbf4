import GongzhiRPCPosix
import NIOCore
import NIOPosix

/// The host's connections to one plugin's socket: one per event loop, so that a call forwarded to the
/// plugin is written, answered and passed back on the loop that received it, without a thread hop.
/// Each connection opens on first use.
final class PluginConnections: Sendable {
    private let connections: [(loop: any EventLoop, client: RPCClient)]

    init(socketPath: String, group: any EventLoopGroup) {
        var connections: [(loop: any EventLoop, client: RPCClient)] = []
        for loop in group.makeIterator() {
            let client = RPCClient(
                configuration: RPCClient.Configuration(socketPath: socketPath),
                eventLoopGroup: loop
            )
            connections.append((loop, client))
        }
        self.connections = connections
    }

    /// The connection of the current event loop, or the first one off the loops.
    var local: RPCClient {
        connections.first { $0.loop.inEventLoop }?.client ?? connections[0].client
    }

    /// The first connection: for health checks and the Shutdown call.
    var first: RPCClient { connections[0].client }

    func close() async {
        for connection in connections {
            await connection.client.close()
        }
    }
}
