import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import Logging

/// A host a plugin's test runs against, in-process (``InProcessTestHost``) or live (``TestHost``): a test body
/// written against it runs in either mode (``withTestHost(_:plugins:logger:_:)``).
public protocol PluginTestHost: Sendable {
    /// Calls as an administrator of the host (this process's uid), as `gongzhictl` does.
    var adminChannel: any RPCClientChannel { get }

    /// Issues an API client token with `scopes` (grant patterns) and returns a channel that presents it.
    func clientChannel(scopes: [String], subject: String) async throws -> any RPCClientChannel

    /// Waits until `plugin` takes calls, and answers its status; fails after `timeout`.
    @discardableResult
    func waitUntilReady(_ plugin: String, timeout: Duration) async throws -> Gongzhi_Host_V1_PluginStatus

    /// The host's latest audit entries (at most `count`, at most 1000), oldest first.
    func auditEntries(last count: Int) async throws -> [Gongzhi_Host_V1_AuditEntry]
}

extension PluginTestHost {
    /// Issues an API client token for `test-client` with `scopes` and returns a channel that presents it.
    public func clientChannel(scopes: [String]) async throws -> any RPCClientChannel {
        try await clientChannel(scopes: scopes, subject: "test-client")
    }

    /// Waits up to 30 seconds until `plugin` takes calls, and answers its status.
    @discardableResult
    public func waitUntilReady(_ plugin: String) async throws -> Gongzhi_Host_V1_PluginStatus {
        try await waitUntilReady(plugin, timeout: .seconds(30))
    }

    /// The latest 50 audit entries, oldest first.
    public func auditEntries() async throws -> [Gongzhi_Host_V1_AuditEntry] {
        try await auditEntries(last: 50)
    }
}

/// How a test runs its plugins (after Hummingbird's testing setups).
public struct TestHostMode: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case inProcess
        case live(SupervisionPolicy)
    }

    let kind: Kind

    /// The plugins' services run in the test's process against an in-process host (the host's dispatcher,
    /// grants, routing, Objects, redaction and audit, on a store in a temporary folder): no processes and no
    /// sockets, so a module's logic is tested in milliseconds. Each plugin needs `makeServices`.
    public static var inProcess: TestHostMode { TestHostMode(kind: .inProcess) }

    /// A real host in the test's process with each plugin's executable as a real process on real sockets:
    /// registration, supervision and the wire are tested too. Each plugin needs its `executable`.
    public static var live: TestHostMode { live(supervision: .forTests) }

    /// The live mode with these supervision timers.
    public static func live(supervision: SupervisionPolicy) -> TestHostMode {
        TestHostMode(kind: .live(supervision))
    }

    public var description: String {
        switch kind {
        case .inProcess: "in-process"
        case .live: "live"
        }
    }
}

/// Runs `plugins` under a host in `mode` for the duration of `body`, then stops everything and removes the
/// temporary folder. The same body runs in either mode:
///
/// ```swift
/// for mode in [TestHostMode.inProcess, .live] {
///     try await withTestHost(mode, plugins: [noticeBoard]) { host in
///         try await host.waitUntilReady("noticeboard")
///         let board = Gongzhi_Example_V1_NoticeBoardClient(channel: host.adminChannel)
///         _ = try await board.post(...)
///     }
/// }
/// ```
public func withTestHost<Result: Sendable>(
    _ mode: TestHostMode,
    plugins: [TestPlugin],
    logger: Logger = Logger(label: "gongzhi.test-host", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (any PluginTestHost) async throws -> Result
) async throws -> Result {
    switch mode.kind {
    case .inProcess:
        return try await withInProcessTestHost(plugins: plugins, logger: logger) { try await body($0) }
    case .live(let supervision):
        return try await withTestHost(plugins: plugins, supervision: supervision, logger: logger) {
            try await body($0)
        }
    }
}
