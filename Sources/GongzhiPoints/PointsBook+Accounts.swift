import GongzhiPointsSchemas

/// Opening and closing accounts.
extension PointsBook {
    public typealias AccountResult = Gongzhi_Points_V1_AccountResult

    /// Opens accounts, each with its own result. The id decides the ledger and the holder (fields left empty are
    /// filled from it); balances and lots are the ledger's to fill, not the caller's.
    public mutating func createAccounts(_ requests: [Account], now: Int64) -> [AccountResult] {
        requests.enumerated().map { index, request in
            var result = AccountResult()
            result.index = Int32(index)
            result.id = request.id
            switch prepare(request, now: now) {
            case .failure(let refusal):
                result.result = refusal.code
                result.message = refusal.message
                result.field = refusal.field
            case .success(let account):
                if let existing = accounts[account.id] {
                    if let field = differingField(account, existing) {
                        result.result = .accountExistsWithDifferentField
                        result.field = field
                        result.message = "account \(account.id) exists with a different \(field)"
                    } else {
                        result.result = .exists
                        result.message = "account \(account.id) exists"
                    }
                } else {
                    setAccount(account)
                    result.result = .ok
                    result.message = "opened"
                }
            }
            return result
        }
    }

    /// The account a request opens, checked.
    func prepare(_ request: Account, now: Int64) -> Result<Account, Refusal> {
        guard let id = AccountID(request.id) else {
            return .failure(
                Refusal(
                    code: .idInvalid,
                    message: "account id \"\(request.id)\" is not <ledger>:<resident|partner|person|issuer|venue>:<id> "
                        + "or <ledger>:expiry",
                    field: "id"
                )
            )
        }
        guard ledgers[id.ledger] != nil else {
            return .failure(Refusal(code: .ledgerNotFound, message: "there is no ledger \(id.ledger)", field: "ledger"))
        }
        if (!request.ledger.isEmpty && request.ledger != id.ledger)
            || (request.holderKind != .unspecified && request.holderKind != id.holderKind)
            || (!request.holderID.isEmpty && request.holderID != id.holderID)
        {
            return .failure(
                Refusal(
                    code: .holderInvalid,
                    message: "account \(request.id) names its ledger and holder in its id; the fields say otherwise"
                )
            )
        }
        if request.debitsMustNotExceedCredits && request.creditsMustNotExceedDebits {
            return .failure(
                Refusal(
                    code: .flagsInvalid,
                    message: "an account limits its debits or its credits, not both",
                    field: "flags"
                )
            )
        }
        if request.debitsPending != 0 || request.debitsPosted != 0 || request.creditsPending != 0
            || request.creditsPosted != 0 || !request.lots.isEmpty
        {
            return .failure(
                Refusal(
                    code: .flagsInvalid,
                    message: "an account opens with no balances; transfers give it points",
                    field: "balances"
                )
            )
        }
        if AccountID.isHolder(id.holderKind) && !request.debitsMustNotExceedCredits {
            return .failure(
                Refusal(
                    code: .flagsInvalid,
                    message: "a \(AccountID.word(for: id.holderKind))'s account may not go below zero: "
                        + "set debits_must_not_exceed_credits",
                    field: "flags"
                )
            )
        }
        var account = request
        account.ledger = id.ledger
        account.holderKind = id.holderKind
        account.holderID = id.holderID
        if account.createdAtMs == 0 { account.createdAtMs = now }
        return .success(account)
    }

    func differingField(_ request: Account, _ existing: Account) -> String? {
        if request.debitsMustNotExceedCredits != existing.debitsMustNotExceedCredits
            || request.creditsMustNotExceedDebits != existing.creditsMustNotExceedDebits
        {
            return "flags"
        }
        if !request.holderName.isEmpty && request.holderName != existing.holderName { return "holder_name" }
        if !request.communityCode.isEmpty && request.communityCode != existing.communityCode {
            return "community_code"
        }
        return nil
    }

    /// Opens an account the plugin needs (a holder's first credit, a venue's, a ledger's expiry account) unless
    /// it exists; returns its id.
    @discardableResult
    public mutating func ensureAccount(
        _ id: AccountID,
        holderName: String,
        communityCode: String,
        partnerType: String = "",
        now: Int64
    ) -> String {
        let text = id.description
        if accounts[text] != nil { return text }
        var account = Account()
        account.id = text
        account.ledger = id.ledger
        account.holderKind = id.holderKind
        account.holderID = id.holderID
        account.holderName = holderName
        account.communityCode = communityCode
        account.partnerType = partnerType
        account.debitsMustNotExceedCredits = id.isHolder || id.holderKind == .venue
        account.createdAtMs = now
        setAccount(account)
        return text
    }

    /// Closes an account to new transfers, or opens it again. Nil when there is no such account.
    public mutating func setClosed(_ id: String, _ closed: Bool) -> Account? {
        guard var account = accounts[id] else { return nil }
        if account.closed != closed {
            account.closed = closed
            setAccount(account)
        }
        return account
    }
}
