import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas

/// A service the host serves — one of its own or a plugin's — as the Admin service's ListServices describes it,
/// with the descriptors its plugin registered read into a pool.
struct HostedService: Sendable {
    var info: Gongzhi_Host_V1_ServiceInfo
    /// Nil when the plugin registered no descriptors.
    var pool: DescriptorPool?

    var name: String { info.name }

    init(_ info: Gongzhi_Host_V1_ServiceInfo) throws(ControlError) {
        self.info = info
        guard !info.fileDescriptorSet.isEmpty else { return }
        do {
            pool = try DescriptorPool(fileDescriptorSet: info.fileDescriptorSet)
        } catch {
            throw ControlError(
                "the descriptors that plugin \(info.plugin) registered for \(info.name) cannot be read: \(error)",
                exitCode: ControlExitCode.failed
            )
        }
    }

    /// The service named `typed`: its full name, or the end of it when only one service's name ends so
    /// (`NoticeBoard` for `gongzhi.example.v1.NoticeBoard`). NOT_FOUND names the services there are.
    static func find(
        _ typed: String,
        admin: Gongzhi_Host_V1_AdminClient,
        options: CallOptions
    ) async throws -> HostedService {
        do {
            let found = try await admin.listServices(.with { $0.name = typed }, options: options).services
            if let info = found.first(where: { $0.name == typed }) { return try HostedService(info) }
        } catch let error as RPCError where error.code == .notFound {}
        let all = try await admin.listServices(Gongzhi_Host_V1_ListServicesRequest(), options: options).services
        let ending = all.filter { $0.name.hasSuffix("." + typed) }
        if ending.count == 1 { return try HostedService(ending[0]) }
        throw ControlError(unknownService: typed, served: all.map(\.name), ending: ending.map(\.name))
    }

    /// The method named `typed` (its name, or the same in another case when only one matches).
    func method(_ typed: String) throws(ControlError) -> Gongzhi_Host_V1_MethodDescription {
        if let method = info.methods.first(where: { $0.name == typed }) { return method }
        let folded = info.methods.filter { $0.name.lowercased() == typed.lowercased() }
        if folded.count == 1 { return folded[0] }
        let names = info.methods.map(\.name)
        var message = "\(name) has no method \(typed)"
        if let nearest = Suggestion.nearest(to: typed, among: names) { message += " (did you mean \(nearest)?)" }
        message +=
            names.isEmpty
            ? "; it lists no methods"
            : "; its methods are \(names.joined(separator: ", ")) (gongzhictl describe service \(name))"
        throw ControlError(message, exitCode: ControlExitCode.notFound)
    }

    /// The descriptors, or why `gongzhictl call` cannot go on without them.
    func requirePool() throws(ControlError) -> DescriptorPool {
        guard let pool else {
            let owner = info.plugin == "host" ? "the host" : "plugin \(info.plugin)"
            throw ControlError(
                "\(owner) registered no descriptors for \(name); gongzhictl call needs them to read and write its "
                    + "messages — a Swift plugin sends them from its generated stubs (GongzhiPluginSDK), a plugin "
                    + "in another language sets file_descriptor_set in its RegisterRequest to a FileDescriptorSet "
                    + "of its .proto files (protoc --include_imports --descriptor_set_out=FILE), which the C SDK "
                    + "does not do yet",
                exitCode: ControlExitCode.failed
            )
        }
        return pool
    }

    /// A method's request and response message names, from the host's list or else from the descriptors.
    func messageTypes(
        of method: Gongzhi_Host_V1_MethodDescription
    ) throws(ControlError) -> (input: String, output: String) {
        let pool = try requirePool()
        let declared = pool.services[name]?.method.first { $0.name == method.name }
        let input = method.inputType.isEmpty ? DescriptorPool.qualified(declared?.inputType ?? "") : method.inputType
        let output =
            method.outputType.isEmpty ? DescriptorPool.qualified(declared?.outputType ?? "") : method.outputType
        for type in [input, output] where pool.messages[type] == nil && WellKnownType(rawValue: type) == nil {
            throw ControlError(
                "the descriptors registered for \(name) do not define "
                    + (type.isEmpty ? "the messages of \(method.name)" : type)
                    + " (the plugin's descriptor set should include every file its service uses: "
                    + "protoc --include_imports)",
                exitCode: ControlExitCode.failed
            )
        }
        return (input, output)
    }
}

extension Gongzhi_Host_V1_MethodDescription.Kind {
    /// `unary`, `server streaming`, …, as people read them.
    var words: String {
        switch self {
        case .unary: return "unary"
        case .clientStreaming: return "client streaming"
        case .serverStreaming: return "server streaming"
        case .bidirectionalStreaming: return "bidirectional streaming"
        case .unspecified, .UNRECOGNIZED: return "unknown"
        }
    }
}

extension ControlError {
    /// A service the host does not serve, with the nearest served name and the list of them.
    init(unknownService typed: String, served: [String], ending: [String] = []) {
        var message = "no service \(typed) on this host"
        if ending.count > 1 {
            message += " (several end so: \(ending.joined(separator: ", ")); give the full name)"
        } else if let nearest = Suggestion.nearest(to: typed, among: served)
            ?? Suggestion.nearest(to: typed, among: served.map { String($0.split(separator: ".").last ?? "") })
            .flatMap({ last in served.first { $0.hasSuffix("." + last) } })
        {
            message += " (did you mean \(nearest)?)"
        }
        message +=
            served.isEmpty
            ? "; it serves none" : "; it serves \(served.joined(separator: ", ")) (gongzhictl services lists them)"
        self.init(message, exitCode: ControlExitCode.notFound)
    }
}

extension Invocation {
    /// Calls the host on admin.sock (the Admin service's ListServices, which only it serves, tells how to
    /// read and write the services' messages) with one client for the whole command, closed afterwards;
    /// failures that are not already a `ControlError` become one. Any output format goes (the caller prints
    /// what it likes).
    func withHost<Result: Sendable>(_ body: (any RPCClientChannel) async throws -> Result) async throws -> Result {
        try await connected(adminRoute, reading: .host, body)
    }
}
