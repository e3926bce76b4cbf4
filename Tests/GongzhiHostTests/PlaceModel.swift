import Foundation
import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSeeds
import SwiftProtobuf

/// What the place property expects, worked out apart from the host's code: the objects as the administrator
/// wrote them (read with the generated message types, not from the wire), the roles' rules as stored, and each
/// person's bindings; from them, which objects a person may get, list or watch and where they see personal data.
struct PlaceModel {
    /// An object as stored, with all its personal data.
    struct Object {
        var kind: String
        var id: String
        var data: Data
        var revision: Int64
        /// Its place, or nil for a kind that is not held to places.
        var place: String?
    }

    /// A role's rules, read from the stored Role.
    struct Rules {
        var personalData: Bool
        var rules: [(kinds: Set<String>, verbs: Set<String>)]

        func allows(_ verb: String, _ kind: String) -> Bool {
            rules.contains {
                ($0.kinds.contains(kind) || $0.kinds.contains("*"))
                    && ($0.verbs.contains(verb) || $0.verbs.contains("*"))
            }
        }
    }

    struct Person {
        var id: String
        var bindings: [(role: String, place: String)] = []
    }

    /// Every object by "kind/id".
    var objects: [String: Object] = [:]
    /// Every version an object had, by "kind/id@revision"; a deletion is recorded with the data the object held.
    var history: [String: Data] = [:]
    var roles: [String: Rules] = [:]
    var people: [Person] = []

    static func key(_ kind: String, _ id: String) -> String { "\(kind)/\(id)" }

    func object(_ kind: String, _ id: String) -> Object? { objects[Self.key(kind, id)] }

    func objects(of kind: String) -> [Object] {
        objects.values.filter { $0.kind == kind }.sorted { $0.id < $1.id }
    }

    /// Records a version the store holds (as an answer of the administrator's write or read named it).
    mutating func record(_ stored: Gongzhi_Host_V1_Object) throws {
        let object = Object(
            kind: stored.kind,
            id: stored.id,
            data: stored.data,
            revision: stored.revision,
            place: try Facts.place(kind: stored.kind, data: stored.data)
        )
        objects[Self.key(object.kind, object.id)] = object
        history["\(Self.key(object.kind, object.id))@\(object.revision)"] = object.data
        if object.kind == "Role" {
            let role = try Gongzhi_Core_V1_Role(serializedBytes: object.data)
            roles[role.name] = Rules(
                personalData: role.personalData,
                rules: role.rules.map { (Set($0.kinds), Set($0.verbs)) }
            )
        }
    }

    mutating func recordDeletion(_ kind: String, _ id: String, revision: Int64) {
        guard let object = objects.removeValue(forKey: Self.key(kind, id)) else { return }
        history["\(Self.key(kind, id))@\(revision)"] = object.data
    }

    // MARK: What a person may do

    /// The places of the person's bindings whose role allows `verb` on `kind`.
    func codes(_ person: Person, _ verb: String, _ kind: String) -> [String] {
        person.bindings.filter { roles[$0.role]?.allows(verb, kind) ?? false }.map(\.place)
    }

    /// The places where the person sees the personal data of `kind`: of bindings whose role shows personal data
    /// and lets them read the kind.
    func personalDataCodes(_ person: Person, _ kind: String) -> [String] {
        person.bindings.filter { binding in
            guard let role = roles[binding.role], role.personalData else { return false }
            return ["get", "list", "watch"].contains { role.allows($0, kind) }
        }.map(\.place)
    }

    /// True when an object at `place` lies within the places `codes`: it lies in each place whose code its own
    /// code starts with, at the four levels; one with no place lies only in a whole district; an object of a
    /// kind that is not held to places (nil) lies wherever the person has any place at all.
    static func lies(_ place: String?, within codes: [String]) -> Bool {
        guard let place else { return !codes.isEmpty }
        if place.isEmpty { return codes.contains { $0.count == 6 } }
        let enclosing = Set([6, 9, 12, 15].filter { $0 <= place.count }.map { String(place.prefix($0)) })
        return !enclosing.isDisjoint(with: codes)
    }

    func sees(_ person: Person, _ verb: String, _ object: Object) -> Bool {
        Self.lies(object.place, within: codes(person, verb, object.kind))
    }

    /// Whether the person sees the personal data of an object of `kind` at `place`. An object of a kind not held
    /// to places shows it only to a person who sees it in a whole district.
    func showsPersonalData(_ person: Person, _ kind: String, place: String?) -> Bool {
        Self.lies(place ?? "", within: personalDataCodes(person, kind))
    }
}

/// An object's place and personal data, read with the generated message types.
enum Facts {
    /// The kinds the property draws objects of: every core kind held to places but RoleBinding.
    static let placedKinds = ["Resident", "Grid", "Building", "Household", "Organization", "Partner"]

    static func place(kind: String, data: Data) throws -> String? {
        switch kind {
        case "Resident": try Gongzhi_Core_V1_Resident(serializedBytes: data).gridCode
        case "Grid": try Gongzhi_Core_V1_Grid(serializedBytes: data).code
        case "Building": try Gongzhi_Core_V1_Building(serializedBytes: data).gridCode
        case "Household": try Gongzhi_Core_V1_Household(serializedBytes: data).gridCode
        case "Organization": try Gongzhi_Core_V1_Organization(serializedBytes: data).communityCode
        case "Partner": try Gongzhi_Core_V1_Partner(serializedBytes: data).communityCode
        case "RoleBinding": try Gongzhi_Core_V1_RoleBinding(serializedBytes: data).placeCode
        default: nil
        }
    }

    /// The paths of the personal data the object holds (what a caller who may not see it finds redacted).
    static func personalData(kind: String, data: Data) throws -> Set<String> {
        func present(_ fields: [(String, Bool)]) -> Set<String> { Set(fields.filter(\.1).map(\.0)) }
        switch kind {
        case "Resident":
            let resident = try Gongzhi_Core_V1_Resident(serializedBytes: data)
            return present([
                ("id_card_number", !resident.idCardNumber.isEmpty), ("phone", !resident.phone.isEmpty),
                ("notes", !resident.notes.isEmpty),
            ])
        case "Grid":
            return present([
                (
                    "workers.phone",
                    try Gongzhi_Core_V1_Grid(serializedBytes: data).workers.contains { !$0.phone.isEmpty }
                )
            ])
        case "Household":
            return present([("address", !(try Gongzhi_Core_V1_Household(serializedBytes: data).address.isEmpty))])
        case "Organization":
            return present([
                ("contact_phone", !(try Gongzhi_Core_V1_Organization(serializedBytes: data).contactPhone.isEmpty))
            ])
        case "Partner": return present([("phone", !(try Gongzhi_Core_V1_Partner(serializedBytes: data).phone.isEmpty))])
        case "Person": return present([("phone", !(try Gongzhi_Core_V1_Person(serializedBytes: data).phone.isEmpty))])
        default: return []
        }
    }

    /// True when `presented` is `full` without its personal data, and otherwise the same message.
    static func isWithoutPersonalData(kind: String, presented: Data, full: Data) throws -> Bool {
        func same<M: SwiftProtobuf.Message & Equatable>(_: M.Type, _ clear: (inout M) -> Void) throws -> Bool {
            var expected = try M(serializedBytes: full)
            clear(&expected)
            return try M(serializedBytes: presented) == expected
        }
        switch kind {
        case "Resident":
            return try same(Gongzhi_Core_V1_Resident.self) {
                $0.idCardNumber = ""
                $0.phone = ""
                $0.notes = ""
            }
        case "Grid":
            return try same(Gongzhi_Core_V1_Grid.self) { grid in
                for index in grid.workers.indices { grid.workers[index].phone = "" }
            }
        case "Household": return try same(Gongzhi_Core_V1_Household.self) { $0.address = "" }
        case "Organization": return try same(Gongzhi_Core_V1_Organization.self) { $0.contactPhone = "" }
        case "Partner": return try same(Gongzhi_Core_V1_Partner.self) { $0.phone = "" }
        case "Person": return try same(Gongzhi_Core_V1_Person.self) { $0.phone = "" }
        default: return presented == full
        }
    }

    // MARK: Random objects

    static func phone(using random: inout SplitMix64) -> String {
        "139\(Int.random(in: 10_000_000...99_999_999, using: &random))"
    }

    /// A random object of a placed kind at `place`, with personal data in each sensitive field most of the time.
    static func make(
        _ kind: String,
        id: String,
        place: String,
        using random: inout SplitMix64
    ) throws -> Data {
        let personal = Int.random(in: 0..<5, using: &random) > 0
        switch kind {
        case "Resident":
            var resident = Gongzhi_Core_V1_Resident()
            resident.id = id
            resident.name = "居民\(id)"
            resident.gridCode = place
            if personal {
                resident.phone = phone(using: &random)
                resident.idCardNumber = "3301991980\(Int.random(in: 10_000_000...99_999_999, using: &random))"
            }
            if Bool.random(using: &random) { resident.notes = "独居老人，每周探访" }
            return try resident.serializedBytes()
        case "Grid":
            var grid = Gongzhi_Core_V1_Grid()
            grid.code = place
            grid.name = "网格\(id)"
            grid.communityCode = String(place.prefix(12))
            for index in 0..<Int.random(in: 0...2, using: &random) {
                var worker = Gongzhi_Core_V1_GridWorker()
                worker.name = "网格员\(index)"
                if personal { worker.phone = phone(using: &random) }
                grid.workers.append(worker)
            }
            return try grid.serializedBytes()
        case "Building":
            var building = Gongzhi_Core_V1_Building()
            building.id = id
            building.name = "\(id) 号楼"
            building.gridCode = place
            building.floors = UInt32.random(in: 1...30, using: &random)
            return try building.serializedBytes()
        case "Household":
            var household = Gongzhi_Core_V1_Household()
            household.id = id
            household.room = "\(Int.random(in: 101...2404, using: &random))"
            household.gridCode = place
            if personal { household.address = "幸福路 \(Int.random(in: 1...300, using: &random)) 号" }
            return try household.serializedBytes()
        case "Organization":
            var organization = Gongzhi_Core_V1_Organization()
            organization.id = id
            organization.name = "组织\(id)"
            organization.communityCode = place
            organization.contactName = "联系人"
            if personal { organization.contactPhone = phone(using: &random) }
            return try organization.serializedBytes()
        default:
            var partner = Gongzhi_Core_V1_Partner()
            partner.id = id
            partner.name = "合伙人\(id)"
            partner.communityCode = place
            if personal { partner.phone = phone(using: &random) }
            return try partner.serializedBytes()
        }
    }

    /// The object moved to `place`, the rest as it was.
    static func moved(_ kind: String, _ data: Data, to place: String) throws -> Data {
        func move<M: SwiftProtobuf.Message>(_: M.Type, _ set: (inout M) -> Void) throws -> Data {
            var message = try M(serializedBytes: data)
            set(&message)
            return try message.serializedBytes()
        }
        switch kind {
        case "Resident": return try move(Gongzhi_Core_V1_Resident.self) { $0.gridCode = place }
        case "Grid": return try move(Gongzhi_Core_V1_Grid.self) { $0.code = place }
        case "Building": return try move(Gongzhi_Core_V1_Building.self) { $0.gridCode = place }
        case "Household": return try move(Gongzhi_Core_V1_Household.self) { $0.gridCode = place }
        case "Organization": return try move(Gongzhi_Core_V1_Organization.self) { $0.communityCode = place }
        default: return try move(Gongzhi_Core_V1_Partner.self) { $0.communityCode = place }
        }
    }
}
