import GongzhiControl
import GongzhiPointsSchemas

/// What the points commands print for people. Pure: the time comes in as a `TimeStyle`, whose now the
/// relative times count from; dates are shown in China Standard Time, the ledger's calendar.
enum PointsOutput {
    // MARK: Ledgers and accounts

    static func ledgers(_ response: Gongzhi_Points_V1_ListLedgersResponse) -> String {
        guard !response.ledgers.isEmpty else {
            return "no ledgers yet (gongzhictl points ledger create CODE --name NAME makes one)\n"
        }
        return TextLayout.table(
            header: ["CODE", "NAME", "POINTS EXPIRE", "CREATED"],
            rows: response.ledgers.map { ledger in
                [
                    ledger.code, text(ledger.name), expiry(lotMonths: ledger.lotMonths),
                    ChinaStandardTime.minute(ledger.createdAtMs),
                ]
            }
        )
    }

    static func ledger(_ ledger: Gongzhi_Points_V1_Ledger) -> String {
        let name = ledger.name.isEmpty ? "" : " (\(ledger.name))"
        let expiry =
            ledger.lotMonths == 0
            ? "its points never expire"
            : "points expire at the end of the \(ordinal(Int(ledger.lotMonths))) month after the month they are "
                + "earned in"
        return TextLayout.oneLine("ledger \(ledger.code)\(name): \(expiry)") + "\n"
    }

    static func accounts(_ response: Gongzhi_Points_V1_ListAccountsResponse) -> String {
        guard !response.accounts.isEmpty else { return "no accounts match\n" }
        return TextLayout.table(
            header: ["ACCOUNT", "HOLDER", "COMMUNITY", "BALANCE", "AVAILABLE", "PENDING", "STATE"],
            rows: response.accounts.map { view in
                let account = view.account
                return [
                    account.id, text(account.holderName), text(account.communityCode), points(view.balance),
                    points(view.available), pending(account), account.closed ? "closed" : "open",
                ]
            }
        )
            + "\n\(grouped(response.accounts.count)) "
            + (response.accounts.count == 1 ? "account" : "accounts") + "\n"
    }

    /// One line per account opened, then how many were not.
    static func opened(_ response: Gongzhi_Points_V1_CreateAccountsResponse) -> String {
        response.results.map { result in
            let label = result.id.isEmpty ? "account \(result.index + 1)" : result.id
            let outcome: String
            switch result.result {
            case .ok: outcome = "opened"
            case .exists: outcome = "exists (already open, as asked)"
            default: outcome = words(result.result, field: result.field)
            }
            let message = result.message.isEmpty ? "" : " (\(result.message))"
            return TextLayout.oneLine("\(label): \(outcome)\(message)") + "\n"
        }
        .joined()
    }

    static func closed(_ account: Gongzhi_Points_V1_Account) -> String {
        account.closed
            ? "\(account.id) closed: it takes no new transfers (pending ones may still be voided)\n"
            : "\(account.id) reopened: it takes transfers again\n"
    }

    /// `points balance`: the account, its balances, and its lots with their expiry.
    static func balance(_ view: Gongzhi_Points_V1_AccountView, time: TimeStyle) -> String {
        let account = view.account
        var text = TextLayout.fields([
            ("account", [account.id]),
            ("holder", [holder(account)]),
            ("ledger", [self.text(account.ledger)]),
            ("community", [self.text(account.communityCode)]),
            ("balance", [points(view.balance)]),
            ("available", [points(view.available)]),
            ("pending debits", [points(account.debitsPending) + (account.debitsPending > 0 ? " (held)" : "")]),
            ("pending credits", [points(account.creditsPending)]),
            ("state", [account.closed ? "closed (takes no new transfers)" : "open"]),
            ("opened", [ChinaStandardTime.minute(account.createdAtMs)]),
        ])
        guard account.holderKind != .issuer, account.holderKind != .venue, account.holderKind != .expiry else {
            return text
        }
        text += "\nLots (spent oldest first):\n"
        text +=
            account.lots.isEmpty
            ? "  none\n"
            : TextLayout.table(
                header: ["EARNED", "POINTS", "LEFT", "HELD", "EXPIRES", "TRANSFER"],
                rows: account.lots.map { lot in
                    [
                        ChinaStandardTime.minute(lot.earnedAtMs), points(lot.amount), points(lot.remaining),
                        points(lot.held), expires(lot.expiresAtMs, time: time), lot.transferID,
                    ]
                }
            )
        return text
    }

    /// `points history`: the account's balance, then its transfers, newest first.
    /// With `limit` the count asked for: a page that full says how to ask for the one before it.
    static func history(_ response: Gongzhi_Points_V1_HistoryResponse, limit: Int32?) -> String {
        let view = response.account
        let account = view.account
        var text =
            TextLayout.oneLine(
                "\(account.id) \(holder(account)): balance \(points(view.balance)), "
                    + "available \(points(view.available))"
            ) + "\n\n"
        guard !response.transfers.isEmpty else { return text + "no transfers\n" }
        text += TextLayout.table(
            header: ["SEQ", "WHEN", "AMOUNT", "CODE", "OTHER ACCOUNT", "ID", "NOTE"],
            rows: response.transfers.map { transfer in
                let incoming = transfer.creditAccountID == account.id
                return [
                    transfer.sequence == 0 ? "-" : String(transfer.sequence),
                    ChinaStandardTime.minute(transfer.timestampMs),
                    (incoming ? "+" : "-") + points(transfer.amount),
                    self.text(transfer.code),
                    incoming ? transfer.debitAccountID : transfer.creditAccountID,
                    transfer.id,
                    note(transfer),
                ]
            }
        )
        if let limit, response.transfers.count >= Int(limit), let last = response.transfers.last, last.sequence > 1 {
            text += "\nthe transfers before these: --before \(last.sequence)\n"
        }
        return text
    }

    // MARK: Transfers

    /// Whether a transfer's result means it is recorded: now (OK) or by an earlier call with the same id
    /// (EXISTS).
    static func recorded(_ result: Gongzhi_Points_V1_Result) -> Bool {
        result == .ok || result == .exists
    }

    /// One line per transfer, then the balances the call touched.
    static func transfers(_ response: Gongzhi_Points_V1_CreateTransfersResponse, time: TimeStyle) -> String {
        var text = response.results.map { resultLine($0) + "\n" }.joined()
        if !response.balances.isEmpty {
            text += "\n" + balances(response.balances)
        }
        return text
    }

    /// `t-2: exceeds credits: short by 40 points (the plugin's message)`, `t-1: ok: 40 points A → B`.
    static func resultLine(_ result: Gongzhi_Points_V1_TransferResult) -> String {
        let label = result.id.isEmpty ? "transfer \(result.index + 1)" : result.id
        var line = "\(label): "
        switch result.result {
        case .ok:
            line += "ok"
        case .exists:
            line += "exists (recorded earlier with this id; nothing new was written)"
        default:
            line += words(result.result, field: result.field)
            switch result.result {
            case .exceedsCredits where result.shortfall > 0:
                line += ": short by \(points(result.shortfall)) " + (result.shortfall == 1 ? "point" : "points")
            case .capReached where result.cap > 0:
                line += ": at most \(points(result.cap)) \(period(result.period)), \(points(result.earned)) earned"
            default:
                break
            }
        }
        if recorded(result.result), result.hasTransfer {
            line += ": " + summary(result.transfer)
        }
        if !result.message.isEmpty {
            line += " (\(result.message))"
        }
        return TextLayout.oneLine(line)
    }

    /// `40 points volunteer:issuer:330106001001 → volunteer:resident:R0001`, `posts pending t-1`.
    static func summary(_ transfer: Gongzhi_Points_V1_Transfer) -> String {
        if transfer.postPending {
            return transfer.amount == 0
                ? "posts pending \(transfer.pendingID)"
                : "posts \(points(transfer.amount)) of pending \(transfer.pendingID)"
        }
        if transfer.voidPending { return "voids pending \(transfer.pendingID)" }
        var text = "\(points(transfer.amount)) \(transfer.amount == 1 ? "point" : "points") "
        text += "\(transfer.debitAccountID) → \(transfer.creditAccountID)"
        if transfer.pending {
            text +=
                transfer.timeoutSeconds > 0
                ? ", pending (voids itself after \(TimeStyle.duration(seconds: transfer.timeoutSeconds)))"
                : ", pending"
        }
        if !transfer.reversesID.isEmpty { text += ", reverses \(transfer.reversesID)" }
        return text
    }

    /// The accounts an answer touched, as they are after it.
    static func balances(_ views: [Gongzhi_Points_V1_AccountView]) -> String {
        TextLayout.table(
            header: ["ACCOUNT", "HOLDER", "BALANCE", "AVAILABLE", "PENDING"],
            rows: views.map { view in
                [
                    view.account.id, text(view.account.holderName), points(view.balance), points(view.available),
                    pending(view.account),
                ]
            }
        )
    }

    /// The result code in words: `exceeds credits`, `account not found (credit_account_id)`.
    static func words(_ result: Gongzhi_Points_V1_Result, field: String) -> String {
        let about = field.isEmpty ? "" : " (\(field))"
        switch result {
        case .ok: return "ok"
        case .exists: return "exists"
        case .existsWithDifferentField:
            return field.isEmpty ? "exists with different fields" : "exists with a different \(field)"
        case .linkedEventFailed: return "linked event failed"
        case .linkedEventChainOpen: return "linked event chain open (the batch ends inside a linked chain)"
        case .idInvalid: return "id invalid"
        case .ledgerNotFound: return "ledger not found"
        case .accountNotFound: return "account not found" + about
        case .accountsMustBeDifferent: return "accounts must be different"
        case .accountsMustHaveTheSameLedger: return "accounts must have the same ledger"
        case .transferMustHaveTheSameLedgerAsAccounts: return "transfer must have the same ledger as its accounts"
        case .amountMustNotBeZero: return "amount must not be zero"
        case .accountClosed: return "account closed" + about
        case .exceedsCredits: return "exceeds credits"
        case .exceedsDebits: return "exceeds debits"
        case .flagsAreMutuallyExclusive: return "flags are mutually exclusive"
        case .pendingIDMustBeEmpty: return "pending id must be empty"
        case .pendingIDRequired: return "pending id required"
        case .pendingTransferNotFound: return "pending transfer not found"
        case .pendingTransferNotPending: return "pending transfer not pending"
        case .pendingTransferAlreadyPosted: return "pending transfer already posted"
        case .pendingTransferAlreadyVoided: return "pending transfer already voided"
        case .pendingTransferExpired: return "pending transfer expired"
        case .pendingTransferHasDifferentAccounts: return "pending transfer has different accounts"
        case .exceedsPendingTransferAmount: return "exceeds the pending transfer's amount"
        case .timeoutReservedForPendingTransfer: return "timeout reserved for pending transfers"
        case .reversedTransferNotFound: return "reversed transfer not found"
        case .reversalMustMatch: return "reversal must match the reversed transfer"
        case .exceedsReversedAmount: return "exceeds the reversed amount"
        case .capReached: return "cap reached"
        case .ruleNotFound: return "rule not found"
        case .ruleInactive: return "rule inactive"
        case .overflows: return "overflows"
        case .codeRequired: return "code required"
        case .accountExistsWithDifferentField:
            return field.isEmpty ? "account exists with different fields" : "account exists with a different \(field)"
        case .flagsInvalid: return "flags invalid"
        case .holderInvalid: return "holder invalid"
        case .importedTimestampInvalid: return "imported timestamp invalid"
        case .importNotAllowed: return "import not allowed"
        case .UNRECOGNIZED(let number): return "result \(number)"
        }
    }

    // MARK: Rules and service records

    static func rules(_ response: Gongzhi_Points_V1_ListRulesResponse) -> String {
        guard !response.rules.isEmpty else {
            return "no earning rules yet (gongzhictl points rules put CODE … makes one)\n"
        }
        return TextLayout.table(
            header: ["CODE", "NAME", "LEDGER", "SOURCE", "POINTS", "CAP", "EVIDENCE", "STATUS"],
            rows: response.rules.map { view in
                let rule = view.rule
                return [
                    rule.code, text(rule.name), text(rule.ledger), source(rule.source), earns(rule), cap(rule),
                    text(rule.evidence), text(view.status),
                ]
            }
        )
    }

    static func rule(_ rule: Gongzhi_Points_V1_EarningRule) -> String {
        let name = rule.name.isEmpty ? "" : " (\(rule.name))"
        let capped = rule.cap > 0 ? ", at most \(cap(rule))" : ""
        return TextLayout.oneLine(
            "rule \(rule.code)\(name) saved: \(earns(rule)) on ledger \(text(rule.ledger)) from "
                + "\(source(rule.source))\(capped); \(rule.active ? "active" : "inactive")"
        ) + "\n"
    }

    static func records(_ response: Gongzhi_Points_V1_ListServiceRecordsResponse) -> String {
        guard !response.records.isEmpty else { return "no service records match\n" }
        return TextLayout.table(
            header: ["ID", "STATE", "HOLDER", "RULE", "SERVED", "TIME", "POINTS", "RECORDED BY", "CONFIRMED BY"],
            rows: response.records.map { record in
                [
                    record.id, recordState(record.state), recordHolder(record), record.ruleCode,
                    ChinaStandardTime.minute(record.servedAtMs), TimeStyle.duration(seconds: record.minutes * 60),
                    record.points == 0 ? "-" : points(record.points), text(record.recordedBy),
                    text(record.confirmedBy),
                ]
            }
        )
    }

    /// A service record after a step, in one line.
    static func record(_ record: Gongzhi_Points_V1_ServiceRecord) -> String {
        let line: String
        switch record.state {
        case .recorded:
            line =
                "\(record.id) recorded: \(TimeStyle.duration(seconds: record.minutes * 60)) of service by "
                + "\(recordHolder(record)) on \(ChinaStandardTime.minute(record.servedAtMs)) under rule "
                + "\(record.ruleCode); waiting to be confirmed (by a team leader or staff, not by them)"
        case .confirmed:
            line = "\(record.id) confirmed by \(text(record.confirmedBy)); the plugin credits it"
        case .credited:
            line =
                "\(record.id) confirmed by \(text(record.confirmedBy)) and credited: \(points(record.points)) points "
                + "to \(recordHolder(record)) (transfer \(record.transferID))"
        case .notCredited:
            line =
                "\(record.id) confirmed by \(text(record.confirmedBy)) but not credited: \(text(record.creditResult))"
        case .rejected:
            line = "\(record.id) rejected: \(text(record.rejectionReason))"
        default:
            line = "\(record.id) \(recordState(record.state))"
        }
        return TextLayout.oneLine(line) + "\n"
    }

    // MARK: The points supermarket

    static func venue(_ venue: Gongzhi_Points_V1_Venue) -> String {
        TextLayout.oneLine("venue \(venue.id) saved: \(text(venue.name)), community \(text(venue.communityCode))")
            + "\n"
    }

    static func good(_ good: Gongzhi_Points_V1_Good) -> String {
        var line =
            "good \(good.id) saved: \(text(good.name)) at venue \(good.venueID), \(points(good.price)) points "
            + "each, \(grouped(Int(good.stock))) in stock"
        if good.reserved > 0 { line += " (\(grouped(Int(good.reserved))) reserved)" }
        if good.minimumBalance > 0 { line += ", for balances of \(points(good.minimumBalance)) or more" }
        if !good.active { line += "; inactive" }
        return TextLayout.oneLine(line) + "\n"
    }

    static func catalogue(_ response: Gongzhi_Points_V1_CatalogueResponse) -> String {
        var text = ""
        if !response.venues.isEmpty {
            text +=
                TextLayout.table(
                    header: ["VENUE", "NAME", "COMMUNITY", "ADDRESS", "OPENING HOURS"],
                    rows: response.venues.map { venue in
                        [
                            venue.id, self.text(venue.name), self.text(venue.communityCode), self.text(venue.address),
                            self.text(venue.openingHours),
                        ]
                    }
                ) + "\n"
        }
        guard !response.goods.isEmpty else { return text + "no goods match\n" }
        return text
            + TextLayout.table(
                header: ["GOOD", "NAME", "VENUE", "PRICE", "LEFT", "MINIMUM BALANCE", "LEDGER"],
                rows: response.goods.map { good in
                    [
                        good.id, self.text(good.name) + (good.active ? "" : " (inactive)"), good.venueID,
                        points(good.price), grouped(Int(good.stock - good.reserved)),
                        good.minimumBalance == 0 ? "-" : points(good.minimumBalance), self.text(good.ledger),
                    ]
                }
            )
    }

    /// A redemption after a step, in one line, and the holder's balance when the answer carries it.
    static func redemption(_ result: Gongzhi_Points_V1_RedemptionResult, time: TimeStyle) -> String {
        let r = result.redemption
        let goods = "\(grouped(Int(r.quantity))) × \(r.goodName.isEmpty ? r.goodID : "\(r.goodName) (\(r.goodID))")"
        let line: String
        switch r.state {
        case .held:
            line =
                "\(r.id) held: \(goods) for \(points(r.points)) points at venue \(r.venueID); confirm the hand-over "
                + "by \(ChinaStandardTime.minute(r.expiresAtMs)) (\(time.relative(r.expiresAtMs))), or it is "
                + "cancelled"
        case .confirmed:
            line = "\(r.id) confirmed: \(goods) handed over, \(points(r.points)) points posted to venue \(r.venueID)"
        case .cancelled:
            line = "\(r.id) cancelled: \(points(r.points)) points released to \(r.accountID)"
        case .expired:
            line = "\(r.id) expired unconfirmed: \(points(r.points)) points released to \(r.accountID)"
        default:
            line = "\(r.id) \(redemptionState(r.state))"
        }
        var text = TextLayout.oneLine(line) + "\n"
        if result.hasBalance {
            let view = result.balance
            text +=
                TextLayout.oneLine(
                    "\(view.account.id): balance \(points(view.balance)), available \(points(view.available))"
                ) + "\n"
        }
        return text
    }

    static func redemptions(_ response: Gongzhi_Points_V1_ListRedemptionsResponse, time: TimeStyle) -> String {
        guard !response.redemptions.isEmpty else { return "no redemptions match\n" }
        return TextLayout.table(
            header: ["ID", "STATE", "ACCOUNT", "HOLDER", "GOOD", "QTY", "POINTS", "VENUE", "HELD", "EXPIRES/RESOLVED"],
            rows: response.redemptions.map { r in
                [
                    r.id, redemptionState(r.state), r.accountID, text(r.holderName),
                    r.goodName.isEmpty ? r.goodID : r.goodName, grouped(Int(r.quantity)), points(r.points),
                    r.venueID, ChinaStandardTime.minute(r.heldAtMs),
                    r.state == .held
                        ? "expires \(time.relative(r.expiresAtMs))"
                        : ChinaStandardTime.minute(r.resolvedAtMs),
                ]
            }
        )
    }

    // MARK: Expiry, honour roll and reports

    static func expiring(
        _ response: Gongzhi_Points_V1_ExpiringResponse,
        within seconds: Int64,
        time: TimeStyle
    )
        -> String
    {
        let window = TimeStyle.duration(seconds: seconds)
        guard !response.lots.isEmpty else { return "no points expire within \(window)\n" }
        let accounts = Set(response.lots.map(\.accountID)).count
        return TextLayout.table(
            header: ["ACCOUNT", "HOLDER", "COMMUNITY", "POINTS", "EXPIRES"],
            rows: response.lots.map { lot in
                [
                    lot.accountID, text(lot.holderName), text(lot.communityCode), points(lot.points),
                    expires(lot.expiresAtMs, time: time),
                ]
            }
        )
            + "\n\(points(response.totalPoints)) points of \(grouped(accounts)) "
            + (accounts == 1 ? "account" : "accounts") + " expire within \(window)\n"
    }

    static func honourRoll(_ response: Gongzhi_Points_V1_HonourRollResponse) -> String {
        let period = ChinaStandardTime.period(fromMs: response.fromMs, toMs: response.toMs)
        guard !response.entries.isEmpty else { return "光荣榜 \(period): nobody earned points\n" }
        return "光荣榜 \(period)\n"
            + TextLayout.table(
                header: ["RANK", "HOLDER", "KIND", "ID", "COMMUNITY", "POINTS"],
                rows: response.entries.map { entry in
                    [
                        String(entry.rank), text(entry.holderName), HolderKindArgument(entry.holderKind).rawValue,
                        text(entry.holderID), text(entry.communityCode), points(entry.points),
                    ]
                }
            )
    }

    static func report(_ response: Gongzhi_Points_V1_ReportResponse) -> String {
        var text = TextLayout.fields([
            ("period", [ChinaStandardTime.period(fromMs: response.fromMs, toMs: response.toMs)]),
            ("issued", [points(response.issued)]),
            ("redeemed", [points(response.redeemed)]),
            ("expired", [points(response.expired)]),
        ])
        guard !response.rows.isEmpty else { return text }
        text += "\n"
        text += TextLayout.table(
            header: ["GROUP", "KEY", "NAME", "POINTS", "TRANSFERS"],
            rows: response.rows.map { row in
                [row.group, self.text(row.key), self.text(row.name), points(row.points), grouped(Int(row.transfers))]
            }
        )
        return text
    }

    static func exported(_ response: Gongzhi_Points_V1_ExportResponse, file: String) -> String {
        "wrote \(grouped(Int(response.transfers))) "
            + (response.transfers == 1 ? "transfer" : "transfers") + " to \(file)\n"
    }

    // MARK: Verify and status

    static func verified(_ response: Gongzhi_Points_V1_VerifyResponse) -> String {
        if response.ok {
            return "ledger verified: \(grouped(Int(response.transfers))) transfers, "
                + "\(grouped(Int(response.accounts))) accounts, head \(hex(response.headHash))\n"
        }
        var at: [String] = []
        if !response.firstBadTransferID.isEmpty {
            at.append(
                "transfer \(response.firstBadTransferID)"
                    + (response.firstBadSequence > 0 ? " (sequence \(response.firstBadSequence))" : "")
            )
        }
        if !response.firstBadAccountID.isEmpty { at.append("account \(response.firstBadAccountID)") }
        let place = at.isEmpty ? "" : " at " + at.joined(separator: ", ")
        return TextLayout.oneLine(
            "ledger does NOT verify\(place): \(text(response.problem)) "
                + "(\(grouped(Int(response.transfers))) transfers checked)"
        ) + "\n"
    }

    static func status(_ response: Gongzhi_Points_V1_StatusResponse) -> String {
        TextLayout.fields([
            ("transfers", [grouped(Int(response.transfers))]),
            ("accounts", [grouped(Int(response.accounts))]),
            ("pending transfers", [grouped(Int(response.pending))]),
            ("held redemptions", [grouped(Int(response.heldRedemptions))]),
            (
                "chain head",
                [response.headSequence == 0 ? "-" : "sequence \(response.headSequence), \(hex(response.headHash))"]
            ),
            ("integrations", response.integrations),
        ])
    }

    // MARK: Pieces

    /// `张伟 (resident R0001)`, `issuer 330106001001`, `expiry`.
    static func holder(_ account: Gongzhi_Points_V1_Account) -> String {
        let kind = HolderKindArgument(account.holderKind).rawValue
        let who = account.holderID.isEmpty ? kind : "\(kind) \(account.holderID)"
        return account.holderName.isEmpty ? who : "\(account.holderName) (\(who))"
    }

    static func recordHolder(_ record: Gongzhi_Points_V1_ServiceRecord) -> String {
        let who = "\(HolderKindArgument(record.holderKind).rawValue) \(record.holderID)"
        return record.holderName.isEmpty ? who : "\(record.holderName) (\(who))"
    }

    /// The PENDING column: `-40` held by pending debits, `+400` coming in pending credits, `-` for none.
    static func pending(_ account: Gongzhi_Points_V1_Account) -> String {
        var parts: [String] = []
        if account.debitsPending != 0 { parts.append("-" + points(account.debitsPending)) }
        if account.creditsPending != 0 { parts.append("+" + points(account.creditsPending)) }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }

    /// The NOTE column of a history: pending, posts, voids, reverses, the reference and the memo.
    static func note(_ transfer: Gongzhi_Points_V1_Transfer) -> String {
        var parts: [String] = []
        if transfer.pending { parts.append("pending") }
        if transfer.postPending { parts.append("posts \(transfer.pendingID)") }
        if transfer.voidPending { parts.append("voids \(transfer.pendingID)") }
        if !transfer.reversesID.isEmpty { parts.append("reverses \(transfer.reversesID)") }
        if !transfer.reference.isEmpty { parts.append(transfer.reference) }
        if !transfer.memo.isEmpty { parts.append(transfer.memo) }
        return parts.isEmpty ? "-" : parts.joined(separator: "; ")
    }

    /// `2026-12-01 00:00 (in 10d)`; `never` for 0.
    static func expires(_ ms: Int64, time: TimeStyle) -> String {
        ms == 0 ? "never" : "\(ChinaStandardTime.minute(ms)) (\(time.relative(ms)))"
    }

    /// `end of the 12th month`; `never`.
    static func expiry(lotMonths: Int32) -> String {
        lotMonths <= 0 ? "never" : "end of the \(ordinal(Int(lotMonths))) month"
    }

    /// `10`, `10 an hour`.
    static func earns(_ rule: Gongzhi_Points_V1_EarningRule) -> String {
        "\(points(rule.points)) " + (rule.points == 1 ? "point" : "points") + (rule.perHour ? " an hour" : "")
    }

    /// `100 a month`; `-` without a cap.
    static func cap(_ rule: Gongzhi_Points_V1_EarningRule) -> String {
        rule.cap == 0 ? "-" : "\(points(rule.cap)) \(period(rule.capPeriod))"
    }

    static func period(_ period: Gongzhi_Points_V1_Period) -> String {
        switch period {
        case .day: "a day"
        case .week: "a week"
        case .month: "a month"
        case .year: "a year"
        default: "in all"
        }
    }

    static func source(_ source: Gongzhi_Points_V1_RuleSource) -> String {
        switch source {
        case .manual: "manual"
        case .serviceRecord: "service-record"
        case .gridCase: "grid-case"
        default: "-"
        }
    }

    static func recordState(_ state: Gongzhi_Points_V1_ServiceRecord.State) -> String {
        switch state {
        case .recorded: "recorded"
        case .confirmed: "confirmed"
        case .rejected: "rejected"
        case .credited: "credited"
        case .notCredited: "not-credited"
        default: "-"
        }
    }

    static func redemptionState(_ state: Gongzhi_Points_V1_Redemption.State) -> String {
        switch state {
        case .held: "held"
        case .confirmed: "confirmed"
        case .cancelled: "cancelled"
        case .expired: "expired"
        default: "-"
        }
    }

    /// `1st`, `2nd`, `3rd`, `12th`, `21st`.
    static func ordinal(_ number: Int) -> String {
        let suffix =
            switch (number % 10, number % 100) {
            case (_, 11...13): "th"
            case (1, _): "st"
            case (2, _): "nd"
            case (3, _): "rd"
            default: "th"
            }
        return "\(number)\(suffix)"
    }

    /// Lower-case hexadecimal; `-` for no bytes.
    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef")
        let text = bytes.map { "\(digits[Int($0 >> 4)])\(digits[Int($0 & 0x0F)])" }.joined()
        return text.isEmpty ? "-" : text
    }

    /// Points with thousands separators: `1,200`, `-40`.
    static func points(_ value: Int64) -> String { TextLayout.grouped(Int(value)) }

    /// `-` for an empty value.
    static func text(_ value: String) -> String { value.isEmpty ? "-" : value }

    static func grouped(_ number: Int) -> String { TextLayout.grouped(number) }
}
