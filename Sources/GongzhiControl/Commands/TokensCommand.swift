import ArgumentParser
import GongzhiSchemas

extension GongzhiControl {
    /// `gongzhictl tokens …`.
    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue, list and revoke the tokens of people, API clients and external plugins.",
            subcommands: [Issue.self, List.self, Revoke.self]
        )
    }
}

extension GongzhiControl.Tokens {
    struct Issue: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Issue a token for a person, an API client or an external plugin; its secret is shown once.",
            discussion: """
                Give one of --person ID (a person, who logs in with it: gongzhictl login; their roles decide \
                what it allows, so it takes no --scope), --client NAME (an API client calling services \
                through host.sock with the given scopes) or --plugin NAME (an external plugin that \
                registers itself under that name).
                """
        )

        @Option(help: ArgumentHelp("Issue the token to the API client with this name.", valueName: "name"))
        var client: String?

        @Option(help: ArgumentHelp("Issue the token to the external plugin with this name.", valueName: "name"))
        var plugin: String?

        @Option(help: ArgumentHelp("Issue the token to the person with this id.", valueName: "id"))
        var person: String?

        @Option(
            name: .customLong("scope"),
            help: ArgumentHelp(
                "A grant pattern, service/method with * wildcards, e.g. 'gongzhi.grid.v1.GridService/*'; repeat for more.",
                valueName: "pattern"
            )
        )
        var scopes: [String] = []

        @Option(
            help: ArgumentHelp(
                "How long the token lives: 30d, 12h, 90m or 3600s (default: the host's).",
                valueName: "lifetime"
            ),
            transform: { text in try TokenLifetime(parsing: text) }
        )
        var ttl: TokenLifetime?

        @Option(
            name: .customLong("description"),
            help: ArgumentHelp("What the token is for, kept with it.", valueName: "text")
        )
        var tokenDescription: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            let subjects = [("--client", client), ("--plugin", plugin), ("--person", person)]
                .compactMap { option, value in value.map { (option, $0) } }
            switch subjects.count {
            case 0:
                throw ValidationError("say who the token is for: --person ID, --client NAME or --plugin NAME")
            case 1:
                if subjects[0].1.isEmpty { throw ValidationError("the name after \(subjects[0].0) is empty") }
            default:
                throw ValidationError("give one of --person, --client or --plugin, not several")
            }
            if person != nil && !scopes.isEmpty {
                throw ValidationError(
                    "--scope does not go with --person: a person's roles decide what their token allows "
                        + "(gongzhictl people bind)"
                )
            }
        }

        /// The request this command line asks for.
        var request: Gongzhi_Host_V1_IssueTokenRequest {
            Gongzhi_Host_V1_IssueTokenRequest.with {
                $0.kind = person != nil ? .person : client != nil ? .client : .plugin
                $0.subject = person ?? client ?? plugin ?? ""
                $0.scopes = scopes
                $0.ttlSeconds = ttl?.seconds ?? 0
                $0.description_p = tokenDescription ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let issued = try await invocation.call { admin, options in
                try await admin.issueToken(request, options: options)
            }
            invocation.print(
                human: { HumanOutput.issuedToken(issued, time: $0) },
                json: { JSONOutput.issuedToken(issued) }
            )
        }
    }

    struct List: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "List the tokens: whom they are for, their scopes, and whether they are still active."
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let tokens = try await invocation.call { admin, options in
                try await admin.listTokens(Gongzhi_Host_V1_ListTokensRequest(), options: options).tokens
            }
            invocation.print(
                human: { HumanOutput.tokenTable(tokens, time: $0) },
                json: { JSONOutput.tokens(tokens) }
            )
        }
    }

    struct Revoke: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(abstract: "Revoke a token: the host refuses it from now on.")

        @Argument(help: ArgumentHelp("The token's id, as tokens list shows it.", valueName: "id"))
        var id: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Host_V1_RevokeTokenRequest.with { $0.id = id }
            let token = try await invocation.call { admin, options in
                try await admin.revokeToken(request, options: options)
            }
            invocation.print(
                human: { _ in HumanOutput.revokedToken(token) },
                json: { JSONOutput.token(token) }
            )
        }
    }
}
