import GongzhiGridSchemas
import GongzhiSchemas

/// Who takes a step: the person recorded in the history, and the verified caller that made the request.
public struct CaseActor: Sendable, Hashable {
    /// The actor named in the request, or the principal when the request names none.
    public var name: String
    /// The caller the host verified ("client:…", "plugin:intake", "admin:uid=1000").
    public var principal: String

    public init(name: String, principal: String) {
        self.name = name
        self.principal = principal
    }

    /// The name recorded in the history: `name`, or `principal` when `name` is empty.
    var recordedName: String { name.isEmpty ? principal : name }
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
