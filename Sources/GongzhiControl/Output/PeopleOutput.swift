import GongzhiDocuments
import GongzhiSchemas
import SwiftProtobuf

/// What `gongzhictl people`, `roles`, `whoami` and `login` print: tables and `key: value` blocks for
/// people, documents (JSON or YAML) for scripts. Every string ends with a newline.
enum PeopleOutput {
    // MARK: Kinds

    /// The core kinds the commands write, to print their objects as `get` does.
    static let personKind = coreKind("Person", Gongzhi_Core_V1_Person.self)
    static let roleKind = coreKind("Role", Gongzhi_Core_V1_Role.self)
    static let bindingKind = coreKind("RoleBinding", Gongzhi_Core_V1_RoleBinding.self)

    private static func coreKind(_ name: String, _ type: any SwiftProtobuf.Message.Type) -> ObjectKind {
        ObjectKind(
            Gongzhi_Host_V1_Kind.with {
                $0.name = name
                $0.messageName = type.protoMessageName
                $0.owner = "host"
            }
        )
    }

    // MARK: People

    /// `active` or `suspended` (a person whose state is unset is active).
    static func state(_ person: Gongzhi_Core_V1_Person) -> String {
        person.state == .suspended ? "suspended" : "active"
    }

    /// `grid-worker@330106001001003`.
    static func binding(_ binding: Gongzhi_Core_V1_RoleBinding) -> String {
        "\(binding.role)@\(binding.placeCode)"
    }

    /// `grid 330106001001003`, `street 330106001`: the place with its level.
    static func place(_ code: String) -> String {
        guard let level = PlaceLevel(code: code) else { return code }
        return "\(level.rawValue) \(code)"
    }

    /// `hu-wei (胡伟)`, or the id alone when the person has no name.
    static func named(_ person: Gongzhi_Core_V1_Person) -> String {
        person.name.isEmpty ? person.id : "\(person.id) (\(person.name))"
    }

    /// `people list`: ID, NAME, TITLE, STATE and BINDINGS (role@place, comma-separated).
    static func peopleTable(_ people: [PersonEntry]) -> String {
        guard !people.isEmpty else { return "no people\n" }
        return TextLayout.table(
            header: ["ID", "NAME", "TITLE", "STATE", "BINDINGS"],
            rows: people.map { entry in
                [
                    entry.person.id,
                    orDash(entry.person.name),
                    orDash(entry.person.title),
                    state(entry.person),
                    entry.bindings.isEmpty ? "-" : entry.bindings.map(binding).joined(separator: ","),
                ]
            }
        )
    }

    /// `people list -o json|yaml`: a summary a person, with their bindings.
    static func peopleDocument(_ people: [PersonEntry]) -> JSONValue {
        .array(
            people.map { entry in
                .object([
                    ("id", .string(entry.person.id)),
                    ("name", .string(entry.person.name)),
                    ("title", .string(entry.person.title)),
                    ("state", .string(state(entry.person))),
                    (
                        "bindings",
                        .array(
                            entry.bindings.map { binding in
                                .object([("role", .string(binding.role)), ("placeCode", .string(binding.placeCode))])
                            }
                        )
                    ),
                ])
            }
        )
    }

    /// `people show ID`: the person, their bindings, and their tokens.
    static func personDetail(
        _ entry: PersonEntry,
        tokens: [Gongzhi_Host_V1_TokenInfo],
        time: TimeStyle
    ) -> String {
        let person = entry.person
        let object = entry.object
        var state = self.state(person)
        if person.state == .suspended {
            if person.suspendedAtMs != 0 { state += " since \(time.timestamp(person.suspendedAtMs))" }
            if !person.suspendedReason.isEmpty { state += ": \(person.suspendedReason)" }
        }
        let phone =
            object.redactedFields.contains("phone")
            ? "withheld (personal data)" : orDash(person.phone)
        var text = TextLayout.fields([
            ("id", [person.id]),
            ("name", [orDash(person.name)]),
            ("title", [orDash(person.title)]),
            ("state", [state]),
            ("phone", [phone]),
            ("resident", [orDash(person.residentID)]),
            ("partner", [orDash(person.partnerID)]),
            ("revision", [String(object.revision)]),
            ("created", [time.timestampAndRelative(object.createdAtMs)]),
            ("updated", [time.timestampAndRelative(object.updatedAtMs)]),
        ])
        text += "\n"
        if entry.bindings.isEmpty {
            text += "no roles bound (gongzhictl people bind \(person.id) --role ROLE --place CODE)\n"
        } else {
            text += TextLayout.table(
                header: ["ROLE", "PLACE", "LEVEL", "GRANTED BY", "GRANTED"],
                rows: entry.bindings.map { binding in
                    [
                        binding.role,
                        binding.placeCode,
                        PlaceLevel(code: binding.placeCode)?.rawValue ?? "-",
                        orDash(binding.grantedBy),
                        binding.grantedAtMs == 0 ? "-" : time.timestamp(binding.grantedAtMs),
                    ]
                }
            )
        }
        text += "\n"
        if tokens.isEmpty {
            text += "no tokens (gongzhictl tokens issue --person \(person.id))\n"
        } else {
            text += TextLayout.table(
                header: ["TOKEN", "STATE", "CREATED", "EXPIRES", "DESCRIPTION"],
                rows: tokens.map { token in
                    [
                        token.id,
                        HumanOutput.tokenState(token, time: time),
                        time.timestamp(token.createdAtMs),
                        token.expiresAtMs == 0 ? "never" : time.timestamp(token.expiresAtMs),
                        token.description_p,
                    ]
                }
            )
        }
        return text
    }

    /// `people show ID -o json|yaml`: `{person, bindings, tokens}`, the objects as `get` prints them.
    static func personDocument(_ entry: PersonEntry, tokens: [Gongzhi_Host_V1_TokenInfo]) -> JSONValue {
        .object([
            ("person", ObjectDocument.json(entry.object, kind: personKind)),
            ("bindings", .array(entry.bindingObjects.map { ObjectDocument.json($0, kind: bindingKind) })),
            ("tokens", .array(tokens.map(tokenDocument))),
        ])
    }

    /// A token as `tokens list -o json` prints it.
    static func tokenDocument(_ token: Gongzhi_Host_V1_TokenInfo) -> JSONValue {
        .object([
            ("created_at_ms", .int64(token.createdAtMs)),
            ("description", .string(token.description_p)),
            ("expires_at_ms", .int64(token.expiresAtMs)),
            ("id", .string(token.id)),
            ("issued_by", .string(token.issuedBy)),
            ("kind", .string(token.kind)),
            ("revoked", .bool(token.revoked)),
            ("scopes", .array(token.scopes.map(JSONValue.string))),
            ("subject", .string(token.subject)),
        ])
    }

    /// `people add`.
    static func added(_ person: Gongzhi_Core_V1_Person) -> String {
        "created person \(named(person))\n"
    }

    /// `people suspend`.
    static func suspended(_ person: Gongzhi_Core_V1_Person) -> String {
        "suspended \(named(person)): \(person.suspendedReason); the host refuses their tokens from now on\n"
    }

    /// `people resume`, or what it says when the person was not suspended.
    static func resumed(_ person: Gongzhi_Core_V1_Person, changed: Bool) -> String {
        changed
            ? "resumed \(named(person)): active again\n"
            : "\(named(person)) is not suspended; nothing changed\n"
    }

    /// `people bind`.
    static func bound(_ binding: Gongzhi_Core_V1_RoleBinding) -> String {
        "bound \(binding.personID) as \(binding.role) in \(place(binding.placeCode))\n"
    }

    /// `people unbind`.
    static func unbound(person: String, role: String, place code: String) -> String {
        "unbound \(person) from \(role) in \(place(code))\n"
    }

    // MARK: Roles

    /// One rule in a few words: its method patterns, then `get,list on Case,Resident`.
    static func rule(_ rule: Gongzhi_Core_V1_RoleRule) -> String {
        var parts = rule.methods
        if !rule.kinds.isEmpty || !rule.verbs.isEmpty {
            let verbs = rule.verbs.isEmpty ? "nothing" : rule.verbs.joined(separator: ",")
            parts.append("\(verbs) on \(rule.kinds.isEmpty ? "no kinds" : rule.kinds.joined(separator: ","))")
        }
        return parts.isEmpty ? "nothing" : parts.joined(separator: "; ")
    }

    /// Every rule of a role in a few words, or `-`.
    static func rules(_ rules: [Gongzhi_Core_V1_RoleRule]) -> String {
        rules.isEmpty ? "-" : rules.map(rule).joined(separator: "; ")
    }

    /// `roles list`: NAME, TITLE, BUILT-IN, PERSONAL DATA and the rules in a few words.
    static func roleTable(_ roles: [Gongzhi_Core_V1_Role]) -> String {
        guard !roles.isEmpty else { return "no roles\n" }
        return TextLayout.table(
            header: ["NAME", "TITLE", "BUILT-IN", "PERSONAL DATA", "RULES"],
            rows: roles.map { role in
                [role.name, orDash(role.title), yesNo(role.builtIn), yesNo(role.personalData), rules(role.rules)]
            }
        )
    }

    /// `roles show NAME`: every field, a line a rule, and who holds the role where.
    static func roleDetail(
        _ role: Gongzhi_Core_V1_Role,
        object: Gongzhi_Host_V1_Object,
        holders: [Gongzhi_Core_V1_RoleBinding],
        time: TimeStyle
    ) -> String {
        TextLayout.fields([
            ("name", [role.name]),
            ("title", [orDash(role.title)]),
            ("description", [orDash(role.description_p)]),
            ("built-in", [role.builtIn ? "yes (the host's; it cannot be changed or deleted)" : "no"]),
            (
                "personal data",
                [role.personalData ? "yes (holders see personal data within their places)" : "no"]
            ),
            ("rules", role.rules.map(rule)),
            ("held by", holders.map { "\($0.personID) in \(place($0.placeCode))" }),
            ("revision", [String(object.revision)]),
            ("updated", [time.timestampAndRelative(object.updatedAtMs)]),
        ])
    }

    /// `roles add`.
    static func roleAdded(_ role: Gongzhi_Core_V1_Role) -> String {
        "created role \(role.name)\(role.title.isEmpty ? "" : " (\(role.title))")\n"
    }

    // MARK: Who am I

    /// `whoami` and `login`: who the host takes you to be, and what your roles allow where.
    static func whoAmI(_ answer: Gongzhi_Host_V1_WhoAmIResponse, time: TimeStyle) -> String {
        var fields: [(key: String, values: [String])] = [
            ("principal", [orDash(answer.principal)]),
            ("kind", [orDash(answer.kind)]),
        ]
        if answer.hasPerson {
            let person = answer.person
            var line = named(person)
            if !person.title.isEmpty { line += ", \(person.title)" }
            if person.state == .suspended {
                line += "; suspended" + (person.suspendedReason.isEmpty ? "" : ": \(person.suspendedReason)")
            }
            fields.append(("person", [line]))
        }
        if !answer.tokenID.isEmpty {
            let expiry = answer.tokenExpiresAtMs == 0 ? "never" : time.timestamp(answer.tokenExpiresAtMs)
            fields.append(("token", ["\(answer.tokenID), expires \(expiry)"]))
        }
        var text = TextLayout.fields(fields)
        guard answer.hasPerson else { return text }
        text += "\n"
        guard !answer.grants.isEmpty else {
            return text + "no roles bound: the host refuses \(answer.person.id) every call\n"
        }
        text += TextLayout.table(
            header: ["ROLE", "TITLE", "PLACE", "PLACE NAME", "PERSONAL DATA", "ALLOWS"],
            rows: answer.grants.map { grant in
                [
                    grant.role, orDash(grant.roleTitle), grant.placeCode, orDash(grant.placeName),
                    yesNo(grant.personalData), rules(grant.rules),
                ]
            }
        )
        return text
    }

    /// A message in protobuf's JSON mapping with the .proto's field names, as a document.
    static func document(_ message: some SwiftProtobuf.Message) -> JSONValue {
        let text = PluginOutput.json(message)
        // The JSON encoder's own output always reads back.
        return (try? JSONText.value(text).json) ?? .object([])
    }

    // MARK: Pieces

    private static func orDash(_ text: String) -> String { text.isEmpty ? "-" : text }

    private static func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
}
