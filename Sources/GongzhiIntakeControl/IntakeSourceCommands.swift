import ArgumentParser
import GongzhiControl
import GongzhiIntakeSchemas
import GongzhiRPC

extension IntakeCommand {
    /// `gongzhictl intake sources`.
    struct SourceList: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "sources",
            abstract: "List the configured sources: kind, broker and topics or HTTP address, state and since when.",
            discussion: """
                A source is connected (reading, or serving), paused (its in-flight budget is full: it stops \
                reading the broker, or answers 429), reconnecting, or stopped; DETAIL says why it is not \
                connected.

                Example:
                  gongzhictl intake sources
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let response = try await IntakeCalls.call(invocation) { intake, options in
                try await intake.listSources(.init(), options: options)
            }
            invocation.print(human: { IntakeOutput.sources(response, time: $0) }, message: response)
        }
    }

    /// `gongzhictl intake stats [--source NAME]`.
    struct Stats: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each source's conservation counters: received = accepted + duplicates + dead-lettered "
                + "+ in flight.",
            discussion: """
                Every input a source sent and intake made durable is received once and ends in exactly one of \
                accepted, duplicates or dead-lettered; until then it is in flight (OLDEST: how long the oldest \
                has waited). Counted beside the equation: inputs refused before they were durable (HTTP 400, \
                403, 413, 429: the client kept them), discarded dead letters (still dead-lettered), replays, \
                and the broker's own count of dropped messages. A source whose equation does not hold is \
                marked DOES NOT BALANCE and warned of on standard error.

                Example:
                  gongzhictl intake stats --source hotline-12345
                """
        )

        @Option(help: ArgumentHelp("Only this source (its name, as sources lists it).", valueName: "name"))
        var source: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let source, source.allSatisfy(\.isWhitespace) {
                throw ValidationError("--source needs a source's name; gongzhictl intake sources lists them")
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Intake_V1_StatsRequest.with { $0.source = source ?? "" }
            let response = try await IntakeCalls.call(invocation) { intake, options in
                try await intake.stats(request, options: options)
            }
            invocation.print(human: { IntakeOutput.stats(response, time: $0) }, message: response)
            let warnings = IntakeOutput.unbalanced(response)
            if !warnings.isEmpty { invocation.context.writeError(warnings) }
        }
    }

    /// `gongzhictl intake reload`.
    struct Reload: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read the sources file and its mappings again.",
            discussion: """
                The plugin reads INTAKE_SOURCES and every mapping it names; an invalid file changes nothing, \
                and the error names its file, line and column. The sources are listed as they now are.

                Example:
                  gongzhictl intake reload
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let response = try await IntakeCalls.call(invocation) { intake, options in
                do {
                    return try await intake.reloadSources(.init(), options: options)
                } catch let error as RPCError where error.code == .invalidArgument || error.code == .failedPrecondition
                {
                    throw ControlError(
                        "the sources file was not reloaded, nothing changed: \(error.message)",
                        exitCode: ControlExitCode.failed
                    )
                }
            }
            invocation.print(
                human: { "reloaded the sources file\n\n" + IntakeOutput.sources(response, time: $0) },
                message: response
            )
        }
    }
}
