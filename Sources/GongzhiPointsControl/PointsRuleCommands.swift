import ArgumentParser
import GongzhiControl
import GongzhiPointsSchemas
import GongzhiRPC

extension PointsCommand {
    /// `gongzhictl points rules [list|put]`.
    struct Rules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List and put the earning rules: what each activity earns, its cap and the evidence it needs.",
            subcommands: [List.self, Put.self],
            defaultSubcommand: List.self
        )

        /// `gongzhictl points rules`.
        struct List: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the earning rules, with whether each is active or idle and why.",
                discussion: """
                    STATUS is active, inactive, or idle with the reason: a rule whose source module is not \
                    deployed (grid-case rules without the grid module) earns nothing until it is.

                    Example:
                      gongzhictl points rules
                    """
            )

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func run() async throws {
                let invocation = self.invocation
                let response = try await PointsCalls.call(invocation) { points, options in
                    try await points.listRules(Gongzhi_Points_V1_ListRulesRequest(), options: options)
                }
                invocation.print(human: { _ in PointsOutput.rules(response) }, message: response)
            }
        }

        /// `gongzhictl points rules put CODE --ledger L --name N --source S --points N …` or `--file rule.json`.
        struct Put: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or change an earning rule, from flags or from a JSON file.",
                discussion: """
                    --source says where its credits come from: manual (staff credit by hand, with the \
                    evidence the rule asks for), service-record (confirmed service records) or grid-case (grid \
                    cases evaluated satisfied; needs the grid module). --points is per occasion, or per hour \
                    with --per-hour (a record's minutes are rounded down to whole points). --cap N --per \
                    day|week|month|year caps what one holder earns by the rule in a calendar period (China \
                    Standard Time). --file reads the rule as JSON in protobuf's JSON mapping instead, e.g. \
                    {"code": "volunteer-hour", "ledger": "volunteer", "name": "志愿服务", "source": \
                    "RULE_SOURCE_SERVICE_RECORD", "points": "10", "per_hour": true, "active": true}.

                    Example:
                      gongzhictl points rules put volunteer-hour --ledger volunteer \\
                        --name 志愿服务 --source service-record --points 10 --per-hour \\
                        --cap 100 --per month --evidence 签到表
                    """
            )

            @Argument(help: ArgumentHelp("The rule's code (with the flags).", valueName: "code"))
            var code: String?

            @Option(
                help: ArgumentHelp(
                    "The rule as a JSON object; - for standard input (instead of flags).",
                    valueName: "file"
                ),
                completion: .file(extensions: ["json"])
            )
            var file: String?

            @Option(help: ArgumentHelp("The ledger it credits.", valueName: "ledger")) var ledger: String?

            @Option(help: ArgumentHelp("Its name as people read it.", valueName: "name")) var name: String?

            @Option(help: ArgumentHelp("Where its credits come from.", valueName: "source"))
            var source: RuleSourceArgument?

            @Option(
                parsing: .unconditional,
                help: ArgumentHelp("Points per occasion, or per hour with --per-hour.", valueName: "n")
            )
            var points: Int64?

            @Flag(help: "Points are per hour of service.") var perHour = false

            @Option(
                parsing: .unconditional,
                help: ArgumentHelp("The most one holder earns by it in a period.", valueName: "n")
            )
            var cap: Int64?

            @Option(help: ArgumentHelp("The cap's period.", valueName: "period")) var per: CapPeriodArgument?

            @Option(help: ArgumentHelp("The evidence a credit needs, as people read it.", valueName: "text"))
            var evidence: String?

            @Option(
                name: .customLong("description"),
                help: ArgumentHelp("What the activity is.", valueName: "text")
            )
            var ruleDescription: String?

            @Flag(help: "For a grid-case rule: an acceptable (基本满意) evaluation earns too.")
            var includeAcceptable = false

            @Flag(help: "Keep the rule but earn nothing by it.") var inactive = false

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            private var usedFlags: [String] {
                [
                    ("--ledger", ledger != nil), ("--name", name != nil), ("--source", source != nil),
                    ("--points", points != nil), ("--per-hour", perHour), ("--cap", cap != nil), ("--per", per != nil),
                    ("--evidence", evidence != nil), ("--description", ruleDescription != nil),
                    ("--include-acceptable", includeAcceptable), ("--inactive", inactive),
                ]
                .filter(\.1).map(\.0)
            }

            func validate() throws {
                if file != nil {
                    if code != nil || !usedFlags.isEmpty {
                        throw ValidationError("give the rule with --file or with CODE and flags, not both")
                    }
                    return
                }
                guard let code, !code.isEmpty else {
                    throw ValidationError("give the rule's code and flags, or --file rule.json")
                }
                let missing = [
                    ("--ledger", ledger == nil), ("--name", name == nil), ("--source", source == nil),
                    ("--points", points == nil),
                ]
                .filter(\.1).map(\.0)
                if !missing.isEmpty {
                    throw ValidationError("rule \(code) needs \(missing.joined(separator: ", "))")
                }
                if let points, points <= 0 { throw ValidationError("--points must be 1 or more") }
                switch (cap, per) {
                case (nil, nil): break
                case (.some(let cap), .some): if cap <= 0 { throw ValidationError("--cap must be 1 or more") }
                case (.some, nil): throw ValidationError("--cap needs --per day, week, month or year")
                case (nil, .some): throw ValidationError("--per goes with --cap N")
                }
                if includeAcceptable && source != .gridCase {
                    throw ValidationError("--include-acceptable is for grid-case rules")
                }
            }

            /// The rule the flags give.
            var rule: Gongzhi_Points_V1_EarningRule {
                Gongzhi_Points_V1_EarningRule.with {
                    $0.code = code ?? ""
                    $0.name = name ?? ""
                    $0.ledger = ledger ?? ""
                    $0.source = source?.source ?? .unspecified
                    $0.points = points ?? 0
                    $0.perHour = perHour
                    $0.cap = cap ?? 0
                    $0.capPeriod = per?.period ?? .unspecified
                    $0.evidence = evidence ?? ""
                    $0.active = !inactive
                    $0.description_p = ruleDescription ?? ""
                    $0.includeAcceptable = includeAcceptable
                }
            }

            func run() async throws {
                let invocation = self.invocation
                var rule = self.rule
                if let file {
                    let bytes = try DocumentReader.contents(of: file, context: invocation.context)
                    rule = try PointsJSONFile.rule(in: bytes, name: file == "-" ? "standard input" : file)
                }
                let request = rule
                let saved = try await PointsCalls.call(invocation) { points, options in
                    try await points.putRule(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.rule(saved) }, message: saved)
            }
        }
    }

    /// `gongzhictl points records [list|add|confirm|reject]`.
    struct Records: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, add, confirm and reject service records (志愿服务记录).",
            discussion: """
                A record is a resident's or a partner's service: recorded, then confirmed by a team leader or \
                staff (never by the one who served), and then credited once by its rule.
                """,
            subcommands: [List.self, Add.self, ConfirmRecord.self, RejectRecord.self],
            defaultSubcommand: List.self
        )

        /// `gongzhictl points records [--state S] [--holder ID]`.
        struct List: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "List service records.",
                discussion: """
                    States: recorded (waiting to be confirmed), confirmed, rejected, credited, not-credited \
                    (confirmed, but the credit was refused, e.g. by the rule's cap).

                    Example:
                      gongzhictl points records --state recorded --community 330106001001
                    """
            )

            @Option(help: ArgumentHelp("Only records in this state.", valueName: "state"))
            var state: RecordStateArgument?

            @Option(help: ArgumentHelp("Only records of this resident or partner (their id).", valueName: "id"))
            var holder: String?

            @Option(help: .communityFilter) var community: String?

            @Option(parsing: .unconditional, help: .limit) var limit: Int32?

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws { try PointsCalls.checkLimit(limit) }

            var request: Gongzhi_Points_V1_ListServiceRecordsRequest {
                Gongzhi_Points_V1_ListServiceRecordsRequest.with {
                    $0.state = state?.state ?? .unspecified
                    $0.holderID = holder ?? ""
                    $0.communityCode = community ?? ""
                    $0.limit = limit ?? 0
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let request = self.request
                let response = try await PointsCalls.call(invocation) { points, options in
                    try await points.listServiceRecords(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.records(response) }, message: response)
            }
        }

        /// `gongzhictl points records add --rule CODE --resident ID --hours H --served-at TIME --description D`.
        struct Add: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Record a service, to be confirmed by a team leader or staff.",
                discussion: """
                    Who served is --resident or --partner; --team names the volunteer team (a Partner) it was \
                    done with. --served-at is when, as 2025-11-20T09:00 (China Standard Time unless an \
                    offset is given) or a day. The time is --minutes or --hours (1.5 is 90 minutes). \
                    Without --id an id is made and shown; the same id again answers the record.

                    Example:
                      gongzhictl points records add --rule volunteer-hour --resident R0001 \\
                        --team P0003 --hours 2 --served-at 2025-11-20T09:00 \\
                        --description 社区环境清洁 \\
                        --evidence oss://sign-in/1120.jpg --id SR-1120-01
                    """
            )

            @Option(help: ArgumentHelp("The earning rule the service falls under.", valueName: "code"))
            var rule: String

            @OptionGroup var servedBy: ServedByOptions

            @Option(help: ArgumentHelp("The volunteer team it was done with (a Partner id).", valueName: "partner"))
            var team: String?

            @Option(parsing: .unconditional, help: ArgumentHelp("How long, in minutes.", valueName: "n")) var minutes:
                Int64?

            @Option(
                help: ArgumentHelp("How long, in hours: 2, 1.5, 0.25.", valueName: "h"),
                transform: { text in try ServiceHours(parsing: text) }
            )
            var hours: ServiceHours?

            @Option(
                help: ArgumentHelp("When: 2025-11-20T09:00 (China Standard Time) or a day.", valueName: "time"),
                transform: { text in try PointsMoment(parsing: text) }
            )
            var servedAt: PointsMoment

            @Option(
                name: .customLong("description"),
                help: ArgumentHelp("What was done.", valueName: "text")
            )
            var serviceDescription: String

            @Option(help: ArgumentHelp("The record's id (default: one is made and shown).", valueName: "id"))
            var id: String?

            @Option(
                help: ArgumentHelp("A photo or sign-in sheet (URL or object key); repeat for more.", valueName: "ref")
            )
            var evidence: [String] = []

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws {
                if rule.isEmpty { throw ValidationError("--rule needs a rule's code; points rules lists them") }
                _ = try servedBy.holder()
                switch (minutes, hours) {
                case (nil, nil): throw ValidationError("say how long: --minutes N or --hours H")
                case (.some, .some): throw ValidationError("give --minutes or --hours, not both")
                case (.some(let minutes), nil): if minutes <= 0 { throw ValidationError("--minutes must be 1 or more") }
                case (nil, .some): break
                }
                if serviceDescription.allSatisfy(\.isWhitespace) {
                    throw ValidationError("--description needs what was done")
                }
                if let id, let problem = PointsIdentifier.problem(id, option: "--id") { throw ValidationError(problem) }
            }

            func request(id: String) -> Gongzhi_Points_V1_RecordServiceRequest {
                Gongzhi_Points_V1_RecordServiceRequest.with {
                    $0.id = id
                    $0.ruleCode = rule
                    if let (kind, holderID) = try? servedBy.holder() {
                        $0.holderKind = kind
                        $0.holderID = holderID
                    }
                    $0.teamPartnerID = team ?? ""
                    $0.servedAtMs = servedAt.milliseconds
                    $0.minutes = minutes ?? hours?.minutes ?? 0
                    $0.description_p = serviceDescription
                    $0.evidence = evidence
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let (id, made) = self.id.identifier("record", noun: "record", nowMs: invocation.context.time().nowMs)
                let request = self.request(id: id)
                let record = try await PointsCalls.call(invocation, made: made) { points, options in
                    try await points.recordService(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.record(record) }, message: record)
            }
        }

        /// `gongzhictl points records confirm ID`.
        struct ConfirmRecord: AdminCommand {
            static let configuration = CommandConfiguration(
                commandName: "confirm",
                abstract: "Confirm a service record; the plugin then credits it once.",
                discussion: """
                    Nobody confirms their own service: the plugin refuses it (exit 5).

                    Example:
                      gongzhictl points records confirm SR-1120-01 --as 李强
                    """
            )

            @Argument(help: ArgumentHelp("The record's id.", valueName: "id")) var id: String

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func run() async throws {
                let invocation = self.invocation
                let request = Gongzhi_Points_V1_ConfirmServiceRequest.with { $0.id = id }
                let record = try await PointsCalls.call(invocation) { points, options in
                    try await points.confirmService(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.record(record) }, message: record)
            }
        }

        /// `gongzhictl points records reject ID --reason R`.
        struct RejectRecord: AdminCommand {
            static let configuration = CommandConfiguration(
                commandName: "reject",
                abstract: "Reject a service record, with the reason; it earns nothing.",
                discussion: """
                    Example:
                      gongzhictl points records reject SR-1120-01 --reason "签到表缺失"
                      SR-1120-01 rejected: 签到表缺失
                    """
            )

            @Argument(help: ArgumentHelp("The record's id.", valueName: "id")) var id: String

            @Option(help: ArgumentHelp("Why; the holder is told.", valueName: "text")) var reason: String

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws {
                if reason.allSatisfy(\.isWhitespace) {
                    throw ValidationError("--reason needs why the record is rejected")
                }
            }

            var request: Gongzhi_Points_V1_RejectServiceRequest {
                Gongzhi_Points_V1_RejectServiceRequest.with {
                    $0.id = id
                    $0.reason = reason
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let request = self.request
                let record = try await PointsCalls.call(invocation) { points, options in
                    try await points.rejectService(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.record(record) }, message: record)
            }
        }
    }
}

/// Who served: `--resident ID` or `--partner ID`.
struct ServedByOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A resident who served, by their Resident id.", valueName: "id"))
    var resident: String?

    @Option(help: ArgumentHelp("A partner who served (a neighbour or a team), by their Partner id.", valueName: "id"))
    var partner: String?

    /// The holder; none or both is a usage error.
    func holder() throws -> (kind: Gongzhi_Points_V1_HolderKind, id: String) {
        switch (resident, partner) {
        case (nil, nil): throw ValidationError("say who served: --resident ID or --partner ID")
        case (.some, .some): throw ValidationError("give --resident or --partner, not both")
        case (.some(let id), nil):
            if id.isEmpty { throw ValidationError("--resident needs an id") }
            return (.resident, id)
        case (nil, .some(let id)):
            if id.isEmpty { throw ValidationError("--partner needs an id") }
            return (.partner, id)
        }
    }
}
