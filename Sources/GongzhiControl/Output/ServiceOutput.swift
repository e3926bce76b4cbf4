import GongzhiDocuments
import GongzhiSchemas

/// What `gongzhictl services` and `gongzhictl describe service|message` print: the services the host serves,
/// their methods, and the messages and enums those use, from the descriptors their plugins registered.
enum ServiceOutput {
    // MARK: services

    /// One row a service: its name, plugin, whether calls reach it now, how many methods it has, and whether
    /// its plugin registered descriptors (without them `gongzhictl call` cannot call it).
    static func table(_ services: [Gongzhi_Host_V1_ServiceInfo]) -> String {
        guard !services.isEmpty else { return "no services\n" }
        return TextLayout.table(
            header: ["SERVICE", "PLUGIN", "AVAILABLE", "METHODS", "DESCRIPTORS"],
            rows: services.map { service in
                [
                    service.name, service.plugin, service.available ? "yes" : "no", String(service.methods.count),
                    service.fileDescriptorSet.isEmpty ? "none" : "yes",
                ]
            }
        )
    }

    /// `{"services": [...]}`, keys sorted and in the protocol's snake_case, as every `-o json` of the Admin
    /// service's answers.
    static func document(_ services: [Gongzhi_Host_V1_ServiceInfo]) -> JSONValue {
        .object([("services", .array(services.map(summary)))])
    }

    private static func summary(_ service: Gongzhi_Host_V1_ServiceInfo) -> JSONValue {
        .object([
            ("available", .bool(service.available)),
            ("descriptors", .bool(!service.fileDescriptorSet.isEmpty)),
            ("methods", .array(service.methods.map(methodDocument))),
            ("name", .string(service.name)),
            ("plugin", .string(service.plugin)),
        ])
    }

    private static func methodDocument(_ method: Gongzhi_Host_V1_MethodDescription) -> JSONValue {
        .object([
            ("input_type", .string(method.inputType)),
            ("kind", .string(method.kind.words.replacingSpaces())),
            ("name", .string(method.name)),
            ("output_type", .string(method.outputType)),
        ])
    }

    // MARK: describe service

    /// A service, or one of its methods: the methods' shapes and messages, then every message and enum they
    /// use (at any depth) with their fields, types and the fields that hold personal data.
    static func detail(_ service: HostedService, method: String? = nil) -> String {
        let info = service.info
        let methods = info.methods.filter { method == nil || $0.name == method }
        var text = TextLayout.fields([
            ("service", [info.name]),
            ("plugin", [info.plugin + (info.available ? "" : " (not available now)")]),
        ])
        text += "\n"
        text += TextLayout.table(
            header: ["METHOD", "KIND", "REQUEST", "ANSWER"],
            rows: methods.map { method in
                [
                    method.name, method.kind.words, orUnknown(method.inputType),
                    (method.kind == .serverStreaming || method.kind == .bidirectionalStreaming ? "stream of " : "")
                        + orUnknown(method.outputType),
                ]
            }
        )
        guard let pool = service.pool else {
            let owner = info.plugin == "host" ? "the host" : "plugin \(info.plugin)"
            return text
                + "\n\(owner) registered no descriptors for this service: its messages are not known here, and "
                + "gongzhictl call cannot call it.\n"
        }
        let roots = methods.flatMap { [$0.inputType, $0.outputType] }
        return text + types(reachableFrom: roots, in: pool)
    }

    /// A message or enum and everything it uses.
    static func detail(type name: String, in pool: DescriptorPool) -> String {
        String(types(reachableFrom: [name], in: pool).dropFirst())
    }

    /// The messages and enums `roots` use, at any depth, in the order they are met; map entries show as
    /// `map<K, V>` and the well-known types by name.
    private static func types(reachableFrom roots: [String], in pool: DescriptorPool) -> String {
        var text = ""
        for name in reachable(from: roots, in: pool) {
            if let message = pool.messages[name] {
                text += "\nmessage \(name)\n"
                guard !message.fields.isEmpty else {
                    text += "  (no fields)\n"
                    continue
                }
                var rows = message.fields.map { field in
                    [field.name, String(field.number), typeText(field, in: pool), notes(field, in: message)]
                }
                var header = ["FIELD", "NUMBER", "TYPE", "NOTES"]
                if rows.allSatisfy({ $0[3].isEmpty }) {
                    header.removeLast()
                    rows = rows.map { Array($0.dropLast()) }
                }
                let table = TextLayout.table(header: header, rows: rows)
                text += table.split(separator: "\n").map { "  " + $0 + "\n" }.joined()
            } else if let schema = pool.enums[name] {
                text += "\nenum \(name)\n"
                let table = TextLayout.table(
                    header: ["VALUE", "NUMBER"],
                    rows: schema.values.map { [$0.name, String($0.number)] }
                )
                text += table.split(separator: "\n").map { "  " + $0 + "\n" }.joined()
            }
        }
        return text
    }

    /// Message and enum names in the order a reader meets them: each root, then what its fields use.
    static func reachable(from roots: [String], in pool: DescriptorPool) -> [String] {
        var order: [String] = []
        var seen: Set<String> = []
        var pending = roots.reversed().map { $0 }
        while let name = pending.popLast() {
            // The well-known types are shown by name: JSON writes them in forms of their own.
            guard !name.isEmpty, WellKnownType(rawValue: name) == nil, seen.insert(name).inserted else { continue }
            guard let message = pool.messages[name] else {
                if pool.enums[name] != nil { order.append(name) }
                continue
            }
            if !message.isMapEntry { order.append(name) }
            var used: [String] = []
            for field in message.fields where field.type == .message || field.type == .group || field.type == .enum {
                if let entry = pool.mapEntry(of: field) {
                    used += entry.fields.filter { $0.type == .message || $0.type == .enum }.map(\.typeName)
                } else {
                    used.append(field.typeName)
                }
            }
            pending += used.reversed()
        }
        return order
    }

    /// `string`, `repeated gongzhi.core.v1.Point`, `map<string, int32>`, `optional int32`.
    static func typeText(_ field: FieldSchema, in pool: DescriptorPool) -> String {
        if let entry = pool.mapEntry(of: field), let key = entry.field(number: 1), let value = entry.field(number: 2) {
            return "map<\(key.typeDescription), \(value.typeDescription)>"
        }
        if field.isRepeated { return "repeated " + field.typeDescription }
        if field.descriptor.proto3Optional { return "optional " + field.typeDescription }
        return field.typeDescription
    }

    private static func notes(_ field: FieldSchema, in message: MessageSchema) -> String {
        var notes: [String] = []
        if field.isSensitive { notes.append("sensitive") }
        if let oneof = field.oneof, let name = message.oneofNames[oneof] { notes.append("oneof \(name)") }
        if field.jsonName != FieldSchema.lowerCamelCase(field.name) { notes.append("JSON name \(field.jsonName)") }
        return notes.joined(separator: ", ")
    }

    private static func orUnknown(_ type: String) -> String { type.isEmpty ? "?" : type }

    // MARK: Documents

    /// A service, or one method of it, as a document: its summary, then `messages` and `enums` as `detail`
    /// lists them.
    static func detailDocument(_ service: HostedService, method: String? = nil) -> JSONValue {
        var info = service.info
        info.methods = info.methods.filter { method == nil || $0.name == method }
        guard case .object(var members) = summary(info) else { return .null }
        if let pool = service.pool {
            let names = reachable(from: info.methods.flatMap { [$0.inputType, $0.outputType] }, in: pool)
            members.insert(("enums", .array(names.compactMap { enumDocument($0, in: pool) })), at: 1)
            members.insert(("messages", .array(names.compactMap { messageDocument($0, in: pool) })), at: 2)
        }
        return .object(members)
    }

    /// A message or enum and what it uses, as a document.
    static func typeDocument(_ name: String, in pool: DescriptorPool) -> JSONValue {
        let names = reachable(from: [name], in: pool)
        return .object([
            ("enums", .array(names.compactMap { enumDocument($0, in: pool) })),
            ("messages", .array(names.compactMap { messageDocument($0, in: pool) })),
            ("name", .string(name)),
        ])
    }

    private static func messageDocument(_ name: String, in pool: DescriptorPool) -> JSONValue? {
        guard let message = pool.messages[name] else { return nil }
        return .object([
            (
                "fields",
                .array(
                    message.fields.map { field in
                        var members: [(key: String, value: JSONValue)] = [
                            ("json_name", .string(field.jsonName)), ("name", .string(field.name)),
                            ("number", .integer(field.number)),
                        ]
                        if let oneof = field.oneof, let name = message.oneofNames[oneof] {
                            members.append(("oneof", .string(name)))
                        }
                        members += [
                            ("sensitive", .bool(field.isSensitive)), ("type", .string(typeText(field, in: pool))),
                        ]
                        return .object(members)
                    }
                )
            ),
            ("name", .string(name)),
        ])
    }

    private static func enumDocument(_ name: String, in pool: DescriptorPool) -> JSONValue? {
        guard let schema = pool.enums[name] else { return nil }
        return .object([
            ("name", .string(name)),
            (
                "values",
                .array(schema.values.map { .object([("name", .string($0.name)), ("number", .integer($0.number))]) })
            ),
        ])
    }
}

extension String {
    /// `server streaming` → `server_streaming`.
    fileprivate func replacingSpaces() -> String {
        String(map { $0 == " " ? "_" : $0 })
    }
}
