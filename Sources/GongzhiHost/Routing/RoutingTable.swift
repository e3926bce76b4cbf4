import GongzhiRPC
import GongzhiRPCPosix
import Synchronization

/// Which plugin serves each service, and whether it can take calls now. Read on every routed call
/// (from event loops); changed by the plugin fleet.
final class RoutingTable: Sendable {
    struct Endpoint: Sendable {
        var client: PluginConnections
        var methods: [String: RPCKind]
    }

    struct Route: Sendable {
        var plugin: String
        /// Set while the plugin takes calls.
        var endpoint: Endpoint?
        /// Why calls cannot be routed now (the plugin's state).
        var unavailableReason: String
        /// The service's messages, from the descriptors the plugin last registered; kept while it is away.
        var schema: ServiceSchema? = nil
        /// The methods the plugin last registered; kept while it is away.
        var methods: [String: RPCKind] = [:]
    }

    private let routes = Mutex<[String: Route]>([:])
    /// The schemas each plugin last registered, by plugin and service.
    private let described = Mutex<[String: [String: ServiceSchema]]>([:])

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

    /// Records the schemas of the services a plugin registered (none when it sent no descriptors), for the
    /// routes that ``publish(plugin:methods:client:)`` makes next.
    func describe(plugin: String, services: [String], schemas: [String: ServiceSchema]) {
        described.withLock { described in
            described[plugin] = schemas.filter { services.contains($0.key) }
        }
    }

    /// Routes calls for the plugin's services to `client`, with the schemas the plugin described in its
    /// registration (a service without one has none: its answers pass as they are).
    func publish(plugin: String, methods: [String: [String: RPCKind]], client: PluginConnections) {
        let schemas = described.withLock { $0[plugin] ?? [:] }
        routes.withLock { routes in
            for (service, serviceMethods) in methods {
                routes[service] = Route(
                    plugin: plugin,
                    endpoint: Endpoint(client: client, methods: serviceMethods),
                    unavailableReason: "",
                    schema: schemas[service],
                    methods: serviceMethods
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

    /// Every route, by service name.
    var all: [String: Route] {
        routes.withLock { $0 }
    }

    /// Forgets the plugin's services (removed from the configuration, or an external plugin that left).
    func remove(plugin: String) {
        routes.withLock { routes in
            routes = routes.filter { $0.value.plugin != plugin }
        }
        _ = described.withLock { $0.removeValue(forKey: plugin) }
    }

    var servicesByName: [String: String] {
        routes.withLock { $0.mapValues(\.plugin) }
    }
}
