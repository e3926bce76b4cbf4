import ArgumentParser
import GongzhiControl
import GongzhiMediationSchemas

/// The filters of `list` and `summaries`.
struct DisputeFilterOptions: ParsableArguments {
    @Option(
        name: .customLong("state"),
        help: ArgumentHelp("Only disputes in this state; repeat for several.", valueName: "state")
    )
    var states: [DisputeStateArgument] = []

    @Option(help: ArgumentHelp("Only disputes of this type.", valueName: "type"))
    var type: DisputeTypeArgument?

    @Option(help: ArgumentHelp("Only disputes this mediator is assigned to (Person id or name).", valueName: "person"))
    var mediator: String?

    @Option(help: ArgumentHelp("Only disputes in this grid, community or street (its code).", valueName: "code"))
    var place: String?

    @Flag(help: "Only disputes with a clock overdue now.")
    var overdue = false

    @Option(help: ArgumentHelp("At most this many, 1 to 500 (default: the plugin's, 50).", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("The page after a previous list's (its footer gives the token).", valueName: "token"))
    var page: String?

    func validate() throws {
        if let limit, !(1...500).contains(limit) {
            throw ValidationError("--limit must be 1 to 500; leave it out for the plugin's page size")
        }
        if let place, place.isEmpty || !place.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw ValidationError("--place takes a grid's, community's or street's code: digits, e.g. 330106001001")
        }
        if let mediator, mediator.allSatisfy(\.isWhitespace) {
            throw ValidationError("--mediator needs the mediator's id or name")
        }
    }

    /// The request, with the mediator as the Person id they were found as.
    func request(mediatorID: String? = nil) -> Gongzhi_Mediation_V1_ListDisputesRequest {
        Gongzhi_Mediation_V1_ListDisputesRequest.with {
            $0.states = states.map(\.state)
            $0.type = type?.type ?? .unspecified
            $0.mediatorID = mediatorID ?? mediator ?? ""
            $0.placeCode = place ?? ""
            $0.overdueOnly = overdue
            $0.pageSize = UInt32(limit ?? 0)
            $0.pageToken = page ?? ""
        }
    }

    /// The request, the mediator looked up through `connection`.
    func request(through connection: MediationConnection) async throws -> Gongzhi_Mediation_V1_ListDisputesRequest {
        guard let mediator else { return request() }
        return request(mediatorID: try await connection.personID(mediator, option: "--mediator"))
    }
}

extension MediationCommand {
    /// `gongzhictl mediation show ID`.
    struct Show: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one dispute: parties, mediators, sessions and their records, the agreement, the "
                + "clocks and the whole history.",
            discussion: """
                Personal data (phones, addresses, ID numbers, the facts, records, the agreement's contents) \
                is shown only when the host gives it to you: to a caller whose role shows personal data \
                where the dispute lies (a mediator there) or who has the personal-data grant. Otherwise it \
                says which fields the host withheld, and they read "withheld".

                Example:
                  gongzhictl mediation show MD-0a1b2c3d4e5f
                """
        )

        @OptionGroup var dispute: DisputeOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Mediation_V1_GetDisputeRequest {
            Gongzhi_Mediation_V1_GetDisputeRequest.with { $0.disputeID = dispute.id }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.getDispute,
                    request,
                    answer: Gongzhi_Mediation_V1_Dispute.self
                )
            }
            MediationCalls.print(answer, invocation: invocation, showsWithheld: true) {
                DisputeDetail(answer.message, withheld: answer.withheld).text(time: $0)
            }
        }
    }

    /// `gongzhictl mediation list [--state S] [--type T] [--mediator P] [--place CODE] [--overdue]`.
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List disputes, newest first, with filters.",
            discussion: """
                Filters combine: --state (repeat for several), --type, --mediator (disputes they are assigned \
                to), --place (a grid's, community's or street's code), --overdue (a clock has run out). NEXT \
                DEADLINE is the earliest running clock: "by 2025-12-21 (in 29d)", or "overdue 2d". A person \
                sees the disputes within their places. When there are more, the footer gives the --page token \
                of the next page.

                Example:
                  gongzhictl mediation list --state mediating --type neighbour \\
                    --mediator wang-xiuying --place 330106001001 --overdue
                """
        )

        @OptionGroup var filters: DisputeFilterOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.listDisputes,
                    try await filters.request(through: connection),
                    answer: Gongzhi_Mediation_V1_ListDisputesResponse.self
                )
            }
            MediationCalls.print(answer, invocation: invocation) { MediationOutput.list(answer.message, time: $0) }
        }
    }

    /// `gongzhictl mediation due [--within 72h] [--place CODE]`.
    struct Due: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the clocks overdue or due soon: the month to mediate, the 30 days to apply for "
                + "confirmation, the court's days, obligations' deadlines.",
            discussion: """
                Due soon means within --within (default 72h) of now. A deadline is the end (24:00) of its last \
                day in China Standard Time.

                Example:
                  gongzhictl mediation due --within 72h --place 330106001001
                """
        )

        @Option(
            help: ArgumentHelp("What counts as due soon: 72h (the default), 3d, 168h.", valueName: "hours"),
            transform: { text in try DueWindow(parsing: text) }
        )
        var within: DueWindow?

        @Option(help: ArgumentHelp("Only disputes in this grid, community or street (its code).", valueName: "code"))
        var place: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Mediation_V1_DueRequest {
            Gongzhi_Mediation_V1_DueRequest.with {
                $0.withinHours = within?.hours ?? 0
                $0.placeCode = place ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.due,
                    request,
                    answer: Gongzhi_Mediation_V1_DueResponse.self
                )
            }
            let hours = within?.hours ?? 72
            MediationCalls.print(answer, invocation: invocation) {
                MediationOutput.due(answer.message, withinHours: hours, time: $0)
            }
        }
    }

    /// `gongzhictl mediation stats [--place CODE] [--from DATE] [--to DATE]`.
    struct Stats: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Figures for the justice office and for tracing disputes to their sources (溯源).",
            discussion: """
                Counts the disputes applied for in the period (--from and --to are days or months in China \
                Standard Time, --to included; open-ended without them): the resolution rate, the share \
                settled at community level or below, the median days from acceptance to agreement beside \
                the national court mediation platform's 23.33, the agreements performed on time, and repeat \
                disputes by building, compound and type.

                Example:
                  gongzhictl mediation stats --place 330106001 \\
                    --from 2025-01-01 --to 2025-12-31
                """
        )

        @Option(help: ArgumentHelp("Only disputes in this grid, community or street (its code).", valueName: "code"))
        var place: String?

        @Option(
            help: ArgumentHelp("The first day (YYYY-MM-DD) or month (YYYY-MM) of the period.", valueName: "date"),
            transform: { text in try MediationDay(parsing: text) }
        )
        var from: MediationDay?

        @Option(
            help: ArgumentHelp("The last day or month of the period, included.", valueName: "date"),
            transform: { text in try MediationDay(parsing: text) }
        )
        var to: MediationDay?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let from, let to, to.endMs <= from.startMs {
                throw ValidationError("the period ends (--to) before it starts (--from)")
            }
        }

        var request: Gongzhi_Mediation_V1_StatsRequest {
            Gongzhi_Mediation_V1_StatsRequest.with {
                $0.placeCode = place ?? ""
                $0.fromMs = from?.startMs ?? 0
                $0.toMs = to?.endMs ?? 0
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.stats,
                    request,
                    answer: Gongzhi_Mediation_V1_StatsResponse.self
                )
            }
            MediationCalls.print(answer, invocation: invocation) { _ in MediationOutput.stats(answer.message) }
        }
    }

    /// `gongzhictl mediation summary ID`.
    struct Summary: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a dispute without its parties or personal data: type, title, place, state, clocks.",
            discussion: """
                For those who follow disputes without taking part in them: grid workers, community staff, \
                viewers.

                Example:
                  gongzhictl mediation summary MD-0a1b2c3d4e5f
                """
        )

        @OptionGroup var dispute: DisputeOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Mediation_V1_GetDisputeRequest {
            Gongzhi_Mediation_V1_GetDisputeRequest.with { $0.disputeID = dispute.id }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.getSummary,
                    request,
                    answer: Gongzhi_Mediation_V1_DisputeSummary.self
                )
            }
            MediationCalls.print(answer, invocation: invocation) { MediationOutput.summary(answer.message, time: $0) }
        }
    }

    /// `gongzhictl mediation summaries [filters]`.
    struct Summaries: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List disputes' summaries, newest first, with the filters of list: no parties, no personal data.",
            discussion: """
                Example:
                  gongzhictl mediation summaries --place 330106001001 --overdue
                """
        )

        @OptionGroup var filters: DisputeFilterOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.listSummaries,
                    try await filters.request(through: connection),
                    answer: Gongzhi_Mediation_V1_ListSummariesResponse.self
                )
            }
            MediationCalls.print(answer, invocation: invocation) {
                MediationOutput.summaries(answer.message, time: $0)
            }
        }
    }
}
