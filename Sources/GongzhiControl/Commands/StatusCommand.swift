import ArgumentParser
import GongzhiSchemas

extension GongzhiControl {
    /// `gongzhictl status`.
    struct Status: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Show the host: version, pid, uptime, memory, folders, and its plugins."
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let status = try await invocation.call { admin, options in
                try await admin.status(Gongzhi_Host_V1_StatusRequest(), options: options)
            }
            invocation.print(
                human: { HumanOutput.status(status, time: $0) },
                json: { JSONOutput.status(status) }
            )
        }
    }
}
