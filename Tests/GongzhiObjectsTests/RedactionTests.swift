import GongzhiObjects
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

final class SensitiveFieldsTests: XCTestCase {
    func testTheSchemasMarkPersonalDataSensitive() {
        let paths = CoreKinds.all.mapValues(\.sensitive.paths)
        XCTAssertEqual(paths["Resident"], ["id_card_number", "notes", "phone"])
        XCTAssertEqual(paths["Grid"], ["workers.phone"])
        XCTAssertEqual(paths["Household"], ["address"])
        XCTAssertEqual(paths["Organization"], ["contact_phone"])
        XCTAssertEqual(paths["Partner"], ["phone"])
        XCTAssertEqual(paths["Region"], [])
        XCTAssertEqual(paths["Building"], [])
        XCTAssertEqual(paths["Department"], [])
        XCTAssertEqual(CoreKinds.all.count, 8)
        XCTAssertTrue(CoreKinds.all.values.allSatisfy { $0.owner == "host" })
    }
}

final class RedactionTests: XCTestCase {
    func text(_ random: inout SplitMix64, _ alphabet: String = "张王李赵社区0123456789abc ") -> String {
        let characters = Array(alphabet)
        let count = Int.random(in: 0...12, using: &random)
        return String((0..<count).map { _ in characters[Int.random(in: 0..<characters.count, using: &random)] })
    }

    func resident(_ random: inout SplitMix64) -> Gongzhi_Core_V1_Resident {
        var resident = Gongzhi_Core_V1_Resident()
        resident.id = text(&random, "0123456789")
        resident.name = text(&random)
        resident.idCardNumber = text(&random, "0123456789X")
        resident.phone = text(&random, "0123456789")
        resident.gender = Bool.random(using: &random) ? .female : .male
        resident.birthDate = text(&random, "0123456789-")
        resident.householdID = text(&random)
        resident.tags = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            Gongzhi_Core_V1_Resident.Tag(rawValue: Int.random(in: 1...8, using: &random)) ?? .volunteer
        }
        resident.registeredHere = Bool.random(using: &random)
        resident.notes = text(&random)
        return resident
    }

    /// The property: whatever the values, redaction removes exactly the sensitive fields that are set and
    /// keeps everything else as it was.
    func testRedactedResidentsKeepEverythingButTheirSensitiveFields() throws {
        let sensitive = try XCTUnwrap(CoreKinds.all["Resident"]).sensitive
        var random = SplitMix64(seed: 20_261_121)
        for round in 0..<500 {
            let original = resident(&random)
            let bytes: Data = try original.serializedBytes()
            let (redacted, removed) = try WireRedaction.redact(bytes, fields: sensitive)
            let decoded = try Gongzhi_Core_V1_Resident(serializedBytes: redacted)
            var expected = original
            expected.idCardNumber = ""
            expected.phone = ""
            expected.notes = ""
            XCTAssertEqual(decoded, expected, "round \(round)")
            var expectedRemoved: [String] = []
            if !original.idCardNumber.isEmpty { expectedRemoved.append("id_card_number") }
            if !original.notes.isEmpty { expectedRemoved.append("notes") }
            if !original.phone.isEmpty { expectedRemoved.append("phone") }
            XCTAssertEqual(removed, expectedRemoved, "round \(round)")
            // What a reader with the grant is audited for: the same paths, found without the redacted copy.
            XCTAssertEqual(try WireRedaction.sensitivePaths(in: bytes, fields: sensitive), expectedRemoved)
            let text = String(decoding: redacted, as: UTF8.self)
            if original.phone.count >= 6 { XCTAssertFalse(text.contains(original.phone), "round \(round)") }
        }
    }

    func testPhonesOfGridWorkersAreRemovedInsideTheNestedMessages() throws {
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = "310115007001001"
        grid.name = "第一网格"
        grid.communityCode = "310115007001"
        for index in 0..<3 {
            var worker = Gongzhi_Core_V1_GridWorker()
            worker.name = "网格员\(index)"
            worker.phone = "1380000000\(index)"
            worker.fullTime = index == 0
            grid.workers.append(worker)
        }
        var ring = Gongzhi_Core_V1_Ring()
        ring.points = [(121.5, 31.2), (121.6, 31.2), (121.6, 31.3), (121.5, 31.2)].map {
            var point = Gongzhi_Core_V1_Point()
            point.longitude = $0.0
            point.latitude = $0.1
            return point
        }
        grid.polygon.outer = ring
        let (redacted, removed) = try WireRedaction.redact(
            try grid.serializedBytes(),
            fields: try XCTUnwrap(CoreKinds.all["Grid"]).sensitive
        )
        let decoded = try Gongzhi_Core_V1_Grid(serializedBytes: redacted)
        XCTAssertEqual(removed, ["workers.phone"])
        XCTAssertEqual(
            try WireRedaction.sensitivePaths(
                in: try grid.serializedBytes(),
                fields: try XCTUnwrap(CoreKinds.all["Grid"]).sensitive
            ),
            ["workers.phone"]
        )
        XCTAssertEqual(decoded.workers.map(\.phone), ["", "", ""])
        XCTAssertEqual(decoded.workers.map(\.name), grid.workers.map(\.name))
        XCTAssertEqual(decoded.polygon, grid.polygon)
        XCTAssertEqual(decoded.code, grid.code)
    }

    func testAMessageWithoutSensitiveFieldsIsPassedOnAsItIs() throws {
        var region = Gongzhi_Core_V1_Region()
        region.code = "310115"
        region.name = "浦东新区"
        region.level = .district
        let bytes: Data = try region.serializedBytes()
        let (redacted, removed) = try WireRedaction.redact(
            bytes,
            fields: try XCTUnwrap(CoreKinds.all["Region"]).sensitive
        )
        XCTAssertEqual(redacted, bytes)
        XCTAssertEqual(removed, [])
        XCTAssertEqual(
            try WireRedaction.sensitivePaths(in: bytes, fields: try XCTUnwrap(CoreKinds.all["Region"]).sensitive),
            []
        )
    }

    func testUnknownFieldsAreKept() throws {
        var resident = Gongzhi_Core_V1_Resident()
        resident.name = "李四"
        resident.phone = "13900000000"
        var bytes: Data = try resident.serializedBytes()
        // Field 99, varint 7: what a newer schema might add.
        bytes.append(contentsOf: [0x98, 0x06, 0x07])
        let (redacted, _) = try WireRedaction.redact(bytes, fields: try XCTUnwrap(CoreKinds.all["Resident"]).sensitive)
        XCTAssertTrue(redacted.suffix(3).elementsEqual([0x98, 0x06, 0x07]))
        XCTAssertEqual(try Gongzhi_Core_V1_Resident(serializedBytes: redacted).name, "李四")
    }

    func testMalformedBytesAreRefusedWithTheirOffset() {
        let sensitive = CoreKinds.all["Resident"]!.sensitive
        let cases: [([UInt8], String)] = [
            ([0x12, 0x05, 0x41], "runs past the end"),  // field 2, length 5, one byte
            ([0x0b], "wire type 3"),  // field 1, start group
            ([0x08, 0xff], "varint runs past the end"),
            ([0x08] + [UInt8](repeating: 0xff, count: 11) + [0x01], "longer than 10 bytes"),
            ([0x00, 0x01], "field number 0"),
        ]
        for (bytes, reason) in cases {
            XCTAssertThrowsError(try WireRedaction.redact(Data(bytes), fields: sensitive)) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(error) for \(bytes)")
            }
            XCTAssertThrowsError(try WireRedaction.sensitivePaths(in: Data(bytes), fields: sensitive)) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(error) for \(bytes)")
            }
        }
    }
}
