import GongzhiRPC
import GongzhiSchemas

/// The `gongzhi.plugin.v1.Plugin` service every plugin serves to its host: Health, Describe, Shutdown.
struct PluginLifecycleService: Gongzhi_Plugin_V1_PluginHandler {
    let name: String
    let version: String
    let serviceNames: [String]
    let hooks: PluginHooks
    /// Starts the plugin's graceful stop; called after Shutdown is answered.
    let requestStop: @Sendable (_ reason: String, _ gracePeriod: Duration) -> Void

    func health(
        request: Gongzhi_Plugin_V1_HealthRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Plugin_V1_HealthResponse {
        let check = hooks.healthCheck.withLock { $0 }
        let health = await check?() ?? .serving
        var response = Gongzhi_Plugin_V1_HealthResponse()
        switch health.status {
        case .serving: response.status = .serving
        case .degraded: response.status = .degraded
        case .notServing: response.status = .notServing
        }
        response.message = health.message
        return response
    }

    func describe(
        request: Gongzhi_Plugin_V1_DescribeRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Plugin_V1_DescribeResponse {
        var response = Gongzhi_Plugin_V1_DescribeResponse()
        response.name = name
        response.version = version
        response.protocolVersions = [Plugin.protocolVersion]
        response.services = serviceNames
        return response
    }

    func shutdown(
        request: Gongzhi_Plugin_V1_ShutdownRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Plugin_V1_ShutdownResponse {
        let reason = request.reason.isEmpty ? "the host asked the plugin to shut down" : request.reason
        let grace: Duration =
            request.gracePeriodMs > 0 ? .milliseconds(request.gracePeriodMs) : Plugin.defaultShutdownGracePeriod
        // The stop runs in its own task: this call is answered first, and graceful shutdown lets it finish.
        requestStop("Shutdown: \(reason)", grace)
        return Gongzhi_Plugin_V1_ShutdownResponse()
    }
}
