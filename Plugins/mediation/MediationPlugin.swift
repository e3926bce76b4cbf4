// gongzhi-mediation: the people's mediation plugin (人民调解). It keeps disputes as objects of its kind
// `Dispute` and takes them through the procedure of the People's Mediation Law — application, acceptance with
// every party's consent, mediators, sessions, an agreement signed and sealed or failure, judicial
// confirmation, follow-up and performance — records the legal clocks that run out, prints the agreement, and
// counts what tracing disputes to their sources needs. A grid case in a dispute category can be handed to it.
// See Docs/mediation.md.

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
        let disputes = DisputeBook(objects: context.objects, logger: context.logger)
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
        let alerting = Task { await desk.alert(every: settings.alertInterval) }
        context.onStop { _ in
            alerting.cancel()
            following.cancel()
        }
        return desk
    }
}
