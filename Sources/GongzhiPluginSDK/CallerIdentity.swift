import GongzhiRPC
import GongzhiSchemas

/// Who called, as the host established it: the host sets these on every call it routes to a plugin and
/// removes any the caller tried to set itself.
extension ServerCallContext {
    /// The caller as the host names it: `admin:uid=0`, `plugin:grid`, `client:<token id>`, `person:<id>`,
    /// `admin:uid=0 as person:<id>`; nil when the call did not come through the host.
    public var caller: String? { requestMetadata[CallerMetadataKey.caller] }

    /// True when the caller may see personal data in this call. The host already removes the fields its
    /// schema marks sensitive from the plugin's answers for callers without it; this is for what a plugin does
    /// beyond its answers with personal data it reads (exports, files, messages to other systems).
    public var callerSeesPersonalData: Bool { requestMetadata[CallerMetadataKey.personalData] == "true" }

    /// The caller, typed: the verified person with their roles and places, when a person is acting.
    public var verifiedCaller: Caller { Caller(metadata: requestMetadata) }
}

/// The caller of a routed call, as the host verified it.
public struct Caller: Sendable, Hashable {
    /// A person acting: through their own token, or named by an administrator or a front end that holds the
    /// impersonate grant (then `actingFor` names it).
    public struct Person: Sendable, Hashable {
        public var id: String
        public var name: String
        /// The person's roles that allow the method called.
        public var roles: [String]
        /// Where those roles allow it.
        public var places: PlaceScope
        /// Where the person may see personal data.
        public var personalDataPlaces: PlaceScope
        /// What acted for them (`admin:uid=0`, `client:<token id>`), or nil for their own token.
        public var actingFor: String?

        public init(
            id: String,
            name: String,
            roles: [String],
            places: PlaceScope,
            personalDataPlaces: PlaceScope,
            actingFor: String? = nil
        ) {
            self.id = id
            self.name = name
            self.roles = roles
            self.places = places
            self.personalDataPlaces = personalDataPlaces
            self.actingFor = actingFor
        }
    }

    /// As the audit names the caller; "unknown" when the call did not come through the host.
    public var principal: String
    /// admin, plugin, client or person; "unknown" when the call did not come through the host.
    public var kind: String
    /// The person acting, when there is one.
    public var person: Person?
    /// True when the caller may see personal data in this call.
    public var seesPersonalData: Bool

    public init(principal: String, kind: String, person: Person? = nil, seesPersonalData: Bool = false) {
        self.principal = principal
        self.kind = kind
        self.person = person
        self.seesPersonalData = seesPersonalData
    }

    /// The caller the host described in a routed call's metadata.
    public init(metadata: Metadata) {
        principal = metadata[CallerMetadataKey.caller] ?? "unknown"
        kind = metadata[CallerMetadataKey.callerKind] ?? "unknown"
        seesPersonalData = metadata[CallerMetadataKey.personalData] == "true"
        if let id = metadata[CallerMetadataKey.person], !id.isEmpty {
            person = Person(
                id: id,
                name: metadata[CallerMetadataKey.personName] ?? id,
                roles: (metadata[CallerMetadataKey.personRoles] ?? "").split(separator: ",").map(String.init),
                places: PlaceScope(metadataValue: metadata[CallerMetadataKey.personPlaces] ?? ""),
                personalDataPlaces: PlaceScope(
                    metadataValue: metadata[CallerMetadataKey.personPersonalDataPlaces] ?? ""
                ),
                actingFor: metadata[CallerMetadataKey.actingFor]
            )
        } else {
            person = nil
        }
    }

    /// Where the caller may act: a person's places, or everywhere for a caller that is not a person (an
    /// administrator, a plugin, an API client: the host already checked their grants).
    public var places: PlaceScope { person?.places ?? .everywhere }

    /// True when the caller may act on something at `place`.
    public func mayAct(at place: String) -> Bool { places.covers(place) }

    /// The name to record as who did something: the person's id, else the principal.
    public var actorID: String { person?.id ?? principal }
    /// The name to show: the person's name, else the principal.
    public var actorName: String { person?.name ?? principal }
}
