import ArgumentParser
import GongzhiControl
import GongzhiIntakeSchemas

extension IntakeCommand {
    /// `gongzhictl intake items list|show`.
    struct Items: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List and show intake items (受理件): tickets, department rows, consultations, and what waits "
                + "for a person.",
            subcommands: [List.self, Show.self]
        )
    }

    /// `gongzhictl intake answer ID TEXT [--close]`.
    struct Answer: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer (答复) a consultation, request for help or suggestion.",
            discussion: """
                The answer is kept in the item and shown to the requester through Open311; --close closes the \
                item with it. Complaints and reports are answered through their grid case instead.

                Example:
                  gongzhictl intake answer T0123456789abcdef "垃圾清运时间为每日7点和18点。" --close
                """
        )

        @OptionGroup var item: ItemOptions

        @Argument(help: ArgumentHelp("The answer, as the requester will read it.", valueName: "text"))
        var text: String

        @Flag(help: "Close the item with the answer.")
        var close = false

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if text.allSatisfy(\.isWhitespace) { throw ValidationError("the answer is empty") }
            if text.count > 4000 {
                throw ValidationError("the answer has \(text.count) characters; at most 4,000")
            }
        }

        var request: Gongzhi_Intake_V1_AnswerItemRequest {
            .with {
                $0.id = item.id
                $0.answer = text
                $0.close = close
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let answered = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.answerItem,
                request,
                answer: Gongzhi_Intake_V1_IntakeItem.self
            )
            IntakeCalls.print(answered, invocation: invocation) { _ in IntakeOutput.stepped(answered.message) }
        }
    }

    /// `gongzhictl intake close ID [--note TEXT]`.
    struct Close: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close an item: an answered one, or one that needs nothing more.",
            discussion: """
                Example:
                  gongzhictl intake close T0123456789abcdef --note "重复来电，已合并处理"
                """
        )

        @OptionGroup var item: ItemOptions

        @Option(help: ArgumentHelp("A note kept in the item's history.", valueName: "text"))
        var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Intake_V1_CloseItemRequest {
            .with {
                $0.id = item.id
                $0.note = note ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let closed = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.closeItem,
                request,
                answer: Gongzhi_Intake_V1_IntakeItem.self
            )
            IntakeCalls.print(closed, invocation: invocation) { _ in IntakeOutput.stepped(closed.message) }
        }
    }

    /// `gongzhictl intake route ID (--category CODE | --department ID | --type TYPE) [--note TEXT]`.
    struct Route: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Route an item that waits for a person: to a category (a grid report), a department, or as "
                + "a consultation, request for help or suggestion.",
            discussion: """
                Exactly one of --category (a code of the grid catalogue: the item becomes a grid report in its \
                grid), --department (a Department's id: dispatched to it, 对口办理) or --type (answered as an \
                item of that type).

                Examples:
                  gongzhictl intake route T0123456789abcdef --category E0405
                  gongzhictl intake route T0123456789abcdef --department D-cgj --note 属城管职责
                  gongzhictl intake route T0123456789abcdef --type consultation
                """
        )

        @OptionGroup var item: ItemOptions

        @Option(help: ArgumentHelp("A category of the grid catalogue, e.g. E0405.", valueName: "code"))
        var category: String?

        @Option(help: ArgumentHelp("A Department's id.", valueName: "id"))
        var department: String?

        @Option(help: ArgumentHelp("Answer it as this type.", valueName: "type"))
        var type: AnsweredTypeArgument?

        @Option(help: ArgumentHelp("A note kept in the item's history.", valueName: "text"))
        var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            let given = [category != nil, department != nil, type != nil].filter { $0 }.count
            if given != 1 {
                throw ValidationError(
                    "give exactly one of --category CODE, --department ID or --type consultation|help|suggestion"
                        + (given == 0 ? "" : " (\(given) were given)")
                )
            }
            if let category, category.allSatisfy(\.isWhitespace) { throw ValidationError("--category is empty") }
            if let department, department.allSatisfy(\.isWhitespace) {
                throw ValidationError("--department is empty")
            }
        }

        var request: Gongzhi_Intake_V1_RouteItemRequest {
            .with {
                $0.id = item.id
                $0.categoryCode = category ?? ""
                $0.departmentID = department ?? ""
                $0.type = type?.type ?? .unspecified
                $0.note = note ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let routed = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.routeItem,
                request,
                answer: Gongzhi_Intake_V1_IntakeItem.self
            )
            IntakeCalls.print(routed, invocation: invocation) { _ in IntakeOutput.stepped(routed.message) }
        }
    }
}

extension IntakeCommand.Items {
    /// `gongzhictl intake items list [--state S] [--source NAME] [--place CODE] [--type T] [--limit N]`.
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List items, newest first, with filters.",
            discussion: """
                Filters combine: --state (repeat for several: waiting, in-case, open, answered, closed), \
                --source, --place (a grid's, community's or street's code), --type (repeat for several). \
                When there are more, the footer gives the --page token of the next page.

                Example:
                  gongzhictl intake items list --state waiting --source hotline-12345 --place 330106001
                """
        )

        @Option(name: .customLong("state"), help: ArgumentHelp("Only items in this state.", valueName: "state"))
        var states: [ItemStateArgument] = []

        @Option(help: ArgumentHelp("Only items from this source.", valueName: "name"))
        var source: String?

        @Option(help: ArgumentHelp("Only items in this grid, community or street (its code).", valueName: "code"))
        var place: String?

        @Option(name: .customLong("type"), help: ArgumentHelp("Only items of this type.", valueName: "type"))
        var types: [ItemTypeArgument] = []

        @Option(help: ArgumentHelp("At most this many, 1 to 1000 (default: the plugin's).", valueName: "n"))
        var limit: Int?

        @Option(
            help: ArgumentHelp("The page after a previous list's (its footer gives the token).", valueName: "token")
        )
        var page: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            try PlaceCode.check(place)
            if let limit, !(1...1000).contains(limit) {
                throw ValidationError("--limit must be 1 to 1000; leave it out for the plugin's page size")
            }
        }

        var request: Gongzhi_Intake_V1_ListItemsRequest {
            .with {
                $0.states = states.map(\.state)
                $0.source = source ?? ""
                $0.place = place ?? ""
                $0.types = types.map(\.type)
                $0.limit = UInt32(limit ?? 0)
                $0.pageToken = page ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.listItems,
                request,
                answer: Gongzhi_Intake_V1_ListItemsResponse.self
            )
            IntakeCalls.print(response, invocation: invocation) { IntakeOutput.items(response.message, time: $0) }
        }
    }

    /// `gongzhictl intake items show ID`.
    struct Show: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one item with its history.",
            discussion: """
                The requester, address, description and answer are shown only when the host gives them to you \
                (a role that shows personal data where the item lies, or the personal-data grant).

                Example:
                  gongzhictl intake items show T0123456789abcdef
                """
        )

        @OptionGroup var item: ItemOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Intake_V1_GetItemRequest.with { $0.id = item.id }
            let found = try await IntakeCalls.call(
                invocation,
                IntakeCalls.Method.getItem,
                request,
                answer: Gongzhi_Intake_V1_IntakeItem.self
            )
            IntakeCalls.print(found, invocation: invocation) { IntakeOutput.item(found.message, time: $0) }
        }
    }
}
