import GongzhiSchemas

/// `gongzhictl describe service NAME[/METHOD]` and `gongzhictl describe message NAME`: what the descriptors
/// that plugins registered with the host say about a service, a method, or a message or enum.
enum SchemaDescription: Sendable, Equatable {
    case service(String, method: String?)
    case message(String)

    /// What `describe KIND NAME` asks for, when KIND is `service`, `message` or `enum`; nil for objects.
    init?(kind: String, name: String) {
        switch kind.lowercased() {
        case "service":
            if let slash = name.lastIndex(of: "/"), slash != name.startIndex {
                let method = String(name[name.index(after: slash)...])
                self = .service(String(name[..<slash]), method: method.isEmpty ? nil : method)
            } else {
                self = .service(name, method: nil)
            }
        case "message", "enum":
            self = .message(name)
        default:
            return nil
        }
    }

    func run(_ invocation: Invocation) async throws {
        switch self {
        case .service(let name, let methodName):
            let service = try await invocation.withHost { client in
                try await HostedService.find(
                    name,
                    admin: Gongzhi_Host_V1_AdminClient(channel: client),
                    options: invocation.callOptions
                )
            }
            let method = try methodName.map { name throws(ControlError) in try service.method(name).name }
            invocation.printObjects(
                human: { _ in ServiceOutput.detail(service, method: method) },
                document: { ServiceOutput.detailDocument(service, method: method) }
            )
        case .message(let name):
            let services = try await invocation.withHost { client in
                try await Gongzhi_Host_V1_AdminClient(channel: client)
                    .listServices(Gongzhi_Host_V1_ListServicesRequest(), options: invocation.callOptions).services
            }
            let (found, pool, definedBy) = try Self.find(name, in: services)
            invocation.printObjects(
                human: { _ in
                    TextLayout.fields([("defined for", definedBy)]) + "\n" + ServiceOutput.detail(type: found, in: pool)
                },
                document: { ServiceOutput.typeDocument(found, in: pool) }
            )
        }
    }

    /// The message or enum named `typed` (its full name, or the end of it when only one name ends so), the
    /// descriptors that define it, and the services whose descriptors do.
    static func find(
        _ typed: String,
        in services: [Gongzhi_Host_V1_ServiceInfo]
    ) throws(ControlError) -> (name: String, pool: DescriptorPool, definedBy: [String]) {
        var pools: [(service: String, pool: DescriptorPool)] = []
        for info in services where !info.fileDescriptorSet.isEmpty {
            if let pool = try? DescriptorPool(fileDescriptorSet: info.fileDescriptorSet) {
                pools.append((info.name, pool))
            }
        }
        var names = Set<String>()
        for (_, pool) in pools {
            names.formUnion(pool.messages.filter { !$0.value.isMapEntry }.keys)
            names.formUnion(pool.enums.keys)
        }
        var name = typed
        if !names.contains(typed) {
            let ending = names.filter { $0.hasSuffix("." + typed) }.sorted()
            guard ending.count == 1 else {
                var message = "no service's descriptors define a message or enum named \(typed)"
                if ending.count > 1 {
                    message += " (several end so: \(ending.joined(separator: ", ")); give the full name)"
                } else if let nearest = Suggestion.nearest(to: typed, among: names.sorted()) {
                    message += " (did you mean \(nearest)?)"
                }
                message += "; gongzhictl describe service NAME lists a service's messages"
                throw ControlError(message, exitCode: ControlExitCode.notFound)
            }
            name = ending[0]
        }
        let defining = pools.filter { $0.pool.messages[name] != nil || $0.pool.enums[name] != nil }
        // `names` holds only what some pool defines, so there is one.
        guard let first = defining.first else {
            throw ControlError("no service's descriptors define \(typed)", exitCode: ControlExitCode.notFound)
        }
        return (name, first.pool, defining.map(\.service))
    }
}
