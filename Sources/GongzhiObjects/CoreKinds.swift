import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A kind of object: its name, the message its data holds, who owns it, and its sensitive fields.
public struct KindSchema: Sendable {
    /// "Resident", "Grid", … or a kind a plugin registered.
    public var name: String
    /// The full protobuf name of the kind's message, e.g. `gongzhi.core.v1.Resident`.
    public var messageName: String
    /// Who may write objects of the kind: "host" for core kinds, or the owning plugin's name.
    public var owner: String
    public var sensitive: SensitiveFields
    /// The field that holds an object's place (a region or grid code), when objects of the kind are held to
    /// places: a person sees and acts on them only within the places of their bindings.
    public var place: (number: Int32, name: String)?
    /// True when the message is marked `(gongzhi.core.v1.confidential)`: a person sees the sensitive fields of
    /// its objects only through a role that names the kind itself, not through one that reads every kind.
    public var confidential: Bool

    public init(
        name: String,
        messageName: String,
        owner: String,
        sensitive: SensitiveFields,
        place: (number: Int32, name: String)? = nil,
        confidential: Bool = false
    ) {
        self.name = name
        self.messageName = messageName
        self.owner = owner
        self.sensitive = sensitive
        self.place = place
        self.confidential = confidential
    }
}

/// The core kinds of community governance, defined in `Schemas/gongzhi/core/v1` and owned by the host.
public enum CoreKinds {
    /// The descriptors of the core schemas (generated from `Schemas/` and embedded).
    public static let descriptors: DescriptorIndex = {
        guard
            let bytes = Data(
                base64Encoded: Gongzhi_Core_V1_Descriptors.fileDescriptorSetBase64,
                options: .ignoreUnknownCharacters
            ),
            let index = try? DescriptorIndex(fileDescriptorSet: bytes)
        else {
            // The embedded descriptors are generated and checked by Schemas/generate.sh --check.
            preconditionFailure("the embedded core descriptors do not decode; run Schemas/generate.sh")
        }
        return index
    }()

    /// Kind name → message name.
    public static let messageNames: [String: String] = [
        "Region": "gongzhi.core.v1.Region",
        "Grid": "gongzhi.core.v1.Grid",
        "Building": "gongzhi.core.v1.Building",
        "Household": "gongzhi.core.v1.Household",
        "Resident": "gongzhi.core.v1.Resident",
        "Organization": "gongzhi.core.v1.Organization",
        "Partner": "gongzhi.core.v1.Partner",
        "Department": "gongzhi.core.v1.Department",
        "Person": "gongzhi.core.v1.Person",
        "Role": "gongzhi.core.v1.Role",
        "RoleBinding": "gongzhi.core.v1.RoleBinding",
    ]

    /// Every core kind, by name.
    public static let all: [String: KindSchema] = {
        var kinds: [String: KindSchema] = [:]
        for (name, message) in messageNames {
            kinds[name] = KindSchema(
                name: name,
                messageName: message,
                owner: "host",
                sensitive: descriptors.sensitiveFields(of: message),
                // The core schemas are checked by the tests: a place field that cannot be used fails them.
                place: try? descriptors.placeField(of: message)
            )
        }
        return kinds
    }()
}
