import Foundation
import GongzhiHost
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// The sample district's data as the real `gongzhi-samples` writes them for `gongzhictl apply -f`.
final class SampleDataTests: XCTestCase {
    /// One line of the output.
    struct Line: Sendable {
        var number: Int
        var kind: String
        var id: String
        var parent: String?
        var labels: [String: String]
        var data: String
    }

    /// The decoded output: every line, and every kind's messages in the order written.
    struct Sample: Sendable {
        var bytes: Data
        var lines: [Line] = []
        var regions: [Gongzhi_Core_V1_Region] = []
        var departments: [Gongzhi_Core_V1_Department] = []
        var grids: [Gongzhi_Core_V1_Grid] = []
        var organizations: [Gongzhi_Core_V1_Organization] = []
        var buildings: [Gongzhi_Core_V1_Building] = []
        var households: [Gongzhi_Core_V1_Household] = []
        var residents: [Gongzhi_Core_V1_Resident] = []
        var partners: [Gongzhi_Core_V1_Partner] = []
        var persons: [Gongzhi_Core_V1_Person] = []
        var bindings: [Gongzhi_Core_V1_RoleBinding] = []
    }

    static func run(_ arguments: [String]) throws -> CompletedProcess {
        try CompletedProcess.run(try BuiltExecutables.path("gongzhi-samples"), arguments)
    }

    /// The data, generated and decoded once for all the tests.
    static let generated: Result<Sample, any Error> = Result {
        let outcome = try run(["x-community"])
        guard outcome.status == 0 else {
            throw TestSupportError("gongzhi-samples exited with \(outcome.status): \(outcome.errors)")
        }
        return try decode(outcome.output)
    }

    static func decode(_ bytes: Data) throws -> Sample {
        var sample = Sample(bytes: bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n") else { throw TestSupportError("the output does not end with a newline") }
        for (index, lineText) in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard let object = try JSONSerialization.jsonObject(with: Data(lineText.utf8)) as? [String: Any] else {
                throw TestSupportError("line \(number) is not a JSON object")
            }
            let unknown = Set(object.keys).subtracting(["kind", "id", "parent", "labels", "data"])
            guard unknown.isEmpty else { throw TestSupportError("line \(number) has keys \(unknown)") }
            guard let kind = object["kind"] as? String, let id = object["id"] as? String,
                let data = object["data"] as? [String: Any]
            else {
                throw TestSupportError("line \(number) lacks a kind, an id or data")
            }
            guard let labels = (object["labels"] ?? [String: String]()) as? [String: String] else {
                throw TestSupportError("line \(number): the labels are not strings")
            }
            let parent = object["parent"].map { $0 as? String }
            if let parent, parent == nil { throw TestSupportError("line \(number): the parent is not a string") }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: data), as: UTF8.self)
            sample.lines.append(
                Line(number: number, kind: kind, id: id, parent: parent ?? nil, labels: labels, data: json)
            )
            switch kind {
            case "Region": sample.regions.append(try .init(jsonString: json))
            case "Department": sample.departments.append(try .init(jsonString: json))
            case "Grid": sample.grids.append(try .init(jsonString: json))
            case "Organization": sample.organizations.append(try .init(jsonString: json))
            case "Building": sample.buildings.append(try .init(jsonString: json))
            case "Household": sample.households.append(try .init(jsonString: json))
            case "Resident": sample.residents.append(try .init(jsonString: json))
            case "Partner": sample.partners.append(try .init(jsonString: json))
            case "Person": sample.persons.append(try .init(jsonString: json))
            case "RoleBinding": sample.bindings.append(try .init(jsonString: json))
            default: throw TestSupportError("line \(number) has the kind \(kind)")
            }
        }
        return sample
    }

    func sample() throws -> Sample {
        try Self.generated.get()
    }

    // MARK: - Numbers

    func testTheCommunityHasThePlannedNumbers() throws {
        let sample = try sample()
        XCTAssertEqual(sample.regions.count, 3)
        XCTAssertEqual(sample.households.count, 7_191)
        XCTAssertEqual(sample.residents.count, 21_235)
        XCTAssertEqual(Set(sample.buildings.map(\.compound)).count, 4)
        XCTAssertTrue((12...20).contains(sample.grids.count), "\(sample.grids.count) grids")
        XCTAssertTrue((6...12).contains(sample.departments.count), "\(sample.departments.count) departments")

        let volunteers = Set(sample.residents.filter { $0.tags.contains(.volunteer) }.map(\.id))
        XCTAssertEqual(volunteers.count, 1_192)
        let teams = sample.partners.filter { $0.type == .team }
        XCTAssertEqual(teams.count, 12)
        let members = teams.flatMap(\.memberResidentIds)
        XCTAssertEqual(members.count, 1_192, "every volunteer is in exactly one team")
        XCTAssertEqual(Set(members), volunteers)
        let teamOrganizations = Set(sample.organizations.filter { $0.type == .volunteerTeam }.map(\.id))
        XCTAssertEqual(teamOrganizations.count, 12)
        XCTAssertEqual(Set(teams.map(\.organizationID)), teamOrganizations)
        XCTAssertTrue(teams.allSatisfy { !$0.skills.isEmpty && !$0.memberResidentIds.isEmpty })

        XCTAssertEqual(sample.organizations.filter { $0.type == .residentsCommittee }.count, 1)
        XCTAssertEqual(sample.organizations.filter { $0.type == .ownersCommittee }.count, 4)
        XCTAssertEqual(sample.organizations.filter { $0.type == .propertyCompany }.count, 4)
        XCTAssertGreaterThan(sample.organizations.filter { $0.type == .socialOrganization }.count, 0)
        XCTAssertGreaterThan(sample.partners.filter { $0.type == .neighbour }.count, 0)
        XCTAssertGreaterThan(sample.partners.filter { $0.type == .builder }.count, 0)
        XCTAssertTrue(sample.organizations.allSatisfy { !$0.contactName.isEmpty && !$0.contactPhone.isEmpty })
    }

    func testHouseholdsAndResidentsAgree() throws {
        let sample = try sample()
        let residents = Dictionary(uniqueKeysWithValues: sample.residents.map { ($0.id, $0) })
        let buildings = Set(sample.buildings.map(\.id))
        var listed = 0
        for household in sample.households {
            XCTAssertTrue(buildings.contains(household.buildingID), household.id)
            XCTAssertFalse(household.address.isEmpty || household.unit.isEmpty || household.room.isEmpty)
            XCTAssertTrue(["owner", "tenant", "vacant"].contains(household.occupancy), household.occupancy)
            if household.occupancy == "vacant" {
                XCTAssertTrue(household.memberResidentIds.isEmpty && household.headResidentID.isEmpty, household.id)
                continue
            }
            XCTAssertFalse(household.memberResidentIds.isEmpty, household.id)
            XCTAssertEqual(household.headResidentID, household.memberResidentIds.first, household.id)
            for id in household.memberResidentIds {
                XCTAssertEqual(residents[id]?.householdID, household.id, "\(id) in \(household.id)")
            }
            listed += household.memberResidentIds.count
        }
        XCTAssertEqual(listed, 21_235, "every resident is listed by their household, once")

        // Ages as of the data's date: about 18% aged 60 and over; "elderly" (高龄) means 80 and over.
        var sixtyAndOver = 0
        for resident in sample.residents {
            let age = try XCTUnwrap(Self.age(resident.birthDate), resident.birthDate)
            if age >= 60 { sixtyAndOver += 1 }
            XCTAssertEqual(resident.tags.contains(.elderly), age >= 80, "\(resident.id) aged \(age)")
            XCTAssertTrue((0...105).contains(age), "\(resident.id) aged \(age)")
            XCTAssertFalse(resident.name.isEmpty)
            XCTAssertNotEqual(resident.gender, .unspecified)
            XCTAssertEqual(resident.tags, resident.tags.sorted { $0.rawValue < $1.rawValue })
            XCTAssertEqual(Set(resident.tags).count, resident.tags.count)
        }
        let share = Double(sixtyAndOver) / Double(sample.residents.count)
        XCTAssertTrue((0.15...0.22).contains(share), "aged 60 and over: \(share)")
        for tag in [Gongzhi_Core_V1_Resident.Tag.livingAlone, .elderly, .disabled, .partyMember, .lowIncome, .veteran] {
            let count = sample.residents.filter { $0.tags.contains(tag) }.count
            XCTAssertTrue((20...2_500).contains(count), "\(tag): \(count)")
        }
        XCTAssertGreaterThan(sample.residents.filter { $0.tags.contains(.leftBehindChild) }.count, 0)
        XCTAssertGreaterThan(sample.residents.filter { !$0.notes.isEmpty }.count, 0)
    }

    /// Households and residents lie in their building's grid: the place the host holds them to.
    func testHouseholdsAndResidentsLieInTheirBuildingsGrid() throws {
        let sample = try sample()
        let gridOfBuilding = Dictionary(uniqueKeysWithValues: sample.buildings.map { ($0.id, $0.gridCode) })
        let grids = Set(sample.grids.map(\.code))
        var gridOfHousehold: [String: String] = [:]
        for household in sample.households {
            let grid = try XCTUnwrap(gridOfBuilding[household.buildingID], household.id)
            XCTAssertEqual(household.gridCode, grid, household.id)
            gridOfHousehold[household.id] = household.gridCode
        }
        for resident in sample.residents {
            XCTAssertEqual(resident.gridCode, gridOfHousehold[resident.householdID], resident.id)
        }
        XCTAssertTrue(sample.households.allSatisfy { grids.contains($0.gridCode) })
        // Every grid holds some of them, and the labels agree with the data.
        XCTAssertEqual(Set(sample.residents.map(\.gridCode)), grids)
        for line in sample.lines where line.kind == "Household" || line.kind == "Resident" {
            let data = try JSONSerialization.jsonObject(with: Data(line.data.utf8)) as? [String: Any]
            XCTAssertEqual(line.labels["grid"], data?["gridCode"] as? String, "line \(line.number)")
        }
    }

    /// The community's staff: people bound to built-in roles within places the sample holds, with grid 1's
    /// grid worker the README's 胡伟; and two volunteers with people of their own, for the points module.
    func testTheStaffAreBoundToBuiltInRolesWithinPlacesThatExist() throws {
        let sample = try sample()
        XCTAssertEqual(sample.persons.count, 24)
        XCTAssertEqual(sample.bindings.count, 24)
        let persons = Dictionary(uniqueKeysWithValues: sample.persons.map { ($0.id, $0) })
        XCTAssertEqual(persons.count, sample.persons.count, "person ids are unique")
        XCTAssertEqual(Set(sample.persons.map(\.name)).count, sample.persons.count, "so are their names")
        for person in sample.persons {
            XCTAssertTrue(Self.isPersonID(person.id), person.id)
            XCTAssertTrue(person.name.unicodeScalars.allSatisfy { (0x4E00...0x9FFF).contains($0.value) }, person.name)
            XCTAssertFalse(person.title.isEmpty, person.id)
            XCTAssertEqual(person.state, .active, person.id)
            XCTAssertTrue(person.phone.hasPrefix("199") && person.phone.count == 11, person.phone)
        }
        // Phones are synthetic and no one else's: not another person's, and not a resident's — unless the person
        // is that resident, whose phone they have.
        let residents = Dictionary(uniqueKeysWithValues: sample.residents.map { ($0.id, $0) })
        let phones = Set(sample.residents.map(\.phone).filter { !$0.isEmpty })
        for person in sample.persons {
            if person.residentID.isEmpty {
                XCTAssertFalse(phones.contains(person.phone), person.id)
            } else {
                let resident = try XCTUnwrap(residents[person.residentID], person.id)
                XCTAssertEqual(resident.name, person.name, person.id)
                XCTAssertEqual(resident.phone, person.phone, person.id)
            }
        }
        XCTAssertEqual(Set(sample.persons.map(\.phone)).count, sample.persons.count)

        let places = Set(sample.regions.map(\.code) + sample.grids.map(\.code))
        for binding in sample.bindings {
            XCTAssertEqual(binding.id, "\(binding.personID).\(binding.role).\(binding.placeCode)")
            XCTAssertNotNil(persons[binding.personID], binding.id)
            XCTAssertTrue(BuiltInRoles.names.contains(binding.role), binding.id)
            XCTAssertTrue(places.contains(binding.placeCode), binding.id)
            XCTAssertTrue(binding.grantedBy.isEmpty && binding.grantedAtMs == 0, "the host sets these: \(binding.id)")
        }

        // One grid worker to each grid, the one the grid lists first, with the same name and phone.
        let gridWorkers = sample.bindings.filter { $0.role == "grid-worker" }
        XCTAssertEqual(gridWorkers.map(\.placeCode), sample.grids.map(\.code))
        for (binding, grid) in zip(gridWorkers, sample.grids) {
            let person = try XCTUnwrap(persons[binding.personID])
            let listed = try XCTUnwrap(grid.workers.first, grid.code)
            XCTAssertTrue(listed.fullTime, grid.code)
            XCTAssertEqual(listed.name, person.name, grid.code)
            XCTAssertEqual(listed.phone, person.phone, grid.code)
        }
        XCTAssertEqual(persons["hu-wei"]?.name, "胡伟")
        XCTAssertEqual(gridWorkers.first?.personID, "hu-wei")
        XCTAssertEqual(gridWorkers.first?.placeCode, "330199001001001", "the grid of the README's case")

        // The rest of the staff, by role and place, and the two volunteers.
        let others = sample.bindings.filter { $0.role != "grid-worker" }.map { "\($0.role) \($0.placeCode)" }
        XCTAssertEqual(
            others.sorted(),
            [
                "call-taker 330199001001", "community-staff 330199001001", "dispatcher 330199001",
                "mediator 330199001001", "mediator 330199001001", "redemption-clerk 330199001001",
                "resident 330199001001", "team-leader 330199001001",
            ]
        )
        // The team leader leads 党员先锋志愿服务队 (she is its organization's contact); the volunteer is one of its
        // members in grid 1. Both are volunteers, each bound once.
        let team = try XCTUnwrap(sample.partners.first { $0.id == "P-team-01" })
        let organization = try XCTUnwrap(sample.organizations.first { $0.id == team.organizationID })
        for (id, role) in [("zheng-lingdi", "team-leader"), ("zhu-yongkang", "resident")] {
            let person = try XCTUnwrap(persons[id], id)
            let resident = try XCTUnwrap(residents[person.residentID], id)
            XCTAssertTrue(resident.tags.contains(.volunteer), id)
            XCTAssertTrue(team.memberResidentIds.contains(resident.id), id)
            XCTAssertEqual(sample.bindings.filter { $0.personID == id }.map(\.role), [role])
        }
        XCTAssertEqual(persons["zheng-lingdi"]?.name, organization.contactName)
        XCTAssertEqual(residents[persons["zhu-yongkang"]?.residentID ?? ""]?.gridCode, "330199001001001")
        let partners = Dictionary(uniqueKeysWithValues: sample.partners.map { ($0.id, $0) })
        let clerk = try XCTUnwrap(
            sample.bindings.first { $0.role == "redemption-clerk" }.flatMap { persons[$0.personID] }
        )
        XCTAssertEqual(partners[clerk.partnerID]?.skills.contains("积分兑换"), true, clerk.partnerID)
    }

    /// Letters, digits, '-' and '_', 1 to 64 of them: the host's rule for person ids.
    static func isPersonID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
            }
    }

    /// Age in whole years on 2025-06-30, the day the data describe.
    static func age(_ date: String) -> Int? {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, date.count == 10 else { return nil }
        var age = 2025 - parts[0]
        if (parts[1], parts[2]) > (6, 30) { age -= 1 }
        return age
    }

    // MARK: - Documents

    func testEveryDocumentIsWellFormedAndFollowsItsParent() throws {
        let sample = try sample()
        var seen: [String: Set<String>] = [:]
        var earlier: Set<String> = []
        let parentKinds: [String: String] = [
            "Grid": "Region", "Building": "Grid", "Household": "Building", "Resident": "Household",
            "Organization": "Region", "Partner": "Region", "Department": "Region", "Region": "Region",
        ]
        for line in sample.lines {
            XCTAssertTrue(Self.isObjectName(line.id), "line \(line.number): id \(line.id)")
            XCTAssertTrue(
                seen[line.kind, default: []].insert(line.id).inserted,
                "line \(line.number): \(line.kind) \(line.id) twice"
            )
            if let parent = line.parent {
                let kind = try XCTUnwrap(parentKinds[line.kind], line.kind)
                XCTAssertTrue(
                    earlier.contains("\(kind)/\(parent)"),
                    "line \(line.number): parent \(parent) is not earlier"
                )
            } else {
                XCTAssertTrue(
                    ["Region", "Person", "RoleBinding"].contains(line.kind),
                    "line \(line.number) has no parent"
                )
            }
            for (key, value) in line.labels {
                XCTAssertTrue(Self.isLabelName(key), "line \(line.number): label key \(key)")
                XCTAssertTrue(value.isEmpty || Self.isLabelName(value), "line \(line.number): label value \(value)")
            }
            earlier.insert("\(line.kind)/\(line.id)")
        }
        XCTAssertEqual(
            sample.lines.map(\.kind).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } },
            [
                "Region", "Department", "Grid", "Organization", "Building", "Household", "Resident", "Partner",
                "Person", "RoleBinding",
            ]
        )

        // The id in the envelope is the id (or code) in the data, and the parent is the reference the data hold.
        let lines = Dictionary(grouping: sample.lines, by: \.kind)
        XCTAssertEqual(lines["Region"]?.map(\.id), sample.regions.map(\.code))
        XCTAssertEqual(lines["Region"]?.map { $0.parent ?? "" }, sample.regions.map(\.parentCode))
        XCTAssertEqual(lines["Grid"]?.map(\.id), sample.grids.map(\.code))
        XCTAssertEqual(lines["Grid"]?.map(\.parent), sample.grids.map(\.communityCode))
        XCTAssertEqual(lines["Building"]?.map(\.id), sample.buildings.map(\.id))
        XCTAssertEqual(lines["Building"]?.map(\.parent), sample.buildings.map(\.gridCode))
        XCTAssertEqual(lines["Household"]?.map(\.id), sample.households.map(\.id))
        XCTAssertEqual(lines["Household"]?.map(\.parent), sample.households.map(\.buildingID))
        XCTAssertEqual(lines["Resident"]?.map(\.id), sample.residents.map(\.id))
        XCTAssertEqual(lines["Resident"]?.map(\.parent), sample.residents.map(\.householdID))
        XCTAssertEqual(lines["Organization"]?.map(\.id), sample.organizations.map(\.id))
        XCTAssertEqual(lines["Partner"]?.map(\.id), sample.partners.map(\.id))
        XCTAssertEqual(lines["Department"]?.map(\.id), sample.departments.map(\.id))
        XCTAssertEqual(lines["Person"]?.map(\.id), sample.persons.map(\.id))
        XCTAssertEqual(lines["RoleBinding"]?.map(\.id), sample.bindings.map(\.id))
        XCTAssertTrue(sample.departments.allSatisfy { !$0.categories.isEmpty && !$0.dutyPhone.isEmpty })

        // Labels say what the data say.
        for (line, resident) in zip(lines["Resident"] ?? [], sample.residents) {
            XCTAssertEqual(line.labels["volunteer"] == "true", resident.tags.contains(.volunteer), line.id)
            XCTAssertEqual(line.labels["elderly"] == "true", resident.tags.contains(.elderly), line.id)
            XCTAssertEqual(line.labels["living-alone"] == "true", resident.tags.contains(.livingAlone), line.id)
        }

        // References between objects point at objects that exist.
        let residents = Set(sample.residents.map(\.id))
        let organizations = Set(sample.organizations.map(\.id))
        let partners = Set(sample.partners.map(\.id))
        for partner in sample.partners {
            XCTAssertEqual(partner.communityCode, "330199001001")
            XCTAssertFalse(partner.skills.isEmpty, partner.id)
            if partner.type == .neighbour {
                XCTAssertTrue(residents.contains(partner.residentID), partner.id)
            }
            if !partner.organizationID.isEmpty {
                XCTAssertTrue(organizations.contains(partner.organizationID), partner.id)
            }
        }
        for grid in sample.grids {
            XCTAssertTrue((1...2).contains(grid.workers.count), grid.code)
            for worker in grid.workers {
                XCTAssertFalse(worker.name.isEmpty || worker.phone.isEmpty, grid.code)
                XCTAssertTrue(worker.partnerID.isEmpty || partners.contains(worker.partnerID), grid.code)
            }
        }
    }

    /// The store's rule for ids: not empty, at most 253 bytes, no whitespace or control characters (and ASCII here).
    static func isObjectName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 253 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }

    /// Kubernetes' rule for label names and values: 1 to 63 of [A-Za-z0-9._-], beginning and ending alphanumeric.
    static func isLabelName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard (1...63).contains(bytes.count), alphanumeric(bytes.first!), alphanumeric(bytes.last!) else {
            return false
        }
        return bytes.allSatisfy {
            alphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    // MARK: - Geography

    typealias Point = (x: Double, y: Double)

    static func points(_ polygon: Gongzhi_Core_V1_Polygon) -> [Point] {
        polygon.outer.points.map { (x: $0.longitude, y: $0.latitude) }
    }

    /// Even–odd rule.
    static func contains(_ ring: [Point], _ point: Point) -> Bool {
        var inside = false
        var previous = ring[ring.count - 1]
        for vertex in ring {
            if (vertex.y > point.y) != (previous.y > point.y) {
                let x = vertex.x + (point.y - vertex.y) * (previous.x - vertex.x) / (previous.y - vertex.y)
                if point.x < x { inside.toggle() }
            }
            previous = vertex
        }
        return inside
    }

    static func signedArea(_ ring: [Point]) -> Double {
        var sum = 0.0
        for index in 0..<(ring.count - 1) {
            sum += ring[index].x * ring[index + 1].y - ring[index + 1].x * ring[index].y
        }
        return sum / 2
    }

    func testPolygonsAreClosedCounterClockwiseAndNest() throws {
        let sample = try sample()
        let rings = sample.regions.map { Self.points($0.boundary) } + sample.grids.map { Self.points($0.polygon) }
        for ring in rings {
            XCTAssertGreaterThanOrEqual(ring.count, 4)
            XCTAssertTrue(ring.first! == ring.last!, "the ring is closed")
            XCTAssertGreaterThan(Self.signedArea(ring), 0, "the ring runs counter-clockwise")
        }
        XCTAssertEqual(sample.regions.map(\.level), [.district, .street, .community])
        XCTAssertEqual(sample.regions.map(\.code), ["330199", "330199001", "330199001001"])
        for (parent, child) in zip(sample.regions, sample.regions.dropFirst()) {
            XCTAssertTrue(child.code.hasPrefix(parent.code))
            XCTAssertEqual(child.parentCode, parent.code)
            let outer = Self.points(parent.boundary)
            XCTAssertTrue(
                Self.points(child.boundary).allSatisfy { Self.contains(outer, $0) },
                "\(child.code) in \(parent.code)"
            )
        }
        let community = Self.points(sample.regions[2].boundary)
        for grid in sample.grids {
            XCTAssertEqual(grid.code.count, 15, grid.code)
            XCTAssertTrue(grid.code.allSatisfy(\.isASCII) && grid.code.allSatisfy(\.isNumber), grid.code)
            XCTAssertTrue(grid.code.hasPrefix("330199001001"), grid.code)
            XCTAssertEqual(grid.communityCode, "330199001001")
            XCTAssertTrue(
                Self.points(grid.polygon).allSatisfy { Self.contains(community, $0) },
                "\(grid.code) in the community"
            )
            // Around longitude 120.15, latitude 30.28, a few hundred metres across.
            for point in Self.points(grid.polygon) {
                XCTAssertEqual(point.x, 120.15, accuracy: 0.02)
                XCTAssertEqual(point.y, 30.28, accuracy: 0.02)
            }
        }

        // Grids do not overlap: points spread over each grid lie in no other grid.
        let gridRings = sample.grids.map { Self.points($0.polygon) }
        for (index, ring) in gridRings.enumerated() {
            let xs = ring.map(\.x)
            let ys = ring.map(\.y)
            for i in 0..<7 {
                for j in 0..<7 {
                    let point = (
                        x: xs.min()! + (xs.max()! - xs.min()!) * (Double(i) + 0.5) / 7,
                        y: ys.min()! + (ys.max()! - ys.min()!) * (Double(j) + 0.5) / 7
                    )
                    guard Self.contains(ring, point) else { continue }
                    for (other, otherRing) in gridRings.enumerated() where other != index {
                        XCTAssertFalse(Self.contains(otherRing, point), "grids \(index) and \(other) overlap")
                    }
                }
            }
        }

        // Every building stands inside its grid.
        let grids = Dictionary(uniqueKeysWithValues: sample.grids.map { ($0.code, Self.points($0.polygon)) })
        for building in sample.buildings {
            let ring = try XCTUnwrap(grids[building.gridCode], building.id)
            XCTAssertTrue(building.hasLocation)
            XCTAssertTrue(Self.contains(ring, (building.location.longitude, building.location.latitude)), building.id)
            XCTAssertTrue((6...18).contains(building.floors) && (2...4).contains(building.units), building.id)
        }
        let flats = sample.households.count
        XCTAssertEqual(sample.households.filter { $0.buildingID.isEmpty }.count, 0)
        XCTAssertEqual(flats, 7_191)
    }

    // MARK: - Identity numbers and phones

    func testIdentityCardNumbersAreValidAndFitTheResidents() throws {
        let sample = try sample()
        var numbers: Set<String> = []
        var phones: Set<String> = []
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        for resident in sample.residents {
            let number = Array(resident.idCardNumber)
            XCTAssertEqual(number.count, 18, resident.id)
            guard number.count == 18 else { continue }
            XCTAssertTrue(number[..<17].allSatisfy(\.isNumber), resident.id)
            XCTAssertEqual(String(number[..<6]), "330199", resident.id)
            XCTAssertEqual(
                String(number[6..<14]),
                resident.birthDate.replacingOccurrences(of: "-", with: ""),
                resident.id
            )
            let sequence = try XCTUnwrap(Int(String(number[14..<17])))
            XCTAssertEqual(
                sequence % 2 == 1,
                resident.gender == .male,
                "\(resident.id): the sequence's parity is the gender"
            )
            var sum = 0
            for (digit, weight) in zip(number[..<17], weights) { sum += Int(String(digit))! * weight }
            let check = (12 - sum % 11) % 11
            XCTAssertEqual(String(number[17]), check == 10 ? "X" : String(check), "\(resident.id): ISO 7064 MOD 11-2")
            XCTAssertTrue(numbers.insert(resident.idCardNumber).inserted, "\(resident.idCardNumber) twice")
            if !resident.phone.isEmpty {
                XCTAssertTrue(resident.phone.hasPrefix("199") && resident.phone.count == 11, resident.phone)
                XCTAssertTrue(resident.phone.allSatisfy(\.isNumber), resident.phone)
                XCTAssertTrue(phones.insert(resident.phone).inserted, "\(resident.phone) twice")
            }
        }

        // Unified social credit codes (GB 32100) carry their check character.
        let characters = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        for organization in sample.organizations where !organization.creditCode.isEmpty {
            let code = Array(organization.creditCode)
            XCTAssertEqual(code.count, 18, organization.id)
            var sum = 0
            var weight = 1
            for character in code.prefix(17) {
                sum += try XCTUnwrap(characters.firstIndex(of: character), organization.creditCode) * weight
                weight = weight * 3 % 31
            }
            XCTAssertEqual(code.last, characters[(31 - sum % 31) % 31], organization.creditCode)
        }
    }

    // MARK: - The command

    func testTwoRunsGiveTheSameBytes() throws {
        let first = try sample().bytes
        let second = try Self.run(["x-community", "--output", "-"])
        XCTAssertEqual(second.status, 0, second.errors)
        XCTAssertEqual(first.count, second.output.count)
        XCTAssertTrue(first == second.output, "two runs differ")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("samples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("x-community.jsonl")
        let toFile = try Self.run(["x-community", "--output", file.path])
        XCTAssertEqual(toFile.status, 0, toFile.errors)
        XCTAssertTrue(toFile.output.isEmpty)
        XCTAssertTrue(try Data(contentsOf: file) == first, "the file holds what standard output got")
    }

    func testSummaryCountsEachKind() throws {
        let outcome = try Self.run(["x-community", "--summary"])
        XCTAssertEqual(outcome.status, 0, outcome.errors)
        let text = String(decoding: outcome.output, as: UTF8.self)
        let rows = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        func count(_ name: String) -> String? { rows.first { $0.first == name }?.last }
        XCTAssertEqual(count("Household"), "7,191", text)
        XCTAssertEqual(count("Resident"), "21,235", text)
        XCTAssertEqual(count("Region"), "3", text)
        XCTAssertEqual(count("Building"), String(try sample().buildings.count), text)
        XCTAssertTrue(text.contains("tag volunteer"), text)
        XCTAssertEqual(count("Person"), "24", text)
        XCTAssertEqual(count("RoleBinding"), "24", text)
        XCTAssertNotNil(
            rows.first { $0.first == "hu-wei" && $0.contains("grid-worker") && $0.contains("330199001001001") },
            text
        )
        XCTAssertFalse(text.contains("\"kind\""), "--summary alone writes no objects")

        let usage = try Self.run(["x-community", "--no-such-option"])
        XCTAssertNotEqual(usage.status, 0)
    }
}
