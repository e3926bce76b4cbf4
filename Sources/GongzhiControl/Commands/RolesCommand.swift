import ArgumentParser
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension GongzhiControl {
    /// `gongzhictl roles …`.
    struct Roles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, show, add and delete the roles people are bound to.",
            discussion: """
                A role says what its holders may do: methods of modules' services, and verbs on kinds of \
                objects; people hold it within places (gongzhictl people bind). The host defines the built-in \
                roles (grid-worker 网格员, community-staff 社区工作者, dispatcher 调度员, call-taker 受理员, \
                mediator 调解员, redemption-clerk 积分兑换点, street-admin 街道管理员, viewer 只读), which \
                cannot be changed or deleted; a district adds its own. These commands are administration: \
                they call admin.sock, also while you are logged in.
                """,
            subcommands: [List.self, Show.self, Add.self, Delete.self]
        )
    }
}

extension GongzhiControl.Roles {
    /// `gongzhictl roles list`.
    struct List: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "List the roles: title, whether built in, whether holders see personal data, the rules.",
            discussion: """
                RULES gives each rule in a few words: its method patterns, then "VERBS on KINDS"; rules are \
                separated by ";". gongzhictl roles show NAME gives a line a rule and who holds the role.
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let objects = try await invocation.withObjects { objects in
                try await ObjectPages.all(kind: "Role", objects: objects, options: invocation.callOptions)
            }
            let roles = try objects.map { object throws(ControlError) in try role(in: object) }
                .sorted { $0.name < $1.name }
            invocation.printObjects(
                human: { _ in PeopleOutput.roleTable(roles) },
                document: { .array(objects.map { ObjectDocument.json($0, kind: PeopleOutput.roleKind) }) }
            )
        }
    }

    /// `gongzhictl roles show NAME`.
    struct Show: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Show a role: its rules a line each, and who holds it where."
        )

        @Argument(help: ArgumentHelp("The role's name.", valueName: "name"))
        var name: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let name = self.name
            let (object, holders) = try await invocation.withObjects { objects in
                let object = try await objects.get(
                    .with {
                        $0.kind = PeopleOutput.roleKind.name
                        $0.id = name
                    },
                    options: invocation.callOptions
                )
                let holders = try await ObjectPages.all(
                    kind: "RoleBinding",
                    objects: objects,
                    options: invocation.callOptions
                )
                .compactMap(PersonEntry.binding).filter { $0.role == name }.sorted { $0.id < $1.id }
                return (object, holders)
            }
            let role = try role(in: object)
            invocation.printObjects(
                human: { PeopleOutput.roleDetail(role, object: object, holders: holders, time: $0) },
                document: { ObjectDocument.json(object, kind: PeopleOutput.roleKind) }
            )
        }
    }

    /// `gongzhictl roles add NAME --title TITLE …`.
    struct Add: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Add a role of the district's own.",
            discussion: """
                Every --method makes the role allow that method (one rule holds them all); each --kinds with \
                the --verbs that follows it makes one more rule, allowing those verbs on those kinds. Kinds are \
                kinds of objects (gongzhictl get kinds) or *; verbs are get, list, watch, create, update, \
                delete or *. --personal-data lets holders see personal data within their places. The host \
                checks the patterns, kinds and verbs and refuses the role, naming what is wrong.

                Example: a patrol lead who reports and handles cases and reads cases and residents:
                  gongzhictl roles add patrol-lead --title 巡查组长 \\
                    --method 'gongzhi.grid.v1.GridService/Report' \\
                    --method 'gongzhi.grid.v1.GridService/Handle' \\
                    --kinds Case,Resident --verbs get,list,watch
                """
        )

        @Argument(help: ArgumentHelp("The role's name: letters, digits, - and _.", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("The name people know it by (巡查组长).", valueName: "title"))
        var title: String

        @Option(
            name: .customLong("description"),
            help: ArgumentHelp("What the role is for.", valueName: "text")
        )
        var roleDescription: String?

        @Option(
            name: .customLong("method"),
            help: ArgumentHelp(
                "A method the role allows: SERVICE/METHOD, where SERVICE may end in * and METHOD may be * "
                    + "('gongzhi.grid.v1.GridService/*'); repeat for more.",
                valueName: "pattern"
            )
        )
        var methods: [String] = []

        @Option(
            help: ArgumentHelp(
                "Kinds of objects, comma-separated (Case,Resident or *), for the --verbs that follow; repeat the "
                    + "pair for more rules.",
                valueName: "kinds"
            )
        )
        var kinds: [String] = []

        @Option(
            help: ArgumentHelp(
                "What the role may do to the kinds of the --kinds before: get,list,watch,create,update,delete or *.",
                valueName: "verbs"
            )
        )
        var verbs: [String] = []

        @Flag(help: "Holders see personal data (sensitive fields) of the objects within their places.")
        var personalData = false

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if name.isEmpty { throw ValidationError("the role's name is empty") }
            if title.allSatisfy(\.isWhitespace) { throw ValidationError("--title needs the name people know it by") }
            if kinds.count != verbs.count {
                throw ValidationError(
                    "give --kinds and --verbs in pairs, one rule each: \(kinds.count) --kinds and "
                        + "\(verbs.count) --verbs were given"
                )
            }
            for (kinds, verbs) in zip(kinds, verbs) where Self.items(kinds).isEmpty || Self.items(verbs).isEmpty {
                throw ValidationError("--kinds and --verbs each need at least one name, comma-separated")
            }
            if methods.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
                throw ValidationError("--method needs a pattern, SERVICE/METHOD")
            }
        }

        /// `Case, Resident` → `["Case", "Resident"]`.
        static func items(_ list: String) -> [String] {
            list.split(separator: ",").map { item in
                var item = item
                while item.first?.isWhitespace == true { item.removeFirst() }
                while item.last?.isWhitespace == true { item.removeLast() }
                return String(item)
            }
            .filter { !$0.isEmpty }
        }

        /// The role this command line describes: a rule of the methods, then a rule a --kinds/--verbs pair.
        var role: Gongzhi_Core_V1_Role {
            Gongzhi_Core_V1_Role.with {
                $0.name = name
                $0.title = title
                $0.description_p = roleDescription ?? ""
                $0.personalData = personalData
                if !methods.isEmpty { $0.rules.append(.with { $0.methods = methods }) }
                for (kinds, verbs) in zip(kinds, verbs) {
                    $0.rules.append(
                        .with {
                            $0.kinds = Self.items(kinds)
                            $0.verbs = Self.items(verbs)
                        }
                    )
                }
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let role = self.role
            try await invocation.create(role, as: PeopleOutput.roleKind, id: role.name) { PeopleOutput.roleAdded(role) }
        }
    }

    /// `gongzhictl roles delete NAME`.
    struct Delete: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Delete a role of the district's own; the host refuses while people are bound to it."
        )

        @Argument(help: ArgumentHelp("The role's name.", valueName: "name"))
        var name: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let name = self.name
            let revision = try await invocation.withObjects { objects in
                try await objects.delete(
                    .with {
                        $0.kind = PeopleOutput.roleKind.name
                        $0.id = name
                    },
                    options: invocation.callOptions
                )
                .revision
            }
            invocation.printObjects(
                human: { _ in ObjectOutput.deleted(kind: PeopleOutput.roleKind.name, id: name, revision: revision) },
                document: {
                    ObjectOutput.deletedDocument(kind: PeopleOutput.roleKind.name, id: name, revision: revision)
                }
            )
        }
    }
}

/// The Role in an object; a `ControlError` when its data is not one.
private func role(in object: Gongzhi_Host_V1_Object) throws(ControlError) -> Gongzhi_Core_V1_Role {
    guard var role = try? Gongzhi_Core_V1_Role(serializedBytes: object.data) else {
        throw ControlError(
            "Role/\(object.id) holds data that is not a gongzhi.core.v1.Role",
            exitCode: ControlExitCode.failed
        )
    }
    if role.name.isEmpty { role.name = object.id }
    return role
}
