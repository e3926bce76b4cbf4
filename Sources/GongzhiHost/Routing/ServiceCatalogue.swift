import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The services a caller can reach through the host, as `gongzhictl services` and `gongzhictl call` see them:
/// the host's own (Objects, Admin) and every plugin's route, with their methods' message types and the
/// descriptors that define them.
struct ServiceCatalogue: Sendable {
    let routes: RoutingTable

    /// The host's own services that callers use, with their descriptors from the generated stubs.
    static let hostServices: [(name: String, descriptors: String)] = [
        (Gongzhi_Host_V1_Objects.serviceName, Gongzhi_Host_V1_Objects.fileDescriptorSetBase64),
        (Gongzhi_Host_V1_Admin.serviceName, Gongzhi_Host_V1_Admin.fileDescriptorSetBase64),
    ]

    /// Every service, sorted by name; only `name` when it is set (NOT_FOUND when nothing serves it).
    func list(name: String = "") throws(RPCError) -> [Gongzhi_Host_V1_ServiceInfo] {
        var services = Self.hostServices.compactMap { Self.hostInfo(name: $0.name, base64: $0.descriptors) }
        for (service, route) in routes.all {
            var info = Gongzhi_Host_V1_ServiceInfo()
            info.name = service
            info.plugin = route.plugin
            info.available = route.endpoint != nil
            let methods = route.endpoint?.methods ?? route.registered?.methods ?? [:]
            info.methods = methods.keys.sorted().map { method in
                Self.describe(method, kind: methods[method]!.kind, types: route.schema?.methods[method])
            }
            if let schema = route.schema { info.fileDescriptorSet = schema.fileDescriptorSet }
            services.append(info)
        }
        services.sort { $0.name < $1.name }
        guard !name.isEmpty else { return services }
        guard let found = services.first(where: { $0.name == name }) else {
            throw RPCError(
                code: .notFound,
                message: "nothing serves \(name) on this host (served here: "
                    + services.map(\.name).joined(separator: ", ") + ")"
            )
        }
        return [found]
    }

    private static func hostInfo(name: String, base64: String) -> Gongzhi_Host_V1_ServiceInfo? {
        guard let set = RPCFileDescriptorSet(base64: base64),
            let index = try? DescriptorIndex(fileDescriptorSet: set.bytes),
            let service = index.services[name]
        else { return nil }
        var info = Gongzhi_Host_V1_ServiceInfo()
        info.name = name
        info.plugin = "host"
        info.available = true
        info.fileDescriptorSet = set.bytes
        info.methods = service.method.map { method in
            var description = describe(
                method.name,
                kind: RPCKind(clientStreams: method.clientStreaming, serverStreams: method.serverStreaming),
                types: nil
            )
            description.inputType = String(method.inputType.drop { $0 == "." })
            description.outputType = String(method.outputType.drop { $0 == "." })
            return description
        }
        return info
    }

    private static func describe(
        _ method: String,
        kind: RPCKind,
        types: ServiceSchema.Method?
    ) -> Gongzhi_Host_V1_MethodDescription {
        var description = Gongzhi_Host_V1_MethodDescription()
        description.name = method
        description.kind = .init(kind)
        if let types {
            description.inputType = types.inputType
            description.outputType = types.outputType
        }
        return description
    }
}
