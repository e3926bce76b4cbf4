import GongzhiObjects
import GongzhiSchemas
import GongzhiTestSeeds
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// Where a message says its place (the `(gongzhi.core.v1.place)` option), reading it from the wire, and removing
/// from a message the messages inside it that lie outside a scope.
final class PlaceFieldsTests: XCTestCase {
    typealias D = TestDescriptors

    // MARK: Schemas

    static func placeField(
        _ name: String,
        _ number: Int32,
        _ type: Google_Protobuf_FieldDescriptorProto.TypeEnum = .string,
        repeated: Bool = false
    ) -> Google_Protobuf_FieldDescriptorProto {
        var field = D.field(name, number, type, repeated: repeated)
        field.options.Gongzhi_Core_V1_place = true
        return field
    }

    static func message(
        _ name: String,
        _ fields: [Google_Protobuf_FieldDescriptorProto]
    ) -> Google_Protobuf_DescriptorProto {
        var message = Google_Protobuf_DescriptorProto()
        message.name = name
        message.field = fields
        return message
    }

    /// test.v1: Spot { code = 1 [place]; phone = 2 [sensitive]; count = 3 }
    /// Area { code = 1 [place]; repeated Spot spots = 2; Spot main = 3; name = 4; repeated Area areas = 5;
    ///        Holder holder = 6 }
    /// Holder { repeated Spot spots = 1; note = 2 } (no place of its own)
    /// Plain { name = 1; Spot spot = 2 } with Spot's place unusable in Broken { two places }.
    static func index() throws -> DescriptorIndex {
        let messages = [
            message(
                "Spot",
                [placeField("code", 1), D.field("phone", 2, .string, sensitive: true), D.field("count", 3, .int64)]
            ),
            message(
                "Area",
                [
                    placeField("code", 1),
                    D.field("spots", 2, .message, repeated: true, typeName: ".test.v1.Spot"),
                    D.field("main", 3, .message, typeName: ".test.v1.Spot"),
                    D.field("name", 4, .string),
                    D.field("areas", 5, .message, repeated: true, typeName: ".test.v1.Area"),
                    D.field("holder", 6, .message, typeName: ".test.v1.Holder"),
                ]
            ),
            message(
                "Holder",
                [D.field("spots", 1, .message, repeated: true, typeName: ".test.v1.Spot"), D.field("note", 2, .string)]
            ),
            message("Plain", [D.field("name", 1, .string), D.field("count", 2, .int64)]),
            message("Twice", [placeField("grid", 1), placeField("community", 2)]),
            message("Numbered", [placeField("code", 1, .int64)]),
            message("Listed", [placeField("codes", 1, repeated: true)]),
            message(
                "HoldsBroken",
                [D.field("name", 1, .string), D.field("twice", 2, .message, typeName: ".test.v1.Twice")]
            ),
        ]
        return try DescriptorIndex(
            fileDescriptorSet: try D.set(file: "test/v1/places.proto", package: "test.v1", messages: messages)
        )
    }

    func testAMessageHasOnePlaceFieldAndItIsASingleString() throws {
        let index = try Self.index()
        XCTAssertEqual(try index.placeField(of: "test.v1.Spot")?.number, 1)
        XCTAssertEqual(try index.placeField(of: "test.v1.Spot")?.name, "code")
        XCTAssertNil(try index.placeField(of: "test.v1.Plain"))
        XCTAssertNil(try index.placeField(of: "test.v1.Holder"), "holding messages with places is not having one")
        XCTAssertNil(try index.placeField(of: "test.v1.Unknown"))

        XCTAssertThrowsError(try index.placeField(of: "test.v1.Twice")) { error in
            XCTAssertEqual(
                "\(error)",
                "test.v1.Twice marks grid, community as its place; a message has one place field"
            )
        }
        XCTAssertThrowsError(try index.placeField(of: "test.v1.Numbered")) { error in
            XCTAssertEqual(
                "\(error)",
                "test.v1.Numbered.code is marked as the place but is not a single string (a place is a region or grid code)"
            )
        }
        XCTAssertThrowsError(try index.placeField(of: "test.v1.Listed")) { error in
            XCTAssertTrue(
                "\(error)".hasPrefix("test.v1.Listed.codes is marked as the place but is not a single string")
            )
        }
    }

    func testThePlacesInsideAMessageAreFoundAtEveryDepthAndThroughCycles() throws {
        let index = try Self.index()
        let area = index.placeFields(of: "test.v1.Area")
        XCTAssertEqual(area.field?.number, 1)
        XCTAssertEqual(Set(area.nested.keys), [2, 3, 5, 6])
        XCTAssertEqual(area.nested[2]?.field?.name, "code")
        XCTAssertTrue(area.nested[5] === area, "an Area inside an Area is read as an Area")
        let holder = try XCTUnwrap(area.nested[6])
        XCTAssertNil(holder.field)
        XCTAssertEqual(Set(holder.nested.keys), [1])
        XCTAssertFalse(holder.isEmpty)

        XCTAssertTrue(index.placeFields(of: "test.v1.Plain").isEmpty)
        // A message whose place field cannot be used is taken as having none.
        XCTAssertTrue(index.placeFields(of: "test.v1.HoldsBroken").isEmpty)
        XCTAssertTrue(index.placeFields(of: "test.v1.Unknown").isEmpty)
    }

    func testTheCoreKindsHeldToPlaces() {
        let places = CoreKinds.all.compactMapValues { $0.place.map { "\($0.name) = \($0.number)" } }
        XCTAssertEqual(
            places,
            [
                "Grid": "code = 1", "Building": "grid_code = 4", "Household": "grid_code = 9",
                "Resident": "grid_code = 11", "Organization": "community_code = 4", "Partner": "community_code = 4",
                "RoleBinding": "place_code = 4",
            ]
        )
        // Every marked field of the core schemas can be used.
        for (name, message) in CoreKinds.messageNames {
            XCTAssertNoThrow(try CoreKinds.descriptors.placeField(of: message), name)
        }
    }

    // MARK: Reading a place

    func testThePlaceIsReadFromTheWire() throws {
        var resident = Gongzhi_Core_V1_Resident()
        resident.name = "王阿姨"
        resident.phone = "13900001000"
        resident.gridCode = "330199001001001"
        let bytes: Data = try resident.serializedBytes()
        XCTAssertEqual(try WirePlaces.place(in: bytes, field: 11), "330199001001001")
        XCTAssertEqual(try WirePlaces.place(in: bytes, field: 2), "王阿姨")
        XCTAssertEqual(try WirePlaces.place(in: bytes, field: 12), "", "absent reads as no place")
        XCTAssertEqual(try WirePlaces.place(in: Data(), field: 11), "")
        // Protobuf reads the last of a field written twice.
        let twice = bytes + Data(Wire.string(11, "330199002001001"))
        XCTAssertEqual(try WirePlaces.place(in: twice, field: 11), "330199002001001")
        // Every wire type in use is stepped over.
        let mixed = Wire.varint(3, 300) + Wire.fixed64(4) + Wire.fixed32(5) + Wire.string(1, "330199")
        XCTAssertEqual(try WirePlaces.place(in: Data(mixed), field: 1), "330199")
    }

    func testMalformedBytesAreRefusedSayingWhere() {
        let cases: [(bytes: [UInt8], reason: String)] = [
            ([0x0A, 0x05, 0x33, 0x33], "a length runs past the end"),
            ([0x08, 0x80], "a varint runs past the end"),
            ([0x80], "a varint runs past the end"),
            ([0x0B, 0x0C], "wire type 3 is not used"),
            ([0x09, 0x01, 0x02], "field 1 runs past the end"),
            ([0x02, 0x00], "field number 0 is outside 1...536870911"),
        ]
        for (bytes, reason) in cases {
            XCTAssertThrowsError(try WirePlaces.place(in: Data(bytes), field: 1)) { error in
                XCTAssertEqual((error as? WireRedaction.MalformedMessage)?.reason, reason, "\(bytes)")
            }
        }
        let fields = (try? Self.index())?.placeFields(of: "test.v1.Area") ?? .none
        XCTAssertFalse(fields.isEmpty)
        // A nested message that is cut short is malformed too, not passed on.
        let cut = Wire.string(1, "330199") + Wire.message(2, Wire.string(1, "330199001") + [0x12, 0x09, 0x31])
        XCTAssertThrowsError(try WirePlaces.filter(Data(cut), fields: fields, within: PlaceScope(["330199"]))) {
            XCTAssertEqual(($0 as? WireRedaction.MalformedMessage)?.reason, "a length runs past the end")
        }
    }

    // MARK: Filtering

    func testMessagesOutsideTheScopeAreDroppedOrClearedAndTheOwnPlaceIsReported() throws {
        let fields = try Self.index().placeFields(of: "test.v1.Area")
        let inside = Wire.spot("330199001001001", phone: "13900001001")
        let outside = Wire.spot("330199002001001", phone: "13900001002")
        let area =
            Wire.string(1, "330199002")
            + Wire.message(2, inside) + Wire.message(2, outside) + Wire.message(2, inside)
            + Wire.message(3, outside)
            + Wire.string(4, "A")
            + Wire.message(6, Wire.message(1, outside) + Wire.string(2, "note"))
        let scope = PlaceScope(["330199001001"])
        let filtered = try WirePlaces.filter(Data(area), fields: fields, within: scope)
        XCTAssertEqual(filtered.place, "330199002", "the message's own place is reported, not judged")
        XCTAssertEqual(
            Array(filtered.data),
            Wire.string(1, "330199002") + Wire.message(2, inside) + Wire.message(2, inside) + Wire.string(4, "A")
                + Wire.message(6, Wire.string(2, "note"))
        )
        XCTAssertEqual(filtered.removed, 3)
        XCTAssertEqual(filtered.kept, ["330199002", "330199001001001"])

        // Nothing outside: the bytes stand as they are.
        let wide = try WirePlaces.filter(Data(area), fields: fields, within: PlaceScope(["330199"]))
        XCTAssertEqual(wide.data, Data(area))
        XCTAssertEqual(wide.removed, 0)
        XCTAssertEqual(wide.kept, ["330199002", "330199001001001", "330199002001001"])

        // A message without places is passed as it is.
        let plain = Data(Wire.string(1, "x") + Wire.varint(2, 3))
        let untouched = try WirePlaces.filter(plain, fields: .none, within: .nowhere)
        XCTAssertEqual(untouched.data, plain)
        XCTAssertNil(untouched.place)
        XCTAssertEqual(untouched.kept, [])
    }

    /// Over random trees of areas and spots with random places (some with none): the filtered bytes are the tree
    /// built again without each message inside that lies outside the scope (with what it holds), something is
    /// counted as removed exactly when something was, and the places kept are those of the messages that remain.
    func testFilteringRandomTreesKeepsExactlyWhatLiesWithin() throws {
        var random = seededRandom()
        let fields = try Self.index().placeFields(of: "test.v1.Area")
        let codes = PlaceScopeTests.codes()
        for _ in 0..<200 {
            let tree = Area.random(depth: 0, codes: codes, using: &random)
            let chosen = (0..<Int.random(in: 0...3, using: &random)).map { _ in codes.randomElement(using: &random)! }
            let scope = Bool.random(using: &random) && chosen.isEmpty ? PlaceScope.everywhere : PlaceScope(chosen)
            let filtered = try WirePlaces.filter(Data(tree.bytes()), fields: fields, within: scope)
            var removed = 0
            var kept: Set<String> = []
            let expected = tree.bytes(within: scope, removed: &removed, kept: &kept)
            XCTAssertEqual(Array(filtered.data), expected, "scope \(scope)")
            // Each message dropped or cleared is counted (and a message inside one dropped, when it lies outside
            // too, may be counted as well).
            XCTAssertGreaterThanOrEqual(filtered.removed, removed, "scope \(scope)")
            XCTAssertEqual(filtered.removed == 0, removed == 0, "scope \(scope)")
            XCTAssertEqual(filtered.kept, kept, "scope \(scope)")
            XCTAssertEqual(filtered.place, tree.code ?? "")
        }
    }
}

/// Protobuf wire bytes, written by hand.
enum Wire {
    static func varintBytes(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    static func varint(_ number: UInt64, _ value: UInt64) -> [UInt8] {
        varintBytes(number << 3) + varintBytes(value)
    }

    static func fixed64(_ number: UInt64) -> [UInt8] {
        varintBytes(number << 3 | 1) + [1, 2, 3, 4, 5, 6, 7, 8]
    }

    static func fixed32(_ number: UInt64) -> [UInt8] {
        varintBytes(number << 3 | 5) + [1, 2, 3, 4]
    }

    static func message(_ number: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        varintBytes(number << 3 | 2) + varintBytes(UInt64(bytes.count)) + bytes
    }

    static func string(_ number: UInt64, _ text: String) -> [UInt8] {
        message(number, Array(text.utf8))
    }

    /// A test.v1.Spot.
    static func spot(_ code: String?, phone: String = "", count: UInt64 = 0) -> [UInt8] {
        (code.map { string(1, $0) } ?? []) + (phone.isEmpty ? [] : string(2, phone))
            + (count == 0 ? [] : varint(3, count))
    }
}

/// A test.v1.Area as a tree, written in field order.
private struct Area {
    struct Spot {
        var code: String?
        var phone: String
        var count: UInt64

        func bytes() -> [UInt8] { Wire.spot(code, phone: phone, count: count) }
    }

    var code: String?
    var spots: [Spot] = []
    var main: Spot?
    var name = ""
    var areas: [Area] = []
    /// A Holder's spots, when the area has a holder.
    var holder: [Spot]?

    static func random(depth: Int, codes: [String], using random: inout SplitMix64) -> Area {
        func code() -> String? {
            Int.random(in: 0..<6, using: &random) == 0 ? nil : codes.randomElement(using: &random)
        }
        func spot() -> Spot {
            Spot(
                code: code(),
                phone: Bool.random(using: &random) ? "1390000\(Int.random(in: 1000...9999, using: &random))" : "",
                count: UInt64.random(in: 0...400, using: &random)
            )
        }
        var area = Area(code: code())
        area.spots = (0..<Int.random(in: 0...3, using: &random)).map { _ in spot() }
        if Bool.random(using: &random) { area.main = spot() }
        area.name = Bool.random(using: &random) ? "片区\(depth)" : ""
        if depth < 3 {
            area.areas = (0..<Int.random(in: 0...2, using: &random)).map { _ in
                Area.random(depth: depth + 1, codes: codes, using: &random)
            }
        }
        if Bool.random(using: &random) { area.holder = (0..<Int.random(in: 0...3, using: &random)).map { _ in spot() } }
        return area
    }

    func bytes() -> [UInt8] {
        var removed = 0
        var kept: Set<String> = []
        return bytes(within: .everywhere, removed: &removed, kept: &kept)
    }

    /// The area's bytes without what lies outside `scope` inside it (its own place is not judged).
    func bytes(within scope: PlaceScope, removed: inout Int, kept: inout Set<String>) -> [UInt8] {
        kept.insert(code ?? "")
        var out = code.map { Wire.string(1, $0) } ?? []
        func keep(_ spot: Spot) -> Bool {
            guard scope.covers(spot.code ?? "") else {
                removed += 1
                return false
            }
            kept.insert(spot.code ?? "")
            return true
        }
        for spot in spots where keep(spot) { out += Wire.message(2, spot.bytes()) }
        if let main, keep(main) { out += Wire.message(3, main.bytes()) }
        if !name.isEmpty { out += Wire.string(4, name) }
        for area in areas {
            guard scope.covers(area.code ?? "") else {
                removed += 1
                continue
            }
            out += Wire.message(5, area.bytes(within: scope, removed: &removed, kept: &kept))
        }
        if let holder {
            var inner: [UInt8] = []
            for spot in holder where keep(spot) { inner += Wire.message(1, spot.bytes()) }
            out += Wire.message(6, inner)
        }
        return out
    }
}
