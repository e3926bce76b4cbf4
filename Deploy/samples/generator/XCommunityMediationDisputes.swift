import GongzhiMediationSchemas

/// The eight disputes of the sample: who the parties are, what happened, and what the committee has done.
extension XCommunityMediation {
    /// The steps of one dispute as gongzhictl commands, each taken as a person of the committee (`--as`).
    struct StepList {
        private(set) var steps: [Step] = []

        private mutating func add(
            _ action: Action,
            _ verb: String,
            _ arguments: [String],
            as person: String,
            agreement: Gongzhi_Mediation_V1_Agreement? = nil
        ) {
            steps.append(
                Step(
                    action: action,
                    arguments: ["mediation", verb, XCommunityMediation.disputePlaceholder] + arguments + [
                        "--as", person,
                    ],
                    agreement: agreement
                )
            )
        }

        private static func each(_ option: String, _ values: [String]) -> [String] {
            values.flatMap { [option, $0] }
        }

        /// Acceptance (受理) with every party's answer; a party in `refusing` does not consent, which ends it.
        mutating func accept(_ consenting: [String], refusing: String? = nil, reason: String = "", note: String = "") {
            var arguments = Self.each("--consent", consenting)
            if let refusing { arguments += ["--refuse", refusing, "--reason", reason] }
            if !note.isEmpty { arguments += ["--note", note] }
            add(.accept, "accept", arguments, as: Plan.clerk)
        }

        /// Mediators assigned by the committee (指定).
        mutating func assign(_ mediators: [String], note: String = "") {
            var arguments = Self.each("--mediator", mediators)
            if !note.isEmpty { arguments += ["--note", note] }
            add(.assignMediators, "assign", arguments, as: Plan.clerk)
        }

        /// A session held by `mediators` (the first records it in the system) with its record, written by `recorder`.
        mutating func session(
            _ mediators: [String],
            parties: [String],
            location: String,
            record: String,
            recorder: String
        ) {
            let arguments =
                Self.each("--mediator", mediators) + Self.each("--party", parties) + [
                    "--location", location, "--record", record, "--recorder", recorder,
                ]
            add(.recordSession, "session", arguments, as: mediators[0])
        }

        mutating func draft(_ agreement: Gongzhi_Mediation_V1_Agreement, file: String, as mediator: String) {
            add(.draftAgreement, "draft", ["--file", file], as: mediator, agreement: agreement)
        }

        /// A party's signature, recorded by the mediator they signed before.
        mutating func sign(party: String, before mediator: String) {
            add(.sign, "sign", ["--party", party], as: mediator)
        }

        mutating func sign(mediator: String) {
            add(.sign, "sign", ["--mediator", mediator], as: mediator)
        }

        /// The committee's seal, with the agreement's number.
        mutating func seal(_ number: String) {
            add(.seal, "seal", ["--number", number], as: Plan.clerk)
        }

        /// The parties told of their right to apply for judicial confirmation within 30 days.
        mutating func inform(_ parties: [String], as mediator: String) {
            add(.informConfirmation, "inform", Self.each("--party", parties), as: mediator)
        }

        mutating func performed(_ obligation: String, note: String, as mediator: String) {
            add(
                .recordPerformance,
                "performance",
                ["--obligation", obligation, "performed", "--note", note],
                as: mediator
            )
        }

        mutating func followUp(_ obligation: String, finding: String, as visitor: String) {
            add(.recordFollowUp, "follow-up", ["--obligation", obligation, "--finding", finding], as: visitor)
        }

        /// Mediation failed (调解不成), with the routes every party was told of (Art 26).
        mutating func fail(reason: String, routes: [String], told: [String]) {
            add(
                .fail,
                "fail",
                ["--reason", reason] + Self.each("--route", routes) + Self.each("--told", told),
                as: Plan.clerk
            )
        }
    }

    /// An application as the committee records it: by its clerk, with the key that makes it idempotent.
    private func application(
        type: Gongzhi_Mediation_V1_DisputeType,
        place: String,
        building: Int?,
        compound: Int,
        level: Gongzhi_Mediation_V1_MediationLevel = .community,
        title: String,
        facts: String,
        narrative: String,
        parties: [Gongzhi_Mediation_V1_Party]
    ) -> Gongzhi_Mediation_V1_ApplyRequest {
        var request = Gongzhi_Mediation_V1_ApplyRequest()
        request.type = type
        request.source = .application
        request.placeCode = place
        request.buildingID = building.map { community.buildings[$0].id } ?? ""
        request.compound = XCommunityPlan.compounds[compound].name
        request.level = level
        request.title = title
        request.facts = facts
        request.narrative = narrative
        request.parties = parties
        return request
    }

    private func gridCode(ofHousehold household: Int) -> String {
        community.grids[community.buildings[community.households[household].building].grid].code
    }

    private func building(ofHousehold household: Int) -> Int { community.households[household].building }

    private func compound(ofHousehold household: Int) -> Int {
        community.buildings[building(ofHousehold: household)].compound
    }

    private func agreement(
        facts: String,
        matters: [String],
        responsibilities: String,
        terms: String,
        obligations: [(party: String, content: String, method: String, days: Int64)]
    ) -> Gongzhi_Mediation_V1_Agreement {
        var agreement = Gongzhi_Mediation_V1_Agreement()
        agreement.partyIds = ["p1", "p2"]
        agreement.facts = facts
        agreement.matters = matters.map { summary in
            var matter = Gongzhi_Mediation_V1_Matter()
            matter.summary = summary
            matter.kind = .civil
            return matter
        }
        agreement.responsibilities = responsibilities
        agreement.terms = terms
        agreement.obligations = obligations.enumerated().map { number, planned in
            var obligation = Gongzhi_Mediation_V1_Obligation()
            obligation.id = "o\(number + 1)"
            obligation.partyID = planned.party
            obligation.content = planned.content
            obligation.method = planned.method
            obligation.deadlineMs = endOfDay(after: planned.days)
            return obligation
        }
        return agreement
    }

    /// Every dispute, in the order of their keys.
    mutating func openDisputes() {
        var used = Set([leak.downstairs, leak.upstairs])
        var draw = random("parties")
        func pick(_ pairs: [(below: Int, above: Int)]) -> (below: Int, above: Int) {
            let free = pairs.filter { !used.contains($0.below) && !used.contains($0.above) }
            precondition(!free.isEmpty, "no households left to draw parties from")
            let pair = draw.pick(free)
            used.formUnion([pair.below, pair.above])
            return pair
        }
        let both = ["p1", "p2"]
        let (clerk, staff) = (Plan.clerk, Plan.staffMediator)
        let (elder, socialWorker, notable) = (Plan.elder, Plan.socialWorker, Plan.notable)

        // 1. The README's leak: applied for, and no further.
        let down = community.households[leak.downstairs].members[0]
        let up = community.households[leak.upstairs].members[0]
        precondition(
            community.people[down].name == Plan.walk.applicant && community.people[up].name == Plan.walk.respondent,
            "the leak's parties are \(community.people[down].name) and \(community.people[up].name), not "
                + "\(Plan.walk.applicant) and \(Plan.walk.respondent)"
        )
        disputes.append(
            Dispute(
                number: 1,
                application: application(
                    type: .neighbour,
                    place: gridCode(ofHousehold: leak.downstairs),
                    building: building(ofHousehold: leak.downstairs),
                    compound: compound(ofHousehold: leak.downstairs),
                    title: Plan.walk.title,
                    facts: "\(flat(leak.upstairs))卫生间防水层老化，近两个月来持续向楼下\(flat(leak.downstairs))渗水，"
                        + "楼下卫生间和过道天花板霉变、墙皮脱落。申请人多次上门协商未果，向社区人民调解委员会申请调解。",
                    narrative: "申请人称：楼上漏水已有两个月，天花板发霉掉皮，要求楼上修好防水，并赔偿重新吊顶、粉刷的费用。"
                        + "被申请人称：愿意配合查明漏水原因，是自家的问题就修。",
                    parties: [
                        party("p1", .applicant, resident: down), party("p2", .respondent, resident: up),
                    ]
                ),
                steps: [],
                state: .applied
            )
        )

        // 2. 翠竹苑's owners' committee and its property company, over the compound's shared income: agreed, with
        //    an obligation due within three days and another in a month.
        do {
            let owners = "O-c2-owners-committee"
            let property = "O-c2-property"
            let compound = 1
            let address =
                "\(XCommunityPlan.districtName)\(XCommunityPlan.streetName)"
                + "\(XCommunityPlan.compounds[compound].address)\(XCommunityPlan.compounds[compound].name)"
            let income = "\(Plan.sharedIncome)元"
            var steps = StepList()
            steps.accept(both, note: "双方同意由社区人民调解委员会调解，网格员列席")
            steps.assign([staff, socialWorker])
            steps.session(
                [staff, socialWorker],
                parties: both,
                location: "翠竹苑物业服务中心会议室",
                record: "业主委员会出示电梯广告、停车位和快递柜场地的出租合同，物业公司出示2024年以来垫付的公共设施维修票据。"
                    + "双方逐项核对：出租收入合计\(Plan.sharedIncome + 31_600)元，经核实的垫付维修费用31600元；"
                    + "双方同意余额\(income)转入专项维修资金，今后按季公示。",
                recorder: staff
            )
            let terms = agreement(
                facts: "翠竹苑电梯广告、公共停车位和快递柜场地的出租收入自2024年起由物业公司收取，未单独列账，也未定期公示。"
                    + "业主委员会要求公开收支并将收益转入专项维修资金；物业公司认为其垫付的公共设施维修费用应予抵扣。",
                matters: ["物业公共收益的公示与归属", "物业公司垫付的公共设施维修费用可否抵扣"],
                responsibilities: "物业公司未按规定单独列账、定期公示公共收益，负主要责任；业主委员会未及时审核物业公司垫付的维修费用，负次要责任。",
                terms: "一、物业公司公示2024年1月以来的公共收益收支明细；二、扣除经双方核对的垫付维修费用31600元后，"
                    + "物业公司将公共收益\(income)转入翠竹苑专项维修资金账户；三、今后公共收益单独列账，每季度公示一次。",
                obligations: [
                    (
                        "p2", "公示2024年1月以来的公共收益收支明细",
                        "在各楼道公告栏张贴并在业主群发布，由业主委员会核对", 2
                    ),
                    ("p2", "将公共收益\(income)转入翠竹苑专项维修资金账户", "银行转账，转账凭证交业主委员会", 30),
                ]
            )
            let number = 2
            steps.draft(terms, file: Dispute.agreementFile(number), as: staff)
            steps.sign(party: "p1", before: staff)
            steps.sign(party: "p2", before: staff)
            steps.sign(mediator: staff)
            steps.seal(agreementNumber(1))
            steps.inform(both, as: staff)
            disputes.append(
                Dispute(
                    number: number,
                    application: application(
                        type: .propertyService,
                        place: XCommunityPlan.communityCode,
                        building: nil,
                        compound: compound,
                        title: "物业公共收益分配",
                        facts: "翠竹苑业主委员会反映：小区电梯广告、公共停车位和快递柜场地的出租收入由物业公司收取，"
                            + "两年来未公示，也未转入专项维修资金。",
                        narrative: "业主委员会要求物业公司公开收支明细并将收益转入专项维修资金；物业公司称部分收入已用于垫付公共设施维修，应予抵扣。",
                        parties: [
                            party("p1", .applicant, organization: owners, address: address + "业主委员会办公室"),
                            party("p2", .respondent, organization: property, address: address + "物业服务中心"),
                        ]
                    ),
                    steps: steps.steps,
                    state: .agreed
                )
            )
        }

        // 3. Renovation noise in a tower of 锦绣华庭: mediators assigned, one session held.
        do {
            let pair = pick(stacked(buildings: buildings(ofCompound: 2), ages: 30...70))
            var steps = StepList()
            steps.accept(both)
            steps.assign([clerk, notable])
            steps.session(
                [notable, clerk],
                parties: both,
                location: Plan.mediationRoom,
                record: "申请人称家中有老人和婴儿，施工噪音影响休息，卫生间顶部出现裂缝。被申请人称装修已进入后期，"
                    + "愿意调整施工时间。双方同意请物业公司查看裂缝成因后再议赔偿。",
                recorder: clerk
            )
            disputes.append(
                Dispute(
                    number: 3,
                    application: application(
                        type: .renovation,
                        place: gridCode(ofHousehold: pair.below),
                        building: building(ofHousehold: pair.below),
                        compound: 2,
                        title: "装修噪音扰民",
                        facts: "被申请人\(flat(pair.above))装修期间，周末和午休时段仍用电钻、切割机施工，影响楼下\(flat(pair.below))休息；"
                            + "楼下卫生间顶部出现裂缝。",
                        narrative: "申请人要求被申请人按物业规定的时段施工，并查明裂缝原因、负责修复。",
                        parties: [
                            party("p1", .applicant, resident: community.households[pair.below].members[0]),
                            party("p2", .respondent, resident: community.households[pair.above].members[0]),
                        ]
                    ),
                    steps: steps.steps,
                    state: .mediating
                )
            )
        }

        // 4. A mother living alone and her son, over support (赡养): accepted, waiting for its mediators.
        do {
            var mothers: [Int] = []
            var sons: [Int] = []
            for (index, person) in community.people.enumerated() where !person.phone.isEmpty {
                let household = community.households[person.household]
                if used.contains(person.household) { continue }
                if person.female && person.tags.contains(.livingAlone) && (75...84).contains(person.age)
                    && person.registeredHere
                {
                    mothers.append(index)
                } else if !person.female && (45...58).contains(person.age) && household.members.first == index
                    && household.occupancy == .owner
                {
                    sons.append(index)
                }
            }
            draw.shuffle(&mothers)
            var family: (mother: Int, son: Int)?
            for candidate in mothers {
                if let son = sons.first(where: { community.people[$0].surname == community.people[candidate].surname })
                {
                    family = (candidate, son)
                    break
                }
            }
            guard let (mother, child) = family else { preconditionFailure("no mother living alone has a son here") }
            used.formUnion([community.people[mother].household, community.people[child].household])
            var steps = StepList()
            steps.accept(both, note: "双方同意调解；被申请人的姐姐愿意到场")
            let household = community.people[mother].household
            disputes.append(
                Dispute(
                    number: 4,
                    application: application(
                        type: .family,
                        place: gridCode(ofHousehold: household),
                        building: building(ofHousehold: household),
                        compound: compound(ofHousehold: household),
                        title: "赡养费纠纷",
                        facts: "申请人年逾七旬，独居，患高血压和糖尿病，养老金不足以支付医药费。被申请人系申请人之子，"
                            + "近一年来未支付赡养费，也很少探望。",
                        narrative: "申请人要求被申请人每月支付赡养费，并定期探望。被申请人称近年收入下降，愿意尽力。",
                        parties: [party("p1", .applicant, resident: mother), party("p2", .respondent, resident: child)]
                    ),
                    steps: steps.steps,
                    state: .accepted
                )
            )
        }

        // 5. A sunroom on the green below a first-floor window in 春晓家园: an agreement drafted, one party signed.
        do {
            let pairs = stacked(buildings: buildings(ofCompound: 3), ages: 30...75).filter {
                community.households[$0.below].floor == 1
            }
            let pair = pick(pairs)
            var steps = StepList()
            steps.accept(both)
            steps.assign([notable, staff])
            steps.session(
                [notable, staff],
                parties: both,
                location: "春晓家园\(community.buildings[building(ofHousehold: pair.below)].number)幢楼下现场",
                record: "现场查看：阳光房约12平方米，其中约5平方米超出一楼院墙、占用公共绿地，顶棚紧贴二楼窗下。"
                    + "被申请人同意拆除超出院墙的部分并恢复绿地，申请人同意保留院墙内部分。",
                recorder: staff
            )
            let number = 5
            steps.draft(
                agreement(
                    facts: "被申请人在一楼住宅南侧搭建阳光房，其中约5平方米超出院墙、占用小区公共绿地，顶棚紧贴二楼窗下。",
                    matters: ["阳光房超出院墙部分的拆除与绿地恢复"],
                    responsibilities: "被申请人未经业主共同决定占用公共绿地搭建，应负全部责任。",
                    terms: "被申请人拆除阳光房超出院墙的部分并恢复绿地，院墙内部分予以保留；申请人不再要求拆除院墙内部分。",
                    obligations: [
                        (
                            "p2", "拆除阳光房超出院墙的部分，恢复公共绿地",
                            "自行拆除，物业公司现场监督验收", 20
                        )
                    ]
                ),
                file: Dispute.agreementFile(number),
                as: notable
            )
            steps.sign(party: "p1", before: notable)
            disputes.append(
                Dispute(
                    number: number,
                    application: application(
                        type: .propertyRights,
                        place: gridCode(ofHousehold: pair.below),
                        building: building(ofHousehold: pair.below),
                        compound: 3,
                        title: "阳光房占用公共绿地",
                        facts: "被申请人\(flat(pair.below))在楼下公共绿地上搭建阳光房，申请人\(flat(pair.above))认为阳光房顶棚紧贴其窗下，"
                            + "易被攀爬入室，且占用了公共绿地。",
                        narrative: "申请人要求拆除阳光房；被申请人称阳光房大部分在自家院墙内。",
                        parties: [
                            party("p1", .applicant, resident: community.households[pair.above].members[0]),
                            party("p2", .respondent, resident: community.households[pair.below].members[0]),
                        ]
                    ),
                    steps: steps.steps,
                    state: .agreementDrafted
                )
            )
        }

        // 6. Cartons and old furniture on the stairs of the leak's building, settled in the grid by the old party
        //    member who lives there: performed, and visited. With the leak, the building has two disputes (溯源).
        do {
            let building = building(ofHousehold: leak.downstairs)
            var avoiding = used
            avoiding.insert(community.people[leak.elder].household)
            let pair = pick(stacked(buildings: [building], ages: 30...75, avoiding: avoiding))
            var steps = StepList()
            steps.accept(both)
            steps.assign([elder], note: "楼道长，同楼居住，与双方均无亲属关系")
            steps.session(
                [elder],
                parties: both,
                location: "\(community.buildings[building].number)幢\(community.households[pair.below].unit)单元楼道",
                record: "楼道长现场查看：\(community.households[pair.below].floor)楼至\(community.households[pair.above].floor)楼"
                    + "平台堆放纸箱和旧家具，占用疏散通道。被申请人同意三日内清理，申请人表示谅解。",
                recorder: elder
            )
            let number = 6
            steps.draft(
                agreement(
                    facts: "被申请人在楼道平台长期堆放纸箱和旧家具，占用疏散通道，影响申请人通行。",
                    matters: ["楼道堆物的清理"],
                    responsibilities: "被申请人占用公共楼道堆物，应负全部责任。",
                    terms: "被申请人三日内清理楼道堆物，今后不在楼道堆放物品；申请人不再追究。",
                    obligations: [("p2", "清理楼道平台堆放的纸箱和旧家具", "自行清理，楼道长现场确认", 3)]
                ),
                file: Dispute.agreementFile(number),
                as: elder
            )
            steps.sign(party: "p1", before: elder)
            steps.sign(party: "p2", before: elder)
            steps.sign(mediator: elder)
            steps.seal(agreementNumber(2))
            steps.inform(both, as: elder)
            steps.performed("o1", note: "楼道堆物已清理，楼道长现场确认", as: elder)
            steps.followUp("o1", finding: "回访时楼道畅通，双方见面打招呼，关系缓和", as: elder)
            disputes.append(
                Dispute(
                    number: number,
                    application: application(
                        type: .neighbour,
                        place: gridCode(ofHousehold: pair.below),
                        building: building,
                        compound: compound(ofHousehold: pair.below),
                        level: .grid,
                        title: "楼道堆物",
                        facts: "被申请人\(flat(pair.below))在楼道平台堆放纸箱和旧家具，申请人\(flat(pair.above))认为占用疏散通道、影响通行。",
                        narrative: "申请人要求清理楼道；被申请人称东西只是暂放，过段时间处理。",
                        parties: [
                            party("p1", .applicant, resident: community.households[pair.above].members[0]),
                            party("p2", .respondent, resident: community.households[pair.below].members[0]),
                        ]
                    ),
                    steps: steps.steps,
                    state: .performed
                )
            )
        }

        // 7. A carpenter's unpaid balance (劳务费): mediation failed, the parties told they may sue.
        do {
            var workers: [Int] = []
            for (index, person) in community.people.enumerated() where !person.phone.isEmpty && !person.female {
                let household = community.households[person.household]
                if household.occupancy == .tenant && household.members.first == index && (35...55).contains(person.age)
                    && !used.contains(person.household)
                {
                    workers.append(index)
                }
            }
            let worker = draw.pick(workers)
            let pair = pick(stacked(buildings: buildings(ofCompound: 2), ages: 30...50))
            let employer = community.households[pair.above].members[0]
            used.insert(community.people[worker].household)
            var steps = StepList()
            steps.accept(both)
            steps.assign([clerk, socialWorker])
            steps.session(
                [clerk, socialWorker],
                parties: both,
                location: Plan.mediationRoom,
                record: "申请人称木工活已按约完工，柜门变形系业主自购板材受潮所致；被申请人称柜门变形是做工问题，"
                    + "只同意再付2000元。双方对返工责任和扣款金额分歧较大。",
                recorder: clerk
            )
            steps.fail(
                reason: "双方对柜门返工责任和扣款金额分歧较大，经调解未能达成协议",
                routes: ["judicial"],
                told: both
            )
            disputes.append(
                Dispute(
                    number: 7,
                    application: application(
                        type: .labour,
                        place: gridCode(ofHousehold: pair.above),
                        building: building(ofHousehold: pair.above),
                        compound: 2,
                        title: "木工劳务费纠纷",
                        facts: "申请人受被申请人雇请，为其\(flat(pair.above))房屋做木工，约定工钱12000元，已付6000元。"
                            + "完工后被申请人以柜门变形为由拒付余款。",
                        narrative: "申请人要求支付余款6000元；被申请人要求先返工。",
                        parties: [
                            party("p1", .applicant, resident: worker), party("p2", .respondent, resident: employer),
                        ]
                    ),
                    steps: steps.steps,
                    state: .failed
                )
            )
        }

        // 8. A barking dog in 翠竹苑: the dog's owner does not consent, so it may not be mediated (Art 17).
        do {
            var pairs: [(Int, Int)] = []
            for building in buildings(ofCompound: 1) {
                let type = community.buildings[building].type
                for unit in 1...type.units {
                    for floor in 1...type.floors {
                        guard type.roomsPerFloor >= 2,
                            let one = household(building: building, unit: unit, floor: floor, room: 1),
                            let two = household(building: building, unit: unit, floor: floor, room: 2),
                            !used.contains(one), !used.contains(two),
                            head(one, ages: 25...75) != nil, head(two, ages: 25...75) != nil
                        else { continue }
                        pairs.append((one, two))
                    }
                }
            }
            let (one, two) = draw.pick(pairs)
            used.formUnion([one, two])
            var steps = StepList()
            steps.accept(["p1"], refusing: "p2", reason: "认为自家的狗只是偶尔叫，不同意调解，表示会自行注意")
            disputes.append(
                Dispute(
                    number: 8,
                    application: application(
                        type: .neighbour,
                        place: gridCode(ofHousehold: one),
                        building: building(ofHousehold: one),
                        compound: 1,
                        title: "养犬扰民",
                        facts: "被申请人\(flat(two))饲养的一只中型犬白天独自在家时长时间吠叫，夜间也时有吠叫，"
                            + "影响申请人\(flat(one))一家休息。",
                        narrative: "申请人多次敲门沟通无果，要求被申请人采取措施。",
                        parties: [
                            party("p1", .applicant, resident: community.households[one].members[0]),
                            party("p2", .respondent, resident: community.households[two].members[0]),
                        ]
                    ),
                    steps: steps.steps,
                    state: .refused
                )
            )
        }
    }

    // MARK: - Checks

    /// The promises of the sample, checked before anything is written: one dispute of each state the plan names,
    /// parties of the community, mediators who are not parties, deadlines after the load.
    func check() {
        precondition(disputes.map(\.number) == Array(1...disputes.count), "the disputes are numbered in order")
        precondition(disputes[0].steps.isEmpty, "the README's dispute goes no further than its application")
        var residents: Set<String> = []
        for dispute in disputes {
            for party in dispute.application.parties where party.kind == .resident {
                precondition(residents.insert(party.residentID).inserted, "\(party.residentID) is a party twice")
            }
            for step in dispute.steps {
                if let agreement = step.agreement {
                    precondition(
                        agreement.obligations.allSatisfy { $0.deadlineMs > atMs },
                        "a deadline before the load"
                    )
                }
            }
        }
        for record in mediators where !record.person.residentID.isEmpty {
            precondition(!residents.contains(record.person.residentID), "a mediator is a party")
        }
    }
}
