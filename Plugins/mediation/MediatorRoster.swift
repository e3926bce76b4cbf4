import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas

/// The people a dispute may be given to as mediators, and the households of the parties: `Person` objects
/// that are not suspended and hold a `RoleBinding` of role `mediator` or `street-admin` where the dispute lies,
/// and the `Resident`s that say who belongs to which household. Read from the host at each step, so that a
/// person suspended or unbound a moment ago is refused at once.
struct MediatorRoster: Sendable {
    /// The roles whose holders may mediate.
    static let mediatingRoles: Set<String> = ["mediator", "street-admin"]

    let objects: HostObjects

    /// The mediators `requested` names (by Person id) for `dispute`, each with the Person's name, and the
    /// profiles the procedure checks for a conflict with a party.
    ///
    /// FAILED_PRECONDITION, naming the person, when there is no such Person, they are suspended, or they hold
    /// no mediating role that covers the dispute's place or lies within its community.
    func mediators(
        _ requested: [Gongzhi_Mediation_V1_Mediator],
        for dispute: Gongzhi_Mediation_V1_Dispute
    ) async throws -> (mediators: [Gongzhi_Mediation_V1_Mediator], profiles: [MediatorProfile]) {
        guard !requested.isEmpty else { return ([], []) }
        let bindings = try await objects.list(Gongzhi_Core_V1_RoleBinding.self).objects.map(\.message)
        var mediators: [Gongzhi_Mediation_V1_Mediator] = []
        var profiles: [MediatorProfile] = []
        for original in requested {
            let id = original.personID
            guard !id.isEmpty else {
                throw RPCError(code: .invalidArgument, message: "a mediator needs their Person id (person_id)")
            }
            guard let person = try await objects.get(Gongzhi_Core_V1_Person.self, id: id)?.message else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "there is no person \(id): a mediator is named by the id of their Person object"
                )
            }
            let who = person.name.isEmpty || person.name == id ? id : "\(person.name) (\(id))"
            if person.state == .suspended {
                let reason = person.suspendedReason.isEmpty ? "" : " (\(person.suspendedReason))"
                throw RPCError(
                    code: .failedPrecondition,
                    message: "\(who) is suspended\(reason): name another mediator for dispute \(dispute.id)"
                )
            }
            let mediates = bindings.contains {
                $0.personID == id && Self.mediatingRoles.contains($0.role)
                    && Self.binding($0.placeCode, reaches: dispute)
            }
            guard mediates else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "\(id) is not a mediator for \(dispute.placeCode): gongzhictl people bind \(id) "
                        + "--role mediator --place \(dispute.communityCode)"
                )
            }
            var mediator = original
            mediator.name = person.name.isEmpty ? id : person.name
            mediators.append(mediator)
            var householdID = ""
            if !person.residentID.isEmpty {
                householdID =
                    try await objects.get(Gongzhi_Core_V1_Resident.self, id: person.residentID)?
                    .message.householdID ?? ""
            }
            // A mediator who acts for a Partner belongs to it and to the Organization behind it: a property
            // company's staff may not mediate for the property company.
            var organizationIDs: Set<String> = []
            if !person.partnerID.isEmpty {
                organizationIDs.insert(person.partnerID)
                let partner = try await objects.get(Gongzhi_Core_V1_Partner.self, id: person.partnerID)?.message
                if let organization = partner?.organizationID, !organization.isEmpty {
                    organizationIDs.insert(organization)
                }
            }
            profiles.append(
                MediatorProfile(
                    personID: id,
                    residentID: person.residentID,
                    householdID: householdID,
                    organizationIDs: organizationIDs
                )
            )
        }
        return (mediators, profiles)
    }

    /// True when a binding at `placeCode` lets its holder mediate `dispute`: the place covers the dispute's
    /// place, or lies within the dispute's community (a grid's mediator mediates for the whole community).
    static func binding(_ placeCode: String, reaches dispute: Gongzhi_Mediation_V1_Dispute) -> Bool {
        guard !placeCode.isEmpty else { return false }
        return dispute.placeCode.hasPrefix(placeCode)
            || (!dispute.communityCode.isEmpty && placeCode.hasPrefix(dispute.communityCode))
    }

    /// `parties` with each resident's household filled in from their Resident.
    ///
    /// INVALID_ARGUMENT "there is no resident R-…" for a party naming a Resident that does not exist.
    func withHouseholds(_ parties: [Gongzhi_Mediation_V1_Party]) async throws -> [Gongzhi_Mediation_V1_Party] {
        var filled = parties
        for index in filled.indices where filled[index].kind == .resident && !filled[index].residentID.isEmpty {
            let id = filled[index].residentID
            guard let resident = try await objects.get(Gongzhi_Core_V1_Resident.self, id: id)?.message else {
                throw RPCError(code: .invalidArgument, message: "there is no resident \(id)")
            }
            filled[index].householdID = resident.householdID
            if filled[index].name.allSatisfy(\.isWhitespace) {
                filled[index].name = resident.name
            }
        }
        return filled
    }
}
