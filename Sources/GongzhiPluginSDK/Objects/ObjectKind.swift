import GongzhiSchemas
import SwiftProtobuf

/// A message that is the data of a kind of object: the core kinds here, and a plugin's own kinds once it
/// conforms them (`extension Acme_Cases_V1_Case: ObjectKind { public static let kindName = "Case" }`).
public protocol ObjectKind: SwiftProtobuf.Message {
    /// The kind's name in the store, e.g. "Resident".
    static var kindName: String { get }
}

extension Gongzhi_Core_V1_Region: ObjectKind { public static var kindName: String { "Region" } }
extension Gongzhi_Core_V1_Grid: ObjectKind { public static var kindName: String { "Grid" } }
extension Gongzhi_Core_V1_Building: ObjectKind { public static var kindName: String { "Building" } }
extension Gongzhi_Core_V1_Household: ObjectKind { public static var kindName: String { "Household" } }
extension Gongzhi_Core_V1_Resident: ObjectKind { public static var kindName: String { "Resident" } }
extension Gongzhi_Core_V1_Organization: ObjectKind { public static var kindName: String { "Organization" } }
extension Gongzhi_Core_V1_Partner: ObjectKind { public static var kindName: String { "Partner" } }
extension Gongzhi_Core_V1_Department: ObjectKind { public static var kindName: String { "Department" } }
extension Gongzhi_Core_V1_Person: ObjectKind { public static var kindName: String { "Person" } }
extension Gongzhi_Core_V1_Role: ObjectKind { public static var kindName: String { "Role" } }
extension Gongzhi_Core_V1_RoleBinding: ObjectKind { public static var kindName: String { "RoleBinding" } }

/// An object of a known kind: the store's metadata and the decoded message.
public struct TypedObject<Message: ObjectKind>: Sendable {
    public var id: String
    /// The global revision of the object's last change.
    public var revision: Int64
    public var labels: [String: String]
    /// The id of the object this one belongs to, or "".
    public var parent: String
    /// "host" or the owning plugin.
    public var owner: String
    /// Milliseconds since 1970.
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Sensitive fields the host removed because this plugin may not see them (e.g. `phone`).
    public var redactedFields: [String]
    public var message: Message

    public init(id: String, message: Message, labels: [String: String] = [:], parent: String = "") {
        self.id = id
        self.message = message
        self.labels = labels
        self.parent = parent
        self.revision = 0
        self.owner = ""
        self.createdAt = 0
        self.updatedAt = 0
        self.redactedFields = []
    }

    /// Decodes an object the host sent; throws when it is of another kind or its data is not a `Message`.
    public init(_ object: Gongzhi_Host_V1_Object) throws {
        guard object.kind == Message.kindName else {
            throw ObjectKindMismatch(expected: Message.kindName, found: object.kind, id: object.id)
        }
        self.id = object.id
        self.revision = object.revision
        self.labels = object.labels
        self.parent = object.parent
        self.owner = object.owner
        self.createdAt = object.createdAtMs
        self.updatedAt = object.updatedAtMs
        self.redactedFields = object.redactedFields
        self.message = try Message(serializedBytes: object.data)
    }

    /// The object as the host's messages carry it.
    public func wireObject() throws -> Gongzhi_Host_V1_Object {
        var object = Gongzhi_Host_V1_Object()
        object.kind = Message.kindName
        object.id = id
        object.labels = labels
        object.parent = parent
        object.revision = revision
        object.data = try message.serializedBytes()
        return object
    }
}

/// An object of one kind arrived where another was expected.
public struct ObjectKindMismatch: Error, Sendable, CustomStringConvertible {
    public var expected: String
    public var found: String
    public var id: String
    public var description: String { "expected a \(expected), got \(found)/\(id)" }
}
