import GongzhiSchemas
import Synchronization

/// What one person may do, and where: their bindings, each a role within a place.
package struct PersonAccess: Sendable {
    package struct Binding: Sendable {
        package var role: RoleDefinition
        package var place: String

        /// "网格员 (grid-worker) in 330199001001001": how a refusal or an audit record names it.
        package var description: String { "\(role.displayName) in \(place)" }
    }

    /// What the person's roles allow of a plugin's method: the roles and the places, and where personal data
    /// is shown.
    package struct MethodGrant: Sendable {
        package var roles: [String]
        package var places: PlaceScope
        package var personalData: PlaceScope
    }

    package let person: Gongzhi_Core_V1_Person
    package let bindings: [Binding]
    /// Method grants already worked out, by "service/method" (nil: no role allows it). Shared by the copies of
    /// this value, which the directory hands out for every call the person makes until their bindings change.
    private let methodGrants = MethodGrantCache()

    package init(person: Gongzhi_Core_V1_Person, bindings: [Binding]) {
        self.person = person
        self.bindings = bindings
    }

    package var id: String { person.id }

    /// The roles that allow calling `method` of `service`, the places where they do, and where they show
    /// personal data; nil when none allows it.
    package func methodGrant(service: String, method: String) -> MethodGrant? {
        let key = service + "/" + method
        if let known = methodGrants.lookup(key) { return known }
        let allowing = bindings.filter { $0.role.allowsMethod(service: service, method: method) }
        var grant: MethodGrant?
        if !allowing.isEmpty {
            var roles: [String] = []
            for binding in allowing where !roles.contains(binding.role.name) { roles.append(binding.role.name) }
            grant = MethodGrant(
                roles: roles,
                places: PlaceScope(allowing.map(\.place)),
                personalData: PlaceScope(allowing.filter(\.role.personalData).map(\.place))
            )
        }
        methodGrants.store(key, grant)
        return grant
    }

    /// Where the person may `verb` objects of `kind` (nowhere when no role allows it).
    package func scope(_ verb: ObjectVerb, kind: String) -> PlaceScope {
        PlaceScope(bindings.filter { $0.role.allows(verb, kind: kind) }.map(\.place))
    }

    /// Where the person sees the personal data of objects of `kind`: within the places of the roles that
    /// show personal data and let them read the kind (by naming it, for a confidential kind).
    package func personalDataScope(kind: String, confidential: Bool = false) -> PlaceScope {
        PlaceScope(personalDataBindings(kind: kind, confidential: confidential).map { bindings[$0].place })
    }

    /// The indexes of the bindings whose role shows personal data and lets the person read objects of `kind`
    /// (by naming the kind, when it is `confidential`).
    package func personalDataBindings(kind: String, confidential: Bool = false) -> [Int] {
        bindings.indices.filter { index in
            let role = bindings[index].role
            return role.personalData
                && [ObjectVerb.get, .list, .watch].contains { role.allows($0, kind: kind, byName: confidential) }
        }
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

/// A person's method grants as they are worked out: a handful of methods per person, kept until the directory
/// builds their access again.
private final class MethodGrantCache: Sendable {
    private let grants = Mutex<[String: PersonAccess.MethodGrant?]>([:])
    /// At most this many methods are kept; a person calling more has the rest worked out each time.
    private static let capacity = 256

    func lookup(_ key: String) -> PersonAccess.MethodGrant?? {
        grants.withLock { $0[key] }
    }

    func store(_ key: String, _ grant: PersonAccess.MethodGrant?) {
        grants.withLock { grants in
            if grants.count < Self.capacity { grants[key] = .some(grant) }
        }
    }
}
