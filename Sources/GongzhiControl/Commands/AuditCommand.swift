import ArgumentParser
import GongzhiSchemas

extension GongzhiControl {
    /// `gongzhictl audit`.
    struct Audit: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the most recent audit entries, newest last: who did what, to what, and the outcome."
        )

        @Option(help: ArgumentHelp("How many entries (default: the host's, 50).", valueName: "n"))
        var limit: UInt32?

        @OptionGroup(title: "Host and output") var options: GlobalOptions
        @ParentCommand var root: GongzhiControl

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Host_V1_ListAuditRequest.with { $0.limit = limit ?? 0 }
            let entries = try await invocation.call { admin, options in
                try await admin.listAudit(request, options: options).entries
            }
            invocation.print(
                human: { HumanOutput.auditTable(entries, time: $0) },
                json: { JSONOutput.audit(entries) }
            )
        }
    }
}
