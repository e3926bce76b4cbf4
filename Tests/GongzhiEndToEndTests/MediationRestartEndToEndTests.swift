import Foundation
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The mediation plugin killed (SIGKILL) in the middle of mediation, and restarted by the host: every dispute is
/// as it was, the next step goes on from where it stopped, a retried application still answers its dispute, and
/// the clocks that had run out are not alerted again.
final class MediationRestartEndToEndTests: XCTestCase {
    typealias World = MediationWorld

    func testAPluginKilledInTheMiddleOfMediationLosesNothingAndTheNextStepGoesOn() async throws {
        let world = try await MediationWorld.start(self)
        let application = World.application(key: "desk-2026-03-02-1")
        let id = try await world.dispute(in: .mediating, application).id
        try world.setClock(World.china(2026, 3, 7, 10))
        let later = try await world.dispute(in: .accepted, World.application(title: "楼上噪音")).id
        // The first one's month ran out (to 2026-04-02): alerted before the kill.
        try world.setClock(World.china(2026, 4, 3, 0, 1))
        try await eventually("the first month's running out is alerted") {
            try await world.get(id).alerts.count == 1
        }
        let before = try await world.get(id)
        let laterBefore = try await world.get(later)
        XCTAssertEqual(before.sessions.count, 1)

        let running = try await world.host.status("mediation")
        kill(running.pid, SIGKILL)
        let restarted = try await world.host.waitUntilRestarted("mediation", from: running.pid)
        XCTAssertEqual(restarted.restarts, 1)

        // At once: every dispute as it was, with its personal data, history and alerts.
        let after = try await world.get(id)
        XCTAssertEqual(after, before)
        let laterAfter = try await world.get(later)
        XCTAssertEqual(laterAfter, laterBefore)
        let listed = try await world.admin.listDisputes(Gongzhi_Mediation_V1_ListDisputesRequest()).disputes
        XCTAssertEqual(Set(listed.map(\.id)), [id, later])

        // The next step goes on from where it stopped: a second session, then the agreement.
        let second = try await world.session(id)
        XCTAssertEqual(second.sessions.map(\.number), [1, 2])
        XCTAssertEqual(second.history.count, before.history.count + 1)
        let drafted = try await world.draft(
            id,
            World.agreement(repairBy: World.china(2026, 4, 20), payBy: World.china(2026, 4, 30))
        )
        XCTAssertEqual(drafted.state, .agreementDrafted)
        // A retry of the application from before the restart still answers its dispute.
        let retried = try await world.apply(application)
        XCTAssertEqual(retried.id, id)
        XCTAssertEqual(retried.state, .agreementDrafted)

        // The restarted plugin sweeps again: it records the second month running out (to 2026-04-07), and not the
        // first one's again.
        try world.setClock(World.china(2026, 4, 8, 0, 1))
        try await eventually("the second month's running out is alerted") {
            try await world.get(later).alerts.count == 1
        }
        let firstAlerts = try await world.get(id).alerts
        XCTAssertEqual(firstAlerts, before.alerts)
        let stored = try await world.objects.list(.with { $0.kind = "Dispute" }).objects
        XCTAssertEqual(stored.count, 2, "nothing written twice under another id")
    }
}
