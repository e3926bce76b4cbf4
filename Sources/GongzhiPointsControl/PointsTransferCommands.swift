import ArgumentParser
import GongzhiControl
import GongzhiPointsSchemas
import GongzhiRPC

extension PointsCommand {
    /// `gongzhictl points credit --rule CODE --resident ID [--amount N]`.
    struct Credit: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Credit a holder by an earning rule, within the rule's cap; opens their account if need be.",
            discussion: """
                The points come from the issuing account of the holder's community. --amount is the points \
                for a manual rule, or the occasions (hours for a per-hour rule) for the others; without it the \
                rule's points once. A credit beyond the rule's cap for the holder in its period is refused \
                with the cap, the period and what they already earned (exit 1).

                Without --id an id is made for the credit and shown; running the command again with --id \
                and that id after a timeout credits once.

                Example:
                  gongzhictl points credit --rule meeting --resident R0001 \\
                    --reference 议事会-2025-11 --id mtg-1121-R0001
                """
        )

        @Option(help: ArgumentHelp("The earning rule's code, as points rules lists them.", valueName: "code"))
        var rule: String

        @OptionGroup var holder: HolderOptions

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Points (a manual rule) or occasions (default: the rule's points once).", valueName: "n")
        )
        var amount: Int64?

        @Option(help: ArgumentHelp("The credit's id (default: one is made and shown).", valueName: "id"))
        var id: String?

        @Option(help: ArgumentHelp("What it is for: an activity, a case, a sign-in sheet.", valueName: "text"))
        var reference: String?

        @Option(help: ArgumentHelp("A note kept with the transfer.", valueName: "text"))
        var memo: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if rule.isEmpty { throw ValidationError("--rule needs a rule's code; points rules lists them") }
            guard try holder.holder() != nil else {
                throw ValidationError("say whom to credit: --resident ID, --partner ID or --person ID")
            }
            if let amount, amount <= 0 {
                throw ValidationError("--amount must be 1 or more; leave it out for the rule's points once")
            }
            if let id, let problem = PointsIdentifier.problem(id, option: "--id") { throw ValidationError(problem) }
        }

        /// The request with its id, and `person` the id `--person` was found as.
        func request(id: String, person: String? = nil) -> Gongzhi_Points_V1_CreditRequest {
            Gongzhi_Points_V1_CreditRequest.with {
                $0.id = id
                $0.ruleCode = rule
                if let (kind, holderID) = try? holder.holder() {
                    $0.holderKind = kind
                    $0.holderID = kind == .person ? person ?? holderID : holderID
                }
                $0.amount = amount ?? 0
                $0.reference = reference ?? ""
                $0.memo = memo ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let (id, made) = self.id.identifier("credit", noun: "credit", nowMs: invocation.context.time().nowMs)
            let response = try await PointsCalls.call(invocation, made: made) { points, options in
                var person: String?
                if let typed = holder.person {
                    person = try await PointsCalls.personID(typed, points: points, options: options)
                }
                return try await points.credit(request(id: id, person: person), options: options)
            }
            try TransferAnswer.print(response, invocation: invocation, noun: "credit")
        }
    }

    /// `gongzhictl points transfer --from A --to B --amount N --code C`.
    struct Transfer: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move points from one account to another of the same ledger.",
            discussion: """
                --code says why (grant, redemption, a rule's code). With --pending the points are held \
                (pending) until a later transfer posts or voids it, or until --timeout passes and it voids \
                itself. A debit beyond a holder's balance is refused with the shortfall (exit 1). Without \
                --id an id is made and shown.

                Example:
                  gongzhictl points transfer --from volunteer:issuer:330106001001 \\
                    --to volunteer:resident:R0001 --amount 50 --code grant \\
                    --id grant-2025-R0001
                """
        )

        @Option(
            help: ArgumentHelp("The account debited.", valueName: "account-id"),
            transform: { text in try PointsAccountID(parsing: text) }
        )
        var from: PointsAccountID

        @Option(
            help: ArgumentHelp("The account credited.", valueName: "account-id"),
            transform: { text in try PointsAccountID(parsing: text) }
        )
        var to: PointsAccountID

        @Option(parsing: .unconditional, help: ArgumentHelp("Points, 1 or more.", valueName: "n")) var amount: Int64

        @Option(help: ArgumentHelp("Why: grant, redemption, a rule's code.", valueName: "code")) var code: String

        @Option(help: ArgumentHelp("The transfer's id (default: one is made and shown).", valueName: "id"))
        var id: String?

        @Flag(help: "Hold the points until a later transfer posts or voids them.")
        var pending = false

        @Option(
            help: ArgumentHelp(
                "With --pending: void it after this long, e.g. 7d (default: never).",
                valueName: "duration"
            ),
            transform: { text in try PointsDuration(parsing: text) }
        )
        var timeout: PointsDuration?

        @Option(help: ArgumentHelp("What it is for.", valueName: "text")) var reference: String?

        @Option(help: ArgumentHelp("A note kept with the transfer.", valueName: "text")) var memo: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if amount <= 0 { throw ValidationError("--amount must be 1 or more") }
            if code.allSatisfy(\.isWhitespace) { throw ValidationError("--code needs why the points move, e.g. grant") }
            if from == to { throw ValidationError("--from and --to are the same account") }
            if from.ledger != to.ledger {
                throw ValidationError(
                    "--from is of ledger \(from.ledger) and --to of ledger \(to.ledger); points never move between "
                        + "ledgers"
                )
            }
            if timeout != nil && !pending { throw ValidationError("--timeout goes with --pending") }
            if let id, let problem = PointsIdentifier.problem(id, option: "--id") { throw ValidationError(problem) }
        }

        func request(id: String) -> Gongzhi_Points_V1_CreateTransfersRequest {
            Gongzhi_Points_V1_CreateTransfersRequest.with {
                $0.transfers = [
                    Gongzhi_Points_V1_Transfer.with {
                        $0.id = id
                        $0.debitAccountID = from.text
                        $0.creditAccountID = to.text
                        $0.amount = amount
                        $0.ledger = from.ledger
                        $0.code = code
                        $0.pending = pending
                        $0.timeoutSeconds = timeout?.seconds ?? 0
                        $0.reference = reference ?? ""
                        $0.memo = memo ?? ""
                    }
                ]
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let (id, made) = self.id.identifier("transfer", noun: "transfer", nowMs: invocation.context.time().nowMs)
            let request = self.request(id: id)
            let response = try await PointsCalls.call(invocation, made: made) { points, options in
                try await points.createTransfers(request, options: options)
            }
            try TransferAnswer.print(response, invocation: invocation, noun: "transfer")
        }
    }

    /// `gongzhictl points transfers --file batch.json`.
    struct Transfers: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a batch of transfers from a JSON file, each with its result.",
            discussion: """
                The file is a JSON list of transfers in protobuf's JSON mapping, with the .proto's field \
                names (or {"transfers": [...]}); - reads standard input. Up to 8,190 in one call, applied in \
                order; a transfer with "linked": true succeeds or fails with the next one (a chain ends at \
                the first transfer without it). Each transfer needs its id. One line a result, then the \
                balances of the accounts touched. Exits 1 when any transfer was not recorded (ok and exists \
                are recorded), as a refused step does.

                  [{"id": "g-1", "debit_account_id": "volunteer:issuer:330106001001",
                    "credit_account_id": "volunteer:resident:R0001", "amount": "50", "code": "grant"}]

                Example:
                  gongzhictl points transfers --file november-grants.json
                """
        )

        @Option(
            help: ArgumentHelp("The JSON file of transfers; - for standard input.", valueName: "file"),
            completion: .file(extensions: ["json"])
        )
        var file: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let bytes = try DocumentReader.contents(of: file, context: invocation.context)
            let transfers = try PointsJSONFile.transfers(in: bytes, name: file == "-" ? "standard input" : file)
            let request = Gongzhi_Points_V1_CreateTransfersRequest.with { $0.transfers = transfers }
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.createTransfers(request, options: options)
            }
            try TransferAnswer.print(response, invocation: invocation, noun: "transfer")
        }
    }

    /// `gongzhictl points correct TRANSFER-ID --reason R [--amount N]`.
    struct Correct: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a transfer with one that reverses it, all of it or part; nothing is deleted.",
            discussion: """
                The correction moves the points back (its accounts are the transfer's, swapped), names the \
                transfer it reverses, and keeps the reason. --amount reverses part (default: all that is not \
                reversed yet). Without --id an id is made and shown.

                Example:
                  gongzhictl points correct SR-1120-01 --reason "重复录入" --amount 10
                """
        )

        @Argument(help: ArgumentHelp("The transfer to reverse.", valueName: "transfer-id")) var transferID: String

        @Option(help: ArgumentHelp("Why; kept with the correction.", valueName: "text")) var reason: String

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Points to reverse (default: all not yet reversed).", valueName: "n")
        )
        var amount: Int64?

        @Option(help: ArgumentHelp("The correction's id (default: one is made and shown).", valueName: "id"))
        var id: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if transferID.isEmpty { throw ValidationError("name the transfer to correct") }
            if reason.allSatisfy(\.isWhitespace) {
                throw ValidationError("--reason needs why the transfer is corrected")
            }
            if let amount, amount <= 0 {
                throw ValidationError("--amount must be 1 or more; leave it out to reverse the whole transfer")
            }
            if let id, let problem = PointsIdentifier.problem(id, option: "--id") { throw ValidationError(problem) }
        }

        func request(id: String) -> Gongzhi_Points_V1_CorrectRequest {
            Gongzhi_Points_V1_CorrectRequest.with {
                $0.id = id
                $0.transferID = transferID
                $0.amount = amount ?? 0
                $0.reason = reason
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let (id, made) = self.id.identifier(
                "correction",
                noun: "correction",
                nowMs: invocation.context.time().nowMs
            )
            let request = self.request(id: id)
            let response = try await PointsCalls.call(invocation, made: made) { points, options in
                try await points.correct(request, options: options)
            }
            try TransferAnswer.print(response, invocation: invocation, noun: "correction")
        }
    }
}
