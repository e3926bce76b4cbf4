import GongzhiSchemas

/// A person as read from the host, with the role bindings they hold.
struct PersonEntry: Sendable {
    var object: Gongzhi_Host_V1_Object
    var person: Gongzhi_Core_V1_Person
    var bindingObjects: [Gongzhi_Host_V1_Object] = []

    /// The bindings, decoded (one whose data does not decode is left out).
    var bindings: [Gongzhi_Core_V1_RoleBinding] {
        bindingObjects.compactMap(PersonEntry.binding)
    }

    /// The Person in an object; a `ControlError` when its data is not one.
    init(_ object: Gongzhi_Host_V1_Object, bindings: [Gongzhi_Host_V1_Object] = []) throws(ControlError) {
        guard var person = try? Gongzhi_Core_V1_Person(serializedBytes: object.data) else {
            throw ControlError(
                "Person/\(object.id) holds data that is not a gongzhi.core.v1.Person",
                exitCode: ControlExitCode.failed
            )
        }
        if person.id.isEmpty { person.id = object.id }
        self.object = object
        self.person = person
        self.bindingObjects = bindings
    }

    /// The RoleBinding in an object, or nil when its data is not one.
    static func binding(_ object: Gongzhi_Host_V1_Object) -> Gongzhi_Core_V1_RoleBinding? {
        guard var binding = try? Gongzhi_Core_V1_RoleBinding(serializedBytes: object.data) else { return nil }
        if binding.id.isEmpty { binding.id = object.id }
        return binding
    }
}
