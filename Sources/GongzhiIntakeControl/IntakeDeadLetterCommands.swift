import ArgumentParser
import GongzhiControl
import GongzhiIntakeSchemas

extension IntakeCommand {
    /// `gongzhictl intake dead-letters list|show|replay|discard`.
    struct DeadLetters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dead-letters",
            abstract: "List, show, replay and discard dead letters: inputs a stage refused, kept whole with "
                + "their reason.",
            discussion: """
                A dead letter stays open until a person replays it (after fixing a mapping or the device \
                registry: it goes through the pipeline again, exactly once) or discards it with a reason (it \
                stays counted as dead-lettered).
                """,
            subcommands: [List.self, Show.self, Replay.self, Discard.self]
        )
    }
}

extension IntakeCommand.DeadLetters {
    /// `gongzhictl intake dead-letters list [--source NAME] [--stage S] [--reason CODE] [--state S]`.
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters, newest first, with filters.",
            discussion: """
                REASON is the stable code (json.syntax, field.missing, device.unknown, locate.outside, \
                csv.quote, …), WHY the reason for people. --state repeats (open, replaying, replayed, \
                discarded).

                Example:
                  gongzhictl intake dead-letters list --source sensors-x --stage validate \\
                    --reason device.unknown --state open
                """
        )

        @Option(help: ArgumentHelp("Only dead letters of this source.", valueName: "name"))
        var source: String?

        @Option(help: ArgumentHelp("Only those refused at this stage.", valueName: "stage"))
        var stage: StageArgument?

        @Option(help: ArgumentHelp("Only those with this reason code, e.g. device.unknown.", valueName: "code"))
        var reason: String?

        @Option(name: .customLong("state"), help: ArgumentHelp("Only dead letters in this state.", valueName: "state"))
        var states: [DeadLetterStateArgument] = []

        @Option(help: ArgumentHelp("At most this many, 1 to 1000 (default: the plugin's).", valueName: "n"))
        var limit: Int?

        @Option(
            help: ArgumentHelp("The page after a previous list's (its footer gives the token).", valueName: "token")
        )
        var page: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let limit, !(1...1000).contains(limit) {
                throw ValidationError("--limit must be 1 to 1000; leave it out for the plugin's page size")
            }
        }

        var request: Gongzhi_Intake_V1_ListDeadLettersRequest {
            .with {
                $0.source = source ?? ""
                $0.stage = stage?.stage ?? .unspecified
                $0.reasonCode = reason ?? ""
                $0.states = states.map(\.state)
                $0.limit = UInt32(limit ?? 0)
                $0.pageToken = page ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.listDeadLetters,
                request,
                answer: Gongzhi_Intake_V1_ListDeadLettersResponse.self
            )
            IntakeCalls.print(response, invocation: invocation) { IntakeOutput.deadLetters(response.message, time: $0) }
        }
    }

    /// `gongzhictl intake dead-letters show ID`.
    struct Show: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one dead letter: its reason, where it came from, its history and its raw input.",
            discussion: """
                The raw input is shown as text when it is UTF-8, else in hex; its size and SHA-256 are of the \
                whole input (the plugin keeps its first 64 KiB). The raw input is personal data: the host \
                shows it only with a role that shows personal data where it lies, or the personal-data grant, \
                and audits the read.

                Example:
                  gongzhictl intake dead-letters show D0123456789abcdef
                """
        )

        @Argument(help: ArgumentHelp("The dead letter's id (D…).", valueName: "id"))
        var id: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if id.allSatisfy(\.isWhitespace) {
                throw ValidationError("the dead letter's id is empty; dead-letters list shows the ids (D…)")
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Intake_V1_GetDeadLetterRequest.with { $0.id = id }
            let found = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.getDeadLetter,
                request,
                answer: Gongzhi_Intake_V1_DeadLetter.self
            )
            IntakeCalls.print(found, invocation: invocation) { IntakeOutput.deadLetter(found.message, time: $0) }
        }
    }

    /// `gongzhictl intake dead-letters replay (ID… | --source NAME [--reason CODE]) [--dry-run]`.
    struct Replay: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run dead letters through the pipeline again, with the current mappings and device registry.",
            discussion: """
                Name the dead letters, or replay every open one of a source (--source), of one reason code \
                (--reason) if given. Each is replayed exactly once: it keeps the keys of the original input, \
                so it can end a duplicate but never count twice. --dry-run says what would happen and changes \
                nothing. Exits 1 when any stays dead.

                Examples:
                  gongzhictl intake dead-letters replay D0123456789abcdef D1123456789abcdef
                  gongzhictl intake dead-letters replay --source sensors-x --reason device.unknown --dry-run
                """
        )

        @Argument(help: ArgumentHelp("The dead letters' ids (D…).", valueName: "id"))
        var ids: [String] = []

        @Option(help: ArgumentHelp("Every open dead letter of this source.", valueName: "name"))
        var source: String?

        @Option(help: ArgumentHelp("With --source: only those with this reason code.", valueName: "code"))
        var reason: String?

        @Flag(help: "Say what would happen; change nothing.")
        var dryRun = false

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if ids.isEmpty && source == nil {
                throw ValidationError(
                    "name the dead letters to replay, or give --source NAME (and --reason CODE) to replay every "
                        + "open one of a source"
                )
            }
            if !ids.isEmpty && (source != nil || reason != nil) {
                throw ValidationError("give ids, or --source (and --reason), not both")
            }
            if reason != nil && source == nil { throw ValidationError("--reason goes with --source NAME") }
        }

        var request: Gongzhi_Intake_V1_ReplayDeadLettersRequest {
            .with {
                $0.ids = ids
                $0.source = source ?? ""
                $0.reasonCode = reason ?? ""
                $0.dryRun = dryRun
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let dryRun = self.dryRun
            // Replaying many runs the pipeline for each: give it longer than a read.
            let response = try await IntakeCalls.call(invocation, timeout: .seconds(120)) { intake, options in
                try await intake.replayDeadLetters(request, options: options)
            }
            invocation.print(human: { _ in IntakeOutput.replayed(response, dryRun: dryRun) }, message: response)
            let failed = response.outcomes.filter { !$0.succeeded }.count
            if failed > 0 && !dryRun {
                throw ControlError(
                    "\(failed) of \(response.outcomes.count) dead letters stayed dead (their outcomes are above)",
                    exitCode: ControlExitCode.failed
                )
            }
        }
    }

    /// `gongzhictl intake dead-letters discard ID… --reason TEXT`.
    struct Discard: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Discard dead letters with a reason; they stay counted as dead-lettered.",
            discussion: """
                Example:
                  gongzhictl intake dead-letters discard D0123456789abcdef --reason "测试设备的数据"
                """
        )

        @Argument(help: ArgumentHelp("The dead letters' ids (D…).", valueName: "id"))
        var ids: [String] = []

        @Option(help: ArgumentHelp("Why they are discarded, kept in their history.", valueName: "text"))
        var reason: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if ids.isEmpty { throw ValidationError("name the dead letters to discard (D…)") }
            if reason.allSatisfy(\.isWhitespace) { throw ValidationError("--reason is empty; say why") }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Intake_V1_DiscardDeadLettersRequest.with {
                $0.ids = ids
                $0.reason = reason
            }
            let response = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.discardDeadLetters,
                request,
                answer: Gongzhi_Intake_V1_DiscardDeadLettersResponse.self
            )
            IntakeCalls.print(response, invocation: invocation) { _ in IntakeOutput.discarded(response.message) }
        }
    }
}
