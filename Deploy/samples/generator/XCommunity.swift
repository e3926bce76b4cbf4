import GongzhiSchemas

/// Generates the sample community from ``XCommunityPlan``: the same objects, in the same order, on every run.
struct XCommunity {
    typealias Plan = XCommunityPlan

    struct GridRecord {
        var code: String
        var name: String
        var compound: Int
        var area: MicroRect
        var buildings: [Int] = []
        var households = 0
        var workers: [Gongzhi_Core_V1_GridWorker] = []
    }

    struct BuildingRecord {
        var id: String
        var number: Int
        var compound: Int
        var grid: Int
        var type: Plan.BuildingType
        var location: MicroPoint
    }

    struct HouseholdRecord {
        var id: String
        var building: Int
        var unit: Int
        var floor: Int
        var room: Int
        var occupancy: Occupancy
        var size = 0
        var members: [Int] = []
        var structure = Structure.single

        var roomNumber: String { "\(floor)\(Codes.pad(room, width: 2))" }
    }

    struct PartnerRecord {
        var message: Gongzhi_Core_V1_Partner
        var grid: Int?
    }

    /// A member of staff as the host's Person, with the roles they hold and where.
    struct StaffRecord {
        var message: Gongzhi_Core_V1_Person
        var bindings: [(role: String, place: String)]
    }

    var grids: [GridRecord] = []
    var buildings: [BuildingRecord] = []
    var households: [HouseholdRecord] = []
    var people: [Person] = []
    var organizations: [(message: Gongzhi_Core_V1_Organization, compound: Int?)] = []
    var partners: [PartnerRecord] = []
    /// The members of each volunteer team, as indexes into ``people``.
    var teamMembers: [[Int]] = []
    /// The grid workers (in the order of the grids), then the other staff, then the volunteers with people of their
    /// own (``XCommunityPlan/volunteerPeople``).
    var staff: [StaffRecord] = []

    private var phones: Set<Int> = []
    private var identitySequences: [Int: Int] = [:]

    init() {
        layOut()
        occupy()
        populate()
        tag()
        formTeams()
        takeNotes()
        organize()
        appoint()
        check()
    }

    static func residentID(_ index: Int) -> String { "R-" + Codes.pad(index + 1, width: 7) }

    private func random(_ stream: String) -> SplitMix64 {
        SplitMix64(seed: Plan.seed, stream: stream)
    }

    // MARK: - Places

    /// Grids and buildings: four grids to a compound, buildings in rows inside each grid.
    private mutating func layOut() {
        var random = random("buildings")
        for (compoundIndex, compound) in Plan.compounds.enumerated() {
            let area = compound.area.offset(by: Plan.origin)
            let quarters = area.quarters(
                splitLongitude: compound.splitLongitude + Plan.origin.longitude,
                splitLatitude: compound.splitLatitude + Plan.origin.latitude
            )
            var number = 0
            for (quarterIndex, quarter) in quarters.enumerated() {
                let sequence = grids.count + 1
                var grid = GridRecord(
                    code: Plan.communityCode + Codes.pad(sequence, width: 3),
                    name: "\(Plan.communityName)第\(sequence)网格（\(compound.name)\(Plan.quarterNames[quarterIndex])）",
                    compound: compoundIndex,
                    area: quarter
                )
                let types = compound.quarters[quarterIndex]
                for (type, site) in zip(types, quarter.sites(types.count, using: &random)) {
                    number += 1
                    grid.buildings.append(buildings.count)
                    buildings.append(
                        BuildingRecord(
                            id: "B-\(compound.key)-\(Codes.pad(number, width: 3))",
                            number: number,
                            compound: compoundIndex,
                            grid: grids.count,
                            type: type,
                            location: site
                        )
                    )
                }
                grids.append(grid)
            }
        }
    }

    // MARK: - Households

    /// Every flat is a household: owner-occupied, rented or vacant, with a size; then the sizes are nudged until
    /// they add up to the community's number of residents exactly.
    private mutating func occupy() {
        var random = random("households")
        for (buildingIndex, building) in buildings.enumerated() {
            let compound = Plan.compounds[building.compound]
            for unit in 1...building.type.units {
                for floor in 1...building.type.floors {
                    for room in 1...building.type.roomsPerFloor {
                        let draw = random.unit()
                        let occupancy: Occupancy =
                            draw < compound.vacancy
                            ? .vacant : draw < compound.vacancy + compound.tenancy ? .tenant : .owner
                        var household = HouseholdRecord(
                            id: "\(building.id.replacingPrefix("B-", with: "H-"))-\(unit)-"
                                + "\(Codes.pad(floor, width: 2))\(Codes.pad(room, width: 2))",
                            building: buildingIndex,
                            unit: unit,
                            floor: floor,
                            room: room,
                            occupancy: occupancy
                        )
                        household.size = HouseholdSize.draw(occupancy, using: &random)
                        households.append(household)
                        grids[building.grid].households += 1
                    }
                }
            }
        }
        precondition(households.count == Plan.households, "the buildings hold \(households.count) flats")

        var total = households.reduce(0) { $0 + $1.size }
        while total != Plan.residents {
            let index = random.below(households.count)
            let size = households[index].size
            if total < Plan.residents && size >= 1 && size < HouseholdSize.largest {
                households[index].size += 1
                total += 1
            } else if total > Plan.residents && size > 1 {
                households[index].size -= 1
                total -= 1
            }
        }
    }

    // MARK: - People

    private mutating func populate() {
        var random = random("people")
        for index in households.indices where households[index].occupancy != .vacant {
            let household = households[index]
            let structure = Structure.choose(size: household.size, occupancy: household.occupancy, using: &random)
            households[index].structure = structure
            households[index].members = compose(index, structure, using: &random)
        }
        precondition(people.count == Plan.residents)

        // Number the residents in the order they are written: household by household, the head first.
        var order: [Int] = []
        order.reserveCapacity(people.count)
        for household in households { order += household.members }
        var renumbered = [Int](repeating: 0, count: people.count)
        for (new, old) in order.enumerated() { renumbered[old] = new }
        people = order.map { people[$0] }
        for index in households.indices {
            households[index].members = households[index].members.map { renumbered[$0] }
        }

        var identity = self.random("identity")
        for index in people.indices {
            people[index].idCardNumber = identityCardNumber(people[index], using: &identity)
            let age = people[index].age
            if age >= 14 && (age < 85 || identity.chance(0.5)) {
                people[index].phone = newPhone(using: &identity)
            }
        }
    }

    /// An age drawn from bands, each with its weight.
    private static func age(_ bands: [(Double, ClosedRange<Int>)], using random: inout SplitMix64) -> Int {
        random.int(in: bands[random.weighted(bands.map(\.0))].1)
    }

    private mutating func person(
        age: Int,
        female: Bool,
        surname: String,
        household: Int,
        registered: Bool,
        using random: inout SplitMix64
    ) -> Int {
        let age = min(max(age, 0), 101)
        let birth = CivilDate.birth(age: age, using: &random)
        people.append(
            Person(
                name: surname + Names.givenName(bornIn: birth.year, female: female, using: &random),
                female: female,
                birth: birth,
                age: age,
                household: household,
                registeredHere: registered
            )
        )
        return people.count - 1
    }

    /// The members of a household of the given shape, the head of the household first.
    private mutating func compose(_ index: Int, _ structure: Structure, using random: inout SplitMix64) -> [Int] {
        let household = households[index]
        let compound = Plan.compounds[buildings[household.building].compound]
        let owner = household.occupancy == .owner
        let registered = random.chance(owner ? 0.85 : 0.08)

        // Adds someone to the household; `registered` is the household's unless a flatmate or a grandparent
        // who moved in to help is registered elsewhere.
        func add(_ age: Int, female: Bool, surname: String, registered here: Bool? = nil) -> Int {
            person(
                age: age,
                female: female,
                surname: surname,
                household: index,
                registered: here ?? registered,
                using: &random
            )
        }
        // Children of a mother aged `motherAge`, eldest first.
        func children(_ count: Int, motherAge: Int, surname: String) -> [Int] {
            var members: [Int] = []
            var age = motherAge - random.int(in: 23...35)
            if age < 0 { age = random.int(in: 0...3) }
            for _ in 0..<count {
                members.append(add(age, female: random.chance(0.48), surname: surname))
                age = max(0, age - random.int(in: 2...7))
            }
            return members
        }
        // One or two grandparents of someone aged `age` with `surname` on the father's side.
        func grandparents(_ count: Int, of age: Int, surname: String) -> [Int] {
            let paternal = random.chance(0.7)
            let grandfatherSurname = paternal ? surname : Names.surname(using: &random)
            let grandfatherAge = age + random.int(in: 24...33)
            let movedIn = random.chance(0.3)
            let here: Bool? = movedIn ? false : nil
            if count == 1 {
                let female = random.chance(0.65)
                return [
                    add(
                        grandfatherAge - (female ? random.int(in: 0...4) : 0),
                        female: female,
                        surname: female ? Names.surname(using: &random) : grandfatherSurname,
                        registered: here
                    )
                ]
            }
            return [
                add(grandfatherAge, female: false, surname: grandfatherSurname, registered: here),
                add(
                    grandfatherAge - random.int(in: 0...4),
                    female: true,
                    surname: Names.surname(using: &random),
                    registered: here
                ),
            ]
        }

        let elderlyWeight = owner ? 0.55 * compound.ageing : 0.06
        switch structure {
        case .single:
            let elderly = random.chance(elderlyWeight / (1 + elderlyWeight * 0.3))
            let age =
                elderly
                ? Self.age([(0.45, 60...69), (0.33, 70...79), (0.18, 80...89), (0.04, 90...98)], using: &random)
                : random.int(in: owner ? 25...59 : 21...45)
            return [add(age, female: random.chance(elderly ? 0.62 : 0.45), surname: Names.surname(using: &random))]

        case .couple, .elderlyCouple:
            let husbandAge =
                structure == .elderlyCouple
                ? Self.age([(0.5, 60...69), (0.35, 70...79), (0.15, 80...92)], using: &random)
                : owner
                    ? Self.age([(0.35, 25...35), (0.25, 36...50), (0.40, 51...59)], using: &random)
                    : random.int(in: 23...40)
            let husband = add(husbandAge, female: false, surname: Names.surname(using: &random))
            let wife = add(
                husbandAge - random.int(in: -1...5),
                female: true,
                surname: Names.surname(using: &random)
            )
            return random.chance(0.8) ? [husband, wife] : [wife, husband]

        case .parentAndChildren(let count):
            let female = random.chance(0.7)
            let parentAge = owner ? random.int(in: 30...85) : random.int(in: 26...50)
            let surname = Names.surname(using: &random)
            let parent = add(parentAge, female: female, surname: surname)
            let childSurname = !female || random.chance(0.6) ? surname : Names.surname(using: &random)
            let kids = children(count, motherAge: parentAge, surname: childSurname)
            // An old parent living with a grown-up child: the child often heads the household.
            if parentAge >= 70, let eldest = kids.first, people[eldest].age >= 30, random.chance(0.5) {
                return kids + [parent]
            }
            return [parent] + kids

        case .flatmates(let count):
            return (0..<count).map { _ in
                add(
                    random.int(in: 20...35),
                    female: random.chance(0.45),
                    surname: Names.surname(using: &random),
                    registered: random.chance(0.05)
                )
            }

        case .nuclear(let count):
            let husbandAge = owner ? random.int(in: 28...62) : random.int(in: 26...45)
            let surname = Names.surname(using: &random)
            let husband = add(husbandAge, female: false, surname: surname)
            let wifeAge = husbandAge - random.int(in: -1...4)
            let wife = add(wifeAge, female: true, surname: Names.surname(using: &random))
            let kids = children(
                count,
                motherAge: wifeAge,
                surname: random.chance(0.95) ? surname : people[wife].surname
            )
            return (random.chance(0.85) ? [husband, wife] : [wife, husband]) + kids

        case .threeGenerations(let elders, let count):
            let husbandAge = random.int(in: 28...52)
            let surname = Names.surname(using: &random)
            let husband = add(husbandAge, female: false, surname: surname)
            let wifeAge = husbandAge - random.int(in: -1...4)
            let wife = add(wifeAge, female: true, surname: Names.surname(using: &random))
            let old = grandparents(elders, of: husbandAge, surname: surname)
            let kids = children(count, motherAge: wifeAge, surname: surname)
            return random.chance(0.7) ? [husband, wife] + old + kids : old + [husband, wife] + kids

        case .withParents(let elders):
            let husbandAge = random.int(in: 35...62)
            let surname = Names.surname(using: &random)
            let husband = add(husbandAge, female: false, surname: surname)
            let wife = add(husbandAge - random.int(in: -1...4), female: true, surname: Names.surname(using: &random))
            let old = grandparents(elders, of: husbandAge, surname: surname)
            return random.chance(0.6) ? [husband, wife] + old : old + [husband, wife]

        case .skipGeneration(let elders, let count):
            let surname = Names.surname(using: &random)
            let old = grandparents(elders, of: random.int(in: 30...44), surname: surname)
            var kids: [Int] = []
            var age = random.int(in: 6...15)
            for _ in 0..<count {
                kids.append(add(age, female: random.chance(0.48), surname: surname))
                age = max(3, age - random.int(in: 2...5))
            }
            return old + kids
        }
    }

    private mutating func identityCardNumber(_ person: Person, using random: inout SplitMix64) -> String {
        let day = (person.birth.year * 100 + person.birth.month) * 100 + person.birth.day
        let key = day * 2 + (person.female ? 0 : 1)
        let next = identitySequences[key] ?? random.below(60)
        identitySequences[key] = next + 1 + random.below(3)
        return Codes.identityCardNumber(
            region: Plan.districtCode,
            birth: person.birth,
            sequence: next * 2 + (person.female ? 0 : 1)
        )
    }

    /// A mobile number no one else in the data has: 199, then eight digits.
    private mutating func newPhone(using random: inout SplitMix64) -> String {
        while true {
            let number = random.below(100_000_000)
            if phones.insert(number).inserted {
                return "199" + Codes.pad(number, width: 8)
            }
        }
    }

    // MARK: - Tags

    private mutating func tag() {
        var random = random("tags")
        var lowIncomeHouseholds: Set<Int> = []
        for (index, household) in households.enumerated() where household.occupancy != .vacant {
            let compound = Plan.compounds[buildings[household.building].compound]
            if people[household.members[0]].registeredHere && random.chance(0.009 * compound.hardship) {
                lowIncomeHouseholds.insert(index)
            }
        }
        for index in people.indices {
            let person = people[index]
            let household = households[person.household]
            var tags: Set<Person.Tag> = []
            if person.age >= 80 { tags.insert(.elderly) }
            if household.size == 1 && person.age >= 60 { tags.insert(.livingAlone) }
            if person.age >= 25 && random.chance(person.female ? 0.003 : 0.035) { tags.insert(.veteran) }
            let party = person.age < 18 ? 0 : person.age < 36 ? 0.04 : person.age < 60 ? 0.07 : 0.12
            if random.chance(tags.contains(.veteran) ? 0.5 : party) { tags.insert(.partyMember) }
            let disability = person.age < 18 ? 0.004 : person.age < 60 ? 0.011 : person.age < 80 ? 0.035 : 0.09
            if random.chance(disability) { tags.insert(.disabled) }
            if lowIncomeHouseholds.contains(person.household) { tags.insert(.lowIncome) }
            if case .skipGeneration = household.structure, person.age < 16 { tags.insert(.leftBehindChild) }
            people[index].tags = tags
        }

        // Exactly the plan's number of volunteers, drawn with weights: retired people and party members most.
        var draw = self.random("volunteers")
        let weights = people.map { person -> Int in
            guard (16...78).contains(person.age) else { return 0 }
            var weight = 20
            if person.tags.contains(.partyMember) { weight *= 4 }
            if (55...72).contains(person.age) { weight *= 3 }
            if person.age <= 22 { weight *= 2 }
            if person.registeredHere { weight = weight * 3 / 2 }
            if households[person.household].occupancy == .tenant { weight = weight * 2 / 5 }
            if person.tags.contains(.disabled) { weight /= 5 }
            return weight
        }
        var pool = WeightedDraw(weights: weights)
        for _ in 0..<Plan.volunteers {
            guard let index = pool.draw(using: &draw) else { preconditionFailure("too few people to volunteer") }
            people[index].tags.insert(.volunteer)
        }
    }

    // MARK: - Volunteer teams

    /// Every volunteer joins one team, the one whose work suits them (drawn by the team's appeal).
    private mutating func formTeams() {
        var random = random("teams")
        teamMembers = [[Int]](repeating: [], count: Plan.teams.count)
        for index in people.indices where people[index].tags.contains(.volunteer) {
            let person = people[index]
            let volunteer = Plan.Volunteer(
                age: person.age,
                female: person.female,
                partyMember: person.tags.contains(.partyMember),
                veteran: person.tags.contains(.veteran)
            )
            teamMembers[random.weighted(Plan.teams.map { $0.appeal(volunteer) })].append(index)
        }
    }

    /// The member who leads a team: a party member in the prime of life if there is one.
    func leader(of team: Int) -> Int {
        let members = teamMembers[team]
        return members.first {
            people[$0].tags.contains(.partyMember) && (35...68).contains(people[$0].age) && !people[$0].phone.isEmpty
        } ?? members.first { !people[$0].phone.isEmpty } ?? members[0]
    }

    // MARK: - Notes

    /// Notes from visits: for a resident, the first row whose tag they have (or the last row) is the one that
    /// applies, and it is taken with that row's chance.
    private static let notes: [(tag: Person.Tag?, chance: Double, texts: [String])] = [
        (
            .livingAlone, 0.4,
            [
                "独居，子女在外地工作，每周电话问候一次", "独居，行动不便，需定期上门走访", "独居，已安装烟感报警器和紧急呼叫设备",
                "独居，患高血压，需定期随访", "独居，已与邻里守望志愿服务队结对",
            ]
        ),
        (
            .elderly, 0.2,
            ["高龄，腿脚不便，外出需陪同", "高龄津贴按月发放", "高龄，与子女同住，身体状况良好", "听力较弱，走访时需面对面交流"]
        ),
        (.disabled, 0.3, ["持残疾人证，出入需无障碍通道", "视力残疾，办理业务需协助", "享受残疾人两项补贴"]),
        (.lowIncome, 0.3, ["低保户，每季度复核家庭收入", "低保户，已纳入临时救助"]),
        (.leftBehindChild, 0.5, ["父母在外地务工，由祖父母照顾", "四点半课堂结对帮扶对象"]),
        (nil, 0.01, ["入户走访，无特殊需求", "电动车已改到集中充电点充电", "反映楼道照明不足，已转物业处理", "新迁入，已完成信息登记"]),
    ]

    private mutating func takeNotes() {
        var random = random("notes")
        for index in people.indices {
            let tags = people[index].tags
            guard let row = Self.notes.first(where: { $0.tag.map(tags.contains) ?? true }) else { continue }
            if random.chance(row.chance) {
                people[index].notes = random.pick(row.texts)
            }
        }
    }

    // MARK: - Organisations and partners

    /// Someone who is not a resident (community staff, a company's manager), born between the given years.
    private mutating func nonResident(
        born years: ClosedRange<Int>,
        femaleShare: Double,
        using random: inout SplitMix64
    ) -> (name: String, phone: String) {
        let female = random.chance(femaleShare)
        let name = Names.fullName(bornIn: random.int(in: years), female: female, using: &random)
        return (name, newPhone(using: &random))
    }

    /// A resident of `compound` (any compound when nil) who fits, drawn at random.
    private func resident(
        in compound: Int?,
        using random: inout SplitMix64,
        where fits: (Person, HouseholdRecord) -> Bool
    ) -> Int {
        var candidates: [Int] = []
        for (index, person) in people.enumerated() where !person.phone.isEmpty {
            let household = households[person.household]
            if let compound, buildings[household.building].compound != compound { continue }
            if fits(person, household) { candidates.append(index) }
        }
        return random.pick(candidates)
    }

    private static func organization(
        _ id: String,
        _ name: String,
        _ type: Gongzhi_Core_V1_Organization.TypeEnum,
        creditCode: String = "",
        contact: (name: String, phone: String)
    ) -> Gongzhi_Core_V1_Organization {
        var organization = Gongzhi_Core_V1_Organization()
        organization.id = id
        organization.name = name
        organization.type = type
        organization.communityCode = Plan.communityCode
        organization.creditCode = creditCode
        organization.contactName = contact.name
        organization.contactPhone = contact.phone
        return organization
    }

    /// A credit code with a random organisation code ("MA" codes are the ones issued since 2015).
    private static func creditCode(_ kind: String, using random: inout SplitMix64) -> String {
        var body = "MA2"
        for _ in 0..<5 {
            body.append(random.pick(Array("0123456789ABCDEFGHJKLMNPQRTUWXY")))
        }
        return Codes.creditCode(kind: kind, region: Plan.districtCode, body: body)
    }

    private func contact(_ index: Int) -> (name: String, phone: String) {
        (people[index].name, people[index].phone)
    }

    private static func partner(
        _ id: String,
        _ name: String,
        _ type: Gongzhi_Core_V1_Partner.TypeEnum,
        skills: [String],
        phone: String
    ) -> Gongzhi_Core_V1_Partner {
        var partner = Gongzhi_Core_V1_Partner()
        partner.id = id
        partner.name = name
        partner.type = type
        partner.communityCode = Plan.communityCode
        partner.skills = skills
        partner.phone = phone
        return partner
    }

    private mutating func organize() {
        var random = random("organizations")
        // The residents' committee and the social organisations.
        organizations.append(
            (
                Self.organization(
                    "O-residents-committee",
                    "\(Plan.communityName)居民委员会",
                    .residentsCommittee,
                    creditCode: Self.creditCode("55", using: &random),
                    contact: nonResident(born: 1972...1985, femaleShare: 0.6, using: &random)
                ), nil
            )
        )
        let seniors = resident(in: nil, using: &random) { person, _ in
            person.tags.contains(.partyMember) && (62...75).contains(person.age)
        }
        let dancers = resident(in: nil, using: &random) { person, _ in person.female && (50...68).contains(person.age) }
        let social: [(String, String, (name: String, phone: String))] = [
            ("\(Plan.communityName)老年人协会", "", contact(seniors)),
            ("\(Plan.communityName)文体协会", "", contact(dancers)),
            (
                "示例区阳光社会工作服务中心", Self.creditCode("52", using: &random),
                nonResident(born: 1985...1996, femaleShare: 0.7, using: &random)
            ),
            (
                "示例区乐龄居家养老服务中心", Self.creditCode("52", using: &random),
                nonResident(born: 1975...1990, femaleShare: 0.7, using: &random)
            ),
        ]
        for (number, (name, credit, person)) in social.enumerated() {
            organizations.append(
                (
                    Self.organization(
                        "O-social-\(Codes.pad(number + 1, width: 2))",
                        name,
                        .socialOrganization,
                        creditCode: credit,
                        contact: person
                    ), nil
                )
            )
        }
        // Each compound's owners' committee and property company.
        for (index, compound) in Plan.compounds.enumerated() {
            let chair = resident(in: index, using: &random) { person, household in
                household.occupancy == .owner && person.registeredHere && (45...70).contains(person.age)
            }
            organizations.append(
                (
                    Self.organization(
                        "O-\(compound.key)-owners-committee",
                        "\(compound.name)业主委员会",
                        .ownersCommittee,
                        contact: contact(chair)
                    ), index
                )
            )
            organizations.append(
                (
                    Self.organization(
                        "O-\(compound.key)-property",
                        compound.propertyCompany,
                        .propertyCompany,
                        creditCode: Self.creditCode("91", using: &random),
                        contact: nonResident(born: 1970...1990, femaleShare: 0.4, using: &random)
                    ), index
                )
            )
        }
        // The volunteer teams, led by one of their members, and their partners.
        for (number, team) in Plan.teams.enumerated() {
            let leader = contact(leader(of: number))
            let suffix = Codes.pad(number + 1, width: 2)
            organizations.append(
                (Self.organization("O-team-\(suffix)", team.name, .volunteerTeam, contact: leader), nil)
            )
            var partner = Self.partner("P-team-\(suffix)", team.name, .team, skills: team.skills, phone: leader.phone)
            partner.organizationID = "O-team-\(suffix)"
            partner.memberResidentIds = teamMembers[number].map(Self.residentID)
            partners.append(PartnerRecord(message: partner, grid: nil))
        }

        // Neighbour partners: two or three residents in every grid who help their neighbours; the first of each
        // grid mediates, and in busy grids (and some others) also works as the part-time grid worker.
        var neighbours = self.random("neighbours")
        var gridOfPerson = [Int](repeating: 0, count: people.count)
        for (index, person) in people.enumerated() {
            gridOfPerson[index] = buildings[households[person.household].building].grid
        }
        var candidates = [[Int]](repeating: [], count: grids.count)
        for (index, person) in people.enumerated()
        where !person.phone.isEmpty && (30...72).contains(person.age)
            && households[person.household].occupancy == .owner
        {
            candidates[gridOfPerson[index]].append(index)
        }
        var neighbourNumber = 0
        for grid in grids.indices {
            neighbours.shuffle(&candidates[grid])
            let count = neighbours.int(in: 2...3)
            for (rank, index) in candidates[grid].prefix(count).enumerated() {
                neighbourNumber += 1
                var skills: [String] = rank == 0 ? ["调解"] : []
                var pool = Plan.neighbourSkills.filter { !skills.contains($0) }
                neighbours.shuffle(&pool)
                skills += pool.prefix(neighbours.int(in: rank == 0 ? 0...2 : 1...3))
                let id = "P-neighbour-\(Codes.pad(neighbourNumber, width: 3))"
                var partner = Self.partner(
                    id,
                    people[index].name,
                    .neighbour,
                    skills: skills,
                    phone: people[index].phone
                )
                partner.residentID = Self.residentID(index)
                partners.append(PartnerRecord(message: partner, grid: grid))
                if rank == 0 && (grids[grid].households > 450 || neighbours.chance(0.4)) {
                    var worker = Gongzhi_Core_V1_GridWorker()
                    worker.name = people[index].name
                    worker.phone = people[index].phone
                    worker.fullTime = false
                    worker.partnerID = id
                    grids[grid].workers.append(worker)
                }
            }
        }
        // Every grid has a full-time grid worker from the community's staff, listed first.
        precondition(Plan.gridWorkers.count == grids.count, "the plan names a grid worker for each grid")
        var workers = self.random("grid-workers")
        for grid in grids.indices {
            var worker = Gongzhi_Core_V1_GridWorker()
            worker.name = Plan.gridWorkers[grid].name
            worker.phone = newPhone(using: &workers)
            worker.fullTime = true
            worker.personID = Plan.gridWorkers[grid].id
            grids[grid].workers.insert(worker, at: 0)
        }

        // Builder partners: the property companies, the social work and elderly care centres, and local units.
        var builderNumber = 0
        func builder(_ name: String, _ skills: [String], phone: String, organization: String = "") {
            builderNumber += 1
            var partner = Self.partner(
                "P-builder-\(Codes.pad(builderNumber, width: 2))",
                name,
                .builder,
                skills: skills,
                phone: phone
            )
            partner.organizationID = organization
            partners.append(PartnerRecord(message: partner, grid: nil))
        }
        for (organization, _) in organizations where organization.type == .propertyCompany {
            builder(
                organization.name,
                ["物业服务", "设施维修", "停车管理"],
                phone: organization.contactPhone,
                organization: organization.id
            )
        }
        for (organization, _) in organizations
        where organization.id == "O-social-03" || organization.id == "O-social-04" {
            let skills = organization.id == "O-social-03" ? ["社工服务", "项目运营", "心理疏导"] : ["老年助餐", "日间照料", "助浴"]
            builder(organization.name, skills, phone: organization.contactPhone, organization: organization.id)
        }
        var lines = self.random("builders")
        let units: [(String, [String])] = [
            ("示例区实验小学", ["四点半课堂", "青少年教育"]),
            ("示例区中医院", ["义诊", "健康讲座"]),
            ("邻家便利超市", ["积分兑换", "便民服务"]),
            ("康宁大药房", ["用药咨询", "量血压"]),
            ("明正律师事务所", ["法律咨询", "法治讲座"]),
            ("安心家政服务有限公司", ["家政培训", "助老服务"]),
        ]
        for (name, skills) in units {
            builder(name, skills, phone: "0571-8" + Codes.pad(lines.below(10_000_000), width: 7))
        }
    }

    // MARK: - Staff

    private static func person(
        _ id: String,
        _ name: String,
        title: String,
        phone: String
    ) -> Gongzhi_Core_V1_Person {
        var person = Gongzhi_Core_V1_Person()
        person.id = id
        person.name = name
        person.title = title
        person.phone = phone
        // As the host stores a person who is not suspended, so that applying the data again changes nothing.
        person.state = .active
        return person
    }

    /// The staff as the host's people: each grid's full-time grid worker (with the phone the grid lists),
    /// bound as grid-worker to the grid, then the plan's other staff, bound within the community or the street,
    /// then the two volunteers of the plan who use the points module as themselves.
    private mutating func appoint() {
        for (index, grid) in grids.enumerated() {
            let planned = Plan.gridWorkers[index]
            let worker = grid.workers[0]
            precondition(worker.fullTime && worker.name == planned.name)
            staff.append(
                StaffRecord(
                    message: Self.person(planned.id, planned.name, title: "专职网格员", phone: worker.phone),
                    bindings: [("grid-worker", grid.code)]
                )
            )
        }
        var random = random("staff")
        for member in Plan.staff {
            var person = Self.person(member.id, member.name, title: member.title, phone: newPhone(using: &random))
            if let name = member.partner {
                guard let partner = partners.first(where: { $0.message.name == name }) else {
                    preconditionFailure("\(member.id) works for \(name), which is not a partner")
                }
                person.partnerID = partner.message.id
            }
            staff.append(StaffRecord(message: person, bindings: [(member.role, member.place.code)]))
        }
        // The volunteers with people of their own: the Person names their Resident and has their phone.
        for planned in Plan.volunteerPeople {
            let index = volunteer(planned)
            precondition(
                people[index].name == planned.name,
                "\(planned.id) is \(people[index].name) (\(Self.residentID(index))), not \(planned.name)"
            )
            var person = Self.person(planned.id, planned.name, title: planned.title, phone: people[index].phone)
            person.residentID = Self.residentID(index)
            staff.append(StaffRecord(message: person, bindings: [(planned.role, Plan.communityCode)]))
        }
    }

    /// The resident a planned volunteer person is: their team's leader, or its first other member (with a phone,
    /// aged 18 to 70) who lives in grid 1.
    func volunteer(_ planned: Plan.VolunteerPerson) -> Int {
        let leader = leader(of: planned.team)
        if planned.leadsTeam { return leader }
        guard
            let member = teamMembers[planned.team].first(where: { index in
                index != leader && !people[index].phone.isEmpty && (18...70).contains(people[index].age)
                    && buildings[households[people[index].household].building].grid == 0
            })
        else {
            preconditionFailure("team \(planned.team + 1) has no other member in grid 1")
        }
        return member
    }

    /// The id of a role binding: "<person>.<role>.<place>".
    static func bindingID(person: String, role: String, place: String) -> String {
        "\(person).\(role).\(place)"
    }

    // MARK: - Checks

    /// The promises of the plan, checked before anything is written.
    private func check() {
        precondition(households.count == Plan.households)
        precondition(people.count == Plan.residents)
        precondition(people.filter { $0.tags.contains(.volunteer) }.count == Plan.volunteers)
        precondition(
            teamMembers.allSatisfy { !$0.isEmpty } && teamMembers.reduce(0) { $0 + $1.count } == Plan.volunteers
        )
        for polygon in [Plan.districtBoundary, Plan.streetBoundary, Plan.communityBoundary.polygon] {
            precondition(polygon.doubleSignedArea > 0, "a region's boundary is not counter-clockwise")
        }
        for grid in grids {
            precondition(grid.area.polygon.doubleSignedArea > 0, "\(grid.code) is not counter-clockwise")
        }
        for building in buildings {
            precondition(
                grids[building.grid].area.polygon.contains(building.location),
                "\(building.id) is outside its grid"
            )
        }
        // The host takes a binding only to a person, a role and a place that exist.
        let places = Set([Plan.districtCode, Plan.streetCode, Plan.communityCode] + grids.map(\.code))
        var ids: Set<String> = []
        for record in staff {
            let id = record.message.id
            precondition(
                (1...64).contains(id.utf8.count)
                    && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") },
                "\(id) is not a person id"
            )
            precondition(ids.insert(id).inserted, "\(id) twice")
            for binding in record.bindings {
                precondition(places.contains(binding.place), "\(id) is bound in \(binding.place), which is not a place")
            }
        }
    }
}

extension Person {
    /// The surname, as the first character of the name (every surname in the lists is one character).
    var surname: String { String(name.prefix(1)) }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
