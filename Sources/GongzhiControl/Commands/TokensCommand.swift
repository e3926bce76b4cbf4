import ArgumentParser
import GongzhiSchemas

extension GongzhiControl {
    /// `gongzhictl tokens …`.
    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue, list and revoke the tokens of API clients and external plugins.",
            subcommands: [Issue.self, List.self, Revoke.self]
        )
    }
}

extension GongzhiControl.Tokens {
    struct Issue: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token for an API client or an external plugin; its secret is shown once.",
            discussion: """
                Give either --client NAME (an API client calling services through host.sock with the \
                given scopes) or --plugin NAME (an external plugin that registers itself under that name).
                """
        )

        @Option(help: ArgumentHelp("Issue the token to the API client with this name.", valueName: "name"))
        var client: String?

        @Option(help: ArgumentHelp("Issue the token to the external plugin with this name.", valueName: "name"))
        var plugin: String?

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
            switch (client, plugin) {
            case (nil, nil):
                throw ValidationError("say who the token is for: --client NAME or --plugin NAME")
            case (.some, .some):
                throw ValidationError("give either --client or --plugin, not both")
            case (let name?, nil), (nil, let name?):
                if name.isEmpty { throw ValidationError("the name after --client or --plugin is empty") }
            }
        }

        /// The request this command line asks for.
        var request: Gongzhi_Host_V1_IssueTokenRequest {
            Gongzhi_Host_V1_IssueTokenRequest.with {
                $0.kind = client != nil ? .client : .plugin
                $0.subject = client ?? plugin ?? ""
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
