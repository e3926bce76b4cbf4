import GongzhiRPC
import GongzhiSchemas

/// What may be done to objects, as a role's rules name it.
package enum ObjectVerb: String, Sendable, CaseIterable {
    case get, list, watch, create, update, delete
}

/// A role as the host checks it: its method patterns and its verbs on kinds, parsed once.
package struct RoleDefinition: Sendable {
    package struct KindRule: Sendable {
        /// Nil: every kind.
        var kinds: Set<String>?
        var verbs: Set<ObjectVerb>
    }

    package let name: String
    package let title: String
    package let methods: [GrantPattern]
    package let kindRules: [KindRule]
    package let personalData: Bool
    package let builtIn: Bool
    /// The role as stored.
    package let message: Gongzhi_Core_V1_Role

    /// True when a rule allows calling `method` of `service`.
    package func allowsMethod(service: String, method: String) -> Bool {
        methods.contains { $0.allows(service: service, method: method) }
    }

    /// True when a rule allows `verb` on objects of `kind`; with `byName`, only a rule that names the kind
    /// itself counts (not one for every kind).
    package func allows(_ verb: ObjectVerb, kind: String, byName: Bool = false) -> Bool {
        kindRules.contains { rule in rule.verbs.contains(verb) && (rule.kinds?.contains(kind) ?? !byName) }
    }

    /// True when a rule allows `verb` on some kind.
    package func allowsOnSomeKind(_ verb: ObjectVerb) -> Bool {
        kindRules.contains { $0.verbs.contains(verb) }
    }

    /// The name people know it by, with its id: "网格员 (grid-worker)".
    package var displayName: String { title.isEmpty || title == name ? name : "\(title) (\(name))" }

    /// Letters, digits, '-' and '_', 1 to 64 of them: person ids and role names.
    package static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            }
    }

    /// Checks a role and parses its rules. `isKind` says whether a kind name is known.
    package static func parse(
        _ role: Gongzhi_Core_V1_Role,
        isKind: (String) -> Bool
    ) throws(RPCError) -> RoleDefinition {
        guard isValidName(role.name) else {
            throw RPCError(
                code: .invalidArgument,
                message: "\"\(role.name)\" is not a role name: 1 to 64 letters, digits, '-' or '_' "
                    + "(the title may be in any script, e.g. name grid-worker, title 网格员)"
            )
        }
        var methods: [GrantPattern] = []
        var kindRules: [KindRule] = []
        for (index, rule) in role.rules.enumerated() {
            let where_ = "role \(role.name), rule \(index + 1)"
            if rule.methods.isEmpty && rule.kinds.isEmpty {
                throw RPCError(code: .invalidArgument, message: "\(where_) names no methods and no kinds")
            }
            for pattern in rule.methods {
                do {
                    methods.append(try GrantPattern(parsing: pattern))
                } catch {
                    throw RPCError(code: .invalidArgument, message: "\(where_): \(error.message)")
                }
            }
            if rule.kinds.isEmpty != rule.verbs.isEmpty {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\(where_): kinds and verbs go together (e.g. kinds Case,Resident with verbs get,list)"
                )
            }
            guard !rule.kinds.isEmpty else { continue }
            var verbs: Set<ObjectVerb> = []
            for verb in rule.verbs {
                if verb == "*" {
                    verbs.formUnion(ObjectVerb.allCases)
                } else if let known = ObjectVerb(rawValue: verb) {
                    verbs.insert(known)
                } else {
                    throw RPCError(
                        code: .invalidArgument,
                        message: "\(where_): \"\(verb)\" is not a verb; use get, list, watch, create, update, "
                            + "delete or *"
                    )
                }
            }
            var kinds: Set<String>? = []
            for kind in rule.kinds {
                if kind == "*" {
                    kinds = nil
                    break
                }
                guard isKind(kind) else {
                    throw RPCError(
                        code: .invalidArgument,
                        message: "\(where_): there is no kind \"\(kind)\" (kinds are case-sensitive; a plugin's "
                            + "kinds exist once it registered them)"
                    )
                }
                kinds?.insert(kind)
            }
            kindRules.append(KindRule(kinds: kinds, verbs: verbs))
        }
        return RoleDefinition(
            name: role.name,
            title: role.title,
            methods: methods,
            kindRules: kindRules,
            personalData: role.personalData,
            builtIn: role.builtIn,
            message: role
        )
    }
}
