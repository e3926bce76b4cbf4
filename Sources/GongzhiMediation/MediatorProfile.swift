import GongzhiMediationSchemas

/// What the procedure must know of a mediator to refuse one who is a party or related to one: their
/// Resident, their household and the organisations they belong to, given as data by the plugin.
public struct MediatorProfile: Sendable, Hashable {
    /// The mediator's Person id.
    public var personID: String
    /// The Resident the Person names, if any.
    public var residentID: String
    /// The Household of that Resident, if any.
    public var householdID: String
    /// The Organizations the mediator works for or belongs to.
    public var organizationIDs: Set<String>

    public init(personID: String, residentID: String = "", householdID: String = "", organizationIDs: Set<String> = [])
    {
        self.personID = personID
        self.residentID = residentID
        self.householdID = householdID
        self.organizationIDs = organizationIDs
    }

    /// Why this mediator may not mediate for `party`, or nil when nothing relates them.
    func conflict(with party: Gongzhi_Mediation_V1_Party) -> String? {
        let who = party.name.isEmpty ? party.id : party.name
        if !residentID.isEmpty, residentID == party.residentID {
            return "is the party \(who)"
        }
        if !householdID.isEmpty, householdID == party.householdID {
            return "belongs to the household of the party \(who)"
        }
        if !party.organizationID.isEmpty, organizationIDs.contains(party.organizationID) {
            return "belongs to the organisation of the party \(who)"
        }
        return nil
    }
}
