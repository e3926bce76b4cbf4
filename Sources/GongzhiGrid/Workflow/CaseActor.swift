import GongzhiGridSchemas
import GongzhiSchemas

/// Who takes a step, as the host verified them: the person acting (their id and name), or, for a caller that is
/// not a person (an administrator, a plugin, an API client), its principal as both.
///
/// Rules about who may do what (the handler may not verify their own handling) compare `id`, never `name`.
public struct CaseActor: Sendable, Hashable {
    /// The verified id: the person's id ("hu-wei"), else the caller's principal ("client:…", "admin:uid=0").
    public var id: String
    /// The name the history shows: the person's name ("胡伟"), else the caller's principal.
    public var name: String
    /// The caller the host verified ("person:hu-wei", "admin:uid=0 as person:hu-wei", "plugin:intake").
    public var principal: String

    /// A person acting, through `principal` (their own token, or a caller acting as them).
    public init(id: String, name: String, principal: String) {
        self.id = id
        self.name = name
        self.principal = principal
    }

    /// A caller that is not a person: its principal is its id and its name.
    public init(principal: String) {
        self.init(id: principal, name: principal, principal: principal)
    }
}

/// The grid a report falls in, with its community and street, as the plugin resolved it from its grid index.
public struct GridPlace: Sendable, Hashable {
    /// The grid's code (15 digits), its community's (12) and its street's (9).
    public var gridCode: String
    public var communityCode: String
    public var streetCode: String
    /// The grid's first worker: a report of an auto-dispatch category goes straight to them.
    public var worker: Gongzhi_Grid_V1_Assignee?

    public init(gridCode: String, communityCode: String, streetCode: String, worker: Gongzhi_Grid_V1_Assignee?) {
        self.gridCode = gridCode
        self.communityCode = communityCode
        self.streetCode = streetCode
        self.worker = worker
    }
}
