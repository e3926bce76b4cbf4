import GongzhiPointsSchemas

/// Earning: credits by rules (by hand, from service records, from other modules' objects), service records from
/// recording to credit, and corrections.
extension PointsBook {
    /// A holder as the plugin knows them: who they are, by name, and the community they belong to.
    public struct Holder: Sendable, Hashable {
        public var kind: Gongzhi_Points_V1_HolderKind
        public var id: String
        public var name: String
        public var communityCode: String
        /// For a partner: neighbour, builder or team.
        public var partnerType: String

        public init(
            kind: Gongzhi_Points_V1_HolderKind,
            id: String,
            name: String,
            communityCode: String,
            partnerType: String = ""
        ) {
            self.kind = kind
            self.id = id
            self.name = name
            self.communityCode = communityCode
            self.partnerType = partnerType
        }
    }

    /// Credits a holder by a rule: from the issuing account of the holder's community to the holder's account of
    /// the rule's ledger, opening either when it is missing. `amount` 0 gives the rule's points.
    public mutating func issue(
        transferID: String,
        rule code: String,
        to holder: Holder,
        amount: Int64,
        reference: String,
        memo: String,
        now: Int64,
        by actor: String
    ) -> Result<TransferResult, PointsRefusal> {
        guard let rule = rules[code] else {
            return .failure(PointsRefusal(.notFound, "there is no earning rule \"\(code)\""))
        }
        guard AccountID.isHolder(holder.kind), !holder.id.isEmpty else {
            return .failure(PointsRefusal(.invalidArgument, "points are credited to a resident, a partner or a person"))
        }
        if holder.communityCode.isEmpty {
            return .failure(
                PointsRefusal(
                    .failedPrecondition,
                    "\(holder.name.isEmpty ? holder.id : holder.name) belongs to no community, whose issuing account "
                        + "the points would come from"
                )
            )
        }
        guard ledgers[rule.ledger] != nil else {
            return .failure(PointsRefusal(.notFound, "rule \(code) names ledger \(rule.ledger), which does not exist"))
        }
        if transfer(transferID) == nil {
            ensureAccount(
                AccountID(ledger: rule.ledger, holderKind: .issuer, holderID: holder.communityCode),
                holderName: "社区积分发放",
                communityCode: holder.communityCode,
                now: now
            )
            ensureAccount(
                AccountID(ledger: rule.ledger, holderKind: holder.kind, holderID: holder.id),
                holderName: holder.name,
                communityCode: holder.communityCode,
                partnerType: holder.partnerType,
                now: now
            )
        }
        var transfer = Transfer()
        transfer.id = transferID
        transfer.debitAccountID =
            AccountID(ledger: rule.ledger, holderKind: .issuer, holderID: holder.communityCode)
            .description
        transfer.creditAccountID =
            AccountID(ledger: rule.ledger, holderKind: holder.kind, holderID: holder.id)
            .description
        transfer.amount = amount == 0 ? rule.points : amount
        transfer.ledger = rule.ledger
        transfer.code = rule.code
        transfer.reference = reference
        transfer.memo = memo
        return .success(createTransfers([transfer], now: now, recordedBy: actor)[0])
    }

    /// Corrects a transfer with one that moves its points back, naming it: `amount` 0 takes back all that is not
    /// reversed yet.
    public mutating func correct(
        id: String,
        transferID: String,
        amount: Int64,
        reason: String,
        now: Int64,
        by actor: String
    ) -> Result<TransferResult, PointsRefusal> {
        if reason.allSatisfy(\.isWhitespace) {
            return .failure(PointsRefusal(.invalidArgument, "say why the transfer is corrected (--reason)"))
        }
        if let recorded = transfer(id), recorded.reversesID == transferID {
            var result = TransferResult()
            result.id = id
            result.result = .exists
            result.message = "correction \(id) is already recorded (sequence \(recorded.sequence)); nothing new"
            result.transfer = recorded
            return .success(result)
        }
        guard let original = transfer(transferID) else {
            return .failure(PointsRefusal(.notFound, "there is no transfer \"\(transferID)\" to correct"))
        }
        var reversal = Transfer()
        reversal.id = id
        reversal.debitAccountID = original.creditAccountID
        reversal.creditAccountID = original.debitAccountID
        reversal.amount = amount == 0 ? max(0, original.amount - (reversed[transferID] ?? 0)) : amount
        reversal.ledger = original.ledger
        reversal.code = Self.correctionCode
        reversal.reversesID = transferID
        reversal.reference = original.reference
        reversal.memo = reason
        return .success(createTransfers([reversal], now: now, recordedBy: actor)[0])
    }

    // MARK: - Service records

    /// The most minutes one record may hold: a day.
    public static let maximumMinutes: Int64 = 24 * 60

    /// Records a service, waiting for confirmation. A record id seen before answers the record as it is.
    public mutating func recordService(
        _ request: Gongzhi_Points_V1_RecordServiceRequest,
        holder: Holder,
        now: Int64,
        by actor: String
    ) -> Result<ServiceRecord, PointsRefusal> {
        if let problem = AccountID.problem(withID: request.id, what: "the service record") {
            return .failure(PointsRefusal(.invalidArgument, problem))
        }
        if let existing = records[request.id] {
            if existing.holderID != holder.id || existing.ruleCode != request.ruleCode
                || existing.minutes != request.minutes
            {
                return .failure(
                    PointsRefusal(
                        .alreadyExists,
                        "service record \(request.id) exists for someone or something else; use a new id"
                    )
                )
            }
            return .success(existing)
        }
        guard let rule = rules[request.ruleCode] else {
            return .failure(PointsRefusal(.notFound, "there is no earning rule \"\(request.ruleCode)\""))
        }
        guard rule.source == .serviceRecord else {
            return .failure(
                PointsRefusal(
                    .invalidArgument,
                    "rule \(rule.code) does not credit service records (its source is \(Self.word(rule.source)))"
                )
            )
        }
        if !rule.active {
            return .failure(PointsRefusal(.failedPrecondition, "earning rule \(rule.code) is not active"))
        }
        guard holder.kind == .resident || holder.kind == .partner else {
            return .failure(PointsRefusal(.invalidArgument, "a service is done by a resident or a partner"))
        }
        if request.minutes <= 0 || request.minutes > Self.maximumMinutes {
            return .failure(PointsRefusal(.invalidArgument, "a record holds 1 to \(Self.maximumMinutes) minutes"))
        }
        if request.servedAtMs <= 0 || request.servedAtMs > now + 86_400_000 {
            return .failure(PointsRefusal(.invalidArgument, "say when the service was done (not in the future)"))
        }
        if request.description_p.allSatisfy(\.isWhitespace) || request.description_p.count > 2_000 {
            return .failure(PointsRefusal(.invalidArgument, "describe the service in 1 to 2,000 characters"))
        }
        var record = ServiceRecord()
        record.id = request.id
        record.ruleCode = rule.code
        record.holderKind = holder.kind
        record.holderID = holder.id
        record.holderName = holder.name
        record.teamPartnerID = request.teamPartnerID
        record.communityCode = holder.communityCode
        record.servedAtMs = request.servedAtMs
        record.minutes = request.minutes
        record.description_p = request.description_p
        record.evidence = request.evidence
        record.state = .recorded
        record.recordedBy = actor
        record.recordedAtMs = now
        setRecord(record)
        return .success(record)
    }

    /// The points a record earns by its rule.
    public func points(for record: ServiceRecord) -> Int64 {
        guard let rule = rules[record.ruleCode] else { return 0 }
        return rule.perHour ? rule.points * record.minutes / 60 : rule.points
    }

    /// Confirms a recorded service and credits it once, in the same step: the record ends credited, or not
    /// credited with the reason (a cap reached). Confirming again answers the record as it is.
    public mutating func confirmService(
        _ id: String,
        holder: Holder,
        now: Int64,
        by actor: String
    ) -> Result<ServiceRecord, PointsRefusal> {
        guard var record = records[id] else {
            return .failure(PointsRefusal(.notFound, "there is no service record \"\(id)\""))
        }
        switch record.state {
        case .recorded: break
        case .confirmed, .credited, .notCredited: return .success(record)
        case .rejected, .unspecified, .UNRECOGNIZED:
            return .failure(
                PointsRefusal(.failedPrecondition, "service record \(id) was rejected; record the service again")
            )
        }
        record.state = .confirmed
        record.confirmedBy = actor
        record.confirmedAtMs = now
        let points = points(for: record)
        if points <= 0 {
            record.state = .notCredited
            record.creditResult = "\(record.minutes) minutes earn no whole point by rule \(record.ruleCode)"
            setRecord(record)
            return .success(record)
        }
        switch issue(
            transferID: "service:\(id)",
            rule: record.ruleCode,
            to: holder,
            amount: points,
            reference: id,
            memo: record.description_p.count > 200
                ? String(record.description_p.prefix(200)) + "…" : record.description_p,
            now: now,
            by: actor
        ) {
        case .failure(let refusal):
            record.state = .notCredited
            record.creditResult = refusal.message
        case .success(let result):
            if result.result == .ok || result.result == .exists {
                record.state = .credited
                record.transferID = result.id
                record.points = result.transfer.amount
                record.creditResult = "credited \(result.transfer.amount) points"
            } else {
                record.state = .notCredited
                record.creditResult = result.message
            }
        }
        setRecord(record)
        return .success(record)
    }

    /// Rejects a recorded service, with the reason.
    public mutating func rejectService(
        _ id: String,
        reason: String,
        now: Int64,
        by actor: String
    ) -> Result<ServiceRecord, PointsRefusal> {
        guard var record = records[id] else {
            return .failure(PointsRefusal(.notFound, "there is no service record \"\(id)\""))
        }
        if record.state == .rejected { return .success(record) }
        guard record.state == .recorded else {
            return .failure(
                PointsRefusal(
                    .failedPrecondition,
                    "service record \(id) is already confirmed; correct its credit (points correct) instead"
                )
            )
        }
        if reason.allSatisfy(\.isWhitespace) {
            return .failure(PointsRefusal(.invalidArgument, "say why the record is rejected (--reason)"))
        }
        record.state = .rejected
        record.rejectionReason = reason
        record.confirmedBy = actor
        record.confirmedAtMs = now
        setRecord(record)
        return .success(record)
    }

    /// "manual", "service-record", "grid-case".
    public static func word(_ source: Gongzhi_Points_V1_RuleSource) -> String {
        switch source {
        case .manual: "manual"
        case .serviceRecord: "service-record"
        case .gridCase: "grid-case"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}
