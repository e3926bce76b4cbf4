import ArgumentParser
import GongzhiControl
import GongzhiPointsSchemas
import GongzhiRPC

extension PointsCommand {
    /// `gongzhictl points ledgers`.
    struct Ledgers: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the ledgers: each a currency of points, with when its points expire.",
            discussion: """
                Example:
                  gongzhictl points ledgers
                  CODE       NAME        POINTS EXPIRE          CREATED
                  volunteer  志愿者积分  end of the 12th month  2025-01-01 09:00
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.listLedgers(Gongzhi_Points_V1_ListLedgersRequest(), options: options)
            }
            invocation.print(human: { _ in PointsOutput.ledgers(response) }, message: response)
        }
    }

    /// `gongzhictl points ledger create CODE --name NAME`.
    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a ledger.",
            subcommands: [Create.self]
        )

        /// `gongzhictl points ledger create CODE --name NAME [--lot-months N]`.
        struct Create: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a ledger (a currency of points); the same ledger again answers it as it is.",
                discussion: """
                    Points a credit grants expire at the end of the --lot-months-th calendar month after the \
                    month they were earned in (China Standard Time); 0 keeps them for ever.

                    Example:
                      gongzhictl points ledger create party --name 党员积分 --lot-months 0
                      ledger party (党员积分): its points never expire
                    """
            )

            @Argument(help: ArgumentHelp("The ledger's code: letters, digits, - and _.", valueName: "code"))
            var code: String

            @Option(help: ArgumentHelp("Its name as people read it, e.g. 志愿者积分.", valueName: "name"))
            var name: String

            @Option(
                parsing: .unconditional,
                help: ArgumentHelp("Months until earned points expire; 0: never.", valueName: "n")
            )
            var lotMonths: Int32 = 12

            @Option(
                name: .customLong("description"),
                help: ArgumentHelp("What the ledger is for.", valueName: "text")
            )
            var ledgerDescription: String?

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws {
                let allowed = code.utf8.allSatisfy { byte in
                    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                        || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                }
                if code.isEmpty || !allowed {
                    throw ValidationError("the ledger's code \(code) may hold only letters, digits, - and _")
                }
                if name.allSatisfy(\.isWhitespace) { throw ValidationError("--name needs the ledger's name") }
                if lotMonths < 0 {
                    throw ValidationError("--lot-months must be 0 (never expire) or more")
                }
            }

            var request: Gongzhi_Points_V1_Ledger {
                Gongzhi_Points_V1_Ledger.with {
                    $0.code = code
                    $0.name = name
                    $0.lotMonths = lotMonths
                    $0.description_p = ledgerDescription ?? ""
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let request = self.request
                let ledger = try await PointsCalls.call(invocation) { points, options in
                    try await points.createLedger(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.ledger(ledger) }, message: ledger)
            }
        }
    }

    /// `gongzhictl points accounts [list|open|close|reopen]`.
    struct Accounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, open, close and reopen accounts.",
            subcommands: [List.self, Open.self, Close.self, Reopen.self],
            defaultSubcommand: List.self
        )

        /// `gongzhictl points accounts [--ledger L] [--holder-kind K] [--community C]`.
        struct List: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "List accounts with their balances.",
                discussion: """
                    PENDING shows what pending transfers hold: -40 for points held by pending debits (a \
                    redemption not yet handed over), +400 for points on their way in.

                    Example:
                      gongzhictl points accounts --ledger volunteer --holder-kind resident \\
                        --community 330106001001
                    """
            )

            @Option(help: .ledgerFilter) var ledger: String?

            @Option(help: ArgumentHelp("Only accounts of this kind of holder.", valueName: "kind"))
            var holderKind: HolderKindArgument?

            @Option(help: .communityFilter) var community: String?

            @Option(parsing: .unconditional, help: .limit) var limit: Int32?

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws { try PointsCalls.checkLimit(limit) }

            var request: Gongzhi_Points_V1_ListAccountsRequest {
                Gongzhi_Points_V1_ListAccountsRequest.with {
                    $0.ledger = ledger ?? ""
                    $0.holderKind = holderKind?.kind ?? .unspecified
                    $0.communityCode = community ?? ""
                    $0.limit = limit ?? 0
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let request = self.request
                let response = try await PointsCalls.call(invocation) { points, options in
                    try await points.listAccounts(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.accounts(response) }, message: response)
            }
        }

        /// `gongzhictl points accounts open ACCOUNT-ID... [--name N] [--community C]`.
        struct Open: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Open accounts, each with its own result; one already open as asked answers exists.",
                discussion: """
                    A resident's, partner's or person's account may not go below zero (debits must not exceed \
                    credits); issuing, venue and expiry accounts have no such limit. Holders' accounts are also \
                    opened by their first credit. Exits 1 when an account could not be opened.

                    Example:
                      gongzhictl points accounts open volunteer:resident:R0001 --name 张伟 \\
                        --community 330106001001
                      volunteer:resident:R0001: opened
                    """
            )

            @Argument(
                help: ArgumentHelp("The accounts: LEDGER:KIND:HOLDER, e.g. volunteer:resident:R0001.", valueName: "id"),
                transform: { text in try PointsAccountID(parsing: text) }
            )
            var ids: [PointsAccountID]

            @Option(help: ArgumentHelp("The holder's name as people read it (one account only).", valueName: "name"))
            var name: String?

            @Option(help: ArgumentHelp("The community the holders belong to (its code).", valueName: "code"))
            var community: String?

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws {
                if ids.isEmpty { throw ValidationError("name the accounts to open, e.g. volunteer:resident:R0001") }
                if name != nil && ids.count > 1 {
                    throw ValidationError("--name names one holder; open the accounts one at a time to name each")
                }
                let repeated = Dictionary(grouping: ids, by: \.text).filter { $0.value.count > 1 }.keys.sorted()
                if let first = repeated.first { throw ValidationError("\(first) is given twice") }
            }

            var request: Gongzhi_Points_V1_CreateAccountsRequest {
                Gongzhi_Points_V1_CreateAccountsRequest.with {
                    $0.accounts = ids.map { id in
                        Gongzhi_Points_V1_Account.with {
                            $0.id = id.text
                            $0.ledger = id.ledger
                            $0.holderKind = id.kind
                            $0.holderID = id.holderID
                            $0.holderName = name ?? ""
                            $0.communityCode = community ?? ""
                            $0.debitsMustNotExceedCredits = [.resident, .partner, .person].contains(id.kind)
                        }
                    }
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let request = self.request
                let response = try await PointsCalls.call(invocation) { points, options in
                    try await points.createAccounts(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.opened(response) }, message: response)
                let refused = response.results.filter { !PointsOutput.recorded($0.result) }.count
                if refused > 0 {
                    throw ControlError(
                        "\(refused) of \(response.results.count) "
                            + (response.results.count == 1 ? "account was" : "accounts were") + " not opened "
                            + (invocation.format == .table ? "(listed above)" : "(see their results)"),
                        exitCode: ControlExitCode.failed
                    )
                }
            }
        }

        /// `gongzhictl points accounts close ID`.
        struct Close: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Close an account: it takes no new transfers (pending ones may still be voided).",
                discussion: """
                    Example:
                      gongzhictl points accounts close volunteer:resident:R0001
                    """
            )

            @Argument(help: ArgumentHelp("The account's id.", valueName: "id")) var id: String

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func run() async throws { try await AccountClosing.run(id: id, closed: true, options: options) }
        }

        /// `gongzhictl points accounts reopen ID`.
        struct Reopen: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Reopen a closed account: it takes transfers again.",
                discussion: """
                    Example:
                      gongzhictl points accounts reopen volunteer:resident:R0001
                      volunteer:resident:R0001 reopened: it takes transfers again
                    """
            )

            @Argument(help: ArgumentHelp("The account's id.", valueName: "id")) var id: String

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func run() async throws { try await AccountClosing.run(id: id, closed: false, options: options) }
        }
    }

    /// `gongzhictl points balance ACCOUNT-ID | --resident ID | --partner ID | --person ID [--ledger L]`.
    struct Balance: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an account's balance, what is available, what is pending, and its lots with their expiry.",
            discussion: """
                Name the account by its id, or by its holder (--resident, --partner or --person) and --ledger \
                (default: the plugin's, volunteer). The balance is what was credited less what was debited; \
                available is the balance less what pending debits hold (redemptions not yet handed over). \
                Points are granted in lots that expire; spending takes from the oldest lot first. An account \
                that does not exist exits 4.

                Example:
                  gongzhictl points balance --resident R0001
                """
        )

        @Argument(help: ArgumentHelp("The account's id, e.g. volunteer:resident:R0001.", valueName: "account-id"))
        var accountID: String?

        @OptionGroup var holder: HolderOptions

        @Option(help: ArgumentHelp("The ledger of the holder's account (default: volunteer).", valueName: "ledger"))
        var ledger: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            let holder = try self.holder.holder()
            switch (accountID, holder) {
            case (nil, nil):
                throw ValidationError("name the account: its id, or --resident, --partner or --person")
            case (.some, .some):
                throw ValidationError("give the account's id or its holder, not both")
            case (.some(let id), nil):
                if id.isEmpty { throw ValidationError("the account id is empty") }
                if ledger != nil {
                    throw ValidationError("--ledger goes with a holder; the account's id names its ledger")
                }
            case (nil, .some):
                break
            }
        }

        /// The request, with `person` the id `--person` was found as.
        func request(person: String? = nil) -> Gongzhi_Points_V1_GetAccountRequest {
            Gongzhi_Points_V1_GetAccountRequest.with {
                if let accountID {
                    $0.accountID = accountID
                } else if let (kind, id) = try? holder.holder() {
                    $0.holderKind = kind
                    $0.holderID = kind == .person ? person ?? id : id
                    $0.ledger = ledger ?? ""
                }
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let view = try await PointsCalls.call(invocation) { points, options in
                var person: String?
                if let typed = holder.person {
                    person = try await PointsCalls.personID(typed, points: points, options: options)
                }
                return try await points.getAccount(request(person: person), options: options)
            }
            invocation.print(human: { PointsOutput.balance(view, time: $0) }, message: view)
        }
    }

    /// `gongzhictl points history ACCOUNT-ID [--limit N] [--before SEQ]`.
    struct History: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an account's transfers, newest first.",
            discussion: """
                AMOUNT is +N for points in, -N for points out; OTHER ACCOUNT is where they came from or went. \
                A full page says how to ask for the transfers before it (--before SEQ).

                Example:
                  gongzhictl points history volunteer:resident:R0001 --limit 20
                """
        )

        @Argument(help: ArgumentHelp("The account's id.", valueName: "account-id")) var accountID: String

        @Option(parsing: .unconditional, help: .limit) var limit: Int32?

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Only transfers recorded before this sequence number.", valueName: "seq")
        )
        var before: Int64?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            try PointsCalls.checkLimit(limit)
            if let before, before <= 1 {
                throw ValidationError("--before must be 2 or more: no transfer comes before 1")
            }
        }

        var request: Gongzhi_Points_V1_HistoryRequest {
            Gongzhi_Points_V1_HistoryRequest.with {
                $0.accountID = accountID
                $0.limit = limit ?? 0
                $0.beforeSequence = before ?? 0
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.history(request, options: options)
            }
            invocation.print(human: { _ in PointsOutput.history(response, limit: limit) }, message: response)
        }
    }
}

/// `accounts close` and `accounts reopen`.
enum AccountClosing {
    static func request(id: String, closed: Bool) -> Gongzhi_Points_V1_SetAccountClosedRequest {
        Gongzhi_Points_V1_SetAccountClosedRequest.with {
            $0.accountID = id
            $0.closed = closed
        }
    }

    static func run(id: String, closed: Bool, options: GlobalOptions) async throws {
        let invocation = Invocation(options: options)
        let request = request(id: id, closed: closed)
        let account = try await PointsCalls.call(invocation) { points, options in
            try await points.setAccountClosed(request, options: options)
        }
        invocation.print(human: { _ in PointsOutput.closed(account) }, message: account)
    }
}
