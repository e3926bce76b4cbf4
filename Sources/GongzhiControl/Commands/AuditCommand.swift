import ArgumentParser
import GongzhiSchemas

extension GongzhiControl {
    /// `gongzhictl audit [list|verify]`.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read the audit log, or check that nobody changed it.",
            subcommands: [List.self, Verify.self],
            defaultSubcommand: List.self
        )
    }
}

extension GongzhiControl.Audit {
    /// `gongzhictl audit [list]`.
    struct List: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Show the most recent audit entries, newest last: who did what, to what, and the outcome."
        )

        @Option(help: ArgumentHelp("How many entries (default: the host's, 50).", valueName: "n"))
        var limit: UInt32?

        @Option(
            help: ArgumentHelp(
                "Only entries where this person acted: with their own token, or named by an administrator or a "
                    + "front end acting for them.",
                valueName: "id"
            )
        )
        var person: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let person, person.isEmpty { throw ValidationError("--person needs a person's id") }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Host_V1_ListAuditRequest.with {
                $0.limit = limit ?? 0
                $0.person = person ?? ""
            }
            let entries = try await invocation.call { admin, options in
                try await admin.listAudit(request, options: options).entries
            }
            invocation.print(
                human: { HumanOutput.auditTable(entries, time: $0) },
                json: { JSONOutput.audit(entries) }
            )
        }
    }

    /// `gongzhictl audit verify`.
    struct Verify: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract:
                "Check the audit log's hash chain; exits 1 and says where it breaks if an entry was changed or removed."
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let result = try await invocation.call { admin, options in
                try await admin.verifyAudit(Gongzhi_Host_V1_VerifyAuditRequest(), options: options)
            }
            invocation.print(
                human: { _ in HumanOutput.auditVerification(result) },
                json: { JSONOutput.auditVerification(result) }
            )
            if !result.intact { throw ExitCode(1) }
        }
    }
}
