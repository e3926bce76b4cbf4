import GongzhiRPC
import GongzhiRPCPosix
import Synchronization

/// Which plugin serves each service, and whether it can take calls now. Read on every routed call
/// (from event loops); changed by the plugin fleet.
final class RoutingTable: Sendable {
    struct Endpoint: Sendable {
        /// Where a plugin's calls go.
        enum Target: Sendable {
            /// The plugin's socket, one connection per event loop.
            case socket(PluginConnections)
            /// A channel in this process (an in-process host's plugins).
            case channel(any RPCClientChannel)
        }

        var target: Target
        var methods: [String: RPCKind]
    }

    struct Route: Sendable {
        var plugin: String
        /// Set while the plugin takes calls.
        var endpoint: Endpoint?
        /// Why calls cannot be routed now (the plugin's state).
        var unavailableReason: String
    }

    private let routes = Mutex<[String: Route]>([:])

    func lookup(_ service: String) -> Route? {
        routes.withLock { $0[service] }
    }

    /// The plugin that claims `service`, if any.
    func owner(of service: String) -> String? {
        lookup(service)?.plugin
    }

    /// Records that `plugin` serves `services`. Services it is taking calls for stay routed; the others
    /// are answered UNAVAILABLE with `reason` until the plugin is ready.
    /// With `dropOthers`, services the plugin claimed before and no longer lists are forgotten.
    func claim(plugin: String, services: [String], reason: String, dropOthers: Bool = false) {
        routes.withLock { routes in
            if dropOthers {
                let kept = Set(services)
                routes = routes.filter { $0.value.plugin != plugin || kept.contains($0.key) }
            }
            for service in services {
                if let route = routes[service], route.plugin == plugin, route.endpoint != nil { continue }
                routes[service] = Route(plugin: plugin, endpoint: nil, unavailableReason: reason)
            }
        }
    }

    /// Routes calls for the plugin's services to `client`.
    func publish(plugin: String, methods: [String: [String: RPCKind]], client: PluginConnections) {
        publish(plugin: plugin, methods: methods, target: .socket(client))
    }

    /// Routes calls for the plugin's services to `target`.
    func publish(plugin: String, methods: [String: [String: RPCKind]], target: Endpoint.Target) {
        routes.withLock { routes in
            for (service, serviceMethods) in methods {
                routes[service] = Route(
                    plugin: plugin,
                    endpoint: Endpoint(target: target, methods: serviceMethods),
                    unavailableReason: ""
                )
            }
        }
    }

    /// Keeps the plugin's services known but answers their calls with UNAVAILABLE and `reason`.
    func withdraw(plugin: String, reason: String) {
        routes.withLock { routes in
            for (service, route) in routes where route.plugin == plugin {
                routes[service] = Route(plugin: plugin, endpoint: nil, unavailableReason: reason)
            }
        }
    }

    /// Forgets the plugin's services (removed from the configuration, or an external plugin that left).
    func remove(plugin: String) {
        routes.withLock { routes in
            routes = routes.filter { $0.value.plugin != plugin }
        }
    }

    var servicesByName: [String: String] {
        routes.withLock { $0.mapValues(\.plugin) }
    }
}
