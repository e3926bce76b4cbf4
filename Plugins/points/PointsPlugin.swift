// gongzhi-points: the points-exchange plugin (积分兑换). A double-entry ledger of points that residents and
// partners earn by rules — from confirmed service records, from grid cases evaluated satisfied, by hand — and
// redeem for goods at points supermarkets, with lots that expire and a hash chain over every transfer. Its
// state is the host's objects of its kinds; see Docs/points.md.

import GongzhiPluginSDK
import GongzhiPoints
import GongzhiPointsSchemas
import Logging

@main
struct PointsPlugin {
    static func main() async {
        await Plugin.main(name: "points", version: "1.0.0") { context in
            let settings = try PointsSettings.fromEnvironment()
            let descriptors = try PointsKinds.fileDescriptorSet()
            for kind in PointsKinds.all {
                try await context.objects.registerKind(
                    kind.name,
                    messageName: kind.message,
                    fileDescriptorSet: descriptors
                )
            }
            let engine = try await LedgerEngine.open(
                objects: context.objects,
                clock: settings.clock,
                logger: context.logger
            )
            let writing = Task { await engine.run() }
            try await engine.writeRepairs()
            let integrations = Integrations()
            let gridCredits = GridCaseCredits(engine: engine, integrations: integrations, logger: context.logger)
            let following = Task { await gridCredits.run() }
            let sweeping = Task { await sweep(engine, every: settings.sweepInterval, logger: context.logger) }
            let status = try await engine.read { book, _ in (book.transfers.count, book.accounts.count) }
            context.logger.info(
                "the ledger is open",
                metadata: ["transfers": "\(status.0)", "accounts": "\(status.1)", "clock": "\(settings.clock)"]
            )
            context.onStop { _ in
                following.cancel()
                sweeping.cancel()
                writing.cancel()
            }
            return [
                PointsService(
                    engine: engine,
                    directory: HolderDirectory(objects: context.objects),
                    integrations: integrations
                )
            ]
        }
    }

    /// Expires due lots and voids timed-out redemptions and pending transfers, every `interval`.
    static func sweep(_ engine: LedgerEngine, every interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                let done = try await engine.perform { book, now in book.sweep(now: now) }
                if done != PointsBook.Sweep() {
                    logger.info(
                        "swept the ledger",
                        metadata: [
                            "expired accounts": "\(done.expiredAccounts)", "expired points": "\(done.expiredPoints)",
                            "expired redemptions": "\(done.expiredRedemptions)", "voided": "\(done.voidedPending)",
                        ]
                    )
                }
            } catch {
                logger.warning("sweeping the ledger failed; trying again", metadata: ["error": "\(error)"])
            }
        }
    }
}
