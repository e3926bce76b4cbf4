import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import Logging
import SwiftProtobuf
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One plugin process from start to exit: serves, registers, and stops once, gracefully.
final class PluginRuntime: Sendable {
    private struct State {
        var server: RPCServer?
        /// Set by the first stop request; later requests are ignored.
        var stopStatus: Int32?
    }

    let name: String
    let version: String
    let environment: PluginEnvironment
    let logger: Logger
    let hooks = PluginHooks()
    let host: HostChannel
    private let state = Mutex(State())

    init(name: String, version: String, environment: PluginEnvironment, logger: Logger) {
        self.name = name
        self.version = version
        self.environment = environment
        self.logger = logger
        self.host = HostChannel(
            client: RPCClient(configuration: .init(socketPath: environment.hostSocket)),
            token: environment.token
        )
    }

    /// Makes the services, serves them, registers, and returns the exit status once the server has stopped.
    func run(makeServices: @Sendable (PluginContext) async throws -> [any RPCService]) async -> Int32 {
        let context = PluginContext(
            name: name,
            version: version,
            logger: logger,
            dataDirectory: environment.dataDirectory,
            host: host,
            hooks: hooks
        )
        let services: [any RPCService]
        do {
            services = try await makeServices(context)
        } catch {
            logger.critical("cannot start: making the plugin's services failed: \(error)")
            return 1
        }
        if let problem = Self.problem(with: services) {
            logger.critical("cannot start: \(problem)")
            return 1
        }

        let lifecycle = PluginLifecycleService(
            name: name,
            version: version,
            serviceNames: services.map(\.serviceName),
            hooks: hooks,
            requestStop: { [weak self] reason, grace in
                self?.requestStop(reason: reason, gracePeriod: grace, status: 0)
            }
        )
        var configuration = RPCServer.Configuration(socketPath: environment.pluginSocket)
        configuration.socketMode = 0o600
        configuration.shutdownGracePeriod = Plugin.defaultShutdownGracePeriod
        let registry = ServiceRegistry([lifecycle] + services)
        let dispatcher: any RPCCallDispatcher =
            environment.hostPID.map { HostOnlyDispatcher(services: registry, hostPID: $0) } ?? registry
        let server = RPCServer(configuration: configuration, dispatcher: dispatcher, logger: logger)
        // A stop requested while the services were being made (a signal) applies now.
        let stopAtOnce = state.withLock { state in
            state.server = server
            return state.stopStatus != nil
        }
        if stopAtOnce { server.beginGracefulShutdown() }

        let serving = Task { try await server.run() }
        do {
            try await server.waitUntilListening()
        } catch {
            logger.critical("cannot serve \(environment.pluginSocket): \(error)")
            return 1
        }
        let registration = Task { await self.register(services: services) }
        var status: Int32
        do {
            try await serving.value
            status = 0
        } catch {
            logger.error("the plugin's server failed: \(error)")
            status = 1
        }
        registration.cancel()
        await host.close()
        if let requested = state.withLock({ $0.stopStatus }), status == 0 { status = requested }
        logger.info("stopped", metadata: ["status": "\(status)"])
        return status
    }

    /// Stops the plugin once: runs the author's stop actions, then lets the server finish its calls, and
    /// exits at the end of `gracePeriod` if they have not finished. Later requests are ignored.
    func requestStop(reason: String, gracePeriod: Duration, status: Int32) {
        let deadline = ContinuousClock.now + gracePeriod
        let first = state.withLock { state in
            guard state.stopStatus == nil else { return false }
            state.stopStatus = status
            return true
        }
        guard first else {
            logger.debug("already stopping", metadata: ["ignored": "\(reason)"])
            return
        }
        logger.info("stopping", metadata: ["reason": "\(reason)"])
        let hooks = self.hooks
        let logger = self.logger
        Task {
            for action in hooks.stopActions.withLock({ $0 }) { await action(reason) }
            // Before the plugin serves there is nothing to finish.
            guard let server = self.state.withLock({ $0.server }) else { exitProcess(status) }
            // The plugin must be gone by the end of the grace period; keep a little of it for exiting.
            let margin = min(gracePeriod / 10, .milliseconds(250))
            // What is left of the grace period after the stop actions, for calls in flight.
            server.beginGracefulShutdown(gracePeriod: max(.zero, (deadline - margin) - .now))
            try? await Task.sleep(until: deadline - margin, clock: .continuous)
            logger.warning("calls were still running at the end of the \(gracePeriod) grace period; exiting")
            exitProcess(status)
        }
    }

    // MARK: Registration

    /// Registers with the host and holds the registration open; stops the plugin when it ends.
    private func register(services: [any RPCService]) async {
        let request = Self.registerRequest(
            name: name,
            version: version,
            socketPath: environment.pluginSocket,
            services: services
        )
        if request.fileDescriptorSet.isEmpty && !services.isEmpty {
            let undescribed = services.filter { $0.fileDescriptorSet == nil }.map(\.serviceName)
            let names = undescribed.isEmpty ? "(unreadable descriptors)" : undescribed.joined(separator: ", ")
            logger.warning(
                """
                registering without descriptors: the host cannot check the plugin's answers for personal data, \
                and gongzhictl call cannot call it; services without them: \(names)
                """
            )
        }
        var accepted = false
        do {
            try await Gongzhi_Host_V1_RegistrationClient(channel: host).register(request) { events in
                for try await event in events {
                    switch event.event {
                    case .accepted(let answer):
                        accepted = true
                        logger.info(
                            "registered with the host",
                            metadata: [
                                "grants": "\(answer.grants.joined(separator: ","))",
                                "protocol": "\(answer.protocolVersion)",
                                "host-version": "\(answer.hostVersion)",
                            ]
                        )
                    case nil:
                        logger.debug("ignoring a registration event this SDK does not know")
                    }
                }
            }
        } catch {
            if Task.isCancelled { return }
            if accepted {
                logger.error("lost the host at \(environment.hostSocket): \(error)")
            } else if let failure = error as? RPCError, failure.code == .unavailable {
                logger.error("cannot register: the host at \(environment.hostSocket) is unreachable: \(failure)")
            } else {
                logger.error("the host at \(environment.hostSocket) refused the registration: \(error)")
            }
            let reason = accepted ? "lost the host" : "the registration failed"
            requestStop(reason: reason, gracePeriod: .seconds(1), status: 1)
            return
        }
        if Task.isCancelled { return }
        if accepted {
            logger.info("the host ended the registration; exiting")
            requestStop(
                reason: "the host ended the registration",
                gracePeriod: Plugin.defaultShutdownGracePeriod,
                status: 0
            )
        } else {
            logger.error("the host at \(environment.hostSocket) ended the registration without accepting it")
            requestStop(reason: "the registration was not accepted", gracePeriod: .seconds(1), status: 1)
        }
    }

    /// What the plugin tells the host about itself.
    static func registerRequest(
        name: String,
        version: String,
        socketPath: String,
        services: [any RPCService]
    ) -> Gongzhi_Host_V1_RegisterRequest {
        var request = Gongzhi_Host_V1_RegisterRequest()
        request.name = name
        request.version = version
        request.protocolVersion = Plugin.protocolVersion
        request.socketPath = socketPath
        request.services = services.map { service in
            var description = Gongzhi_Host_V1_ServiceDescription()
            description.name = service.serviceName
            description.methods = service.methodHandlers.sorted { $0.key < $1.key }.map { method, handler in
                var description = Gongzhi_Host_V1_MethodDescription()
                description.name = method
                description.kind = .init(handler.kind)
                return description
            }
            return description
        }
        if let descriptors = mergedDescriptors(services) { request.fileDescriptorSet = descriptors }
        return request
    }

    /// The descriptors of every service in one FileDescriptorSet (each file once), when every service has
    /// them; nil when one has none, since the host needs them for all of the services or none.
    static func mergedDescriptors(_ services: [any RPCService]) -> Data? {
        var merged = Google_Protobuf_FileDescriptorSet()
        var seen: [String: Google_Protobuf_FileDescriptorProto] = [:]
        for service in services {
            guard let set = service.fileDescriptorSet,
                let files = try? Google_Protobuf_FileDescriptorSet(serializedBytes: set.bytes)
            else { return nil }
            for file in files.file {
                if let earlier = seen[file.name] {
                    // Two services built from different versions of one file: which is right cannot be told.
                    if earlier != file { return nil }
                    continue
                }
                seen[file.name] = file
                merged.file.append(file)
            }
        }
        return try? MessageCodec.encode(merged)
    }

    /// Why these services cannot be served together, if they cannot.
    private static func problem(with services: [any RPCService]) -> String? {
        var seen = Set<String>()
        for service in services {
            if service.serviceName == Gongzhi_Plugin_V1_Plugin.serviceName {
                return "\(service.serviceName) is served by the SDK; a plugin's services must not include it"
            }
            if !seen.insert(service.serviceName).inserted {
                return "two of the plugin's services are named \(service.serviceName)"
            }
            if service.methodHandlers.isEmpty {
                return "the service \(service.serviceName) has no methods"
            }
        }
        return nil
    }
}

/// Serves calls from the process of the host that started the plugin only: no other process, another plugin or
/// another root process among them, can call the plugin around the host's grants or forge the host's
/// `gongzhi-caller-*` metadata.
struct HostOnlyDispatcher: RPCCallDispatcher {
    let services: ServiceRegistry
    let hostPID: Int32

    func dispatch(_ head: RPCCallHead) -> Result<RPCMethodHandler, RPCError> {
        guard head.peer.pid == hostPID else {
            return .failure(
                RPCError(
                    code: .permissionDenied,
                    message: "this plugin serves its host (pid \(hostPID)) only; call it through the host's host.sock"
                )
            )
        }
        return services.dispatch(head)
    }
}
