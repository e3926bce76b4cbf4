import GongzhiRPC

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a plugin says about itself when it registers: its name and version, the protocol it speaks, the
/// socket it serves, and the services it serves with each method's call shape.
///
/// ``RegistrationService`` builds it from the wire request; the checks below and the fleet's own (the
/// plugin's ticket or token, its manifest, services other plugins serve) decide whether it is accepted;
/// once it is, its ``services`` are what the routing table routes to the plugin.
struct PluginRegistration: Sendable, Equatable {
    /// A service the plugin serves.
    struct Service: Sendable, Equatable {
        /// Fully qualified, e.g. `gongzhi.grid.v1.GridService`.
        var name: String
        /// Its methods, by name.
        var methods: [String: Method]
        /// Its messages, when the plugin sent descriptors: the router redacts and audits answers with it.
        var schema: ServiceSchema? = nil

        /// Gives each service its schema from the descriptors `plugin` registered; INVALID_ARGUMENT, naming
        /// what does not match, when they do not define the services as registered.
        static func describe(_ services: inout [Service], plugin: String, fileDescriptorSet: Data) throws(RPCError) {
            let shapes = Dictionary(services.map { ($0.name, $0.methods.mapValues(\.kind)) }) { _, last in last }
            let schemas: [String: ServiceSchema]
            do {
                schemas = try ServiceSchema.parse(fileDescriptorSet: fileDescriptorSet, services: shapes)
            } catch {
                throw RPCError(code: .invalidArgument, message: "plugin \(plugin)'s registration: \(error)")
            }
            for index in services.indices { services[index].schema = schemas[services[index].name] }
        }
    }

    /// What the host knows of a registered method to route a call to it.
    struct Method: Sendable, Equatable {
        var kind: RPCKind
    }

    /// The plugin's name, as in its manifest (or, for an external plugin, as in its token).
    var name: String
    var version: String
    /// The protocol version the plugin speaks for this registration, e.g. `gongzhi-plugin/1`.
    var protocolVersion: String
    /// Where the plugin serves its own socket.
    var socketPath: String
    /// The services it serves, in the order it listed them; a service listed twice counts as listed last.
    var services: [Service]

    /// The names of the services it serves.
    var serviceNames: Set<String> { Set(services.map(\.name)) }

    /// What the audit record of the registration says of its descriptors: nothing when every service has
    /// them; else which services' answers the host cannot check for personal data.
    var descriptorsNote: String {
        let undescribed = services.filter { $0.schema == nil }.map(\.name).sorted()
        guard !undescribed.isEmpty else { return "" }
        return "; no descriptors for \(undescribed.joined(separator: ", ")): their answers are not checked for "
            + "personal data"
    }

    /// Checks what the registration alone decides: every service has a fully qualified name, lists
    /// methods, and is not one of the host's own.
    func checkServices() throws(RPCError) {
        for service in services {
            guard !service.name.isEmpty, service.name.contains(".") else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\"\(service.name)\" is not a fully qualified service name"
                )
            }
            guard !service.methods.isEmpty else {
                throw RPCError(code: .invalidArgument, message: "service \(service.name) lists no methods")
            }
        }
        for service in services {
            if let reserved = PluginProtocol.reservedPrefix(of: service.name) {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\(service.name) is in \(reserved), which belongs to the host; a plugin cannot serve it"
                )
            }
        }
    }

    /// Checks a started plugin's registration against its manifest and the socket the host gave it;
    /// the error lists every difference.
    func check(against manifest: PluginManifest, socketPath expectedSocket: String) throws(RPCError) {
        var problems: [String] = []
        if version != manifest.version {
            problems.append("version \(version) differs from the manifest's \(manifest.version)")
        }
        if !manifest.protocolVersions.contains(protocolVersion) || !PluginProtocol.supported.contains(protocolVersion) {
            problems.append(
                "protocol \(protocolVersion) is not one both speak (manifest: "
                    + "\(manifest.protocolVersions.joined(separator: ", ")); host: \(PluginProtocol.supported.joined(separator: ", ")))"
            )
        }
        if socketPath != expectedSocket {
            problems.append("it serves \(socketPath), not the socket the host gave it (\(expectedSocket))")
        }
        let registered = serviceNames
        let declared = Set(manifest.services)
        if registered != declared {
            let missing = declared.subtracting(registered).sorted()
            let extra = registered.subtracting(declared).sorted()
            var text = "its services differ from the manifest's"
            if !missing.isEmpty { text += "; missing: \(missing.joined(separator: ", "))" }
            if !extra.isEmpty { text += "; not in the manifest: \(extra.joined(separator: ", "))" }
            problems.append(text)
        }
        guard problems.isEmpty else {
            throw RPCError(
                code: .failedPrecondition,
                message: "registration of plugin \(name) does not match its manifest \(manifest.path): "
                    + problems.joined(separator: "; ")
            )
        }
    }
}
