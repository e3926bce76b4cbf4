/// Who a call is charged to: the unit of fairness. Calls of one flow queue behind each other, never behind
/// another flow's.
struct FlowKey: Hashable, Sendable, CustomStringConvertible {
    enum Kind: String, Hashable, Sendable {
        /// An administrator on admin.sock, by uid.
        case admin
        /// A plugin, by name.
        case plugin
        /// An API client, by token id.
        case client
        /// A person, by person id (whoever presents their token or acts for them).
        case person
    }

    var kind: Kind
    /// The uid, plugin name, token id or person id.
    var name: String
    /// What a person reads in a refusal: the client's subject, when known.
    var detail: String = ""

    static func == (lhs: FlowKey, rhs: FlowKey) -> Bool {
        lhs.kind == rhs.kind && lhs.name == rhs.name
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(name)
    }

    /// The flow a principal's calls are charged to.
    init(_ principal: Principal) {
        switch principal {
        case .admin(let uid, _): self.init(kind: .admin, name: "\(uid)")
        case .plugin(let name, _, _): self.init(kind: .plugin, name: name)
        case .client(let tokenID, let subject, _, _): self.init(kind: .client, name: tokenID, detail: subject)
        case .person(let id, _, _, _, _): self.init(kind: .person, name: id)
        }
    }

    init(kind: Kind, name: String, detail: String = "") {
        self.kind = kind
        self.name = name
        self.detail = detail
    }

    var description: String {
        switch kind {
        case .admin: "administrator uid \(name)"
        case .plugin: "plugin \(name)"
        case .client: detail.isEmpty ? "token \(name)" : "token \(name) (client \"\(detail)\")"
        case .person: "person \(name)"
        }
    }
}
