// gongzhi-mediation: the people's mediation plugin (人民调解). It keeps disputes as objects of its kind
// `Dispute` and takes them through the procedure of the People's Mediation Law — application, acceptance with
// every party's consent, mediators, sessions, an agreement signed and sealed or failure, judicial
// confirmation, follow-up and performance — records the legal clocks that run out, prints the agreement, and
// counts what tracing disputes to their sources needs. A grid case in a dispute category can be handed to it.
// See Docs/mediation.md.

import GongzhiCalendar
import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiSchemas

@main
struct MediationPlugin {
    static func main() async {
        await Plugin.main(name: "mediation", version: "1.0.0") { context in
            [MediationService(desk: try await openDesk(context, settings: try MediationSettings.fromEnvironment()))]
        }
    }

    /// Registers the kind Dispute, follows the disputes until the plugin stops, and opens the desk once they
    /// are all in memory; the desk records the clocks that ran out every `settings.alertInterval`.
    static func openDesk(_ context: PluginContext, settings: MediationSettings) async throws -> DisputeDesk {
        try await context.objects.registerKind(
            Gongzhi_Mediation_V1_Dispute.kindName,
            messageName: Gongzhi_Mediation_V1_Dispute.protoMessageName,
            fileDescriptorSet: try MediationKinds.fileDescriptorSet()
        )
        let disputes = DisputeBook(objects: context.objects, logger: context.logger, restDays: settings.restDays)
        let following = Task { await disputes.run() }
        await disputes.waitUntilSynced()
        context.logger.info(
            "following the disputes",
            metadata: [
                "disputes": "\(disputes.count)",
                "clock": "\(settings.clock)", "alert interval": "\(settings.alertInterval)",
                "dispute categories": "\(settings.disputeCategories.joined(separator: ","))",
            ]
        )
        let desk = DisputeDesk(
            disputes: disputes,
            settings: settings,
            roster: MediatorRoster(objects: context.objects),
            gridCases: GridCases(objects: context.objects),
            logger: context.logger
        )
        // The State Council announces a year's holidays in November or so of the year before.
        let today = ChinaCalendar.date(at: settings.clock.nowMs())
        let years = today.month >= 11 ? [today.year, today.year + 1] : [today.year]
        for unknown in years where !settings.restDays.knows(year: unknown) {
            let message =
                "the public holidays of \(unknown) are not known: legal periods ending in \(unknown) move only past "
                + "weekends; add the State Council's announcement in MEDIATION_REST_DAYS_FILE (Docs/mediation.md)"
            context.logger.warning("\(message)")
        }
        let alerting = Task { await desk.alert(every: settings.alertInterval) }
        context.onStop { _ in
            alerting.cancel()
            following.cancel()
        }
        return desk
    }
}
