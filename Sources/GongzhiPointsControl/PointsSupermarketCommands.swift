import ArgumentParser
import GongzhiControl
import GongzhiPointsSchemas
import GongzhiRPC

extension PointsCommand {
    /// `gongzhictl points venues put ID …`.
    struct Venues: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put the venues where points are redeemed (积分超市); points catalogue lists them.",
            subcommands: [Put.self]
        )

        /// `gongzhictl points venues put ID --name N --community C [--address A] [--opening-hours H]`.
        struct Put: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or change a venue.",
                discussion: """
                    Example:
                      gongzhictl points venues put V01 --name 西溪积分超市 \\
                        --community 330106001001 --address 文二西路1号 \\
                        --opening-hours "周二至周日 9:00-17:00"
                      venue V01 saved: 西溪积分超市, community 330106001001
                    """
            )

            @Argument(help: ArgumentHelp("The venue's id.", valueName: "id")) var id: String

            @Option(help: ArgumentHelp("Its name as people read it.", valueName: "name")) var name: String

            @Option(help: ArgumentHelp("The community it serves (its code).", valueName: "code")) var community: String

            @Option(help: ArgumentHelp("Where it is.", valueName: "text")) var address: String?

            @Option(help: ArgumentHelp("When it is open, as people read it.", valueName: "text"))
            var openingHours: String?

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws {
                if let problem = PointsIdentifier.problem(id, option: "the venue's id") {
                    throw ValidationError(problem)
                }
                if name.allSatisfy(\.isWhitespace) { throw ValidationError("--name needs the venue's name") }
                if community.isEmpty { throw ValidationError("--community needs the community's code") }
            }

            var request: Gongzhi_Points_V1_Venue {
                Gongzhi_Points_V1_Venue.with {
                    $0.id = id
                    $0.name = name
                    $0.communityCode = community
                    $0.address = address ?? ""
                    $0.openingHours = openingHours ?? ""
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let request = self.request
                let venue = try await PointsCalls.call(invocation) { points, options in
                    try await points.putVenue(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.venue(venue) }, message: venue)
            }
        }
    }

    /// `gongzhictl points goods put ID …`.
    struct Goods: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put the goods of a venue's catalogue; points catalogue lists them.",
            subcommands: [Put.self]
        )

        /// `gongzhictl points goods put ID --venue V --name N --price P --stock S [--minimum-balance M]`.
        struct Put: AdminCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or change a good: its price in points, its stock and the balance it needs.",
                discussion: """
                    --stock is how many the venue has; held redemptions reserve some of them until they are \
                    confirmed or cancelled. --minimum-balance is the threshold (门槛): only a holder with at \
                    least that balance redeems it (default: the price is enough).

                    Example:
                      gongzhictl points goods put G-rice-5kg --venue V01 --name 大米5kg \\
                        --price 200 --stock 12 --minimum-balance 500
                    """
            )

            @Argument(help: ArgumentHelp("The good's id.", valueName: "id")) var id: String

            @Option(help: ArgumentHelp("The venue that has it.", valueName: "venue")) var venue: String

            @Option(help: ArgumentHelp("Its name as people read it.", valueName: "name")) var name: String

            @Option(parsing: .unconditional, help: ArgumentHelp("Points for one.", valueName: "points")) var price:
                Int64

            @Option(parsing: .unconditional, help: ArgumentHelp("How many the venue has.", valueName: "n")) var stock:
                Int64

            @Option(
                parsing: .unconditional,
                help: ArgumentHelp("The least balance a holder needs to redeem it.", valueName: "points")
            )
            var minimumBalance: Int64?

            @Option(help: ArgumentHelp("The ledger it is priced in (default: the plugin's).", valueName: "ledger"))
            var ledger: String?

            @Option(help: ArgumentHelp("What one is: 袋, 瓶, 张.", valueName: "unit")) var unit: String?

            @Option(
                name: .customLong("description"),
                help: ArgumentHelp("What it is.", valueName: "text")
            )
            var goodDescription: String?

            @Flag(help: "Keep it in the catalogue's records but not on offer.") var inactive = false

            @OptionGroup(title: "Host and output") var options: GlobalOptions

            func validate() throws {
                if let problem = PointsIdentifier.problem(id, option: "the good's id") {
                    throw ValidationError(problem)
                }
                if venue.isEmpty { throw ValidationError("--venue needs the venue's id") }
                if name.allSatisfy(\.isWhitespace) { throw ValidationError("--name needs the good's name") }
                if price <= 0 { throw ValidationError("--price must be 1 point or more") }
                if stock < 0 { throw ValidationError("--stock must be 0 or more") }
                if let minimumBalance, minimumBalance < 0 {
                    throw ValidationError("--minimum-balance must be 0 or more")
                }
            }

            var request: Gongzhi_Points_V1_Good {
                Gongzhi_Points_V1_Good.with {
                    $0.id = id
                    $0.venueID = venue
                    $0.name = name
                    $0.ledger = ledger ?? ""
                    $0.price = price
                    $0.stock = stock
                    $0.minimumBalance = minimumBalance ?? 0
                    $0.unit = unit ?? ""
                    $0.active = !inactive
                    $0.description_p = goodDescription ?? ""
                }
            }

            func run() async throws {
                let invocation = self.invocation
                let request = self.request
                let good = try await PointsCalls.call(invocation) { points, options in
                    try await points.putGood(request, options: options)
                }
                invocation.print(human: { _ in PointsOutput.good(good) }, message: good)
            }
        }
    }

    /// `gongzhictl points catalogue [--venue V] [--for ACCOUNT]`.
    struct Catalogue: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the venues and their goods: price, how many are left, the balance each needs.",
            discussion: """
                LEFT is the stock less what held redemptions reserve. --for shows only the goods that account \
                could redeem now.

                Example:
                  gongzhictl points catalogue --venue V01 --for volunteer:resident:R0001
                """
        )

        @Option(help: ArgumentHelp("Only this venue's goods.", valueName: "venue")) var venue: String?

        @Option(
            name: .customLong("for"),
            help: ArgumentHelp("Only goods this account could redeem now.", valueName: "account-id")
        )
        var account: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Points_V1_CatalogueRequest {
            Gongzhi_Points_V1_CatalogueRequest.with {
                $0.venueID = venue ?? ""
                $0.affordableForAccount = account ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.catalogue(request, options: options)
            }
            invocation.print(human: { _ in PointsOutput.catalogue(response) }, message: response)
        }
    }

    /// `gongzhictl points redeem ACCOUNT-ID GOOD-ID [--quantity N]`.
    struct Redeem: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Redeem points for goods: hold the points and reserve the stock until the hand-over.",
            discussion: """
                The points are held as a pending transfer to the venue and the goods are reserved; the \
                venue's clerk confirms the hand-over (points confirm), the holder or the clerk may cancel it \
                (points cancel), and after --timeout (default: the plugin's, 7 days) it is cancelled by \
                itself. A balance short of the price or of the good's minimum balance is refused with the \
                shortfall (exit 1). Without --id an id is made and shown.

                Example:
                  gongzhictl points redeem volunteer:resident:R0001 G-rice-5kg --quantity 1
                """
        )

        @Argument(help: ArgumentHelp("The account that pays.", valueName: "account-id")) var accountID: String

        @Argument(help: ArgumentHelp("The good.", valueName: "good-id")) var goodID: String

        @Option(parsing: .unconditional, help: ArgumentHelp("How many (default: 1).", valueName: "n")) var quantity:
            Int64 = 1

        @Option(help: ArgumentHelp("The redemption's id (default: one is made and shown).", valueName: "id"))
        var id: String?

        @Option(
            help: ArgumentHelp("Cancel it if not handed over within this long, e.g. 3d.", valueName: "duration"),
            transform: { text in try PointsDuration(parsing: text) }
        )
        var timeout: PointsDuration?

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if quantity <= 0 { throw ValidationError("--quantity must be 1 or more") }
            if let id, let problem = PointsIdentifier.problem(id, option: "--id") { throw ValidationError(problem) }
        }

        func request(id: String) -> Gongzhi_Points_V1_RedeemRequest {
            Gongzhi_Points_V1_RedeemRequest.with {
                $0.id = id
                $0.accountID = accountID
                $0.goodID = goodID
                $0.quantity = quantity
                $0.timeoutSeconds = timeout?.seconds ?? 0
                $0.note = note ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let (id, made) = self.id.identifier("redeem", noun: "redemption", nowMs: invocation.context.time().nowMs)
            let request = self.request(id: id)
            let result = try await PointsCalls.call(invocation, made: made) { points, options in
                try await points.redeem(request, options: options)
            }
            try RedemptionAnswer.print(result, invocation: invocation, noun: "redemption")
        }
    }

    /// `gongzhictl points confirm REDEMPTION-ID`.
    struct Confirm: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Confirm a redemption at the hand-over: its held points are posted to the venue.",
            discussion: """
                Example:
                  gongzhictl points confirm redeem-7 --note 已领取 --as 赵敏
                """
        )

        @Argument(help: ArgumentHelp("The redemption's id.", valueName: "redemption-id")) var id: String

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = RedemptionAnswer.request(id: id, note: note)
            let result = try await PointsCalls.call(invocation) { points, options in
                try await points.confirmRedemption(request, options: options)
            }
            try RedemptionAnswer.print(result, invocation: invocation, noun: "confirmation")
        }
    }

    /// `gongzhictl points cancel REDEMPTION-ID`.
    struct Cancel: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a held redemption: its points are released and its goods go back on offer.",
            discussion: """
                Example:
                  gongzhictl points cancel redeem-7 --note 不需要了
                """
        )

        @Argument(help: ArgumentHelp("The redemption's id.", valueName: "redemption-id")) var id: String

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = RedemptionAnswer.request(id: id, note: note)
            let result = try await PointsCalls.call(invocation) { points, options in
                try await points.cancelRedemption(request, options: options)
            }
            try RedemptionAnswer.print(result, invocation: invocation, noun: "cancellation")
        }
    }

    /// `gongzhictl points redemptions [--state S] [--venue V] [--account A]`.
    struct Redemptions: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List redemptions: held ones waiting at the counter, and those confirmed, cancelled or expired.",
            discussion: """
                Example:
                  gongzhictl points redemptions --state held --venue V01
                """
        )

        @Option(help: ArgumentHelp("Only redemptions in this state.", valueName: "state"))
        var state: RedemptionStateArgument?

        @Option(help: ArgumentHelp("Only this venue's.", valueName: "venue")) var venue: String?

        @Option(help: ArgumentHelp("Only this account's.", valueName: "account-id")) var account: String?

        @Option(parsing: .unconditional, help: .limit) var limit: Int32?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws { try PointsCalls.checkLimit(limit) }

        var request: Gongzhi_Points_V1_ListRedemptionsRequest {
            Gongzhi_Points_V1_ListRedemptionsRequest.with {
                $0.state = state?.state ?? .unspecified
                $0.venueID = venue ?? ""
                $0.accountID = account ?? ""
                $0.limit = limit ?? 0
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.listRedemptions(request, options: options)
            }
            invocation.print(human: { PointsOutput.redemptions(response, time: $0) }, message: response)
        }
    }
}

/// A verb that answers with a redemption (redeem, confirm, cancel): prints it, and exits 1 when its transfer
/// was refused.
enum RedemptionAnswer {
    static func request(id: String, note: String?) -> Gongzhi_Points_V1_ResolveRedemptionRequest {
        Gongzhi_Points_V1_ResolveRedemptionRequest.with {
            $0.id = id
            $0.note = note ?? ""
        }
    }

    static func print(_ result: Gongzhi_Points_V1_RedemptionResult, invocation: Invocation, noun: String) throws {
        let failure: ControlError? =
            result.hasTransfer && !PointsOutput.recorded(result.transfer.result)
            ? ControlError(
                "the \(noun) was not recorded: \(PointsOutput.resultLine(result.transfer))",
                exitCode: ControlExitCode.failed
            ) : nil
        // A script reads the answer; a person reads the refusal once, in the error.
        if let failure, invocation.format == .table { throw failure }
        invocation.print(human: { PointsOutput.redemption(result, time: $0) }, message: result)
        if let failure { throw failure }
    }
}
