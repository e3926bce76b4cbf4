import ArgumentParser
import GongzhiControl
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas

extension GridCommand {
    /// `gongzhictl grid locate LON LAT`.
    struct Locate: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which grid a point is in, with its community and street.",
            discussion: """
                The point is in WGS-84 degrees, longitude first; a negative number is typed as it is \
                (gongzhictl grid locate -73.98 40.75). A point in no grid exits with status 4.

                Example:
                  gongzhictl grid locate 120.1551 30.2741
                  grid:       330106001001003
                  name:       西溪社区第三网格
                  community:  330106001001
                  street:     330106001
                """
        )

        @Argument(
            parsing: .allUnrecognized,
            help: ArgumentHelp("The longitude and the latitude, in degrees.", valueName: "lon lat")
        )
        var coordinates: [String] = []

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            guard coordinates.count == 2 else {
                throw ValidationError(
                    "give the point as two numbers, longitude then latitude: grid locate 120.1551 30.2741"
                )
            }
            _ = try point
        }

        /// The point the arguments give.
        var point: GridPoint {
            get throws {
                do {
                    return try GridPoint(longitude: coordinates[0], latitude: coordinates[1])
                } catch {
                    throw ValidationError("\(coordinates.joined(separator: " ")) is not a point: \(error)")
                }
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Grid_V1_LocateRequest.with { $0.point = (try? point)?.message ?? .init() }
            let response = try await GridCalls.call(invocation) { grid, options in
                try await grid.locate(request, options: options)
            }
            invocation.print(human: { _ in GridOutput.located(response) }, message: response)
        }
    }

    /// `gongzhictl grid report --category CODE --at LON,LAT`.
    struct Report: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report a matter: open a case, or join the open case of the same matter nearby.",
            discussion: """
                Say where with --at LON,LAT (the plugin finds the grid) or --grid CODE when the place is \
                not known more closely. A report of the same category near an open case, within the \
                duplicate rule grid categories shows, joins that case instead of opening another. With \
                --key, running the same report again (e.g. after a timeout) answers the case the first run \
                made instead of making another.

                Example:
                  gongzhictl grid report --category E0101 --at 120.1551,30.2741 --source patrol \\
                    --description "路边暴露垃圾" --reporter 王芳 --key patrol-20261122-0007
                  Opened case C1a2b3.
                  case:      C1a2b3
                  state:     dispatched
                  …
                """
        )

        @Option(help: ArgumentHelp("The category's code, as grid categories lists them.", valueName: "code"))
        var category: String

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Where: longitude,latitude in degrees, e.g. 120.1551,30.2741.", valueName: "lon,lat"),
            transform: { text in try GridPoint(parsing: text) }
        )
        var at: GridPoint?

        @Option(
            name: .customLong("grid"),
            help: ArgumentHelp("Where, when only the grid is known: its 15-digit code.", valueName: "code")
        )
        var gridCode: String?

        @Option(
            name: .customLong("description"),
            help: ArgumentHelp("What the matter is.", valueName: "text")
        )
        var caseDescription: String?

        @Option(
            help: ArgumentHelp(
                "Where the report came from: patrol, visit, online, hotline, sensor or assigned.",
                valueName: "source"
            )
        )
        var source: GridSourceArgument

        @Option(help: ArgumentHelp("The reporter's name.", valueName: "name"))
        var reporter: String?

        @Option(help: ArgumentHelp("The reporter's phone (personal data).", valueName: "phone"))
        var phone: String?

        @Option(help: ArgumentHelp("The reporter's Resident id, when they are one.", valueName: "id"))
        var resident: String?

        @Option(
            name: .customLong("media"),
            help: ArgumentHelp(
                "A reference to a photo or recording (URL or object key); repeat for more.",
                valueName: "ref"
            )
        )
        var media: [String] = []

        @Option(
            help: ArgumentHelp(
                "An idempotency key: the same report again answers the first one's case (at most 128 characters).",
                valueName: "key"
            )
        )
        var key: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            switch (at, gridCode) {
            case (nil, nil):
                throw ValidationError("say where: --at LON,LAT, or --grid CODE when only the grid is known")
            case (.some, .some):
                throw ValidationError("give either --at or --grid, not both")
            default:
                break
            }
            if category.isEmpty { throw ValidationError("--category needs a code; grid categories lists them") }
            if let gridCode, gridCode.isEmpty { throw ValidationError("--grid needs the grid's code") }
            if let key, key.count > 128 {
                throw ValidationError("--key has \(key.count) characters; at most 128 are allowed")
            }
        }

        /// The request this command line asks for.
        var request: Gongzhi_Grid_V1_ReportRequest {
            Gongzhi_Grid_V1_ReportRequest.with {
                $0.source = source.source
                $0.categoryCode = category
                $0.description_p = caseDescription ?? ""
                if let at { $0.location = at.message }
                $0.gridCode = gridCode ?? ""
                $0.media = media
                if reporter != nil || phone != nil || resident != nil {
                    $0.reporter = Gongzhi_Grid_V1_Reporter.with {
                        $0.name = reporter ?? ""
                        $0.phone = phone ?? ""
                        $0.residentID = resident ?? ""
                    }
                }
                $0.idempotencyKey = key ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await GridCalls.call(invocation) { grid, options in
                try await grid.report(request, options: options)
            }
            invocation.print(human: { GridOutput.reported(response, time: $0) }, message: response)
        }
    }

    /// `gongzhictl grid list`.
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List cases, newest first, with filters.",
            discussion: """
                Filters combine: --state (repeat for several), --region (a grid's, community's or street's \
                code), --category, --source, --open (not rejected, closed or evaluated), --overdue (open \
                with the deadline passed). DEADLINE reads "in 3h", "overdue 2h", or once handled whether \
                that was in time. The footer gives the total and, when there are more, the --page token of \
                the next page.

                Example:
                  gongzhictl grid list --open --region 330106001 --limit 20
                """
        )

        @Option(
            name: .customLong("state"),
            help: ArgumentHelp("Only cases in this state; repeat for several.", valueName: "state")
        )
        var states: [GridStateArgument] = []

        @Option(
            help: ArgumentHelp("Only cases in this grid, community or street (its code).", valueName: "code")
        )
        var region: String?

        @Option(help: ArgumentHelp("Only cases of this category.", valueName: "code"))
        var category: String?

        @Option(help: ArgumentHelp("Only cases reported from this source.", valueName: "source"))
        var source: GridSourceArgument?

        @Flag(help: "Only open cases whose deadline has passed.")
        var overdue = false

        @Flag(help: "Only open cases: not rejected, closed or evaluated.")
        var open = false

        @Option(help: ArgumentHelp("At most this many cases (default: the plugin's page size).", valueName: "n"))
        var limit: UInt32?

        @Option(
            help: ArgumentHelp("The page after a previous list's (its footer gives the token).", valueName: "token")
        )
        var page: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if limit == 0 {
                throw ValidationError("--limit must be 1 or more; leave it out for the plugin's page size")
            }
        }

        var request: Gongzhi_Grid_V1_ListCasesRequest {
            Gongzhi_Grid_V1_ListCasesRequest.with {
                $0.states = states.map(\.state)
                $0.regionCode = region ?? ""
                $0.categoryCode = category ?? ""
                $0.source = source?.source ?? .unspecified
                $0.overdueOnly = overdue
                $0.openOnly = open
                $0.limit = limit ?? 0
                $0.pageToken = page ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await GridCalls.call(invocation) { grid, options in
                try await grid.listCases(request, options: options)
            }
            invocation.print(human: { GridOutput.list(response, time: $0) }, message: response)
        }
    }

    /// `gongzhictl grid show ID`.
    struct Show: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one case: every field, its whole history, escalations and duplicate reports.",
            discussion: """
                The reporter's phone is shown only when the host gives you personal data.

                Example:
                  gongzhictl grid show C1a2b3
                """
        )

        @Argument(help: ArgumentHelp("The case's id.", valueName: "id"))
        var id: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Grid_V1_GetCaseRequest.with { $0.caseID = id }
            let found = try await GridCalls.call(invocation) { grid, options in
                try await grid.getCase(request, options: options)
            }
            invocation.print(human: { GridOutput.detail(found, time: $0) }, message: found)
        }
    }

    /// `gongzhictl grid stats`.
    struct Stats: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count cases per grid, community or street: open, overdue, closed in the grid, on time.",
            discussion: """
                IN GRID % is the share of closed cases closed at the grid tier (小事不出网格); ON TIME % the \
                share of handled cases handled by their deadline; SATISFACTION % the share of evaluations \
                that were satisfied or acceptable, of how many. --since and --until take a date or time \
                (2026-11-01, 2026-11-01T08:00, in local time unless an offset is given) or how long ago \
                (7d, 12h); cases reported in [since, until) are counted.

                Example:
                  gongzhictl grid stats --level community --region 330106001 --since 30d
                """
        )

        @Option(help: ArgumentHelp("A row per grid, community or street (default: community).", valueName: "level"))
        var level: GridLevelArgument?

        @Option(help: ArgumentHelp("Only regions inside this street's or community's code.", valueName: "code"))
        var region: String?

        @Option(
            help: ArgumentHelp("Only cases reported at or after this time (or this long ago).", valueName: "time"),
            transform: { text in try GridMoment(parsing: text) }
        )
        var since: GridMoment?

        @Option(
            help: ArgumentHelp("Only cases reported before this time (or this long ago).", valueName: "time"),
            transform: { text in try GridMoment(parsing: text) }
        )
        var until: GridMoment?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        /// The request, with times counted from `time`; an empty period is a usage error.
        func request(at time: TimeStyle) throws(ControlError) -> Gongzhi_Grid_V1_StatsRequest {
            let sinceMs = since?.milliseconds(in: time) ?? 0
            let untilMs = until?.milliseconds(in: time) ?? 0
            if since != nil && until != nil && sinceMs >= untilMs {
                throw ControlError(
                    "--since \(time.timestamp(sinceMs)) is not before --until \(time.timestamp(untilMs))",
                    exitCode: ControlExitCode.usage
                )
            }
            return Gongzhi_Grid_V1_StatsRequest.with {
                $0.level = level?.level ?? .unspecified
                $0.regionCode = region ?? ""
                $0.sinceMs = sinceMs
                $0.untilMs = untilMs
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = try self.request(at: invocation.context.time())
            let response = try await GridCalls.call(invocation) { grid, options in
                try await grid.stats(request, options: options)
            }
            invocation.print(human: { _ in GridOutput.stats(response) }, message: response)
        }
    }

    /// `gongzhictl grid categories`.
    struct Categories: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the case categories: their tier, deadline and whether they are dispatched at once.",
            discussion: """
                TYPE is part (部件, a thing such as a manhole cover) or event (事件, a happening such as \
                dumped rubbish); TIER who owns such a case; DEADLINE the time to handle it once dispatched; \
                AUTO yes when a report of it is registered and dispatched to the grid's worker at once. The \
                last line gives the duplicate rule.
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let response = try await GridCalls.call(invocation) { grid, options in
                try await grid.listCategories(Gongzhi_Grid_V1_ListCategoriesRequest(), options: options)
            }
            invocation.print(human: { _ in GridOutput.categories(response) }, message: response)
        }
    }
}
