import GongzhiObjects
import GongzhiSchemas
import SwiftProtobuf
import XCTest

final class WireValidationTests: XCTestCase {
    let validation = WireValidation(index: CoreKinds.descriptors)

    func testValidObjectsOfEveryCoreKindPass() throws {
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = "310115007001001"
        grid.workers = [Gongzhi_Core_V1_GridWorker()]
        grid.workers[0].phone = "13800000000"
        grid.workers[0].fullTime = true
        var point = Gongzhi_Core_V1_Point()
        point.longitude = 121.5
        point.latitude = 31.2
        grid.polygon.outer.points = [point, point]
        try validation.validate(try grid.serializedBytes(), as: "gongzhi.core.v1.Grid")

        var resident = Gongzhi_Core_V1_Resident()
        resident.name = "王五"
        resident.tags = [.livingAlone, .elderly, .partyMember]  // packed repeated enum
        resident.gender = .female
        try validation.validate(try resident.serializedBytes(), as: "gongzhi.core.v1.Resident")

        var partner = Gongzhi_Core_V1_Partner()
        partner.skills = ["水电维修", "法律咨询"]
        partner.type = .neighbour
        try validation.validate(try partner.serializedBytes(), as: "gongzhi.core.v1.Partner")
    }

    func testDataOfAnotherShapeIsRefusedNamingTheField() throws {
        // A Region's bytes claimed to be a Resident: field 3 (level, varint) where Resident's field 3
        // (id_card_number) is a string.
        var region = Gongzhi_Core_V1_Region()
        region.code = "310115"
        region.level = .street
        XCTAssertThrowsError(try validation.validate(try region.serializedBytes(), as: "gongzhi.core.v1.Resident")) {
            let mismatch = $0 as? WireValidation.Mismatch
            XCTAssertEqual(mismatch?.path, "id_card_number", "\($0)")
            XCTAssertTrue(mismatch?.reason.contains("wire type 0") == true, "\($0)")
        }

        // A field number the message does not declare.
        XCTAssertThrowsError(try validation.validate(Data([0xa0, 0x06, 0x01]), as: "gongzhi.core.v1.Region")) {
            XCTAssertTrue("\($0)".contains("field 100 is not in gongzhi.core.v1.Region"), "\($0)")
        }

        // A nested message that does not fit: a worker whose field 3 (full_time, bool) is a string.
        let worker: [UInt8] = [0x1a, 0x02, 0x41, 0x42]
        let gridBytes: [UInt8] = [0x2a, UInt8(worker.count)] + worker
        XCTAssertThrowsError(try validation.validate(Data(gridBytes), as: "gongzhi.core.v1.Grid")) {
            XCTAssertEqual(($0 as? WireValidation.Mismatch)?.path, "workers.full_time", "\($0)")
        }

        // A string that is not UTF-8.
        XCTAssertThrowsError(try validation.validate(Data([0x12, 0x02, 0xff, 0xfe]), as: "gongzhi.core.v1.Region")) {
            XCTAssertTrue("\($0)".contains("not UTF-8"), "\($0)")
        }

        // Truncated data.
        XCTAssertThrowsError(try validation.validate(Data([0x12, 0x09, 0x41]), as: "gongzhi.core.v1.Region")) {
            XCTAssertTrue("\($0)".contains("runs past the end"), "\($0)")
        }
    }

    func testAnUnknownMessageIsRefused() {
        XCTAssertThrowsError(try validation.validate(Data(), as: "gongzhi.nowhere.v1.Thing")) {
            XCTAssertTrue("\($0)".contains("no descriptor for gongzhi.nowhere.v1.Thing"), "\($0)")
        }
    }
}
