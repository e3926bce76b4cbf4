import GongzhiSchemas

/// What one person may do, and where: their bindings, each a role within a place.
package struct PersonAccess: Sendable {
    package struct Binding: Sendable {
        package var role: RoleDefinition
        package var place: String

        /// "网格员 (grid-worker) in 330199001001001": how a refusal or an audit record names it.
        package var description: String { "\(role.displayName) in \(place)" }
    }

    package let person: Gongzhi_Core_V1_Person
    package let bindings: [Binding]

    package var id: String { person.id }

    /// The roles that allow calling `method` of `service`, and the places where they do; nil when none does.
    package func methodGrant(service: String, method: String) -> (roles: [String], places: PlaceScope)? {
        let allowing = bindings.filter { $0.role.allowsMethod(service: service, method: method) }
        guard !allowing.isEmpty else { return nil }
        var roles: [String] = []
        for binding in allowing where !roles.contains(binding.role.name) { roles.append(binding.role.name) }
        return (roles, PlaceScope(allowing.map(\.place)))
    }

    /// Where the person may `verb` objects of `kind` (nowhere when no role allows it).
    package func scope(_ verb: ObjectVerb, kind: String) -> PlaceScope {
        PlaceScope(bindings.filter { $0.role.allows(verb, kind: kind) }.map(\.place))
    }

    /// Where the person sees the personal data of objects of `kind`: within the places of the roles that
    /// show personal data and let them read the kind.
    package func personalDataScope(kind: String) -> PlaceScope {
        PlaceScope(
            bindings.filter { binding in
                binding.role.personalData
                    && (binding.role.allows(.get, kind: kind) || binding.role.allows(.list, kind: kind)
                        || binding.role.allows(.watch, kind: kind))
            }.map(\.place)
        )
    }

    /// Where the person sees personal data in a plugin's answers: within the places of the roles that show
    /// personal data and allow the method.
    package func personalDataScope(service: String, method: String) -> PlaceScope {
        PlaceScope(
            bindings.filter { $0.role.personalData && $0.role.allowsMethod(service: service, method: method) }
                .map(\.place)
        )
    }

    /// True when some role allows `verb` on some kind: the Objects method is worth calling.
    package func allowsOnSomeKind(_ verb: ObjectVerb) -> Bool {
        bindings.contains { $0.role.allowsOnSomeKind(verb) }
    }

    /// The bindings that decided an object at `place` could be `verb`ed (or its personal data shown).
    package func deciding(_ verb: ObjectVerb, kind: String, place: String, personalData: Bool = false) -> [Binding] {
        bindings.filter { binding in
            binding.role.allows(verb, kind: kind) && (!personalData || binding.role.personalData)
                && PlaceScope([binding.place]).covers(place)
        }
    }

    /// Every binding, for a refusal that found none that allows: "网格员 (grid-worker) in 330199001001001; …",
    /// or "no roles".
    package var summary: String {
        bindings.isEmpty ? "no roles" : bindings.map(\.description).joined(separator: "; ")
    }

    /// The bindings that allow `verb` on `kind`, named for a refusal.
    package func summary(_ verb: ObjectVerb, kind: String) -> String {
        let allowing = bindings.filter { $0.role.allows(verb, kind: kind) }
        return allowing.isEmpty ? "no role that allows it" : allowing.map(\.description).joined(separator: "; ")
    }
}
