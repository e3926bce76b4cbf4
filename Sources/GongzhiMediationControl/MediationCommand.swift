import ArgumentParser
import GongzhiControl
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf

/// `gongzhictl mediation …`: people's mediation (人民调解), served by the `mediation` plugin; `gongzhictl` lists
/// it among its modules' commands (``ControlCommandLine``).
public struct MediationCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mediation",
        abstract: "Keep a mediation committee's disputes: application, acceptance, mediators, sessions, the "
            + "agreement, judicial confirmation, follow-up, and the figures.",
        discussion: """
            The mediation plugin serves these commands through the host. A dispute (纠纷) goes: applied → \
            accepted with every party's consent → mediating (mediators assigned, sessions recorded) → \
            agreement drafted → agreed (signed by every party and a mediator, sealed) → performed; or it \
            fails, is refused by a party or declined by the committee. Each step takes the dispute's id \
            (MD-…, as mediation list shows it); a step its state does not allow is refused with the steps it \
            does allow.

            Examples:
              gongzhictl mediation apply --type neighbour --place 330106001001003 \\
                --title 楼上漏水 --party applicant:resident:张伟:R0001 \\
                --party respondent:resident:李娜:R0002
              gongzhictl mediation accept MD-0a1b2c3d4e5f --consent p1 --consent p2
              gongzhictl mediation assign MD-0a1b2c3d4e5f --mediator wang-xiuying
              gongzhictl mediation show MD-0a1b2c3d4e5f
              gongzhictl mediation list --state mediating --overdue

            Parties are named within a dispute p1, p2, … in the order given. Times (--at) are China \
            Standard Time unless they give their offset: 2026-11-20T09:30, or a day, 2026-11-20.

            A step is taken by whoever calls: the person you are logged in as (gongzhictl login), or the \
            person --as names (an id or a name; the host checks that you may act for them), and the plugin \
            records that person in the dispute's history. The host shows the parties' phones, addresses and \
            ID numbers, the facts, the records and the agreement's contents only to a caller whose role \
            shows personal data where the dispute lies (a mediator there) or who has the personal-data \
            grant; show says which fields it withheld.
            """,
        subcommands: [
            Apply.self, HandOff.self, Accept.self, Decline.self, Refuse.self, Assign.self, Session.self,
            Draft.self, Check.self, Sign.self, Seal.self, Fail.self, Extend.self, Inform.self,
            ApplyConfirmation.self, Court.self, Remediate.self, FollowUp.self, Performance.self, Show.self,
            List.self, Due.self, Stats.self, Print.self, Package.self, Summary.self, Summaries.self,
        ]
    )

    public init() {}
}

/// An answer of the mediation plugin with the fields the host withheld from it (its `gongzhi-redacted-fields`
/// metadata: the paths of the personal data the caller may not read, e.g. `parties.phone`).
struct MediationAnswer<Message: Sendable>: Sendable {
    var message: Message
    var withheld: [String]

    init(_ message: Message, withheld: [String] = []) {
        self.message = message
        self.withheld = withheld
    }
}

/// The mediation plugin reached through the host, for one command: its methods, and the people options name.
struct MediationConnection: Sendable {
    /// The response metadata entry in which the host lists the fields it removed from an answer.
    static let withheldKey = "gongzhi-redacted-fields"

    let channel: any RPCClientChannel
    let options: CallOptions

    /// Calls `method` (one of `Gongzhi_Mediation_V1_Mediation.Method`) with `request`.
    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request,
        answer: Response.Type = Response.self
    ) async throws -> MediationAnswer<Response> {
        let response = try await channel.unary(
            service: Gongzhi_Mediation_V1_Mediation.serviceName,
            method: method,
            request: request,
            responseType: Response.self,
            options: options
        )
        let withheld = response.metadata.values(for: Self.withheldKey)
            .flatMap { $0.split(separator: ",") }
            .map { String($0.filter { $0 != " " }) }
            .filter { !$0.isEmpty }
        return MediationAnswer(response.message, withheld: withheld)
    }

    /// The Person id that `typed` names: the person with that id, else the one with that name. A name nobody
    /// has goes as typed, for the plugin to answer; so does an id when the caller may not read people (a
    /// mediator's role reads disputes, not Person objects), while a name then cannot be found and is refused.
    func personID(_ typed: String, option: String) async throws -> String {
        do {
            return try await PersonLookup.id(
                of: typed,
                objects: Gongzhi_Host_V1_ObjectsClient(channel: channel),
                options: options,
                option: option
            )
        } catch let error as ControlError where error.exitCode == ControlExitCode.notFound {
            return typed
        } catch let error as RPCError where error.code == .permissionDenied {
            if PersonName.looksLikeID(typed) { return typed }
            throw ControlError(
                "\(option) \(typed) is a name, and you may not read people to find their id: give the person's id "
                    + "(the committee's clerk or gongzhictl people list shows it)",
                exitCode: ControlExitCode.usage
            )
        }
    }
}

/// What can be told of a typed person without asking the host.
enum PersonName {
    /// Ids are letters, digits, `-` and `_`, at most 64 (as the host's people are named): anything else can only
    /// be a name.
    static func looksLikeID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}

/// Calls to the mediation plugin through the host.
enum MediationCalls {
    static let service = PluginService(name: Gongzhi_Mediation_V1_Mediation.serviceName, plugin: "mediation")
    /// Method names, as the service's stub names them.
    typealias Method = Gongzhi_Mediation_V1_Mediation.Method

    /// Calls the plugin; an error says whether the host, the plugin or the request is the problem, with the
    /// plugin's status and message.
    static func call<Result: Sendable>(
        _ invocation: Invocation,
        _ body: (MediationConnection) async throws -> Result
    ) async throws -> Result {
        try await invocation.callPlugin(service) { channel, options in
            try await body(MediationConnection(channel: channel, options: options))
        }
    }

    /// Prints an answer: `human` for people (the fields the host withheld noted on standard error, unless
    /// `human` shows them itself), or the message in protobuf's JSON mapping with the proto's field names for
    /// scripts (the withheld fields noted on standard error).
    static func print<Message: SwiftProtobuf.Message>(
        _ answer: MediationAnswer<Message>,
        invocation: Invocation,
        showsWithheld: Bool = false,
        human: (TimeStyle) -> String
    ) {
        invocation.print(human: human, message: answer.message)
        if !answer.withheld.isEmpty && !(showsWithheld && invocation.format == .table) {
            invocation.context.writeError("note: \(MediationOutput.withheldNote(answer.withheld))\n")
        }
    }
}

/// What every step takes: the dispute's id.
struct DisputeOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The dispute's id, as mediation list shows it (MD-…).", valueName: "id"))
    var id: String

    func validate() throws {
        if id.allSatisfy(\.isWhitespace) {
            throw ValidationError("the dispute's id is empty; mediation list shows the ids (MD-…)")
        }
    }
}

/// A step of the procedure: builds its request, calls the plugin, and prints the dispute as the step left it.
protocol DisputeStepCommand: AdminCommand {
    /// Calls the plugin with the request this command line asks for.
    func send(
        _ connection: MediationConnection,
        invocation: Invocation
    ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute>
}

extension DisputeStepCommand {
    func run() async throws {
        let invocation = self.invocation
        let answer = try await MediationCalls.call(invocation) { connection in
            try await send(connection, invocation: invocation)
        }
        MediationCalls.print(answer, invocation: invocation) { MediationOutput.stepped(answer.message, time: $0) }
    }
}

extension ArgumentHelp {
    /// The help of `--note` on a step.
    static let note = ArgumentHelp("A note kept in the dispute's history.", valueName: "text")
    /// The help of `--at`.
    static func at(_ what: String) -> ArgumentHelp {
        ArgumentHelp(
            "When \(what): 2026-11-20T09:30 (China Standard Time), with an offset, or a day (default: now).",
            valueName: "time"
        )
    }
}
