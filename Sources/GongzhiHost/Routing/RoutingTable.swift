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
        /// The service's methods, as the plugin registered them.
        var methods: [String: PluginRegistration.Method]
    }

    struct Route: Sendable {
        var plugin: String
        /// Set while the plugin takes calls.
        var endpoint: Endpoint?
        /// Why calls cannot be routed now (the plugin's state).
        var unavailableReason: String
        /// The service as the plugin last registered it (its methods and schema); kept while it is away.
        var registered: PluginRegistration.Service? = nil
        /// The service's messages, from the descriptors the plugin registered.
        var schema: ServiceSchema? { registered?.schema }
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
                if let route = routes[service], route.plugin == plugin {
                    if route.endpoint != nil { continue }
                    routes[service]?.unavailableReason = reason
                    continue
                }
                routes[service] = Route(plugin: plugin, endpoint: nil, unavailableReason: reason)
            }
        }
    }

    /// Routes calls for the services the plugin registered to `client`.
    func publish(plugin: String, services: [PluginRegistration.Service], client: PluginConnections) {
        publish(plugin: plugin, services: services, target: .socket(client))
    }

    /// Routes calls for the services the plugin registered to `target`.
    func publish(plugin: String, services: [PluginRegistration.Service], target: Endpoint.Target) {
        routes.withLock { routes in
            for service in services {
                routes[service.name] = Route(
                    plugin: plugin,
                    endpoint: Endpoint(target: target, methods: service.methods),
                    unavailableReason: "",
                    registered: service
                )
            }
        }
    }

    /// Keeps the plugin's services known but answers their calls with UNAVAILABLE and `reason`.
    func withdraw(plugin: String, reason: String) {
        routes.withLock { routes in
            for (service, route) in routes where route.plugin == plugin {
                var withdrawn = route
                withdrawn.endpoint = nil
                withdrawn.unavailableReason = reason
                routes[service] = withdrawn
            }
        }
    }

    /// Forgets the plugin's services (removed from the configuration, or an external plugin that left).
    func remove(plugin: String) {
        routes.withLock { routes in
            routes = routes.filter { $0.value.plugin != plugin }
        }
    }

    /// Every route, by service name.
    var all: [String: Route] {
        routes.withLock { $0 }
    }

    var servicesByName: [String: String] {
        routes.withLock { $0.mapValues(\.plugin) }
    }
}
