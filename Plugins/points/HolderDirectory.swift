import GongzhiPluginSDK
import GongzhiPoints
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas

/// Who holds accounts and who is calling, read from the host's core kinds: a Resident (its community is its
/// grid's), a Partner (its community), a Person (the Resident or Partner they are, and the community of their
/// first binding).
struct HolderDirectory: Sendable {
    let objects: HostObjects

    /// The holder an account or a record names, with the name and community the host knows; NOT_FOUND when there
    /// is no such Resident, Partner or Person.
    func holder(_ kind: Gongzhi_Points_V1_HolderKind, _ id: String) async throws -> PointsBook.Holder {
        switch kind {
        case .resident:
            guard let resident = try await objects.get(Gongzhi_Core_V1_Resident.self, id: id)?.message else {
                throw RPCError(code: .notFound, message: "there is no resident \"\(id)\"")
            }
            return PointsBook.Holder(
                kind: .resident,
                id: id,
                name: resident.name,
                communityCode: String(resident.gridCode.prefix(12))
            )
        case .partner:
            guard let partner = try await objects.get(Gongzhi_Core_V1_Partner.self, id: id)?.message else {
                throw RPCError(code: .notFound, message: "there is no partner \"\(id)\"")
            }
            return PointsBook.Holder(
                kind: .partner,
                id: id,
                name: partner.name,
                communityCode: partner.communityCode,
                partnerType: Self.word(partner.type)
            )
        case .person:
            guard let person = try await objects.get(Gongzhi_Core_V1_Person.self, id: id)?.message else {
                throw RPCError(code: .notFound, message: "there is no person \"\(id)\"")
            }
            let bindings = try await objects.list(Gongzhi_Core_V1_RoleBinding.self).objects.map(\.message)
            let place = bindings.first { $0.personID == id && $0.placeCode.count >= 12 }?.placeCode ?? ""
            return PointsBook.Holder(
                kind: .person,
                id: id,
                name: person.name.isEmpty ? id : person.name,
                communityCode: String(place.prefix(12))
            )
        default:
            throw RPCError(
                code: .invalidArgument,
                message: "points are held by a resident, a partner or a person; give one of them"
            )
        }
    }

    /// The accounts' holders a person is: their Person, and the Resident and Partner it names.
    func identities(of personID: String) async throws -> Set<AccountHolderKey> {
        var keys: Set<AccountHolderKey> = [AccountHolderKey(kind: .person, id: personID)]
        if let person = try await objects.get(Gongzhi_Core_V1_Person.self, id: personID)?.message {
            if !person.residentID.isEmpty { keys.insert(AccountHolderKey(kind: .resident, id: person.residentID)) }
            if !person.partnerID.isEmpty { keys.insert(AccountHolderKey(kind: .partner, id: person.partnerID)) }
        }
        return keys
    }

    /// "neighbour", "builder", "team".
    static func word(_ type: Gongzhi_Core_V1_Partner.TypeEnum) -> String {
        switch type {
        case .neighbour: "neighbour"
        case .builder: "builder"
        case .team: "team"
        case .unspecified, .UNRECOGNIZED: ""
        }
    }
}

/// A holder, by kind and id.
struct AccountHolderKey: Hashable, Sendable {
    var kind: Gongzhi_Points_V1_HolderKind
    var id: String
}
