import GongzhiMediationSchemas
import GongzhiSchemas

/// X社区's people's mediation committee (X社区人民调解委员会) on the day the sample is loaded: its part-time
/// mediators (people bound to the role mediator within the community), and eight disputes in every state a
/// committee meets — just applied for (the README's leak, which the README walks from there), accepted, being
/// mediated, with an agreement drafted, agreed and being performed, performed, failed, refused — each with the
/// steps that brought it there, as `gongzhictl mediation` commands. The parties are drawn from the community's
/// residents and organisations with SplitMix64 streams of their own: the same parties on every run.
///
/// Steps happen when they are loaded (the plugin dates them); only the obligations' deadlines are counted from
/// ``atMs``, the moment of the load, so that one obligation falls due within three days of it.
struct XCommunityMediation {
    typealias Plan = XCommunityMediationPlan
    typealias Action = Gongzhi_Mediation_V1_Action

    /// A step of a dispute after its application: the history entry it adds, and the command that takes it.
    struct Step {
        var action: Action
        /// gongzhictl's arguments; ``disputePlaceholder`` stands for the dispute's id.
        var arguments: [String]
        /// The agreement a draft reads, written beside the commands.
        var agreement: Gongzhi_Mediation_V1_Agreement?
    }

    /// A dispute of the sample: its application and the steps after it.
    struct Dispute {
        var number: Int
        var key: String { Plan.key(number) }
        var application: Gongzhi_Mediation_V1_ApplyRequest
        var steps: [Step]
        /// Where the steps leave it.
        var state: Gongzhi_Mediation_V1_DisputeState

        /// The file of its parties, for `mediation apply --parties-file`.
        var partiesFile: String { "parties-\(Codes.pad(number, width: 2)).json" }

        /// The file of the agreement the `number`-th dispute drafts, for `mediation draft --file`.
        static func agreementFile(_ number: Int) -> String { "agreement-\(Codes.pad(number, width: 2)).json" }
    }

    /// A part-time mediator as the host's Person, bound as mediator within the community.
    struct MediatorRecord {
        var person: Gongzhi_Core_V1_Person
        var binding: Gongzhi_Core_V1_RoleBinding
    }

    /// Stands for the dispute's id in a step's arguments until the dispute exists.
    static let disputePlaceholder = "{dispute}"

    let community: XCommunity
    /// When the sample is loaded (milliseconds since the epoch).
    let atMs: Int64
    /// The start of that day in China Standard Time.
    let dayMs: Int64
    private let householdIndex: [String: Int]

    private(set) var mediators: [MediatorRecord] = []
    /// Set by ``openDisputes()``, in the order of their keys.
    var disputes: [Dispute] = []

    /// The README's dispute: the households below and above, and the old party member who lives above.
    private(set) var leak: (downstairs: Int, upstairs: Int, elder: Int) = (0, 0, 0)

    init(community: XCommunity, atMs: Int64) {
        self.community = community
        self.atMs = atMs
        dayMs = XCommunityPoints.chinaDayStart(atMs)
        householdIndex = Self.index(community)
        leak = findLeak()
        appointMediators()
        openDisputes()
        check()
    }

    func random(_ stream: String) -> SplitMix64 {
        SplitMix64(seed: XCommunityPlan.seed, stream: "mediation-" + stream)
    }

    // MARK: - Finding parties

    /// The households of a building by unit, floor and room.
    func household(building: Int, unit: Int, floor: Int, room: Int) -> Int? {
        householdIndex["\(building)/\(unit)/\(floor)/\(room)"]
    }

    /// Every household by "building/unit/floor/room".
    private static func index(_ community: XCommunity) -> [String: Int] {
        var index: [String: Int] = [:]
        for (number, household) in community.households.enumerated() {
            index["\(household.building)/\(household.unit)/\(household.floor)/\(household.room)"] = number
        }
        return index
    }

    /// The head of an occupied household, when they have a phone and an age in `ages`.
    func head(_ household: Int?, ages: ClosedRange<Int>, owner: Bool = true) -> Int? {
        guard let household else { return nil }
        let record = community.households[household]
        guard record.occupancy == (owner ? .owner : .tenant), let head = record.members.first else { return nil }
        let person = community.people[head]
        return !person.phone.isEmpty && ages.contains(person.age) ? head : nil
    }

    /// Pairs of households of one building, one directly above the other (same unit and room), in the grids or
    /// compound asked for, whose heads fit: (below, above) as indexes into the community's households.
    func stacked(
        buildings: [Int],
        ages: ClosedRange<Int>,
        avoiding: Set<Int> = []
    ) -> [(below: Int, above: Int)] {
        var pairs: [(below: Int, above: Int)] = []
        for building in buildings {
            let type = community.buildings[building].type
            for unit in 1...type.units {
                for floor in 1..<type.floors {
                    for room in 1...type.roomsPerFloor {
                        guard let below = household(building: building, unit: unit, floor: floor, room: room),
                            let above = household(building: building, unit: unit, floor: floor + 1, room: room),
                            !avoiding.contains(below), !avoiding.contains(above),
                            head(below, ages: ages) != nil, head(above, ages: ages) != nil
                        else { continue }
                        pairs.append((below, above))
                    }
                }
            }
        }
        return pairs
    }

    func buildings(ofGrid grid: Int) -> [Int] { community.grids[grid].buildings }

    func buildings(ofCompound compound: Int) -> [Int] {
        community.buildings.indices.filter { community.buildings[$0].compound == compound }
    }

    /// The README's leak: in grid 1, an owner household whose head is 30 to 70 years old, and the one directly
    /// above it, whose head is 30 to 60 and with whom an old party member (65 to 80, with a phone) lives.
    private func findLeak() -> (downstairs: Int, upstairs: Int, elder: Int) {
        var found: [(downstairs: Int, upstairs: Int, elder: Int)] = []
        for pair in stacked(buildings: buildings(ofGrid: 0), ages: 30...70) {
            guard let upstairsHead = head(pair.above, ages: 30...60) else { continue }
            let elder = community.households[pair.above].members.first { index in
                let person = community.people[index]
                return index != upstairsHead && person.tags.contains(.partyMember) && (65...80).contains(person.age)
                    && !person.phone.isEmpty
            }
            if let elder { found.append((pair.below, pair.above, elder)) }
        }
        precondition(!found.isEmpty, "grid 1 has no household with an old party member above another")
        var draw = random("leak")
        return draw.pick(found)
    }

    // MARK: - Mediators

    private mutating func appointMediators() {
        var phones = random("mediators")
        for planned in Plan.mediators {
            var person = Gongzhi_Core_V1_Person()
            person.id = planned.id
            person.name = planned.name
            person.title = planned.title
            person.state = .active
            switch planned.kind {
            case .residentInTheLeakingHousehold:
                let resident = community.people[leak.elder]
                precondition(
                    resident.name == planned.name,
                    "\(planned.id) is \(resident.name) (\(XCommunity.residentID(leak.elder))), not \(planned.name)"
                )
                person.residentID = XCommunity.residentID(leak.elder)
                person.phone = resident.phone
            case .organizationHead(let organizationID):
                guard let organization = community.organizations.first(where: { $0.message.id == organizationID }),
                    let partner = community.partners.first(where: { $0.message.organizationID == organizationID })
                else { preconditionFailure("\(organizationID) is not an organisation with a partner") }
                precondition(
                    organization.message.contactName == planned.name,
                    "\(organizationID)'s head is \(organization.message.contactName), not \(planned.name)"
                )
                person.partnerID = partner.message.id
                person.phone = organization.message.contactPhone
            case .notable:
                // Numbers no resident has: the residents' begin with 199.
                person.phone = "198" + Codes.pad(phones.below(100_000_000), width: 8)
            }
            var binding = Gongzhi_Core_V1_RoleBinding()
            binding.id = XCommunity.bindingID(person: planned.id, role: "mediator", place: XCommunityPlan.communityCode)
            binding.personID = planned.id
            binding.role = "mediator"
            binding.placeCode = XCommunityPlan.communityCode
            mediators.append(MediatorRecord(person: person, binding: binding))
        }
    }

    // MARK: - Parties

    /// A resident as a party: their name, resident id, phone, address and identity number.
    func party(
        _ id: String,
        _ role: Gongzhi_Mediation_V1_PartyRole,
        resident index: Int
    ) -> Gongzhi_Mediation_V1_Party {
        let person = community.people[index]
        var party = Gongzhi_Mediation_V1_Party()
        party.id = id
        party.kind = .resident
        party.role = role
        party.name = person.name
        party.residentID = XCommunity.residentID(index)
        party.phone = person.phone
        party.address = community.address(ofHousehold: person.household)
        party.idNumber = person.idCardNumber
        return party
    }

    /// An organisation of the community as a party, represented by its contact.
    func party(
        _ id: String,
        _ role: Gongzhi_Mediation_V1_PartyRole,
        organization organizationID: String,
        address: String
    ) -> Gongzhi_Mediation_V1_Party {
        guard let organization = community.organizations.first(where: { $0.message.id == organizationID })?.message
        else { preconditionFailure("no organisation \(organizationID)") }
        var party = Gongzhi_Mediation_V1_Party()
        party.id = id
        party.kind = .organization
        party.role = role
        party.name = organization.name
        party.organizationID = organization.id
        party.representative = organization.contactName
        party.phone = organization.contactPhone
        party.address = address
        party.idNumber = organization.creditCode
        return party
    }

    /// "3幢2单元401室": a household's flat, as the parties' papers name it.
    func flat(_ household: Int) -> String {
        let record = community.households[household]
        return "\(community.buildings[record.building].number)幢\(record.unit)单元\(record.roomNumber)室"
    }

    // MARK: - Times

    static let dayLength: Int64 = 86_400_000

    /// The first moment after the `days`-th day after the load's day (China Standard Time): a deadline "by the
    /// end of" that day.
    func endOfDay(after days: Int64) -> Int64 {
        dayMs + (days + 1) * Self.dayLength
    }

    /// The load's year, for the agreements' numbers.
    var year: String { String(XCommunityPoints.isoDay(atMs).prefix(4)) }

    /// The number the committee gives its `number`-th agreement of the year.
    func agreementNumber(_ number: Int) -> String {
        "（\(year)）\(XCommunityPlan.communityName)调字第\(number)号"
    }
}
