import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiPluginSDK
import GongzhiRPC
import Logging

/// Follows the grid's cases to the items they came from: each change of a case's state, deadline or assignee
/// is written on its items, which is what Open311 reads show the person who asked (意见有反馈); a closed case
/// of a sensor alert lets the next critical reading file a new report. On a host without the grid module it
/// says so and looks again every `retry`.
struct CaseFollower: Sendable {
    let pipeline: IntakePipeline
    var retry: Duration = .seconds(15)

    var books: IntakeBooks { pipeline.books }

    func run() async {
        while !Task.isCancelled {
            do {
                let (cases, revision) = try await books.objects.list(Gongzhi_Grid_V1_Case.self, pageSize: 2_000)
                for object in cases { await follow(object.message) }
                for try await event in books.objects.watch(Gongzhi_Grid_V1_Case.self, after: revision)
                where event.change != .deleted {
                    await follow(event.object.message)
                }
            } catch let error as RPCError where error.code == .notFound || error.code == .invalidArgument {
                pipeline.logger.info("the grid module is not deployed (the host knows no kind Case): no case to follow")
            } catch is CancellationError {
                return
            } catch {
                pipeline.logger.warning(
                    "following the grid's cases failed; trying again",
                    metadata: ["error": "\(error)"]
                )
            }
            try? await Task.sleep(for: retry)
        }
    }

    /// Writes a case's state on each of its items that does not show it yet.
    func follow(_ gridCase: Gongzhi_Grid_V1_Case) async {
        if Open311Status.of(caseState: gridCase.state).status == "closed" {
            pipeline.alertCaseClosed(caseID: gridCase.id)
        }
        let ids = books.items.read { index, _ in index.ids[gridCase.id] ?? [] }
        for id in ids {
            guard let held = books.items[id]?.message, held.state == .inCase else { continue }
            var expected = held
            Self.follow(&expected, gridCase)
            if expected.caseState == held.caseState && expected.expectedAtMs == held.expectedAtMs
                && expected.agency == held.agency
            {
                continue
            }
            do {
                _ = try await books.items.change(id, retries: 5) { current in
                    try ItemWorkflow.apply(
                        .followCase(
                            state: gridCase.state,
                            expectedAtMs: gridCase.deadlineMs,
                            agency: Self.agency(gridCase)
                        ),
                        to: current,
                        by: ItemActor(id: "", name: "网格化管理", principal: "plugin:intake"),
                        atMs: pipeline.clock.nowMs()
                    )
                }
            } catch {
                pipeline.logger.warning(
                    "writing a case's progress on its item failed; it is written at the case's next change",
                    metadata: ["item": "\(id)", "case": "\(gridCase.id)", "error": "\(error)"]
                )
            }
        }
    }

    /// Who the case is with, as Open311's agency_responsible shows it: a department or team by name, a grid
    /// worker as the grid (never a person's name).
    static func agency(_ gridCase: Gongzhi_Grid_V1_Case) -> String {
        switch gridCase.assignee.kind {
        case .department, .partnerTeam:
            return gridCase.assignee.name.isEmpty ? gridCase.assignee.id : gridCase.assignee.name
        case .gridWorker:
            return "网格 \(gridCase.gridCode)"
        case .unspecified, .UNRECOGNIZED:
            return ""
        }
    }

    /// An item as its case now stands (no history written: for a case the pipeline just made).
    static func follow(_ item: inout Gongzhi_Intake_V1_IntakeItem, _ gridCase: Gongzhi_Grid_V1_Case) {
        item.caseState = gridCase.state
        item.expectedAtMs = gridCase.deadlineMs
        let agency = agency(gridCase)
        if !agency.isEmpty { item.agency = agency }
        item.statusNotes = Open311Status.of(item: item).notes
    }
}
