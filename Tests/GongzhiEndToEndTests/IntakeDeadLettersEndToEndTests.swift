import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import XCTest

/// Inputs a stage refuses become dead letters with their stage and reason, the plugin keeps running, and a
/// person replays them once after fixing the registry or a mapping, or discards them (``IntakeWorld``).
final class IntakeDeadLettersEndToEndTests: XCTestCase {
    func testBadReadingsAndAPointOutsideEveryGridAreDeadLettersAndAFixedDeviceReplaysOnce() async throws {
        let world = try await IntakeWorld.start(self)
        let pid = try await world.host.status("intake").pid
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try world.publish(device: "WL-1", #"{"kind":"water_level","value":"#)
        try world.publish(device: "WL-1", #"{"kind":"water_level","value":"high","time_unix_ms":\#(now - 5_000)}"#)
        try world.publish(device: "WL-9", IntakeWorld.reading(kind: "water_level", value: 12, atMs: now - 4_000))
        let padding = String(repeating: "x", count: 300 * 1024)
        try world.publish(
            device: "WL-1",
            #"{"kind":"water_level","value":10,"time_unix_ms":\#(now - 3_000),"note":"\#(padding)"}"#
        )
        try world.broker.publish(
            topic: "gz/v1/readings/",
            payload: IntakeWorld.reading(kind: "water_level", value: 11, atMs: now - 2_000)
        )
        let far = try world.curl(
            "requests.json",
            form: world.ticketForm(service: "E0405", latitude: 39.9042, longitude: 116.4074)
        )
        XCTAssertEqual(far.status, 200, "the request is durable and counted, its dead letter waits: \(far.body)")

        let letters = try await world.deadLetters("sensors-x", count: 5)
        let byCode = Dictionary(letters.map { ($0.reasonCode, $0) }) { first, _ in first }
        XCTAssertEqual(letters.count, 5, "\(letters.map(\.reasonCode))")
        XCTAssertEqual(byCode["json.syntax"]?.stage, .decode)
        XCTAssertEqual(byCode["field.type"]?.stage, .validate, "\(letters.map(\.reasonCode))")
        XCTAssertEqual(byCode["device.unknown"]?.stage, .validate)
        XCTAssertEqual(byCode["device.unknown"]?.deviceID, "WL-9")
        let large = try XCTUnwrap(byCode["payload.too_large"], "\(letters.map(\.reasonCode))")
        XCTAssertEqual(large.stage, .decode)
        XCTAssertGreaterThan(large.rawSize, 300 * 1024)
        XCTAssertTrue(large.rawTruncated)
        XCTAssertEqual(large.raw.count, 64 * 1024, "a dead letter keeps the first 64 KiB")
        XCTAssertEqual(byCode["topic.unknown"]?.stage, .decode)
        XCTAssertEqual(byCode["topic.unknown"]?.origin, "gz/v1/readings/")
        XCTAssertTrue(letters.allSatisfy { $0.state == .open })

        let outside = try await world.deadLetters("hotline-12345", count: 1)
        XCTAssertEqual(outside.count, 1)
        XCTAssertEqual(outside.first?.stage, .locate)
        XCTAssertEqual(outside.first?.reasonCode, "locate.outside")
        XCTAssertEqual(outside.first?.reason.contains("39.904200, 116.407400"), true, outside.first?.reason ?? "")

        // The plugin is the same process and still takes good input.
        let pidNow = try await world.host.status("intake").pid
        XCTAssertEqual(pidNow, pid)
        try world.publish(device: "WL-2", IntakeWorld.reading(kind: "water_level", value: 9, atMs: now - 1_000))
        try await eventually("the good reading is received") { try await world.stats("sensors-x").received == 6 }
        var counters = try await world.settled("sensors-x")
        XCTAssertEqual(counters.received, 6)
        XCTAssertEqual(counters.accepted, 1)
        XCTAssertEqual(counters.deadLettered, 5)
        XCTAssertEqual(counters.readingsStored, 1)
        let hotline = try await world.settled("hotline-12345")
        XCTAssertEqual(hotline.received, 1)
        XCTAssertEqual(hotline.deadLettered, 1)

        // Register the device, replay its dead letter: accepted once.
        var put = Gongzhi_Intake_V1_PutDevicesRequest()
        put.devices = [IntakeWorld.device("WL-9", kind: "water_level", inGrid: 1)]
        _ = try await world.intake.putDevices(put)
        let unknown = try XCTUnwrap(byCode["device.unknown"])
        let replayed = try await world.replay([unknown.id])
        XCTAssertEqual(replayed.count, 1)
        XCTAssertEqual(replayed.first?.succeeded, true, replayed.first?.outcome ?? "")
        XCTAssertEqual(replayed.first?.outcome, "1 reading stored")
        counters = try await world.settled("sensors-x")
        XCTAssertEqual(counters.received, 6)
        XCTAssertEqual(counters.accepted, 2)
        XCTAssertEqual(counters.deadLettered, 4)
        XCTAssertEqual(counters.replayed, 1)
        XCTAssertEqual(counters.readingsStored, 2)
        var letter = Gongzhi_Intake_V1_GetDeadLetterRequest()
        letter.id = unknown.id
        let done = try await world.intake.getDeadLetter(letter)
        XCTAssertEqual(done.state, .replayed)
        XCTAssertEqual(done.outcome, "1 reading stored")
        XCTAssertEqual(done.history.map(\.action).suffix(2), ["replay started", "replayed"], "\(done.history)")

        // Again: refused, nothing moves, still one reading.
        let twice = try await world.replay([unknown.id])
        XCTAssertEqual(twice.first?.succeeded, false, twice.first?.outcome ?? "")
        let afterTwice = try await world.settled("sensors-x")
        XCTAssertEqual(afterTwice, counters)
        var readings = Gongzhi_Intake_V1_ReadingsRequest()
        readings.deviceID = "WL-9"
        readings.sinceMs = now - 60_000
        readings.untilMs = now + 60_000
        let values = try await world.intake.readings(readings).readings.map(\.value)
        XCTAssertEqual(values, [12])

        // Discarded with a reason: final, and still counted as dead-lettered.
        var discard = Gongzhi_Intake_V1_DiscardDeadLettersRequest()
        discard.ids = [try XCTUnwrap(byCode["json.syntax"]?.id)]
        discard.reason = "网关固件缺陷，已升级"
        let discarded = try await world.intake.discardDeadLetters(discard).deadLetters
        XCTAssertEqual(discarded.first?.state, .discarded)
        XCTAssertEqual(discarded.first?.discardReason, "网关固件缺陷，已升级")
        counters = try await world.settled("sensors-x")
        XCTAssertEqual(counters.deadLettered, 4)
        XCTAssertEqual(counters.discarded, 1)
        let refusedReplay = try await world.replay(discard.ids)
        XCTAssertEqual(refusedReplay.first?.succeeded, false, "a discarded dead letter is final")
        let acceptedAfterDiscard = try await world.settled("sensors-x").accepted
        XCTAssertEqual(acceptedAfterDiscard, 2)
    }

    func testACSVDeadLetterReplaysOnceAfterItsMappingIsFixedAndReloaded() async throws {
        let world = try await IntakeWorld.start(self)
        let point = GridEndToEndTests.point(inGrid: 0)
        // The department renamed its category column: the mapping still reads 问题类型.
        let file = world.files.file("城管导出-新版.csv")
        try """
        工单编号,问题分类,问题描述,纬度,经度,地址
        CG-101,道路积水,桥洞下积水,\(point.latitude),\(point.longitude),桥洞

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try world.ctl(["intake", "import", file, "--source", "urban-management"])
        XCTAssertEqual(imported.status, 0, imported.errors)
        XCTAssertTrue(
            imported.output.contains("received 1 = accepted 0 + duplicates 0 + dead-lettered 1 + in flight 0"),
            imported.output
        )
        let letters = try await world.deadLetters("urban-management", count: 1)
        let letter = try XCTUnwrap(letters.first)
        XCTAssertEqual(letter.stage, .validate)
        XCTAssertEqual(letter.reasonCode, "field.missing")
        XCTAssertTrue(letter.reason.contains("问题类型"), letter.reason)

        // Replayed before the fix: dead again, still open.
        let early = try await world.replay([letter.id])
        XCTAssertEqual(early.first?.succeeded, false, early.first?.outcome ?? "")
        var counters = try await world.settled("urban-management")
        XCTAssertEqual(counters.deadLettered, 1)
        XCTAssertEqual(counters.replayed, 0)

        try IntakeWorld.fileMapping.replacingOccurrences(of: #""category": "问题类型""#, with: #""category": "问题分类""#)
            .write(toFile: world.files.file("urban.mapping.json"), atomically: true, encoding: .utf8)
        _ = try await world.intake.reloadSources(Gongzhi_Intake_V1_ReloadSourcesRequest())
        let replayed = try await world.replay([letter.id])
        XCTAssertEqual(replayed.first?.succeeded, true, replayed.first?.outcome ?? "")
        XCTAssertTrue(replayed.first?.outcome.hasPrefix("case ") == true, replayed.first?.outcome ?? "")
        let again = try await world.replay([letter.id])
        XCTAssertEqual(again.first?.succeeded, false, again.first?.outcome ?? "")

        counters = try await world.settled("urban-management")
        XCTAssertEqual(counters.received, 1)
        XCTAssertEqual(counters.accepted, 1)
        XCTAssertEqual(counters.deadLettered, 0)
        XCTAssertEqual(counters.replayed, 1)
        XCTAssertEqual(counters.reports, 1)
        let items = try await world.items("urban-management")
        XCTAssertEqual(items.map(\.externalID), ["CG-101"])
        XCTAssertEqual(items.first?.state, .inCase)
        let cases = try await world.cases()
        XCTAssertEqual(cases.count, 1)
        XCTAssertEqual(cases.first?.id, items.first?.caseID)
        XCTAssertEqual(cases.first?.categoryCode, "E0405")
    }
}
