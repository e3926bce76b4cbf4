import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiSensorsSchemas
import XCTest

final class AlertCoalescerTests: XCTestCase {
    private let grid = "330106001001001"

    private func alert(
        _ severity: Gongzhi_Sensors_V1_Alert.Severity,
        _ value: Double,
        device: String = "WL-1"
    ) -> Gongzhi_Sensors_V1_Alert {
        var alert = Gongzhi_Sensors_V1_Alert()
        alert.deviceID = device
        alert.kind = "water_level"
        alert.severity = severity
        alert.value = value
        alert.limit = severity == .critical ? 30 : 15
        return alert
    }

    private func kinds(_ actions: [AlertAction]) -> [String] {
        actions.map {
            switch $0 {
            case .open: return "open"
            case .fileReport: return "report"
            case .update: return "update"
            case .clear: return "clear"
            }
        }
    }

    func testWarningThenCriticalFilesOnceAndRepeatsDoNot() {
        var coalescer = AlertCoalescer(updateIntervalMs: 10_000, quietPeriodMs: 60_000)
        XCTAssertEqual(kinds(coalescer.observe(alert(.warning, 20), gridCode: grid, atMs: 0)), ["open"])
        XCTAssertEqual(
            kinds(coalescer.observe(alert(.warning, 21), gridCode: grid, atMs: 1_000)),
            [],
            "a repeat inside the interval"
        )
        XCTAssertEqual(
            kinds(coalescer.observe(alert(.critical, 35), gridCode: grid, atMs: 2_000)),
            ["report", "update"]
        )
        var total: [String] = []
        for second in 3..<60 {
            total += kinds(coalescer.observe(alert(.critical, 36), gridCode: grid, atMs: Int64(second) * 1_000))
        }
        XCTAssertFalse(total.contains("report"), "a device stuck at critical files one report")
        XCTAssertEqual(total.filter { $0 == "update" }.count, 5, "one write every 10 s: at 12, 22, 32, 42, 52 s")
        let open = coalescer.openAlert(deviceID: "WL-1", kind: "water_level")
        XCTAssertEqual(open?.readings, 60)
        XCTAssertEqual(open?.severity, .critical)
        XCTAssertEqual(open?.peakValue, 36)
        XCTAssertEqual(open?.limit, 30)
        XCTAssertEqual(open?.openedAtMs, 0)
        XCTAssertEqual(open?.gridCode, grid)
        XCTAssertEqual(open?.id, AlertCoalescer.alertID(deviceID: "WL-1", kind: "water_level", openedAtMs: 0))
    }

    func testAFirstCriticalReadingOpensAndFilesAtOnce() {
        var coalescer = AlertCoalescer()
        let actions = coalescer.observe(alert(.critical, 40), gridCode: grid, atMs: 0)
        XCTAssertEqual(kinds(actions), ["open", "report"])
        guard case .fileReport(let filed) = actions[1] else { return XCTFail("no report") }
        XCTAssertEqual(filed.state, .open)
        XCTAssertEqual(filed.deviceID, "WL-1")
        XCTAssertTrue(filed.id.hasPrefix("A"))
        XCTAssertEqual(filed.id.count, 17)
        coalescer.caseFiled(deviceID: "WL-1", kind: "water_level", caseID: "C1")
        XCTAssertEqual(coalescer.openAlert(deviceID: "WL-1", kind: "water_level")?.caseID, "C1")
    }

    func testClearingAfterTheQuietPeriodAndReopening() {
        var coalescer = AlertCoalescer(updateIntervalMs: 10_000, quietPeriodMs: 60_000)
        _ = coalescer.observe(alert(.critical, 40), gridCode: grid, atMs: 0)
        XCTAssertEqual(kinds(coalescer.observeQuiet(deviceID: "WL-1", kind: "water_level", atMs: 10_000)), [])
        XCTAssertEqual(
            kinds(coalescer.observeQuiet(deviceID: "WL-1", kind: "water_level", atMs: 69_999)),
            [],
            "a millisecond short"
        )
        // A reading over the limit restarts the quiet period.
        _ = coalescer.observe(alert(.warning, 20), gridCode: grid, atMs: 70_000)
        XCTAssertEqual(kinds(coalescer.observeQuiet(deviceID: "WL-1", kind: "water_level", atMs: 80_000)), [])
        let cleared = coalescer.observeQuiet(deviceID: "WL-1", kind: "water_level", atMs: 140_000)
        XCTAssertEqual(kinds(cleared), ["clear"])
        guard case .clear(let alert)? = cleared.first else { return XCTFail("not cleared") }
        XCTAssertEqual(alert.state, .cleared)
        XCTAssertEqual(alert.clearedAtMs, 140_000)
        XCTAssertNil(coalescer.openAlert(deviceID: "WL-1", kind: "water_level"))
        XCTAssertEqual(kinds(coalescer.observeQuiet(deviceID: "WL-1", kind: "water_level", atMs: 200_000)), [])
        let reopened = coalescer.observe(self.alert(.critical, 33), gridCode: grid, atMs: 300_000)
        XCTAssertEqual(kinds(reopened), ["open", "report"], "a new alert files a new report")
        XCTAssertNotEqual(coalescer.openAlert(deviceID: "WL-1", kind: "water_level")?.id, alert.id)
    }

    func testAClosedCaseRefilesOnTheNextCriticalReading() {
        var coalescer = AlertCoalescer()
        _ = coalescer.observe(alert(.critical, 40), gridCode: grid, atMs: 0)
        coalescer.caseFiled(deviceID: "WL-1", kind: "water_level", caseID: "C1")
        XCTAssertEqual(kinds(coalescer.observe(alert(.warning, 20), gridCode: grid, atMs: 1_000)), [])
        coalescer.caseClosed(deviceID: "WL-1", kind: "water_level")
        XCTAssertEqual(
            kinds(coalescer.observe(alert(.warning, 20), gridCode: grid, atMs: 2_000)),
            [],
            "a warning does not refile"
        )
        let actions = coalescer.observe(alert(.critical, 41), gridCode: grid, atMs: 3_000)
        XCTAssertEqual(kinds(actions), ["report"])
        guard case .fileReport(let filed)? = actions.first else { return XCTFail("no report") }
        XCTAssertEqual(filed.caseID, "", "the new report is not the closed case's")
    }

    func testDevicesAndKindsAreSeparate() {
        var coalescer = AlertCoalescer()
        XCTAssertEqual(
            kinds(coalescer.observe(alert(.critical, 40, device: "WL-1"), gridCode: grid, atMs: 0)),
            ["open", "report"]
        )
        XCTAssertEqual(
            kinds(coalescer.observe(alert(.critical, 40, device: "WL-2"), gridCode: grid, atMs: 0)),
            ["open", "report"]
        )
        var smoke = alert(.critical, 1, device: "WL-1")
        smoke.kind = "smoke"
        XCTAssertEqual(kinds(coalescer.observe(smoke, gridCode: grid, atMs: 0)), ["open", "report"])
    }

    func testACaseClosedByItsIdLetsTheNextCriticalFileAgain() {
        var coalescer = AlertCoalescer(updateIntervalMs: 10_000, quietPeriodMs: 60_000)
        _ = coalescer.observe(alert(.critical, 40), gridCode: grid, atMs: 0)
        coalescer.caseFiled(deviceID: "WL-1", kind: "water_level", caseID: "C1")
        coalescer.caseClosed(caseID: "C-other")
        XCTAssertEqual(kinds(coalescer.observe(alert(.critical, 41), gridCode: grid, atMs: 20_000)), ["update"])
        coalescer.caseClosed(caseID: "C1")
        XCTAssertEqual(
            kinds(coalescer.observe(alert(.critical, 42), gridCode: grid, atMs: 40_000)),
            ["report", "update"]
        )
    }

    func testARestoredAlertIsNotOpenedOrReportedAgain() {
        var first = AlertCoalescer(updateIntervalMs: 10_000, quietPeriodMs: 60_000)
        guard case .open(var held)? = first.observe(alert(.critical, 40), gridCode: grid, atMs: 0).first else {
            return XCTFail("a first critical reading opens an alert")
        }
        held.caseID = "C1"
        var restarted = AlertCoalescer(updateIntervalMs: 10_000, quietPeriodMs: 60_000)
        restarted.restore(held, caseOpen: true)
        XCTAssertEqual(restarted.openAlert(deviceID: "WL-1", kind: "water_level")?.id, held.id)
        XCTAssertEqual(kinds(restarted.observe(alert(.critical, 41), gridCode: grid, atMs: 20_000)), ["update"])
        var cleared = held
        cleared.state = .cleared
        var empty = AlertCoalescer()
        empty.restore(cleared, caseOpen: false)
        XCTAssertNil(empty.openAlert(deviceID: "WL-1", kind: "water_level"))
    }
}
