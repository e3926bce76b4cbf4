import ArgumentParser
import GongzhiControl
import GongzhiIntakeSchemas
import GongzhiRPC
import SwiftProtobuf

/// `gongzhictl intake …`: smart-city data intake (城市大脑数据接入), served by the `intake` plugin; `gongzhictl`
/// lists it among its modules' commands (``ControlCommandLine``).
public struct IntakeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Watch and work smart-city data intake: sources and their counters, items, department files, "
            + "dead letters, sensor devices and readings.",
        discussion: """
            The intake plugin serves these commands through the host. Inputs come from sensors (MQTT), the \
            12345 hotline and apps (Open311) and departments' files (import). Every input a source sends is \
            counted: received = accepted + duplicates + dead-lettered + in flight (stats). An input no rule \
            routes waits as an item for a person (items list --state waiting, then route); consultations, \
            requests for help and suggestions are answered (answer); an input a stage refused is a dead letter, \
            kept whole with its reason until it is replayed or discarded.

            Examples:
              gongzhictl intake stats
              gongzhictl intake import 城管导出.csv --source urban-management
              gongzhictl intake items list --state waiting --place 330106001
              gongzhictl intake route T0123456789abcdef --category E0405
              gongzhictl intake dead-letters list --reason device.unknown
              gongzhictl intake dead-letters replay --source sensors-x \\
                --reason device.unknown

            Times (--since, --until) are China Standard Time unless they give their offset: 2026-11-20T09:30, \
            or a day, 2026-11-20. A person sees the items, dead letters and devices within their places; the \
            host shows requesters' names, phones, addresses, free text and dead letters' raw input only to a \
            caller whose role shows personal data there or who has the personal-data grant.
            """,
        subcommands: [
            SourceList.self, Stats.self, Items.self, Answer.self, Close.self, Route.self, Import.self,
            DeadLetters.self, Devices.self, Readings.self, Reload.self,
        ]
    )

    public init() {}
}

/// Calls to the intake plugin through the host.
enum IntakeCalls {
    static let service = PluginService(name: Gongzhi_Intake_V1_Intake.serviceName, plugin: "intake")
    /// Method names, as the service's stub names them.
    typealias Method = Gongzhi_Intake_V1_Intake.Method
    /// The response metadata entry in which the host lists the fields it removed from an answer.
    static let withheldKey = "gongzhi-redacted-fields"

    /// Calls the plugin with its typed client; an error says whether the host, the plugin or the request is the
    /// problem, with the plugin's status and message.
    static func call<Result: Sendable>(
        _ invocation: Invocation,
        timeout: Duration? = Invocation.callTimeout,
        _ body: (Gongzhi_Intake_V1_IntakeClient, CallOptions) async throws -> Result
    ) async throws -> Result {
        try await invocation.callPlugin(service, timeout: timeout) { channel, options in
            try await body(Gongzhi_Intake_V1_IntakeClient(channel: channel), options)
        }
    }

    /// Calls `method` (one of ``Method``) with `request`, keeping the fields the host withheld from the answer.
    static func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ invocation: Invocation,
        _ method: String,
        _ request: Request,
        answer: Response.Type = Response.self,
        timeout: Duration? = Invocation.callTimeout
    ) async throws -> IntakeAnswer<Response> {
        try await invocation.callPlugin(service, timeout: timeout) { channel, options in
            let response = try await channel.unary(
                service: Gongzhi_Intake_V1_Intake.serviceName,
                method: method,
                request: request,
                responseType: Response.self,
                options: options
            )
            let withheld = response.metadata.values(for: withheldKey)
                .flatMap { $0.split(separator: ",") }
                .map { String($0.filter { $0 != " " }) }
                .filter { !$0.isEmpty }
            return IntakeAnswer(message: response.message, withheld: withheld)
        }
    }

    /// Prints an answer: `human` for people or the message in protobuf's JSON mapping for scripts, and on
    /// standard error the fields the host withheld from it.
    static func print<Message: SwiftProtobuf.Message>(
        _ answer: IntakeAnswer<Message>,
        invocation: Invocation,
        human: (TimeStyle) -> String
    ) {
        invocation.print(human: human, message: answer.message)
        if !answer.withheld.isEmpty {
            invocation.context.writeError(
                "note: the host withheld personal data from the answer: \(answer.withheld.joined(separator: ", ")) "
                    + "(reading it needs a role that shows personal data where it lies, or the personal-data grant)\n"
            )
        }
    }
}

/// An answer of the intake plugin with the fields the host withheld from it (its `gongzhi-redacted-fields`
/// metadata: the paths of the personal data the caller may not read, e.g. `requester.phone`).
struct IntakeAnswer<Message: Sendable>: Sendable {
    var message: Message
    var withheld: [String]
}

/// What the commands on one item take: its id.
struct ItemOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The item's id, as items list shows it (T…).", valueName: "id"))
    var id: String

    func validate() throws {
        if id.allSatisfy(\.isWhitespace) {
            throw ValidationError("the item's id is empty; gongzhictl intake items list shows the ids (T…)")
        }
    }
}
