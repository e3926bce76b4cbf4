import ArgumentParser
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension GongzhiControl {
    /// `gongzhictl people …`.
    struct People: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add, list, suspend and resume the people who do the work, and bind them roles in places.",
            discussion: """
                A person (a Person object) acts through a token issued to them (gongzhictl tokens issue \
                --person ID; they log in with gongzhictl login), or through a front end acting for them. What \
                they may do, and where, comes from their role bindings: a role (gongzhictl roles list) within \
                a place — a grid (15 digits), a community (12), a street (9) or the district (6); a place \
                covers the places inside it. These commands are administration: they call admin.sock, also \
                while you are logged in. The host checks every write and refuses it, naming what is wrong.

                Examples:
                  gongzhictl people add hu-wei --name 胡伟 --title 专职网格员 --phone 13800000000
                  gongzhictl people bind hu-wei --role grid-worker --place 330106001001003
                  gongzhictl tokens issue --person hu-wei --ttl 90d
                  gongzhictl people list --place 330106001
                  gongzhictl people suspend hu-wei --reason "调离本街道"
                """,
            subcommands: [Add.self, List.self, Show.self, Suspend.self, Resume.self, Bind.self, Unbind.self]
        )
    }
}

extension GongzhiControl.People {
    /// `gongzhictl people add ID --name NAME`.
    struct Add: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(abstract: "Add a person.")

        @Argument(
            help: ArgumentHelp("The person's id: letters, digits, - and _ (e.g. hu-wei).", valueName: "id")
        )
        var id: String

        @Option(help: ArgumentHelp("The person's name (胡伟).", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("Their phone (personal data).", valueName: "phone"))
        var phone: String?

        @Option(help: ArgumentHelp("The Resident they are, when they live in the district.", valueName: "id"))
        var resident: String?

        @Option(help: ArgumentHelp("The Partner they act for.", valueName: "id"))
        var partner: String?

        @Option(help: ArgumentHelp("What they do, in a few words (专职网格员).", valueName: "text"))
        var title: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if id.isEmpty { throw ValidationError("the person's id is empty") }
            if name.allSatisfy(\.isWhitespace) { throw ValidationError("--name needs the person's name") }
        }

        /// The person this command line describes.
        var person: Gongzhi_Core_V1_Person {
            Gongzhi_Core_V1_Person.with {
                $0.id = id
                $0.name = name
                $0.phone = phone ?? ""
                $0.residentID = resident ?? ""
                $0.partnerID = partner ?? ""
                $0.title = title ?? ""
                $0.state = .active
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let person = self.person
            try await invocation.create(person, as: PeopleOutput.personKind, id: id) { PeopleOutput.added(person) }
        }
    }

    /// `gongzhictl people list`.
    struct List: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "List the people, with their state and role bindings (role@place).",
            discussion: """
                --role and --place keep the people with a binding of that role, and within that place (a \
                binding at a place inside it counts: --place 330106001 finds the street's grid workers too); \
                given together, one binding must match both.
                """
        )

        @Option(help: ArgumentHelp("Only people holding this role.", valueName: "role"))
        var role: String?

        @Option(
            help: ArgumentHelp(
                "Only people with a binding at this place or inside it (6, 9, 12 or 15 digits).",
                valueName: "code"
            )
        )
        var place: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let place { try checkPlace(place) }
            if let role, role.isEmpty { throw ValidationError("--role needs a role's name; roles list shows them") }
        }

        /// Whether a person belongs in the list.
        func keeps(_ entry: PersonEntry) -> Bool {
            guard role != nil || place != nil else { return true }
            return entry.bindings.contains { binding in
                (role == nil || binding.role == role) && (place.map { binding.placeCode.hasPrefix($0) } ?? true)
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let entries = try await invocation.withObjects { objects in
                let people = try await ObjectPages.all(
                    kind: "Person",
                    objects: objects,
                    options: invocation.callOptions
                )
                let bindings = try await ObjectPages.all(
                    kind: "RoleBinding",
                    objects: objects,
                    options: invocation.callOptions
                )
                var held: [String: [Gongzhi_Host_V1_Object]] = [:]
                for object in bindings {
                    guard let binding = PersonEntry.binding(object) else { continue }
                    held[binding.personID, default: []].append(object)
                }
                return try people.map { object throws(ControlError) in
                    try PersonEntry(object, bindings: held[object.id] ?? [])
                }
            }
            .filter(keeps)
            invocation.printObjects(
                human: { _ in PeopleOutput.peopleTable(entries) },
                document: { PeopleOutput.peopleDocument(entries) }
            )
        }
    }

    /// `gongzhictl people show ID`.
    struct Show: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Show a person: every field, their role bindings, and the tokens issued to them."
        )

        @Argument(help: ArgumentHelp("The person's id.", valueName: "id"))
        var id: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let id = self.id
            let entry = try await invocation.withObjects { objects in
                let object = try await objects.get(
                    .with {
                        $0.kind = "Person"
                        $0.id = id
                    },
                    options: invocation.callOptions
                )
                let bindings = try await ObjectPages.all(
                    kind: "RoleBinding",
                    objects: objects,
                    options: invocation.callOptions
                )
                .filter { PersonEntry.binding($0)?.personID == id }
                return try PersonEntry(object, bindings: bindings)
            }
            let tokens = try await invocation.withHost { channel in
                try await Gongzhi_Host_V1_AdminClient(channel: channel)
                    .listTokens(Gongzhi_Host_V1_ListTokensRequest(), options: invocation.callOptions)
                    .tokens.filter { $0.kind == "person" && $0.subject == id }
            }
            invocation.printObjects(
                human: { PeopleOutput.personDetail(entry, tokens: tokens, time: $0) },
                document: { PeopleOutput.personDocument(entry, tokens: tokens) }
            )
        }
    }

    /// `gongzhictl people suspend ID --reason TEXT`.
    struct Suspend: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Suspend a person: the host refuses their tokens from the next call; their bindings stay.",
            discussion: """
                A person who holds bindings cannot be deleted: suspend them instead, and resume them when they \
                return (gongzhictl people resume ID).
                """
        )

        @Argument(help: ArgumentHelp("The person's id.", valueName: "id"))
        var id: String

        @Option(help: ArgumentHelp("Why, kept with the person.", valueName: "text"))
        var reason: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if reason.allSatisfy(\.isWhitespace) {
                throw ValidationError("--reason needs why the person is suspended")
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let nowMs = invocation.context.time().nowMs
            let (updated, _) = try await changePerson(id, invocation: invocation) { person in
                person.state = .suspended
                person.suspendedReason = reason
                person.suspendedAtMs = nowMs
                return true
            }
            invocation.printObjects(
                human: { _ in PeopleOutput.suspended(updated.person) },
                document: { ObjectDocument.json(updated.object, kind: PeopleOutput.personKind) }
            )
        }
    }

    /// `gongzhictl people resume ID`.
    struct Resume: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Resume a suspended person: their tokens are accepted again."
        )

        @Argument(help: ArgumentHelp("The person's id.", valueName: "id"))
        var id: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let (updated, changed) = try await changePerson(id, invocation: invocation) { person in
                guard person.state == .suspended else { return false }
                person.state = .active
                person.suspendedReason = ""
                person.suspendedAtMs = 0
                return true
            }
            invocation.printObjects(
                human: { _ in PeopleOutput.resumed(updated.person, changed: changed) },
                document: { ObjectDocument.json(updated.object, kind: PeopleOutput.personKind) }
            )
        }
    }

    /// `gongzhictl people bind ID --role ROLE --place CODE`.
    struct Bind: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Give a person a role within a place (a RoleBinding <person>.<role>.<place>).",
            discussion: """
                The person and the role must exist, and the place must be a Region (6, 9 or 12 digits) or a \
                Grid (15 digits) the host holds. A binding at a community covers its grids; at a street, its \
                communities and grids.
                """
        )

        @Argument(help: ArgumentHelp("The person's id.", valueName: "id"))
        var id: String

        @OptionGroup var binding: BindingOptions

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let binding = self.binding.binding(of: id)
            try await invocation.create(binding, as: PeopleOutput.bindingKind, id: binding.id) {
                PeopleOutput.bound(binding)
            }
        }
    }

    /// `gongzhictl people unbind ID --role ROLE --place CODE`.
    struct Unbind: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Take a role within a place from a person (deletes the RoleBinding)."
        )

        @Argument(help: ArgumentHelp("The person's id.", valueName: "id"))
        var id: String

        @OptionGroup var binding: BindingOptions

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let binding = self.binding.binding(of: id)
            let revision = try await invocation.withObjects { objects in
                try await objects.delete(
                    .with {
                        $0.kind = PeopleOutput.bindingKind.name
                        $0.id = binding.id
                    },
                    options: invocation.callOptions
                )
                .revision
            }
            invocation.printObjects(
                human: { _ in PeopleOutput.unbound(person: id, role: binding.role, place: binding.placeCode) },
                document: {
                    ObjectOutput.deletedDocument(
                        kind: PeopleOutput.bindingKind.name,
                        id: binding.id,
                        revision: revision
                    )
                }
            )
        }
    }

    /// `--role ROLE --place CODE` of bind and unbind.
    struct BindingOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The role's name, as roles list shows it (grid-worker).", valueName: "role"))
        var role: String

        @Option(
            help: ArgumentHelp(
                "Where: a grid (15 digits), community (12), street (9) or district (6).",
                valueName: "code"
            )
        )
        var place: String

        func validate() throws {
            if role.isEmpty { throw ValidationError("--role needs a role's name; roles list shows them") }
            try checkPlace(place)
        }

        /// The binding of `person`, with the id the host requires: `<person>.<role>.<place>`.
        func binding(of person: String) -> Gongzhi_Core_V1_RoleBinding {
            Gongzhi_Core_V1_RoleBinding.with {
                $0.id = "\(person).\(role).\(place)"
                $0.personID = person
                $0.role = role
                $0.placeCode = place
            }
        }
    }
}

/// Refuses a place code that is not 6, 9, 12 or 15 digits, before anything is sent.
private func checkPlace(_ code: String) throws(ValidationError) {
    guard PlaceLevel(code: code) == nil else { return }
    throw ValidationError(
        "--place \(code) is not a place: give a grid (15 digits), a community (12), a street (9) or a district (6)"
    )
}

/// Reads a person, lets `change` change them, and writes them back at the revision read, unless `change`
/// answers false; answers the person as the host holds them afterwards, and whether they were written.
private func changePerson(
    _ id: String,
    invocation: Invocation,
    _ change: (inout Gongzhi_Core_V1_Person) -> Bool
) async throws -> (PersonEntry, changed: Bool) {
    try await invocation.withObjects { objects in
        let current = try await objects.get(
            .with {
                $0.kind = PeopleOutput.personKind.name
                $0.id = id
            },
            options: invocation.callOptions
        )
        var person = try PersonEntry(current).person
        guard change(&person) else { return (try PersonEntry(current), false) }
        let changed = Gongzhi_Host_V1_Object.with {
            $0.kind = current.kind
            $0.id = current.id
            $0.parent = current.parent
            $0.labels = current.labels
            $0.data = (try? person.serializedBytes()) ?? Data()
        }
        let updated = try await objects.update(
            .with {
                $0.object = changed
                $0.expectedRevision = current.revision
            },
            options: invocation.callOptions
        )
        return (try PersonEntry(updated), true)
    }
}
