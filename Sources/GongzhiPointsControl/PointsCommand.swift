import ArgumentParser
import GongzhiControl
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas

/// `gongzhictl points …`: the points exchange (积分兑换), served by the `points` plugin; `gongzhictl` lists it
/// among its modules' commands (``ControlCommandLine``).
public struct PointsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "Keep the points ledger: accounts, credits and transfers, earning rules, service records, the "
            + "points supermarket, expiry, the honour roll, reports and verification.",
        discussion: """
            The points plugin serves these commands through the host. Points are whole numbers; a ledger \
            (volunteer points, party-member points) is a currency of its own. An account's id is \
            LEDGER:KIND:HOLDER, e.g. volunteer:resident:R0001, with KIND one of resident, partner, person, \
            issuer (a community's issuing account), venue (a points supermarket), or LEDGER:expiry. Dates are \
            days (2026-11-20) or months (2026-11) in China Standard Time (UTC+8); durations are 30d, 12h, \
            90m.

            Examples:
              gongzhictl points balance --resident R0001
              gongzhictl points credit --rule volunteer-hour --resident R0001 --amount 2
              gongzhictl points redeem volunteer:resident:R0001 G-rice-5kg --quantity 1
              gongzhictl points honour-roll --community 330106001001 --month 2026-11

            A command acts as whoever calls: the person you are logged in as (gongzhictl login), or the \
            person --as names (an id or a name; the host checks that you may act for them). The plugin \
            decides by that person's roles and places: a resident sees and spends only their own points.

            A transfer, a credit, a correction, a redemption and a service record each have an id the \
            caller chooses (--id; letters, digits and . : _ -, at most 128); the same id again records \
            nothing new and answers the first result, so a command that timed out can be run again safely. \
            Without --id, an id is made and shown; a failed call names it for the retry.
            """,
        subcommands: [
            Ledgers.self, Ledger.self, Accounts.self, Balance.self, History.self, Credit.self, Transfer.self,
            Transfers.self, Correct.self, Rules.self, Records.self, Venues.self, Goods.self, Catalogue.self,
            Redeem.self, Confirm.self, Cancel.self, Redemptions.self, Expiring.self, HonourRoll.self,
            Report.self, Export.self, Verify.self, Status.self,
        ]
    )

    public init() {}
}

/// Calls to the points plugin through the host.
enum PointsCalls {
    static let service = PluginService(name: Gongzhi_Points_V1_Points.serviceName, plugin: "points")

    /// Calls the plugin; an error says whether the host, the plugin or the request is the problem.
    static func call<Result: Sendable>(
        _ invocation: Invocation,
        _ body: (Gongzhi_Points_V1_PointsClient, CallOptions) async throws -> Result
    ) async throws -> Result {
        try await invocation.callPlugin(service) { channel, options in
            try await body(Gongzhi_Points_V1_PointsClient(channel: channel), options)
        }
    }

    /// Calls the plugin for a command whose id was made for it (`made` is nil when the caller gave one): a
    /// failed call names the id, so that running the command again with it records the thing once.
    static func call<Result: Sendable>(
        _ invocation: Invocation,
        made id: MadeIdentifier?,
        _ body: (Gongzhi_Points_V1_PointsClient, CallOptions) async throws -> Result
    ) async throws -> Result {
        do {
            return try await call(invocation, body)
        } catch let error as ControlError {
            guard let id, error.exitCode != ControlExitCode.usage else { throw error }
            throw ControlError(error.message + " " + id.retryHint, exitCode: error.exitCode)
        }
    }

    /// Who `--person` names: the Person with that id, else the one with that name; a name nobody has goes as
    /// typed, for the plugin to answer.
    static func personID(
        _ typed: String,
        points: Gongzhi_Points_V1_PointsClient,
        options: CallOptions
    ) async throws -> String {
        do {
            return try await PersonLookup.id(
                of: typed,
                objects: Gongzhi_Host_V1_ObjectsClient(channel: points.channel),
                options: options,
                option: "--person"
            )
        } catch let error as ControlError where error.exitCode == ControlExitCode.notFound {
            return typed
        }
    }

    /// A list's `--limit`: 1 or more.
    static func checkLimit(_ limit: Int32?) throws {
        if let limit, limit <= 0 {
            throw ValidationError("--limit must be 1 or more; leave it out for the plugin's default")
        }
    }
}

/// An id the command made because none was given with `--id`.
struct MadeIdentifier: Hashable, Sendable {
    var id: String
    /// What it names, as the hint says it: `credit`, `transfer`.
    var noun: String

    /// `(the credit's id was credit-…: run the command again with --id credit-… to retry it once)`.
    var retryHint: String {
        "(the \(noun)'s id was \(id): run the command again with --id \(id) to retry it without doing it twice)"
    }
}

extension Optional where Wrapped == String {
    /// The id given with `--id`, or one made now, with what it names; `made` is nil when it was given.
    func identifier(_ prefix: String, noun: String, nowMs: Int64) -> (id: String, made: MadeIdentifier?) {
        if let self { return (self, nil) }
        let id = PointsIdentifier.make(prefix, nowMs: nowMs)
        return (id, MadeIdentifier(id: id, noun: noun))
    }
}

/// Whose points: `--resident ID`, `--partner ID` or `--person ID` (one of them).
struct HolderOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A resident, by their Resident id.", valueName: "id"))
    var resident: String?

    @Option(
        help: ArgumentHelp("A partner (a neighbour, a builder unit or a team), by their Partner id.", valueName: "id")
    )
    var partner: String?

    @Option(
        help: ArgumentHelp("A person who works for the community, by their Person id or name.", valueName: "person")
    )
    var person: String?

    /// The one holder given, or nil when none was; more than one, or an empty id, is a usage error.
    func holder() throws -> (kind: Gongzhi_Points_V1_HolderKind, id: String)? {
        let given: [(String, Gongzhi_Points_V1_HolderKind, String?)] = [
            ("--resident", .resident, resident), ("--partner", .partner, partner), ("--person", .person, person),
        ]
        let present = given.filter { $0.2 != nil }
        guard present.count <= 1 else {
            throw ValidationError("give one of \(present.map(\.0).joined(separator: ", ")), not several")
        }
        guard let (option, kind, id) = present.first, let id else { return nil }
        if id.allSatisfy(\.isWhitespace) { throw ValidationError("\(option) needs an id") }
        return (kind, id)
    }
}

/// The period of a report: `--month 2026-11`, or `--from DATE [--to DATE]`; the current month without them.
struct PeriodOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("A calendar month, YYYY-MM (China Standard Time).", valueName: "month"),
        transform: { text in try PointsDate(parsingMonth: text) }
    )
    var month: PointsDate?

    @Option(
        help: ArgumentHelp("The first day (YYYY-MM-DD) or month (YYYY-MM) of the period.", valueName: "date"),
        transform: { text in try PointsDate(parsing: text) }
    )
    var from: PointsDate?

    @Option(
        help: ArgumentHelp(
            "The last day or month of the period, included (default with --from: today).",
            valueName: "date"
        ),
        transform: { text in try PointsDate(parsing: text) }
    )
    var to: PointsDate?

    func validate() throws {
        if month != nil && (from != nil || to != nil) {
            throw ValidationError("give either --month or --from/--to, not both")
        }
        if to != nil && from == nil { throw ValidationError("--to needs --from: the period's first day or month") }
    }

    /// `[fromMs, toMs)`: the month, the days from `--from` through `--to` (or today), or the month `nowMs`
    /// falls in. A period that ends before it starts is a usage error.
    func range(nowMs: Int64) throws(ControlError) -> (fromMs: Int64, toMs: Int64) {
        if let month { return (month.startMs, month.endMs) }
        if let from {
            let toMs = to?.endMs ?? Self.today(nowMs).endMs
            guard toMs > from.startMs else {
                throw ControlError(
                    "the period from \(ChinaStandardTime.date(from.startMs)) to "
                        + "\(ChinaStandardTime.date(toMs - 1)) ends before it starts",
                    exitCode: ControlExitCode.usage
                )
            }
            return (from.startMs, toMs)
        }
        let (year, month, _, _) = ChinaStandardTime.parts(nowMs)
        let current = PointsDate(year: year, month: month, day: nil)
        return (current.startMs, current.endMs)
    }

    private static func today(_ nowMs: Int64) -> PointsDate {
        let (year, month, day, _) = ChinaStandardTime.parts(nowMs)
        return PointsDate(year: year, month: month, day: day)
    }
}

/// A verb that answers with transfers' results (credit, transfer, transfers, correct): prints them, one line
/// each, then the balances the call touched; exits 1 when any transfer was not recorded.
enum TransferAnswer {
    /// Prints the answer and throws when a transfer was refused.
    static func print(
        _ response: Gongzhi_Points_V1_CreateTransfersResponse,
        invocation: Invocation,
        noun: String
    ) throws {
        let refused = response.results.filter { !PointsOutput.recorded($0.result) }
        let failure: ControlError? =
            if refused.isEmpty {
                nil
            } else if response.results.count == 1 {
                // One transfer: its line is the error.
                ControlError(
                    "the \(noun) was not recorded: \(PointsOutput.resultLine(refused[0]))",
                    exitCode: ControlExitCode.failed
                )
            } else {
                ControlError(
                    "\(refused.count) of \(response.results.count) transfers were not recorded "
                        + (invocation.format == .table ? "(listed above)" : "(see their results)"),
                    exitCode: ControlExitCode.failed
                )
            }
        // A script reads every answer; a person reads a lone refused transfer once, in the error.
        if let failure, response.results.count == 1, invocation.format == .table { throw failure }
        invocation.print(human: { PointsOutput.transfers(response, time: $0) }, message: response)
        if let failure { throw failure }
    }
}

extension ArgumentHelp {
    /// The help of `--note`.
    static let note = ArgumentHelp("A note kept with the redemption.", valueName: "text")
    /// The help of `--ledger` on a filter.
    static let ledgerFilter = ArgumentHelp("Only this ledger (its code, e.g. volunteer).", valueName: "ledger")
    /// The help of `--community` on a filter.
    static let communityFilter = ArgumentHelp("Only this community (its code).", valueName: "code")
    /// The help of `--limit`.
    static let limit = ArgumentHelp("At most this many (default: the plugin's).", valueName: "n")
}
