import GongzhiPointsSchemas

/// X社区's points exchange on the day its electronic ledger is opened: the ledgers, rules and supermarket of
/// ``XCommunityPointsPlan``, the month before the opening day brought in from the community's paper ledger as
/// imported transfers, and what is done on the day itself — service records recorded, confirmed or rejected, and a
/// redemption held at the counter. Generated from ``XCommunity`` with a SplitMix64 stream of its own: the same
/// transfers for the same opening day, on every run.
///
/// The amounts do not depend on the opening day, only the times do: every cap holds however the 30 days fall
/// into months (no volunteer is credited more than 15 hours of service in the history, nor comes to more than
/// three deliberations or five party duties).
struct XCommunityPoints {
    typealias Plan = XCommunityPointsPlan
    typealias Transfer = Gongzhi_Points_V1_Transfer
    typealias Account = Gongzhi_Points_V1_Account

    /// Someone who holds points: a resident, or a partner (a neighbour partner).
    struct Holder: Hashable {
        var kind: Gongzhi_Points_V1_HolderKind
        var id: String
        var name: String
        var partnerType = ""

        func account(_ ledger: String) -> String {
            "\(ledger):\(kind == .partner ? "partner" : "resident"):\(id)"
        }
    }

    /// A service recorded on the opening day, and what became of it.
    struct ServiceRecord {
        enum Decision {
            /// Confirmed by the community worker, and credited.
            case confirmed
            /// Rejected by the community worker, for the reason given.
            case rejected(String)
            /// Left waiting for a team leader (the README confirms it).
            case waiting
        }

        var id: String
        var holder: Holder
        var minutes: Int
        var servedAtMs: Int64
        var description: String
        var evidence: String
        var recordedBy: String
        var decision: Decision

        /// Points the record earns by the per-hour rule: minutes rounded down to whole points.
        var points: Int { Plan.points(of: Plan.volunteerHour) * minutes / 60 }
    }

    /// A redemption held at the counter on the opening day, waiting for its hand-over.
    struct HeldRedemption {
        var id: String
        var holder: Holder
        var good: Plan.Good
        var note: String
    }

    /// An account's balance and what its holder can spend, as they stand after the sample is loaded.
    struct Balance: Equatable {
        var balance = 0
        var available = 0
    }

    let community: XCommunity
    /// When the volunteer ledger was opened (milliseconds since the epoch).
    let openedAtMs: Int64
    /// The start of the opening day in China Standard Time.
    let openingDayMs: Int64
    /// The start of the history's first day: ``Plan/historyDays`` days before the opening day.
    let historyStartMs: Int64

    /// The accounts to open before the history comes in: the issuers, the venue, every holder, in that order.
    private(set) var accounts: [Account] = []
    /// The imported transfers, in the order of their timestamps.
    private(set) var history: [Transfer] = []
    private(set) var records: [ServiceRecord] = []
    private(set) var heldRedemption: HeldRedemption?
    /// Every account's balance after the load, by account id.
    private(set) var balances: [String: Balance] = [:]
    /// The holder of every holder's account, by account id.
    private var holders: [String: Holder] = [:]

    /// The volunteer with a person of their own (``XCommunityPlan/volunteerPeople``), whose points the README
    /// follows, and the leader of their team.
    let volunteer: Holder
    let leader: Holder
    let volunteerPerson: String
    let leaderPerson: String

    static let dayMs: Int64 = 86_400_000
    static let chinaOffsetMs: Int64 = 8 * 3_600_000

    /// The start of the day in China Standard Time (UTC+8) that holds `ms`.
    static func chinaDayStart(_ ms: Int64) -> Int64 {
        let local = ms + chinaOffsetMs
        let day = local >= 0 ? local / dayMs : (local - dayMs + 1) / dayMs
        return day * dayMs - chinaOffsetMs
    }

    init(community: XCommunity, openedAtMs: Int64) {
        self.community = community
        self.openedAtMs = openedAtMs
        openingDayMs = Self.chinaDayStart(openedAtMs)
        historyStartMs = openingDayMs - Int64(Plan.historyDays) * Self.dayMs
        let people = XCommunityPlan.volunteerPeople
        guard let leaderPlan = people.first(where: \.leadsTeam), let memberPlan = people.first(where: { !$0.leadsTeam })
        else {
            preconditionFailure("the plan names a team leader and a volunteer with people of their own")
        }
        leaderPerson = leaderPlan.id
        volunteerPerson = memberPlan.id
        leader = Self.resident(community, community.volunteer(leaderPlan))
        volunteer = Self.resident(community, community.volunteer(memberPlan))
        generate()
    }

    static func resident(_ community: XCommunity, _ index: Int) -> Holder {
        Holder(kind: .resident, id: XCommunity.residentID(index), name: community.people[index].name)
    }

    private func random(_ stream: String) -> SplitMix64 {
        SplitMix64(seed: XCommunityPlan.seed, stream: "points-" + stream)
    }

    // MARK: - The month before the opening day

    /// What happened at a moment of the history: minutes from the start of its first day.
    private struct Event {
        enum Step {
            case credit(ledger: String, rule: String, holder: Holder, amount: Int, memo: String, reference: String)
            /// A redemption at the supermarket by whoever has the points for it then.
            case redemption
            /// A correction of a recent service credit: all of it, or an hour of it.
            case correction(whole: Bool, reason: String)
        }

        var minute: Int
        var order: Int
        var step: Step
    }

    private mutating func generate() {
        var events: [Event] = []
        func add(day: Int, minute: Int, _ step: Event.Step) {
            precondition((1...Plan.historyDays).contains(day) && (0..<1_440).contains(minute))
            events.append(Event(minute: (day - 1) * 1_440 + minute, order: events.count, step: step))
        }
        func credit(
            _ rule: String,
            _ holder: Holder,
            _ amount: Int,
            _ memo: String,
            _ reference: String = ""
        )
            -> Event.Step
        {
            let ledger = rule == Plan.partyDuty ? Plan.partyLedger : Plan.volunteerLedger
            return .credit(ledger: ledger, rule: rule, holder: holder, amount: amount, memo: memo, reference: reference)
        }

        // Who serves: a dozen members of each team, the team leader among them; the README's volunteer serves
        // by a plan of his own, and the last four of his team's dozen serve again just before the opening day
        // (their records are made on the day).
        var draw = random("teams")
        var pools: [[Holder]] = []
        for (team, members) in community.teamMembers.enumerated() {
            var others = members.filter {
                XCommunity.residentID($0) != volunteer.id && XCommunity.residentID($0) != leader.id
            }
            draw.shuffle(&others)
            var pool = others.prefix(Plan.activeMembersPerTeam).map { Self.resident(community, $0) }
            if team == Plan.serviceTeam { pool.insert(leader, at: 0) }
            pools.append(pool)
        }
        let servedOnTheDay = Array(pools[Plan.serviceTeam].filter { $0 != leader }.suffix(4))
        var hoursUsed: [Holder: Int] = [:]

        // The teams' activities: one a week on the team's day, each with a few of its active members.
        var hoursDraw = random("hours")
        let perHour = Plan.points(of: Plan.volunteerHour)
        let compounds = XCommunityPlan.compounds.map(\.name)
        for (team, plan) in XCommunityPlan.teams.enumerated() {
            let start = team == 2 ? 19 * 60 : team % 2 == 0 ? 9 * 60 : 14 * 60
            let reference = "P-team-\(Codes.pad(team + 1, width: 2))"
            for (number, day) in stride(from: 2 + team % 6, through: Plan.historyDays, by: 7).enumerated() {
                let what = "\(plan.skills[number % plan.skills.count])（\(compounds[(team + number) % compounds.count])）"
                var pool = pools[team]
                hoursDraw.shuffle(&pool)
                var taken = 0
                let wanted = hoursDraw.int(in: Plan.membersPerActivity)
                var participants: [(Holder, Int)] = []
                if team == Plan.serviceTeam && number < Self.volunteerHours.count {
                    participants.append((volunteer, Self.volunteerHours[number]))
                }
                for holder in pool where taken < wanted {
                    let hours = [1, 2, 2, 2, 3, 3, 4][hoursDraw.below(7)]
                    if hoursUsed[holder, default: 0] + hours > Plan.historyHoursPerVolunteer { continue }
                    hoursUsed[holder, default: 0] += hours
                    participants.append((holder, hours))
                    taken += 1
                }
                for (offset, (holder, hours)) in participants.enumerated() {
                    add(
                        day: day,
                        minute: start + 240 + offset,
                        credit(Plan.volunteerHour, holder, perHour * hours, "\(what) \(hours)小时", reference)
                    )
                }
            }
        }

        // Points carried over from the paper ledger, on the first morning.
        var carry = random("carry-over")
        var carried = [volunteer]
        var everyone = pools.flatMap { $0 }.filter { $0 != leader && !servedOnTheDay.contains($0) }
        carry.shuffle(&everyone)
        carried += everyone.prefix(Plan.carriedOverHolders - 1)
        for (offset, holder) in carried.enumerated() {
            let amount = holder == volunteer ? 30 : 5 * carry.int(in: 2...12)
            add(day: 1, minute: 9 * 60 + offset, credit(Plan.carryOver, holder, amount, "2025年度纸质台账余额结转"))
        }

        // Deliberation meetings in the evening, with neighbour partners among the residents; the README's
        // volunteer comes to the first two.
        var meetings = random("deliberations")
        let neighbours = community.partners.map(\.message).filter { $0.type == .neighbour }.map {
            Holder(kind: .partner, id: $0.id, name: $0.name, partnerType: "neighbour")
        }
        for (number, meeting) in Plan.deliberations.enumerated() {
            var residents = pools.flatMap { $0 }.filter { $0 != volunteer }
            meetings.shuffle(&residents)
            var partners = neighbours
            meetings.shuffle(&partners)
            var attendees = Array(residents.prefix(meetings.int(in: 9...12)))
            attendees += partners.prefix(meetings.int(in: 2...3))
            if number < 2 { attendees.insert(volunteer, at: 0) }
            for (offset, holder) in attendees.enumerated() {
                add(
                    day: meeting.day,
                    minute: 21 * 60 + offset,
                    credit(Plan.deliberation, holder, Plan.points(of: Plan.deliberation), meeting.topic)
                )
            }
        }

        // Trainings in the afternoon; the README's volunteer comes to the first.
        var classes = random("trainings")
        for (number, training) in Plan.trainings.enumerated() {
            var residents = pools.flatMap { $0 }.filter { $0 != volunteer }
            classes.shuffle(&residents)
            var attendees = Array(residents.prefix(classes.int(in: 12...16)))
            if number == 0 { attendees.insert(volunteer, at: 0) }
            for (offset, holder) in attendees.enumerated() {
                add(
                    day: training.day,
                    minute: 17 * 60 + offset,
                    credit(Plan.training, holder, Plan.points(of: Plan.training), training.topic)
                )
            }
        }

        // The party members' duties, in their own ledger: the team leader and the README's volunteer among them.
        var party = random("party")
        var members = community.people.indices.filter { index in
            community.people[index].tags.contains(.partyMember) && community.people[index].age >= 18
        }.map { Self.resident(community, $0) }.filter { $0 != volunteer && $0 != leader }
        party.shuffle(&members)
        let partyMembers = [leader, volunteer] + members.prefix(Plan.partyMembers - 2)
        for duty in Plan.partyDuties {
            var chosen = partyMembers
            party.shuffle(&chosen)
            for (offset, holder) in chosen.prefix(duty.members).sorted(by: { $0.id < $1.id }).enumerated() {
                add(
                    day: duty.day,
                    minute: 17 * 60 + 30 + offset,
                    credit(Plan.partyDuty, holder, Plan.points(of: Plan.partyDuty), duty.what)
                )
            }
        }

        // Redemptions at the supermarket from the fourth day, and two corrections.
        for number in 0..<Plan.redemptions {
            add(day: 4 + number, minute: 10 * 60 + number * 37 % 360, .redemption)
        }
        add(day: 9, minute: 10 * 60, .correction(whole: false, reason: "时长多记1小时，按签到表更正"))
        add(day: 20, minute: 10 * 60 + 30, .correction(whole: true, reason: "同一次活动重复登记"))

        events.sort { ($0.minute, $0.order) < ($1.minute, $1.order) }
        record(events, keeping: [volunteer, leader] + servedOnTheDay)
        openTheDay(servedOnTheDay)
    }

    /// The README's volunteer's hours at his team's first four activities: 12 hours, 120 points.
    static let volunteerHours = [3, 4, 2, 3]

    /// Turns the events into imported transfers in time order, choosing at each redemption and correction who it
    /// is for from the balances at that moment. `keeping`: holders whose points neither redemptions nor corrections
    /// touch (the README's volunteer, his team leader, and those who serve on the opening day).
    private mutating func record(_ events: [Event], keeping: [Holder]) {
        var choices = random("redemptions")
        let hour = Int64(Plan.points(of: Plan.volunteerHour))
        var serviceCredits: [(index: Int, minute: Int, holder: Holder)] = []
        let expiry = openingDayMs + Int64(Plan.carriedOverExpiryDays) * Self.dayMs
        let issuer = { (ledger: String) in "\(ledger):issuer:\(XCommunityPlan.communityCode)" }
        let venue = "\(Plan.volunteerLedger):venue:\(Plan.venue.id)"
        for event in events {
            var transfer = Transfer()
            transfer.id = "x-points-" + Codes.pad(history.count + 1, width: 4)
            transfer.imported = true
            transfer.timestampMs = historyStartMs + Int64(event.minute) * 60_000
            switch event.step {
            case .credit(let ledger, let rule, let holder, let amount, let memo, let reference):
                transfer.debitAccountID = issuer(ledger)
                transfer.creditAccountID = holder.account(ledger)
                transfer.amount = Int64(amount)
                transfer.ledger = ledger
                transfer.code = rule
                transfer.memo = memo
                transfer.reference = reference
                if rule == Plan.carryOver { transfer.expiresAtMs = expiry }
                holders[transfer.creditAccountID] = holder
                if rule == Plan.volunteerHour && !keeping.contains(holder) {
                    serviceCredits.append((history.count, event.minute, holder))
                }
            case .redemption:
                let rich = holders.keys.sorted().filter { id in
                    id.hasPrefix(Plan.volunteerLedger + ":") && !keeping.contains(holders[id]!)
                        && Plan.goods.contains { Self.affords(balances[id, default: Balance()].balance, $0) }
                }
                guard !rich.isEmpty else { continue }
                let account = choices.pick(rich)
                let balance = balances[account, default: Balance()].balance
                let good = choices.pick(Plan.goods.filter { Self.affords(balance, $0) })
                transfer.debitAccountID = account
                transfer.creditAccountID = venue
                transfer.amount = Int64(good.price)
                transfer.ledger = Plan.volunteerLedger
                transfer.code = "redemption"
                transfer.memo = "1 × \(good.name)"
                transfer.reference = good.id
            case .correction(let whole, let reason):
                // A credit of the last week whose holder still has its points (and an hour more than one).
                let recent = serviceCredits.filter { credit in
                    let original = history[credit.index]
                    return event.minute - credit.minute >= 1_440 && event.minute - credit.minute <= 7 * 1_440
                        && (whole || original.amount >= 2 * hour)
                        && balances[original.creditAccountID, default: Balance()].balance >= original.amount
                        && !history.contains { $0.reversesID == original.id }
                }
                guard !recent.isEmpty else {
                    preconditionFailure("no service credit to correct on minute \(event.minute)")
                }
                let original = history[choices.pick(recent).index]
                transfer.debitAccountID = original.creditAccountID
                transfer.creditAccountID = original.debitAccountID
                transfer.amount = whole ? original.amount : hour
                transfer.ledger = original.ledger
                transfer.code = "correction"
                transfer.reversesID = original.id
                transfer.reference = original.reference
                transfer.memo = reason
            }
            move(Int(transfer.amount), from: transfer.debitAccountID, to: transfer.creditAccountID)
            history.append(transfer)
        }
    }

    /// True when a holder with this balance may redeem the good: its price, and its threshold.
    static func affords(_ balance: Int, _ good: Plan.Good) -> Bool {
        balance >= good.price && balance >= good.minimumBalance
    }

    /// Posts an amount in the model of the balances.
    private mutating func move(_ amount: Int, from debit: String, to credit: String) {
        balances[debit, default: Balance()].balance -= amount
        balances[debit, default: Balance()].available -= amount
        balances[credit, default: Balance()].balance += amount
        balances[credit, default: Balance()].available += amount
        precondition(
            debit.contains(":issuer:") || balances[debit]!.balance >= 0,
            "\(debit) would go below zero"
        )
    }

    // MARK: - The opening day

    /// The service recorded on the opening day, the redemption held at the counter, and the accounts to open.
    private mutating func openTheDay(_ servedOnTheDay: [Holder]) {
        let team = XCommunityPlan.teams[Plan.serviceTeam]
        let teamID = "P-team-" + Codes.pad(Plan.serviceTeam + 1, width: 2)
        let dayBefore = openingDayMs - Self.dayMs
        let plans: [(minutes: Int, daysBefore: Int64, hour: Int64, what: String, decision: ServiceRecord.Decision)] = [
            (180, 3, 9, "\(team.skills[2])：走访慰问困难家庭", .confirmed),
            (120, 2, 14, "\(team.skills[1])：楼道纠纷上门劝解", .confirmed),
            (150, 2, 9, "\(team.skills[0])：防范电信诈骗宣传进楼道", .confirmed),
            (180, 1, 14, "\(team.skills[0])：社区宣传栏更新", .rejected("签到表上没有本人签名，请补签后重新登记")),
        ]
        for (number, (holder, plan)) in zip(servedOnTheDay, plans).enumerated() {
            let served = openingDayMs - plan.daysBefore * Self.dayMs + plan.hour * 3_600_000
            records.append(
                ServiceRecord(
                    id: "x-service-" + Codes.pad(number + 1, width: 2),
                    holder: holder,
                    minutes: plan.minutes,
                    servedAtMs: served,
                    description: plan.what,
                    evidence: "sign-in/\(teamID)/\(Self.isoDay(served)).jpg",
                    recordedBy: leaderPerson,
                    decision: plan.decision
                )
            )
        }
        precondition(records.count == plans.count, "team \(teamID) has too few active members")
        // The README's volunteer's own record of yesterday's service, waiting for his team leader.
        let served = dayBefore + 9 * 3_600_000
        records.append(
            ServiceRecord(
                id: "x-service-" + Codes.pad(records.count + 1, width: 2),
                holder: volunteer,
                minutes: 120,
                servedAtMs: served,
                description: "为独居老人代买药品并陪同复诊",
                evidence: "sign-in/\(teamID)/\(Self.isoDay(served)).jpg",
                recordedBy: volunteerPerson,
                decision: .waiting
            )
        )
        let issuer = "\(Plan.volunteerLedger):issuer:\(XCommunityPlan.communityCode)"
        for record in records {
            if case .confirmed = record.decision {
                let account = record.holder.account(Plan.volunteerLedger)
                holders[account] = record.holder
                move(record.points, from: issuer, to: account)
            }
        }

        // A redemption of cooking oil at the counter, by someone with the points for it who is not otherwise in
        // the README's story.
        var draw = random("held")
        let oil = Plan.goods[1]
        let keeping = Set(([volunteer, leader] + servedOnTheDay).map { $0.account(Plan.volunteerLedger) })
        let candidates = balances.keys.sorted().filter { id in
            id.hasPrefix("\(Plan.volunteerLedger):resident:") && !keeping.contains(id)
                && Self.affords(balances[id]!.balance, oil)
        }
        precondition(!candidates.isEmpty, "no one has the points for \(oil.name)")
        let account = draw.pick(candidates)
        guard let holder = holders[account] else { preconditionFailure("\(account) has no holder") }
        heldRedemption = HeldRedemption(id: "x-redeem-01", holder: holder, good: oil, note: "下午来取")
        balances[account]!.available -= oil.price

        openAccounts()
    }

    /// The accounts the transfers need: the issuers, the venue, then every holder's, in the order of their ids.
    private mutating func openAccounts() {
        for ledger in Plan.ledgers {
            var issuer = Account()
            issuer.id = "\(ledger.code):issuer:\(XCommunityPlan.communityCode)"
            issuer.holderName = XCommunityPlan.communityName
            issuer.communityCode = XCommunityPlan.communityCode
            accounts.append(issuer)
        }
        var venue = Account()
        venue.id = "\(Plan.volunteerLedger):venue:\(Plan.venue.id)"
        venue.holderName = Plan.venue.name
        venue.communityCode = XCommunityPlan.communityCode
        venue.debitsMustNotExceedCredits = true
        accounts.append(venue)
        let named = Set(accounts.map(\.id))
        for id in balances.keys.sorted() where !named.contains(id) {
            guard let holder = holders[id] else { continue }
            var account = Account()
            account.id = id
            account.holderName = holder.name
            account.communityCode = XCommunityPlan.communityCode
            account.debitsMustNotExceedCredits = true
            account.partnerType = holder.partnerType
            accounts.append(account)
        }
        for index in accounts.indices {
            let parts = accounts[index].id.split(separator: ":", maxSplits: 2).map(String.init)
            accounts[index].ledger = parts[0]
            accounts[index].holderKind =
                switch parts[1] {
                case "issuer": .issuer
                case "venue": .venue
                case "partner": .partner
                default: .resident
                }
            accounts[index].holderID = parts[2]
        }
    }

    // MARK: - Days

    /// `2026-12-06`: the day in China Standard Time that holds `ms`.
    static func isoDay(_ ms: Int64) -> String {
        let days = (chinaDayStart(ms) + chinaOffsetMs) / dayMs
        return CivilDate(daysSinceEpoch: days).iso
    }

    /// `2026-12-06T09:00`: the minute in China Standard Time, as `gongzhictl points records add --served-at` takes it.
    static func isoMinute(_ ms: Int64) -> String {
        let minute = (ms - chinaDayStart(ms)) / 60_000
        return isoDay(ms) + "T" + Codes.pad(Int(minute / 60), width: 2) + ":" + Codes.pad(Int(minute % 60), width: 2)
    }
}

extension CivilDate {
    /// The day `days` after 1970-01-01 (Howard Hinnant's civil_from_days).
    init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(year: Int(year), month: Int(month), day: Int(day))
    }
}
