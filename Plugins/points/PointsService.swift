import GongzhiCalendar
import GongzhiPluginSDK
import GongzhiPoints
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `gongzhi.points.v1.Points`: the RPCs in front of the ledger engine, for the caller the host verified.
struct PointsService: Gongzhi_Points_V1_PointsHandler {
    let engine: LedgerEngine
    let directory: HolderDirectory
    let integrations: Integrations

    /// The ledger a holder's account is looked up in when the request names none.
    static let defaultLedger = "volunteer"

    private func standing(_ context: ServerCallContext) async throws -> CallerStanding {
        try await CallerStanding.of(context, directory: directory)
    }

    // MARK: - Ledgers and accounts

    func createLedger(request: Ledger, context: ServerCallContext) async throws -> Ledger {
        let standing = try await standing(context)
        try standing.requireManaging("", "the district's ledgers")
        guard Self.isCode(request.code) else {
            throw RPCError(
                code: .invalidArgument,
                message: "a ledger's code is 1 to 32 letters, digits, '-' and '_' (\"\(request.code)\" is not)"
            )
        }
        if request.name.allSatisfy(\.isWhitespace) {
            throw RPCError(code: .invalidArgument, message: "give ledger \(request.code) a name (志愿者积分)")
        }
        if request.lotMonths < 0 || request.lotMonths > 120 {
            throw RPCError(code: .invalidArgument, message: "lot_months is 0 (never expire) to 120")
        }
        return try await engine.perform { book, now in
            var ledger = request
            ledger.createdAtMs = book.ledgers[request.code]?.createdAtMs ?? now
            if book.ledgers[request.code] != ledger { book.put(ledger: ledger) }
            return ledger
        }
    }

    func listLedgers(
        request: Gongzhi_Points_V1_ListLedgersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListLedgersResponse {
        try await engine.read { book, _ in
            var response = Gongzhi_Points_V1_ListLedgersResponse()
            response.ledgers = book.ledgers.values.sorted { $0.code < $1.code }
            return response
        }
    }

    func createAccounts(
        request: Gongzhi_Points_V1_CreateAccountsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateAccountsResponse {
        let standing = try await standing(context)
        if request.accounts.isEmpty || request.accounts.count > PointsBook.maximumBatch {
            throw RPCError(code: .invalidArgument, message: "give 1 to \(PointsBook.maximumBatch) accounts")
        }
        for account in request.accounts {
            try Self.requireShort(account.holderName, "account \(account.id)'s holder name", limit: 100)
            try standing.requireManaging(account.communityCode, "account \(account.id)")
        }
        return try await engine.perform { book, now in
            var response = Gongzhi_Points_V1_CreateAccountsResponse()
            response.results = book.createAccounts(request.accounts, now: now)
            response.accounts = response.results.compactMap { book.accounts[$0.id] }
            return response
        }
    }

    func setAccountClosed(
        request: Gongzhi_Points_V1_SetAccountClosedRequest,
        context: ServerCallContext
    ) async throws -> Account {
        let standing = try await standing(context)
        return try await engine.perform { book, _ in
            guard let account = book.accounts[request.accountID] else {
                throw RPCError(code: .notFound, message: "there is no account \"\(request.accountID)\"")
            }
            try standing.requireManaging(account.communityCode, "account \(account.id)")
            return book.setClosed(account.id, request.closed) ?? account
        }
    }

    func getAccount(
        request: Gongzhi_Points_V1_GetAccountRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_AccountView {
        let standing = try await standing(context)
        let id = try Self.accountID(request)
        return try await engine.read { book, _ in
            guard let account = book.accounts[id] else {
                throw RPCError(code: .notFound, message: "there is no account \"\(id)\"")
            }
            try standing.requireAccess(to: account)
            return Self.view(account)
        }
    }

    func listAccounts(
        request: Gongzhi_Points_V1_ListAccountsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListAccountsResponse {
        let standing = try await standing(context)
        let limit = request.limit <= 0 ? 100 : min(Int(request.limit), 10_000)
        return try await engine.read { book, _ in
            var response = Gongzhi_Points_V1_ListAccountsResponse()
            response.accounts =
                book.accounts.values
                .filter { account in
                    (request.ledger.isEmpty || account.ledger == request.ledger)
                        && (request.holderKind == .unspecified || account.holderKind == request.holderKind)
                        && (request.communityCode.isEmpty || account.communityCode.hasPrefix(request.communityCode))
                        && (standing.owns(account) || standing.manages(account.communityCode))
                }
                .sorted { $0.id < $1.id }
                .prefix(limit)
                .map(Self.view)
            return response
        }
    }

    func history(
        request: Gongzhi_Points_V1_HistoryRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_HistoryResponse {
        let standing = try await standing(context)
        let limit = request.limit <= 0 ? 50 : min(Int(request.limit), 1_000)
        return try await engine.read { book, _ in
            guard let account = book.accounts[request.accountID] else {
                throw RPCError(code: .notFound, message: "there is no account \"\(request.accountID)\"")
            }
            try standing.requireAccess(to: account)
            var response = Gongzhi_Points_V1_HistoryResponse()
            response.account = Self.view(account)
            response.transfers = book.history(
                of: account.id,
                limit: limit,
                beforeSequence: request.beforeSequence
            )
            return response
        }
    }

    // MARK: - Transfers

    func createTransfers(
        request: Gongzhi_Points_V1_CreateTransfersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateTransfersResponse {
        if request.transfers.isEmpty {
            throw RPCError(code: .invalidArgument, message: "the batch holds no transfer")
        }
        if request.transfers.count > PointsBook.maximumBatch {
            throw RPCError(
                code: .invalidArgument,
                message: "the batch holds \(request.transfers.count) transfers; at most \(PointsBook.maximumBatch) "
                    + "go in one call"
            )
        }
        for (index, transfer) in request.transfers.enumerated() {
            try Self.requireShort(transfer.memo, "transfer \(index)'s memo", limit: Self.maximumMemo)
            try Self.requireShort(transfer.reference, "transfer \(index)'s reference", limit: Self.maximumReference)
        }
        let standing = try await standing(context)
        return try await engine.perform { book, now in
            if standing.caller.person != nil {
                try Self.requireManaging(request.transfers, in: book, standing)
            }
            try Self.requireAnswerFits(
                request.transfers,
                in: book,
                now: now,
                recordedBy: standing.actor,
                mayImport: standing.caller.person == nil
            )
            let results = book.createTransfers(
                request.transfers,
                now: now,
                recordedBy: standing.actor,
                mayImport: standing.caller.person == nil
            )
            return Self.answer(results, book)
        }
    }

    func credit(
        request: Gongzhi_Points_V1_CreditRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateTransfersResponse {
        let standing = try await standing(context)
        let holder = try await directory.holder(request.holderKind, request.holderID)
        try standing.requireManaging(holder.communityCode, "\(holder.name) (\(request.holderID))")
        if request.amount < 0 { throw RPCError(code: .invalidArgument, message: "the amount may not be negative") }
        return try await engine.perform { book, now in
            guard let rule = book.rules[request.ruleCode] else {
                throw RPCError(code: .notFound, message: "there is no earning rule \"\(request.ruleCode)\"")
            }
            if rule.source != .manual {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "rule \(rule.code) credits from \(PointsBook.word(rule.source)); "
                        + (rule.source == .serviceRecord
                            ? "record the service and have it confirmed instead"
                            : "its credits come from the grid's evaluated cases")
                )
            }
            let result = try book.issue(
                transferID: request.id,
                rule: rule.code,
                to: holder,
                amount: request.amount,
                reference: request.reference,
                memo: request.memo,
                now: now,
                by: standing.actor
            ).orThrow()
            return Self.answer([result], book)
        }
    }

    func correct(
        request: Gongzhi_Points_V1_CorrectRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CreateTransfersResponse {
        let standing = try await standing(context)
        return try await engine.perform { book, now in
            guard let original = book.transfer(request.transferID) else {
                throw RPCError(code: .notFound, message: "there is no transfer \"\(request.transferID)\" to correct")
            }
            for id in [original.debitAccountID, original.creditAccountID] {
                if let account = book.accounts[id], account.holderKind != .expiry {
                    try standing.requireManaging(account.communityCode, "account \(id)")
                }
            }
            let result = try book.correct(
                id: request.id,
                transferID: request.transferID,
                amount: request.amount,
                reason: request.reason,
                now: now,
                by: standing.actor
            ).orThrow()
            return Self.answer([result], book)
        }
    }

    // MARK: - Rules

    func putRule(request: EarningRule, context: ServerCallContext) async throws -> EarningRule {
        let standing = try await standing(context)
        try standing.requireManaging("", "the district's earning rules")
        guard Self.isCode(request.code) else {
            throw RPCError(code: .invalidArgument, message: "a rule's code is 1 to 32 letters, digits, '-' and '_'")
        }
        if request.source == .unspecified {
            throw RPCError(
                code: .invalidArgument,
                message: "say where rule \(request.code) credits from: manual, service-record or grid-case"
            )
        }
        if request.points <= 0 {
            throw RPCError(code: .invalidArgument, message: "rule \(request.code) must give more than 0 points")
        }
        if request.cap < 0 || (request.cap > 0 && request.capPeriod == .unspecified) {
            throw RPCError(code: .invalidArgument, message: "a cap needs a period: day, week, month or year")
        }
        if request.name.allSatisfy(\.isWhitespace) {
            throw RPCError(code: .invalidArgument, message: "give rule \(request.code) a name")
        }
        return try await engine.perform { book, _ in
            guard book.ledgers[request.ledger] != nil else {
                throw RPCError(code: .notFound, message: "there is no ledger \"\(request.ledger)\"")
            }
            if let existing = book.rules[request.code], existing.ledger != request.ledger {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "rule \(request.code) belongs to ledger \(existing.ledger); add a new rule instead"
                )
            }
            if book.rules[request.code] != request { book.put(rule: request) }
            return request
        }
    }

    func listRules(
        request: Gongzhi_Points_V1_ListRulesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListRulesResponse {
        let gridStatus = integrations.gridStatus
        return try await engine.read { book, _ in
            var response = Gongzhi_Points_V1_ListRulesResponse()
            response.rules = book.rules.values.sorted { $0.code < $1.code }.map { rule in
                var view = Gongzhi_Points_V1_RuleView()
                view.rule = rule
                if !rule.active {
                    view.status = "inactive"
                } else if rule.source == .gridCase, let idle = gridStatus.idleReason {
                    view.status = "idle: \(idle)"
                } else {
                    view.status = "active"
                }
                return view
            }
            return response
        }
    }

    // MARK: - Service records

    func recordService(
        request: Gongzhi_Points_V1_RecordServiceRequest,
        context: ServerCallContext
    ) async throws -> ServiceRecord {
        let standing = try await standing(context)
        let holder = try await directory.holder(request.holderKind, request.holderID)
        guard standing.is(holder.kind, holder.id) || standing.manages(holder.communityCode) else {
            throw standing.denied("the service of \(holder.name) (\(holder.id))")
        }
        return try await engine.perform { book, now in
            try book.recordService(request, holder: holder, now: now, by: standing.actor).orThrow()
        }
    }

    func confirmService(
        request: Gongzhi_Points_V1_ConfirmServiceRequest,
        context: ServerCallContext
    ) async throws -> ServiceRecord {
        let standing = try await standing(context)
        let record = try await recordForDecision(request.id, standing)
        let holder =
            (try? await directory.holder(record.holderKind, record.holderID))
            ?? PointsBook.Holder(
                kind: record.holderKind,
                id: record.holderID,
                name: record.holderName,
                communityCode: record.communityCode
            )
        return try await engine.perform { book, now in
            try book.confirmService(request.id, holder: holder, now: now, by: standing.actor).orThrow()
        }
    }

    func rejectService(
        request: Gongzhi_Points_V1_RejectServiceRequest,
        context: ServerCallContext
    ) async throws -> ServiceRecord {
        let standing = try await standing(context)
        _ = try await recordForDecision(request.id, standing)
        return try await engine.perform { book, now in
            try book.rejectService(request.id, reason: request.reason, now: now, by: standing.actor).orThrow()
        }
    }

    /// The record a confirmation or rejection is about, once the caller may decide it: within their places, and
    /// never their own service.
    private func recordForDecision(_ id: String, _ standing: CallerStanding) async throws -> ServiceRecord {
        let record = try await engine.read { book, _ in
            guard let record = book.records[id] else {
                throw RPCError(code: .notFound, message: "there is no service record \"\(id)\"")
            }
            return record
        }
        try standing.requireManaging(record.communityCode, "service record \(id)")
        if standing.is(record.holderKind, record.holderID) {
            throw RPCError(
                code: .permissionDenied,
                message: "service record \(id) is \(record.holderName)'s own service: a team leader or staff member "
                    + "other than the one who served confirms it"
            )
        }
        return record
    }

    func listServiceRecords(
        request: Gongzhi_Points_V1_ListServiceRecordsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListServiceRecordsResponse {
        let standing = try await standing(context)
        let limit = request.limit <= 0 ? 100 : min(Int(request.limit), 10_000)
        return try await engine.read { book, _ in
            var response = Gongzhi_Points_V1_ListServiceRecordsResponse()
            response.records =
                book.records.values
                .filter { record in
                    (request.state == .unspecified || record.state == request.state)
                        && (request.holderID.isEmpty || record.holderID == request.holderID)
                        && (request.communityCode.isEmpty || record.communityCode.hasPrefix(request.communityCode))
                        && (standing.is(record.holderKind, record.holderID) || standing.manages(record.communityCode))
                }
                .sorted { ($0.recordedAtMs, $0.id) > ($1.recordedAtMs, $1.id) }
                .prefix(limit)
                .map { $0 }
            return response
        }
    }

    // MARK: - The supermarket

    func putVenue(request: Venue, context: ServerCallContext) async throws -> Venue {
        let standing = try await standing(context)
        guard Self.isCode(request.id) else {
            throw RPCError(code: .invalidArgument, message: "a venue's id is 1 to 32 letters, digits, '-' and '_'")
        }
        if request.name.allSatisfy(\.isWhitespace) {
            throw RPCError(code: .invalidArgument, message: "give venue \(request.id) a name")
        }
        if request.communityCode.utf8.count < 9 || !request.communityCode.allSatisfy(\.isNumber) {
            throw RPCError(
                code: .invalidArgument,
                message: "say which community (12 digits) or street (9) venue \(request.id) serves"
            )
        }
        try standing.requireManaging(request.communityCode, "venue \(request.id)")
        return try await engine.perform { book, _ in
            if book.venues[request.id] != request { book.put(venue: request) }
            return request
        }
    }

    func putGood(request: Good, context: ServerCallContext) async throws -> Good {
        let standing = try await standing(context)
        return try await engine.perform { book, now in
            guard let venue = book.venues[request.venueID] else {
                throw RPCError(code: .notFound, message: "there is no venue \"\(request.venueID)\"")
            }
            try standing.requireManaging(venue.communityCode, "venue \(venue.id)")
            return try book.put(good: request, now: now).orThrow()
        }
    }

    func catalogue(
        request: Gongzhi_Points_V1_CatalogueRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_CatalogueResponse {
        let standing = try await standing(context)
        return try await engine.read { book, _ in
            var available: Int64?
            if !request.affordableForAccount.isEmpty {
                guard let account = book.accounts[request.affordableForAccount] else {
                    throw RPCError(code: .notFound, message: "there is no account \"\(request.affordableForAccount)\"")
                }
                try standing.requireAccess(to: account)
                available = PointsBook.available(of: account)
            }
            var response = Gongzhi_Points_V1_CatalogueResponse()
            response.venues = book.venues.values
                .filter { request.venueID.isEmpty || $0.id == request.venueID }
                .sorted { $0.id < $1.id }
            response.goods = book.goods.values
                .filter { good in
                    (request.venueID.isEmpty || good.venueID == request.venueID)
                        && (good.active || standing.manages(good.communityCode))
                        && (available.map { good.price <= $0 && good.minimumBalance <= $0 } ?? true)
                }
                .sorted { ($0.venueID, $0.price, $0.id) < ($1.venueID, $1.price, $1.id) }
            return response
        }
    }

    func redeem(
        request: Gongzhi_Points_V1_RedeemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        let standing = try await standing(context)
        return try await engine.perform { book, now in
            guard let account = book.accounts[request.accountID] else {
                throw RPCError(code: .notFound, message: "there is no account \"\(request.accountID)\"")
            }
            let venuePlace = book.goods[request.goodID].flatMap { book.venues[$0.venueID] }?.communityCode
            guard standing.owns(account) || venuePlace.map(standing.manages) == true else {
                throw standing.denied("account \(account.id)")
            }
            let outcome = try book.redeem(
                id: request.id,
                accountID: request.accountID,
                goodID: request.goodID,
                quantity: request.quantity,
                timeoutSeconds: request.timeoutSeconds,
                note: request.note,
                now: now,
                by: standing.actor
            ).orThrow()
            return Self.answer(outcome, book)
        }
    }

    func confirmRedemption(
        request: Gongzhi_Points_V1_ResolveRedemptionRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        try await resolve(request, confirm: true, context)
    }

    func cancelRedemption(
        request: Gongzhi_Points_V1_ResolveRedemptionRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        try await resolve(request, confirm: false, context)
    }

    private func resolve(
        _ request: Gongzhi_Points_V1_ResolveRedemptionRequest,
        confirm: Bool,
        _ context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_RedemptionResult {
        let standing = try await standing(context)
        return try await engine.perform { book, now in
            guard let redemption = book.redemptions[request.id] else {
                throw RPCError(code: .notFound, message: "there is no redemption \"\(request.id)\"")
            }
            let own = book.accounts[redemption.accountID].map(standing.owns) ?? false
            if confirm {
                // The hand-over is confirmed by the venue's clerk or staff, never by the holder.
                guard standing.manages(redemption.communityCode) else {
                    throw standing.denied("the hand-over of redemption \(redemption.id)")
                }
            } else if !own && !standing.manages(redemption.communityCode) {
                throw standing.denied("redemption \(redemption.id)")
            }
            let outcome = try book.resolve(
                request.id,
                confirm: confirm,
                now: now,
                by: standing.actor,
                note: request.note
            ).orThrow()
            return Self.answer(outcome, book)
        }
    }

    func listRedemptions(
        request: Gongzhi_Points_V1_ListRedemptionsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ListRedemptionsResponse {
        let standing = try await standing(context)
        let limit = request.limit <= 0 ? 100 : min(Int(request.limit), 10_000)
        return try await engine.read { book, _ in
            var response = Gongzhi_Points_V1_ListRedemptionsResponse()
            response.redemptions =
                book.redemptions.values
                .filter { redemption in
                    (request.state == .unspecified || redemption.state == request.state)
                        && (request.venueID.isEmpty || redemption.venueID == request.venueID)
                        && (request.accountID.isEmpty || redemption.accountID == request.accountID)
                        && ((book.accounts[redemption.accountID].map(standing.owns) ?? false)
                            || standing.manages(redemption.communityCode))
                }
                .sorted { ($0.heldAtMs, $0.id) > ($1.heldAtMs, $1.id) }
                .prefix(limit)
                .map { $0 }
            return response
        }
    }

    // MARK: - Expiry, reports, verification

    func expiring(
        request: Gongzhi_Points_V1_ExpiringRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ExpiringResponse {
        let standing = try await standing(context)
        if request.withinSeconds < 0 || request.withinSeconds > 10 * 366 * 86_400 {
            throw RPCError(code: .invalidArgument, message: "the window is 0 to 10 years")
        }
        return try await engine.read { book, now in
            var response = Gongzhi_Points_V1_ExpiringResponse()
            response.lots = book.expiring(
                within: request.withinSeconds * 1000,
                now: now,
                ledger: request.ledger,
                community: request.communityCode
            ).filter { lot in
                standing.is(lot.holderKind, lot.holderID) || standing.manages(lot.communityCode)
            }
            response.totalPoints = response.lots.reduce(0) { $0 + $1.points }
            return response
        }
    }

    func honourRoll(
        request: Gongzhi_Points_V1_HonourRollRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_HonourRollResponse {
        try await engine.read { book, now in
            let (from, to) = try Self.period(request.fromMs, request.toMs, now: now)
            var response = Gongzhi_Points_V1_HonourRollResponse()
            response.fromMs = from
            response.toMs = to
            response.entries = book.honourRoll(
                ledger: request.ledger.isEmpty ? Self.defaultLedger : request.ledger,
                community: request.communityCode,
                from: from,
                to: to,
                limit: request.limit <= 0 ? 10 : min(Int(request.limit), 1_000)
            )
            return response
        }
    }

    func report(
        request: Gongzhi_Points_V1_ReportRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ReportResponse {
        let standing = try await standing(context)
        if standing.selfOnly { throw standing.denied("the ledger's reports") }
        return try await engine.read { book, now in
            let (from, to) = try Self.period(request.fromMs, request.toMs, now: now)
            return book.report(
                ledger: request.ledger,
                from: from,
                to: to,
                accounts: standing.caller.person == nil ? nil : { standing.manages($0.communityCode) }
            )
        }
    }

    func export(
        request: Gongzhi_Points_V1_ExportRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_ExportResponse {
        let standing = try await standing(context)
        if standing.selfOnly { throw standing.denied("the ledger's export") }
        return try await engine.read { book, now in
            let (from, to) = try Self.period(request.fromMs, request.toMs, now: now)
            let (csv, count) = book.exportCSV(
                ledger: request.ledger,
                from: from,
                to: to,
                accounts: standing.caller.person == nil ? nil : { standing.manages($0.communityCode) }
            )
            if csv.utf8.count > 3 * 1024 * 1024 {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "\(count) transfers make more than 3 MiB of CSV; export a shorter period"
                )
            }
            var response = Gongzhi_Points_V1_ExportResponse()
            response.csv = csv
            response.transfers = Int64(count)
            return response
        }
    }

    func verify(
        request: Gongzhi_Points_V1_VerifyRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_VerifyResponse {
        let standing = try await standing(context)
        if standing.selfOnly { throw standing.denied("the ledger's verification") }
        // From what the host stores, not from memory.
        let objects = engine.objects
        async let transfers = objects.list(Transfer.self, pageSize: 5000).objects.map(\.message)
        async let accounts = objects.list(Account.self, pageSize: 5000).objects.map(\.message)
        let report = LedgerVerification.verify(transfers: try await transfers, accounts: try await accounts)
        var response = Gongzhi_Points_V1_VerifyResponse()
        response.ok = report.ok
        response.transfers = Int64(report.transfers)
        response.accounts = Int64(report.accounts)
        response.firstBadTransferID = report.firstBadTransferID
        response.firstBadSequence = report.firstBadSequence
        response.firstBadAccountID = report.firstBadAccountID
        response.problem = report.problem ?? ""
        response.headHash = Data(report.headHash)
        return response
    }

    func status(
        request: Gongzhi_Points_V1_StatusRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Points_V1_StatusResponse {
        let lines = integrations.lines
        let chainProblem = engine.chainProblem
        return try await engine.read { book, _ in
            var response = Gongzhi_Points_V1_StatusResponse()
            response.transfers = Int64(book.transfers.count)
            response.accounts = Int64(book.accounts.count)
            response.pending = Int64(book.pending.values.filter { $0.status == .pending }.count)
            response.heldRedemptions = Int64(book.redemptions.values.filter { $0.state == .held }.count)
            response.headHash = Data(book.headHash)
            response.headSequence = book.headSequence
            response.integrations = lines + (chainProblem.map { ["hash chain: \($0)"] } ?? [])
            return response
        }
    }

    // MARK: - Shaping answers

    static func view(_ account: Account) -> Gongzhi_Points_V1_AccountView {
        var view = Gongzhi_Points_V1_AccountView()
        view.account = account
        view.balance = PointsBook.balance(of: account)
        view.available = PointsBook.available(of: account)
        return view
    }

    /// The results, with the balances of every account they touched.
    static func answer(_ results: [TransferResult], _ book: PointsBook) -> Gongzhi_Points_V1_CreateTransfersResponse {
        var response = Gongzhi_Points_V1_CreateTransfersResponse()
        response.results = results
        var seen: Set<String> = []
        for result in results where result.result == .ok || result.result == .exists {
            for id in [result.transfer.debitAccountID, result.transfer.creditAccountID] where seen.insert(id).inserted {
                if let account = book.accounts[id] { response.balances.append(view(account)) }
            }
        }
        return response
    }

    static func answer(
        _ outcome: PointsBook.RedemptionOutcome,
        _ book: PointsBook
    )
        -> Gongzhi_Points_V1_RedemptionResult
    {
        var result = Gongzhi_Points_V1_RedemptionResult()
        if let redemption = outcome.redemption {
            result.redemption = redemption
            if let good = book.goods[redemption.goodID] { result.good = good }
            if let account = book.accounts[redemption.accountID] { result.balance = view(account) }
        }
        result.transfer = outcome.transfer
        return result
    }

    /// The most bytes of an answer: a frame, less room for its envelope and metadata.
    static let answerBudget = Frame.maxDataLength - 64 * 1024

    /// Refuses a batch whose answer — every transfer as recorded with its result, and the accounts it touches —
    /// would not fit in one message, before anything of it is recorded: its caller would never learn what became of
    /// it, and every retry would be answered as large. Most batches are far below a generous bound (a transfer's
    /// text and a kilobyte for what recording adds, each account as it is now); a batch above it is tried on a copy
    /// of the book and its answer measured.
    static func requireAnswerFits(
        _ transfers: [Transfer],
        in book: PointsBook,
        now: Int64,
        recordedBy actor: String,
        mayImport: Bool
    ) throws {
        var bound = 0
        var accounts: Set<String> = []
        for transfer in transfers {
            bound +=
                2 * transfer.id.utf8.count + transfer.debitAccountID.utf8.count
                + transfer.creditAccountID.utf8.count + transfer.pendingID.utf8.count + transfer.ledger.utf8.count
                + transfer.code.utf8.count + transfer.reference.utf8.count + transfer.memo.utf8.count
                + transfer.reversesID.utf8.count + 1_024
            accounts.insert(transfer.debitAccountID)
            accounts.insert(transfer.creditAccountID)
            if let pending = book.pending[transfer.pendingID] {
                accounts.insert(pending.debitAccountID)
                accounts.insert(pending.creditAccountID)
            }
        }
        for id in accounts {
            guard let account = book.accounts[id] else { continue }
            bound += ((try? account.serializedBytes() as [UInt8])?.count ?? 0) + 64
        }
        if bound <= answerBudget { return }
        var trial = book
        let results = trial.createTransfers(transfers, now: now, recordedBy: actor, mayImport: mayImport)
        let bytes = (try? answer(results, trial).serializedBytes() as [UInt8])?.count ?? .max
        if bytes <= answerBudget { return }
        throw RPCError(
            code: .resourceExhausted,
            message: "the answer to these \(transfers.count) transfers would take \(bytes) bytes, more than one "
                + "message carries (\(answerBudget)); nothing was recorded: send them in batches of at most about "
                + "\(max(1, transfers.count * answerBudget / bytes))"
        )
    }

    /// Refuses a person's batch unless every account it names lies within their places.
    static func requireManaging(_ transfers: [Transfer], in book: PointsBook, _ standing: CallerStanding) throws {
        for transfer in transfers {
            var ids = [transfer.debitAccountID, transfer.creditAccountID]
            if let pending = book.pending[transfer.pendingID] {
                ids += [pending.debitAccountID, pending.creditAccountID]
            }
            for id in ids where !id.isEmpty {
                guard let account = book.accounts[id], account.holderKind != .expiry else { continue }
                try standing.requireManaging(account.communityCode, "account \(id)")
            }
        }
    }

    /// The account a request names: by id, or by holder and ledger.
    static func accountID(_ request: Gongzhi_Points_V1_GetAccountRequest) throws -> String {
        if !request.accountID.isEmpty { return request.accountID }
        guard request.holderKind != .unspecified, !request.holderID.isEmpty else {
            throw RPCError(
                code: .invalidArgument,
                message: "name an account by its id, or by a holder (kind and id) and a ledger"
            )
        }
        return AccountID(
            ledger: request.ledger.isEmpty ? defaultLedger : request.ledger,
            holderKind: request.holderKind,
            holderID: request.holderID
        ).description
    }

    /// A report's period: [from, to), the current month in China when both are 0.
    static func period(_ from: Int64, _ to: Int64, now: Int64) throws -> (Int64, Int64) {
        if from == 0 && to == 0 {
            return (ChinaCalendar.startOfMonth(at: now), ChinaCalendar.startOfMonth(at: now, adding: 1))
        }
        let end = to == 0 ? now + 1 : to
        guard from < end else {
            throw RPCError(code: .invalidArgument, message: "the period ends before it starts")
        }
        return (from, end)
    }

    /// The most characters of a transfer's memo, and of its reference.
    static let maximumMemo = 1_000
    static let maximumReference = 256

    /// Refuses text longer than `limit` characters, naming it.
    static func requireShort(_ text: String, _ what: String, limit: Int) throws {
        if text.count > limit {
            throw RPCError(code: .invalidArgument, message: "\(what) has \(text.count) characters; at most \(limit)")
        }
    }

    /// Codes of ledgers, rules and venues: 1 to 32 letters, digits, '-' and '_'.
    static func isCode(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 32
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}
