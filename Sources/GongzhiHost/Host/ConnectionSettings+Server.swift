import GongzhiRPC
import GongzhiRPCPosix

extension RPCServer.Configuration {
    /// Applies `[connections]` to the server of `socket`: the outbound budget and its timeout, the idle timeout, the
    /// stalled-frame and frame timeouts and the connection caps (host.sock: per uid, per principal, and in all what the
    /// open-files limit leaves after admin.sock and `plugins` plugins; admin.sock: `max_admin`).
    mutating func apply(
        _ settings: ConnectionSettings,
        to socket: HostDispatcher.Socket,
        plugins: Int,
        counters: LimitCounters
    ) {
        outboundBudget = settings.outboundBudget
        unreadAnswersTimeout = settings.unreadAnswersTimeout
        idleTimeout = settings.idleTimeout
        stalledFrameTimeout = settings.stalledFrameTimeout
        frameTimeout = settings.frameTimeout
        limitCounters = counters
        switch socket {
        case .admin:
            var limits = ConnectionLimiter.Limits(socketName: "admin.sock", maxConnections: settings.maxAdmin)
            limits.totalKey = "max_admin"
            connectionLimits = limits
        case .host:
            let soft = FileDescriptorLimit.current().map { Int(clamping: $0.soft) } ?? 1024
            var limits = ConnectionLimiter.Limits(
                socketName: "host.sock",
                maxConnections: settings.hostSocketCap(softLimit: soft, plugins: plugins),
                maxPerUID: settings.maxPerUID,
                maxPerPrincipal: settings.maxPerPrincipal
            )
            limits.totalKey = "max_host"
            connectionLimits = limits
        }
    }
}
