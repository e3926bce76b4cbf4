import GongzhiControl
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiSchemas

/// The file `devices put` reads: a JSON array of devices, each
/// `{"id": "WL-330199-0042", "kinds": ["water_level"], "location": {"latitude": 30.27, "longitude": 120.16},
/// "grid_code": "…", "community_code": "…", "name": "…", "gateway_id": "…", "vendor": "…", "active": true,
/// "attributes": {"…": "…"}}`; `id`, `kinds` and `location` are required, `active` is true unless given.
/// Errors name the line and column.
enum DeviceFile {
    static let fields: Set<String> = [
        "id", "kinds", "location", "grid_code", "community_code", "name", "gateway_id", "vendor", "active",
        "attributes",
    ]

    /// The devices of `bytes`; `name` is how errors name the file.
    static func devices(from bytes: [UInt8], name: String) throws(ControlError) -> [Gongzhi_Intake_V1_SensorDevice] {
        guard var text = String(validating: bytes, as: UTF8.self) else {
            throw ControlError("\(name) is not UTF-8 text", exitCode: ControlExitCode.failed)
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        do {
            let root = try JSONDocument.parse(text)
            guard case .array(let elements) = root.value else {
                throw root.error("field.type", "the file must be a JSON array of devices, not \(root.typeName)")
            }
            guard !elements.isEmpty else {
                throw root.error("field.missing", "the array is empty; it should hold the devices to register")
            }
            var seen: [String: Int] = [:]
            var devices: [Gongzhi_Intake_V1_SensorDevice] = []
            for element in elements {
                let device = try device(element)
                if let line = seen[device.id] {
                    throw element.error("field.duplicate", "device \(device.id) is also at line \(line)")
                }
                seen[device.id] = element.line
                devices.append(device)
            }
            return devices
        } catch {
            throw ControlError("\(name) \(error)", exitCode: ControlExitCode.failed)
        }
    }

    private static func device(_ node: JSONNode) throws(InputError) -> Gongzhi_Intake_V1_SensorDevice {
        guard case .object(let members) = node.value else {
            throw node.error("field.type", "a device must be an object, not \(node.typeName)")
        }
        for member in members where !fields.contains(member.key) {
            throw InputError(
                code: "field.unknown",
                message: "unknown field \"\(member.key)\" (a device has \(fields.sorted().joined(separator: ", ")))",
                line: member.keyLine,
                column: member.keyColumn
            )
        }
        var device = Gongzhi_Intake_V1_SensorDevice()
        device.active = true
        guard let id = node["id"] else { throw node.error("field.missing", "the device has no \"id\"") }
        device.id = try string(id, "id")
        if device.id.isEmpty { throw id.error("field.missing", "\"id\" is empty") }
        guard let kinds = node["kinds"] else {
            throw node.error("field.missing", "device \(device.id) has no \"kinds\" (what it measures)")
        }
        guard case .array(let list) = kinds.value, !list.isEmpty else {
            throw kinds.error("field.type", "\"kinds\" must be a non-empty array of strings, e.g. [\"water_level\"]")
        }
        device.kinds = try list.map { (kind) throws(InputError) in try string(kind, "a kind") }
        guard let location = node["location"] else {
            throw node.error("field.missing", "device \(device.id) has no \"location\" {\"latitude\", \"longitude\"}")
        }
        device.location = try point(location)
        device.gridCode = try optionalString(node, "grid_code")
        device.communityCode = try optionalString(node, "community_code")
        device.name = try optionalString(node, "name")
        device.gatewayID = try optionalString(node, "gateway_id")
        device.vendor = try optionalString(node, "vendor")
        if let active = node["active"] {
            guard case .bool(let value) = active.value else {
                throw active.error("field.type", "\"active\" must be true or false, not \(active.typeName)")
            }
            device.active = value
        }
        if let attributes = node["attributes"] {
            guard case .object(let entries) = attributes.value else {
                throw attributes.error("field.type", "\"attributes\" must be an object of strings")
            }
            for entry in entries {
                device.attributes[entry.key] = try string(entry.node, "attribute \"\(entry.key)\"")
            }
        }
        return device
    }

    private static func point(_ node: JSONNode) throws(InputError) -> Gongzhi_Core_V1_Point {
        guard case .object = node.value else {
            throw node.error("field.type", "\"location\" must be {\"latitude\": …, \"longitude\": …}")
        }
        var point = Gongzhi_Core_V1_Point()
        for (key, range) in [("latitude", -90.0...90.0), ("longitude", -180.0...180.0)] {
            guard let value = node[key] else {
                throw node.error("field.missing", "\"location\" has no \"\(key)\"")
            }
            guard case .number(let number, _) = value.value else {
                throw value.error("field.type", "\"\(key)\" must be a number, not \(value.typeName)")
            }
            guard range.contains(number) else {
                throw value.error(
                    "value.implausible",
                    "\"\(key)\" must be within \(range.lowerBound) to \(range.upperBound)"
                )
            }
            if key == "latitude" { point.latitude = number } else { point.longitude = number }
        }
        return point
    }

    private static func optionalString(_ node: JSONNode, _ key: String) throws(InputError) -> String {
        guard let value = node[key] else { return "" }
        return try string(value, "\"\(key)\"")
    }

    private static func string(_ node: JSONNode, _ what: String) throws(InputError) -> String {
        guard case .string(let value) = node.value else {
            throw node.error("field.type", "\(what) must be a string, not \(node.typeName)")
        }
        return value
    }
}
