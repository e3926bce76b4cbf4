import GongzhiRPCPosix
import NIOCore
import NIOPosix

/// The host's connections to one plugin's socket: one per event loop, so that a call forwarded to the
/// plugin is written, answered and passed back on the loop that received it, without a thread hop; and one
/// more, on the host's control loop, that only the supervision uses (health checks, Shutdown), so that a
/// health check never queues behind clients' calls to the plugin. Each connection opens on first use.
final class PluginConnections: Sendable {
    private let connections: [(loop: any EventLoop, client: RPCClient)]
    /// The supervision's own connection, on the control loop.
    let supervision: RPCClient

    init(socketPath: String, group: any EventLoopGroup, control: any EventLoop) {
        var connections: [(loop: any EventLoop, client: RPCClient)] = []
        for loop in group.makeIterator() {
            let client = RPCClient(
                configuration: RPCClient.Configuration(socketPath: socketPath),
                eventLoopGroup: loop
            )
            connections.append((loop, client))
        }
        self.connections = connections
        self.supervision = RPCClient(
            configuration: RPCClient.Configuration(socketPath: socketPath),
            eventLoopGroup: control
        )
    }

    /// The connection of the current event loop, or the first one off the loops.
    var local: RPCClient {
        connections.first { $0.loop.inEventLoop }?.client ?? connections[0].client
    }

    func close() async {
        for connection in connections {
            await connection.client.close()
        }
        await supervision.close()
    }
}
