// gongzhi-grid: the grid-management plugin (网格化管理). It locates points in grids, keeps cases (案卷) as
// objects of its kind `Case` and moves them through the closed loop from report to evaluation, escalates
// overdue ones, and counts them. Where the mediation module runs, it follows its disputes: a case handed over
// waits on its dispute and closes with it, and a missed obligation opens a case. See Docs/grid.md.

import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiSchemas

@main
struct GridPlugin {
    static func main() async {
        await Plugin.main(name: "grid", version: "1.0.0") { context in
            [GridService(desk: try await openDesk(context, settings: try GridSettings.fromEnvironment()))]
        }
    }

    /// Registers the kind Case, follows the grids and the cases until the plugin stops, and opens the desk
    /// once both are in memory; the desk escalates overdue cases every `settings.escalationInterval`, and
    /// writes what the mediation module's disputes call for (``DisputeFollower``).
    static func openDesk(_ context: PluginContext, settings: GridSettings) async throws -> CaseDesk {
        let catalogue = try settings.catalogue()
        let missedObligationCategory = try settings.missedObligationCategory(in: catalogue)
        try await context.objects.registerKind(
            Gongzhi_Grid_V1_Case.kindName,
            messageName: Gongzhi_Grid_V1_Case.protoMessageName,
            fileDescriptorSet: try GridKinds.fileDescriptorSet()
        )
        let grids = GridMap(objects: context.objects, logger: context.logger)
        let cases = CaseBook(
            objects: context.objects,
            duplicateRadiusMeters: catalogue.duplicateRadiusMeters,
            logger: context.logger
        )
        let following = [Task { await grids.run() }, Task { await cases.run() }]
        await grids.waitUntilSynced()
        await cases.waitUntilSynced()
        context.logger.info(
            "following \(grids.count) grids and \(cases.count) cases",
            metadata: ["categories": "\(catalogue.categories.count)", "clock": "\(settings.clock)"]
        )
        let desk = CaseDesk(
            grids: grids,
            cases: cases,
            catalogue: catalogue,
            clock: settings.clock,
            workers: WorkerRoster(objects: context.objects),
            logger: context.logger
        )
        let escalator = Task { await desk.escalate(every: settings.escalationInterval) }
        let disputes = DisputeFollower(
            desk: desk,
            objects: context.objects,
            missedObligationCategory: missedObligationCategory.code,
            logger: context.logger
        )
        let mediation = Task { await disputes.run() }
        context.onStop { _ in
            escalator.cancel()
            mediation.cancel()
            for task in following { task.cancel() }
        }
        return desk
    }
}
