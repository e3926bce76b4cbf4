import GongzhiControl
import GongzhiRPC
import GongzhiTestSupport

/// Two in-process servers on real sockets standing for one host's admin.sock and host.sock, and a folder
/// for a login's credentials; runs `gongzhictl` command lines against them.
package struct TwoSocketHost: Sendable {
    package let adminSocket: String
    package let hostSocket: String
    /// `XDG_CONFIG_HOME` of the commands: their login is kept in `gongzhi/credentials.json` inside it.
    package let configHome: String
    package let commandLine: any ControlCommandLine.Type

    /// The environment the commands run in: both sockets and the configuration folder.
    package var environment: [String: String] {
        ["GONGZHI_ADMIN_SOCKET": adminSocket, "GONGZHI_HOST_SOCKET": hostSocket, "XDG_CONFIG_HOME": configHome]
    }

    /// Where a login is kept.
    package var credentialsPath: String { configHome + "/gongzhi/credentials.json" }

    /// Runs a command line; `input` is standard input, `typed` what is typed at the terminal when asked.
    package func run(
        _ arguments: [String],
        input: [UInt8] = [],
        typed: String? = nil,
        environment extra: [String: String] = [:]
    ) async -> (status: Int32, output: String, errors: String) {
        let console = TestConsole(
            commandLine,
            environment: environment.merging(extra) { $1 },
            input: input,
            typed: typed
        )
        let status = await console.run(arguments)
        return (status, console.output, console.errors)
    }

    /// Runs `body` with the admin socket serving `admin` and the host socket serving `host`.
    package static func with(
        admin: [any RPCService],
        host: [any RPCService],
        commandLine: any ControlCommandLine.Type = CoreCommandLine.self,
        _ body: (TwoSocketHost) async throws -> Void
    ) async throws {
        let config = try TemporaryDirectory(prefix: "gz-config")
        defer { config.remove() }
        try await withRPCServer(services: admin) { _, adminDirectory in
            try await withRPCServer(services: host) { _, hostDirectory in
                try await body(
                    TwoSocketHost(
                        adminSocket: adminDirectory.file("server.sock"),
                        hostSocket: hostDirectory.file("server.sock"),
                        configHome: config.path + "/config",
                        commandLine: commandLine
                    )
                )
            }
        }
    }
}
