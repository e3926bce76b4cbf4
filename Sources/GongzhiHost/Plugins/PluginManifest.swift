import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The protocol versions this host speaks with its plugins.
public enum PluginProtocol {
    /// ttrpc 1.2 framing, the `gongzhi.host.v1.Registration` service and the `gongzhi.plugin.v1.Plugin`
    /// lifecycle service (see Docs/plugin-protocol.md).
    public static let current = "gongzhi-plugin/1"
    public static let supported: [String] = [current]

    /// Service name prefixes that belong to the host; no plugin may serve them.
    package static let reservedPrefixes = ["gongzhi.host.", "gongzhi.plugin."]

    /// The reserved prefix `service` falls under, if any.
    package static func reservedPrefix(of service: String) -> String? {
        reservedPrefixes.first { service.hasPrefix($0) }.map { $0 + "*" }
    }
}

/// What a plugin is, from the manifest beside its executable (`<name>.plugin.toml`).
public struct PluginManifest: Sendable, Equatable {
    public var path: String
    public var name: String
    public var version: String
    public var description: String
    /// Absolute path of the executable.
    public var executable: String
    /// Lower-case hex SHA-256 the executable must have.
    public var sha256: String
    public var protocolVersions: [String]
    public var services: [String]
    public var requestedGrants: [GrantPattern]

    static let knownKeys: Set<String> = [
        "name", "version", "description", "executable", "sha256", "protocol_versions", "services", "grants",
    ]

    /// A plugin name: lower-case letters, digits and '-', starting with a letter, at most 63 characters, and
    /// not `host` (the owner of the core kinds).
    package static func isValidName(_ name: String) -> Bool {
        guard name != "host", let first = name.utf8.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z"),
            name.utf8.count <= 63
        else { return false }
        return name.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-")
        }
    }

    public static func load(path: String) throws(ConfigurationError) -> PluginManifest {
        let text = try TOMLTableReader.readText(path: path, what: "the manifest")
        return try parse(text, path: path)
    }

    package static func parse(_ text: String, path: String) throws(ConfigurationError) -> PluginManifest {
        let table = try TOMLTableReader.parse(text, path: path)
        try table.rejectUnknownKeys(knownKeys)
        let name = try table.requiredString("name")
        guard isValidName(name) else {
            throw table.error(
                "name",
                "\"\(name)\" is not a plugin name (lower-case letters, digits and '-', at most 63; not \"host\")"
            )
        }
        let version = try table.requiredString("version")
        let executable = resolve(
            try table.requiredString("executable"),
            against: parentDirectory(of: absolutePath(path))
        )
        let sha = try table.requiredString("sha256").lowercased()
        guard sha.utf8.count == 64, sha.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw table.error(
                "sha256",
                "must be the 64 hex digits of the executable's SHA-256 (sha256sum \(executable))"
            )
        }
        guard let versions = try table.stringArray("protocol_versions"), !versions.isEmpty else {
            throw table.error(
                "protocol_versions",
                "is required: the protocol versions the plugin speaks, e.g. [\"\(PluginProtocol.current)\"]"
            )
        }
        let services = try table.stringArray("services") ?? []
        for service in services where service.isEmpty || service.contains("/") || !service.contains(".") {
            throw table.error(
                "services",
                "\"\(service)\" is not a fully qualified service name (e.g. gongzhi.grid.v1.GridService)"
            )
        }
        var grants: [GrantPattern] = []
        for text in try table.stringArray("grants") ?? [] {
            do {
                grants.append(try GrantPattern(parsing: text))
            } catch {
                throw table.error("grants", error.message)
            }
        }
        return PluginManifest(
            path: absolutePath(path),
            name: name,
            version: version,
            description: try table.string("description") ?? "",
            executable: executable,
            sha256: sha,
            protocolVersions: versions,
            services: services,
            requestedGrants: grants
        )
    }

    /// The protocol version the host and the plugin both speak, or nil.
    package var agreedProtocolVersion: String? {
        PluginProtocol.supported.first { protocolVersions.contains($0) }
    }

    /// Executables whose hash was checked, with what their file looked like then.
    private static let verified = Mutex<[String: VerifiedExecutable]>([:])

    /// Checks that the host can run this plugin: a shared protocol version and an executable with the
    /// expected hash. The error says which check failed. An executable is hashed again only when its
    /// file has changed (inode, size, modification or change time; the change time cannot be set back
    /// by anyone but root), so that checking before every start stays cheap.
    public func verify() throws(ConfigurationError) {
        guard agreedProtocolVersion != nil else {
            throw ConfigurationError(
                file: path,
                key: "protocol_versions",
                message: "the plugin speaks \(protocolVersions.joined(separator: ", ")); this host speaks "
                    + PluginProtocol.supported.joined(separator: ", ")
            )
        }
        let fingerprint = FileFingerprint(path: executable)
        if let fingerprint, Self.verified.withLock({ $0[executable] }) == VerifiedExecutable(fingerprint, sha256) {
            // Unchanged since it was hashed (same inode, size, modification and change times).
        } else {
            let actual: String
            do {
                actual = try sha256OfFile(executable)
            } catch {
                throw ConfigurationError(file: path, key: "executable", message: "cannot read the executable: \(error)")
            }
            guard actual == sha256 else {
                throw ConfigurationError(
                    file: path,
                    key: "sha256",
                    message: "the executable \(executable) has SHA-256 \(actual), not the manifest's \(sha256); "
                        + "it was changed after the manifest was sealed"
                )
            }
            if let fingerprint {
                Self.verified.withLock { $0[executable] = VerifiedExecutable(fingerprint, sha256) }
            }
        }
        guard access(executable, X_OK) == 0 else {
            throw ConfigurationError(file: path, key: "executable", message: "\(executable) is not executable")
        }
    }
}

/// What identifies a file's contents without reading them.
struct FileFingerprint: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int64
    var changed: Int64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    }
}

struct VerifiedExecutable: Equatable, Sendable {
    var fingerprint: FileFingerprint
    var sha256: String

    init(_ fingerprint: FileFingerprint, _ sha256: String) {
        self.fingerprint = fingerprint
        self.sha256 = sha256
    }
}
