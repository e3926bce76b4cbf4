import ArgumentParser
import GongzhiControl
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas

/// `gongzhictl grid …`: grid management (网格化管理), served by the `grid` plugin; `gongzhictl` lists it among
/// its modules' commands (``ControlCommandLine``).
public struct GridCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "grid",
        abstract: "Manage grids and their cases: import grids, report, dispatch and close cases, count them.",
        discussion: """
            The grid plugin serves these commands through the host; import writes Grid objects to the \
            host itself. A case (案卷) goes through the closed loop of grid management: reported → \
            registered (or rejected) → dispatched → in-progress → handled → verified (or sent back) → \
            closed → evaluated. Each verb takes the case's id; a step the case's state does not allow is \
            refused with the steps it does allow.

            Examples:
              gongzhictl grid import grids.geojson --dry-run
              gongzhictl grid report --category E0101 --at 120.1551,30.2741 --source patrol
              gongzhictl grid list --open --region 330106001
              gongzhictl grid dispatch C1a2b3 --to worker:王芳 --deadline 24h --as 李强

            A step is taken by whoever calls: the person you are logged in as (gongzhictl login), or the \
            person --as names (an id or a name; the host checks that you may act for them), and the plugin \
            records that person in the case's history.
            """,
        subcommands: [
            Import.self, Locate.self, Report.self, List.self, Show.self, Register.self, Reject.self,
            Dispatch.self, Start.self, Handle.self, Verify.self, SendBack.self, Close.self, Evaluate.self,
            Stats.self, Categories.self,
        ]
    )

    public init() {}
}

/// Calls to the grid plugin through the host.
enum GridCalls {
    static let service = PluginService(name: Gongzhi_Grid_V1_GridService.serviceName, plugin: "grid")

    /// Calls the plugin; an error says whether the host, the plugin or the request is the problem.
    static func call<Result: Sendable>(
        _ invocation: Invocation,
        _ body: (Gongzhi_Grid_V1_GridServiceClient, CallOptions) async throws -> Result
    ) async throws -> Result {
        try await invocation.callPlugin(service) { channel, options in
            try await body(Gongzhi_Grid_V1_GridServiceClient(channel: channel), options)
        }
    }
}

/// What every verb takes: the case, and the revision it expects. Who takes the step is who calls: the person
/// you are logged in as, or the one the global `--as PERSON` names; the plugin records the person the host
/// verified.
struct CaseStepOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The case's id, as grid list shows it.", valueName: "id"))
    var id: String

    @Option(
        help: ArgumentHelp(
            "Take the step only if the case is still at this revision (default: whatever it is at).",
            valueName: "n"
        )
    )
    var revision: Int64?

    func validate() throws {
        if id.isEmpty { throw ValidationError("the case id is empty; grid list shows the ids") }
        if let revision, revision <= 0 {
            throw ValidationError("--revision must be 1 or more; leave it out to take the step at any revision")
        }
    }

    var ref: Gongzhi_Grid_V1_CaseRef {
        Gongzhi_Grid_V1_CaseRef.with {
            $0.caseID = id
            $0.expectedRevision = revision ?? 0
        }
    }
}

/// A verb of the workflow: builds its request, calls the plugin, and prints the case as the step left it.
protocol CaseStepCommand: AdminCommand {
    var step: CaseStepOptions { get }
    /// Calls the plugin with the request this command line asks for; `time` is the now that a deadline
    /// counts from.
    func send(
        to grid: Gongzhi_Grid_V1_GridServiceClient,
        options: CallOptions,
        time: TimeStyle
    ) async throws -> Gongzhi_Grid_V1_Case
}

extension CaseStepCommand {
    func run() async throws {
        let invocation = self.invocation
        let time = invocation.context.time()
        let updated = try await GridCalls.call(invocation) { grid, options in
            try await send(to: grid, options: options, time: time)
        }
        invocation.print(human: { GridOutput.stepped(updated, time: $0) }, message: updated)
    }
}

extension ArgumentHelp {
    /// The help of `--note` on a verb.
    static let note = ArgumentHelp("A note kept in the case's history.", valueName: "text")
}
