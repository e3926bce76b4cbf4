import GongzhiObjects
import GongzhiSchemas
import GongzhiTestSeeds
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
        XCTAssertEqual(paths["Person"], ["phone"])
        XCTAssertEqual(paths["Role"], [])
        XCTAssertEqual(paths["RoleBinding"], [])
        XCTAssertEqual(CoreKinds.all.count, 11)
        XCTAssertTrue(CoreKinds.all.values.allSatisfy { $0.owner == "host" })
    }
}

final class RedactionTests: XCTestCase {
    /// For each core kind: whether `redacted` decodes to the message of `original` with exactly its sensitive
    /// fields cleared (an independent statement of which fields those are, checked against the bytes the
    /// schema-driven redaction wrote).
    static let clearedEqually: [String: @Sendable (_ original: Data, _ redacted: Data) throws -> Bool] = [
        "Resident": { original, redacted in
            var expected = try Gongzhi_Core_V1_Resident(serializedBytes: original)
            expected.idCardNumber = ""
            expected.phone = ""
            expected.notes = ""
            return try Gongzhi_Core_V1_Resident(serializedBytes: redacted) == expected
        },
        "Grid": { original, redacted in
            var expected = try Gongzhi_Core_V1_Grid(serializedBytes: original)
            for index in expected.workers.indices { expected.workers[index].phone = "" }
            return try Gongzhi_Core_V1_Grid(serializedBytes: redacted) == expected
        },
        "Household": { original, redacted in
            var expected = try Gongzhi_Core_V1_Household(serializedBytes: original)
            expected.address = ""
            return try Gongzhi_Core_V1_Household(serializedBytes: redacted) == expected
        },
        "Organization": { original, redacted in
            var expected = try Gongzhi_Core_V1_Organization(serializedBytes: original)
            expected.contactPhone = ""
            return try Gongzhi_Core_V1_Organization(serializedBytes: redacted) == expected
        },
        "Partner": { original, redacted in
            var expected = try Gongzhi_Core_V1_Partner(serializedBytes: original)
            expected.phone = ""
            return try Gongzhi_Core_V1_Partner(serializedBytes: redacted) == expected
        },
        "Region": { original, redacted in
            try Gongzhi_Core_V1_Region(serializedBytes: redacted) == Gongzhi_Core_V1_Region(serializedBytes: original)
        },
        "Building": { original, redacted in
            try Gongzhi_Core_V1_Building(serializedBytes: redacted)
                == Gongzhi_Core_V1_Building(serializedBytes: original)
        },
        "Department": { original, redacted in
            try Gongzhi_Core_V1_Department(serializedBytes: redacted)
                == Gongzhi_Core_V1_Department(serializedBytes: original)
        },
        "Person": { original, redacted in
            var expected = try Gongzhi_Core_V1_Person(serializedBytes: original)
            expected.phone = ""
            return try Gongzhi_Core_V1_Person(serializedBytes: redacted) == expected
        },
        "Role": { original, redacted in
            try Gongzhi_Core_V1_Role(serializedBytes: redacted) == Gongzhi_Core_V1_Role(serializedBytes: original)
        },
        "RoleBinding": { original, redacted in
            try Gongzhi_Core_V1_RoleBinding(serializedBytes: redacted)
                == Gongzhi_Core_V1_RoleBinding(serializedBytes: original)
        },
    ]

    /// The property, over every core kind and every way a valid writer may put a message on the wire (fields
    /// out of order, a field written twice, packed and unpacked numbers, unknown fields, long lengths, values
    /// past 127 and 16,383 bytes): the redacted bytes decode to the original message with exactly its sensitive
    /// fields cleared, every other byte is kept as it was, and the paths reported — by `redact` and by
    /// `sensitivePaths`, which a reader with the grant is audited by — are exactly the sensitive fields present.
    func testRedactionRemovesExactlyTheSensitiveFieldsOfEveryKindWhateverTheEncoding() throws {
        var generator = RandomWireMessage(descriptors: CoreKinds.descriptors, random: seededRandom())
        XCTAssertEqual(Set(Self.clearedEqually.keys), Set(CoreKinds.all.keys), "every core kind is drawn")
        var seenPaths: Set<String> = []
        var longest = 0
        for (name, kind) in CoreKinds.all.sorted(by: { $0.key < $1.key }) {
            let clearedEqually = try XCTUnwrap(Self.clearedEqually[name])
            for round in 0..<100 {
                let records = try generator.records(of: kind.messageName)
                let bytes = Data(records.flatMap(\.bytes))
                longest = max(longest, bytes.count)
                let context = "\(name), round \(round), bytes \(bytes.prefix(64).map { String($0, radix: 16) })"
                var present: Set<String> = []
                let expected = WireRecord.redacted(records, fields: kind.sensitive, found: &present)

                let (redacted, removed) = try WireRedaction.redact(bytes, fields: kind.sensitive)
                XCTAssertEqual(Array(redacted), expected, "every other byte is kept: \(context)")
                XCTAssertEqual(removed, present.sorted(), context)
                XCTAssertEqual(
                    try WireRedaction.sensitivePaths(in: bytes, fields: kind.sensitive),
                    present.sorted(),
                    context
                )
                XCTAssertTrue(try clearedEqually(bytes, redacted), "decodes to the original, cleared: \(context)")
                seenPaths.formUnion(present)
            }
        }
        // The draws reached every sensitive field, and lengths of three bytes.
        XCTAssertEqual(seenPaths, Set(CoreKinds.all.values.flatMap(\.sensitive.paths)))
        XCTAssertGreaterThan(longest, 16_383)
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
