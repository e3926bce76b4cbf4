import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiTestSupport
import XCTest

/// Intake's items and dead letters as people at the desk read them through the host: without the personal-data
/// grant, no phone, name, address, description or raw input; with it, all of them (``IntakeWorld``).
final class IntakePersonalDataEndToEndTests: XCTestCase {
    func testAPersonWithoutThePersonalDataGrantReadsItemsAndDeadLettersWithoutIt() async throws {
        let world = try await IntakeWorld.start(self)
        let point = GridEndToEndTests.point(inGrid: 0)
        // 文三路88号3单元门口积水
        let description =
            "%E6%96%87%E4%B8%89%E8%B7%AF88%E5%8F%B73%E5%8D%95%E5%85%83"
            + "%E9%97%A8%E5%8F%A3%E7%A7%AF%E6%B0%B4"
        let posted = try world.curl(
            "requests.json",
            form: world.ticketForm(
                service: "E0405",
                latitude: point.latitude,
                longitude: point.longitude,
                description: description,
                extra: "&phone=13900003333&first_name=%E6%A1%82%E5%85%B0&last_name=%E5%BC%A0"
                    + "&address_string=%E6%96%87%E4%B8%89%E8%B7%AF88%E5%8F%B7"
            )
        )
        XCTAssertEqual(posted.status, 200, posted.body)
        let far = try world.curl(
            "requests.json",
            form: world.ticketForm(service: "E0405", latitude: 39.9, longitude: 116.4, extra: "&phone=13900004444")
        )
        XCTAssertEqual(far.status, 200, far.body)
        let counters = try await world.settled("hotline-12345")
        XCTAssertEqual(counters.received, 2)
        XCTAssertEqual(counters.accepted, 1)
        XCTAssertEqual(counters.deadLettered, 1)

        // What the administrator reads: everything.
        let firstItem = try await world.items("hotline-12345").first
        let full = try XCTUnwrap(firstItem)
        XCTAssertEqual(full.requester.phone, "13900003333")
        XCTAssertEqual(full.requester.name, "张桂兰")
        XCTAssertEqual(full.description_p, "文三路88号3单元门口积水")
        XCTAssertEqual(full.address, "文三路88号")
        let firstLetter = try await world.deadLetters("hotline-12345").first
        let fullLetter = try XCTUnwrap(firstLetter)
        XCTAssertFalse(fullLetter.raw.isEmpty)

        let reader = try await world.person("zhou-li", personalData: false, in: self)
        var listItems = Gongzhi_Intake_V1_ListItemsRequest()
        listItems.source = "hotline-12345"
        let items = try await reader.listItems(listItems).items
        XCTAssertEqual(items.count, 1)
        let item = try XCTUnwrap(items.first)
        XCTAssertEqual(item.id, full.id, "the same item")
        XCTAssertEqual(item.gridCode, IntakeWorld.grid, "places are not personal data")
        XCTAssertEqual(item.caseID, full.caseID)
        XCTAssertEqual(item.requester.phone, "")
        XCTAssertEqual(item.requester.name, "")
        XCTAssertEqual(item.description_p, "")
        XCTAssertEqual(item.address, "")
        XCTAssertTrue(item.attributes.allSatisfy { $0.values.isEmpty }, "\(item.attributes)")
        var getItem = Gongzhi_Intake_V1_GetItemRequest()
        getItem.id = full.id
        let got = try await reader.getItem(getItem)
        XCTAssertEqual(got.requester.phone, "")
        XCTAssertEqual(got.description_p, "")

        var listLetters = Gongzhi_Intake_V1_ListDeadLettersRequest()
        listLetters.source = "hotline-12345"
        let letters = try await reader.listDeadLetters(listLetters).deadLetters
        XCTAssertEqual(letters.count, 1)
        let letter = try XCTUnwrap(letters.first)
        XCTAssertEqual(letter.id, fullLetter.id)
        XCTAssertEqual(letter.reasonCode, "locate.outside", "the reason holds no personal data and stays")
        XCTAssertEqual(letter.rawSize, fullLetter.rawSize)
        XCTAssertTrue(letter.raw.isEmpty, "the raw input is personal data")
        var getLetter = Gongzhi_Intake_V1_GetDeadLetterRequest()
        getLetter.id = fullLetter.id
        let rawHidden = try await reader.getDeadLetter(getLetter).raw.isEmpty
        XCTAssertTrue(rawHidden)

        // A person with the grant reads it all.
        let trusted = try await world.person("qian-hui", personalData: true, in: self)
        let trustedItem = try await trusted.listItems(listItems).items.first
        let shown = try XCTUnwrap(trustedItem)
        XCTAssertEqual(shown.requester.phone, "13900003333")
        XCTAssertEqual(shown.description_p, "文三路88号3单元门口积水")
        let trustedRaw = try await trusted.listDeadLetters(listLetters).deadLetters.first?.raw
        XCTAssertEqual(trustedRaw, fullLetter.raw)
    }
}
