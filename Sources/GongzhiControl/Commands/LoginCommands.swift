import ArgumentParser
import GongzhiDocuments
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension GongzhiControl {
    /// `gongzhictl login`.
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in with a person's token: the work people do then goes to host.sock as that person.",
            discussion: """
                Reads the token (from --token-file, else from standard input when it is not a terminal, else \
                asks for it without showing what is typed), checks it by asking the host who it belongs to \
                (gongzhi.host.v1.People/WhoAmI on host.sock), and keeps it with the host socket in \
                $XDG_CONFIG_HOME/gongzhi/credentials.json (else ~/.config/gongzhi/credentials.json), a file \
                only you may read. An administrator issues the token: gongzhictl tokens issue --person ID.

                While you are logged in, reading objects (get, describe, watch) and the modules' commands \
                (grid, sensors) call host.sock with the token, and the host decides each call by your roles \
                and places; administration (status, plugins, tokens, audit, people, roles, services, call, \
                apply, delete) still calls admin.sock as your uid. --admin calls admin.sock for one command; \
                gongzhictl logout forgets the token.

                The host socket is --host-socket PATH, else $GONGZHI_HOST_SOCKET, else host.sock beside the \
                admin socket (/run/gongzhi/host.sock).
                """
        )

        @Option(
            name: .customLong("token-file"),
            help: ArgumentHelp("Read the token from this file; - for standard input.", valueName: "file"),
            completion: .file()
        )
        var tokenFile: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if options.actAs != nil {
                throw ValidationError("--as does not go with login: log in with the person's own token")
            }
            if options.admin {
                throw ValidationError("--admin does not go with login, which checks the token on host.sock")
            }
        }

        func run() async throws {
            let invocation = Invocation(options: options, access: .administration)
            let context = invocation.context
            guard let credentials = CredentialsFile(environment: context.environment) else {
                throw ControlError(
                    "set HOME or XDG_CONFIG_HOME: gongzhictl keeps your login in "
                        + "$XDG_CONFIG_HOME/gongzhi/credentials.json, else ~/.config/gongzhi/credentials.json",
                    exitCode: ControlExitCode.failed
                )
            }
            let token = try Self.readToken(file: tokenFile, context: context)
            let hostSocket = Self.absolute(
                HostSocket.resolve(
                    option: options.hostSocket,
                    environment: context.environment,
                    stored: nil,
                    adminSocket: invocation.adminSocketPath
                )
            )
            let answer = try await Self.whoAmI(token: token, at: hostSocket)
            try credentials.save(StoredLogin(hostSocket: hostSocket, token: token, principal: answer.principal))
            invocation.printObjects(
                human: { time in
                    "logged in as \(answer.principal) at \(hostSocket) (kept in \(credentials.path))\n\n"
                        + PeopleOutput.whoAmI(answer, time: time)
                },
                document: { PeopleOutput.document(answer) }
            )
        }

        /// Who the host at `path` takes the token for; a refused token is named as such, and nothing is kept.
        static func whoAmI(token: String, at path: String) async throws -> Gongzhi_Host_V1_WhoAmIResponse {
            let client = RPCClient(socketPath: path)
            do {
                let people = Gongzhi_Host_V1_PeopleClient(
                    channel: client.addingMetadata([HostRoute.tokenMetadataKey: token])
                )
                let answer = try await people.whoAmI(
                    Gongzhi_Host_V1_WhoAmIRequest(),
                    options: CallOptions(timeout: Invocation.callTimeout)
                )
                await client.close()
                return answer
            } catch {
                await client.close()
                let rpc = RPCError(wrapping: error)
                if rpc.code == .unauthenticated || rpc.code == .permissionDenied {
                    throw ControlError(
                        "the host at \(path) does not accept this token: "
                            + (rpc.message.isEmpty ? "it answered \(rpc.code)" : rpc.message)
                            + "; you are not logged in",
                        exitCode: ControlExitCode.permissionDenied
                    )
                }
                throw ControlError(callingWithLogin: path, failedWith: error)
                    ?? ControlError(calling: path, failedWith: error)
            }
        }

        /// The token from the file, from standard input when it is not a terminal, or typed unseen at the
        /// terminal; one word, white space around it dropped.
        static func readToken(file: String?, context: ControlContext) throws(ControlError) -> String {
            let text: String
            let source: String
            if let file {
                text = String(decoding: try DocumentReader.contents(of: file, context: context), as: UTF8.self)
                source = file == "-" ? "standard input" : file
            } else if !context.inputIsTerminal {
                text = String(decoding: try DocumentReader.contents(of: "-", context: context), as: UTF8.self)
                source = "standard input"
            } else {
                do {
                    text = try context.readSecretLine("Token: ") ?? ""
                } catch {
                    throw ControlError("cannot read the token: \(error)", exitCode: ControlExitCode.failed)
                }
                source = "the terminal"
            }
            var token = Substring(text)
            while token.first?.isWhitespace == true { token.removeFirst() }
            while token.last?.isWhitespace == true { token.removeLast() }
            guard !token.isEmpty else {
                throw ControlError(
                    "no token came from \(source); give the token that gongzhictl tokens issue --person printed",
                    exitCode: ControlExitCode.usage
                )
            }
            guard !token.contains(where: \.isWhitespace) else {
                throw ControlError(
                    "\(source) holds more than one word; a token is one, without spaces or line breaks",
                    exitCode: ControlExitCode.usage
                )
            }
            return String(token)
        }

        /// The path from the root, so that the login works from any folder.
        static func absolute(_ path: String) -> String {
            guard !path.hasPrefix("/"), let folder = getcwd(nil, 0) else { return path }
            defer { free(folder) }
            let current = String(cString: folder)
            return (current.hasSuffix("/") ? current : current + "/") + path
        }
    }

    /// `gongzhictl logout`.
    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forget the token of your login: commands call admin.sock as yourself again.",
            discussion: """
                Removes $XDG_CONFIG_HOME/gongzhi/credentials.json (else ~/.config/gongzhi/credentials.json). \
                The token itself stays valid until it expires or an administrator revokes it \
                (gongzhictl tokens revoke ID).
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = Invocation(options: options, access: .administration)
            guard let credentials = CredentialsFile(environment: invocation.context.environment) else {
                invocation.printObjects(
                    human: { _ in "not logged in\n" },
                    document: { .object([("loggedOut", .bool(false))]) }
                )
                return
            }
            let principal = (try? credentials.load())?.principal
            let removed = try credentials.remove()
            invocation.printObjects(
                human: { _ in
                    guard removed else { return "not logged in (there is no \(credentials.path))\n" }
                    return "logged out" + (principal.map { " (was \($0))" } ?? "") + "; removed \(credentials.path)\n"
                },
                document: {
                    .object([("loggedOut", .bool(removed)), ("credentials", .string(credentials.path))])
                }
            )
        }
    }

    /// `gongzhictl whoami`.
    struct WhoAmI: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "whoami",
            abstract: "Show who the host takes you to be, and what your roles allow where.",
            discussion: """
                Logged in, the host answers on host.sock for the token of your login; otherwise (or with \
                --admin) on admin.sock for your uid. With --as PERSON it answers for that person as you act \
                for them.
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let answer = try await invocation.connected(try invocation.route.get(), reading: .host) { channel in
                try await Gongzhi_Host_V1_PeopleClient(channel: channel)
                    .whoAmI(Gongzhi_Host_V1_WhoAmIRequest(), options: invocation.callOptions)
            }
            invocation.printObjects(
                human: { PeopleOutput.whoAmI(answer, time: $0) },
                document: { PeopleOutput.document(answer) }
            )
        }
    }
}
