import Foundation
import GongzhiHashing
import GongzhiTestSupport
import XCTest

@testable import GongzhiHost

/// Plugin manifests: what they must hold, and `verify()` against a real executable file.
final class PluginManifestTests: XCTestCase {
    private let path = "/opt/gongzhi/plugins/grid.plugin.toml"
    private let digest = String(repeating: "ab", count: 32)

    private func fields(
        name: String? = "\"grid\"",
        version: String? = "\"1.2.0\"",
        executable: String? = "\"bin/gongzhi-grid\"",
        sha256: String? = nil,
        protocolVersions: String? = "[\"gongzhi-plugin/1\"]",
        services: String? = "[\"gongzhi.grid.v1.GridService\", \"gongzhi.grid.v1.GridAdmin\"]",
        grants: String? = "[\"gongzhi.noticeboard.v1.*/*\", \"gongzhi.test.v1.Echo/Unary\"]",
        extra: String = ""
    ) -> String {
        var lines: [String] = []
        if let name { lines.append("name = \(name)") }
        if let version { lines.append("version = \(version)") }
        lines.append("description = \"A shared grid\"")
        if let executable { lines.append("executable = \(executable)") }
        lines.append("sha256 = \"\(sha256 ?? digest)\"")
        if let protocolVersions { lines.append("protocol_versions = \(protocolVersions)") }
        if let services { lines.append("services = \(services)") }
        if let grants { lines.append("grants = \(grants)") }
        if !extra.isEmpty { lines.append(extra) }
        return lines.joined(separator: "\n") + "\n"
    }

    private func failure(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigurationError? {
        do {
            let manifest = try PluginManifest.parse(text, path: path)
            XCTFail("accepted: \(manifest)", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.file, path, file: file, line: line)
            return error
        }
    }

    // MARK: Parsing

    func testValidManifest() throws {
        let manifest = try PluginManifest.parse(fields(), path: path)
        XCTAssertEqual(manifest.path, path)
        XCTAssertEqual(manifest.name, "grid")
        XCTAssertEqual(manifest.version, "1.2.0")
        XCTAssertEqual(manifest.description, "A shared grid")
        XCTAssertEqual(manifest.executable, "/opt/gongzhi/plugins/bin/gongzhi-grid")
        XCTAssertEqual(manifest.sha256, digest)
        XCTAssertEqual(manifest.protocolVersions, ["gongzhi-plugin/1"])
        XCTAssertEqual(manifest.services, ["gongzhi.grid.v1.GridService", "gongzhi.grid.v1.GridAdmin"])
        XCTAssertEqual(
            manifest.requestedGrants,
            [
                try GrantPattern(parsing: "gongzhi.noticeboard.v1.*/*"),
                try GrantPattern(parsing: "gongzhi.test.v1.Echo/Unary"),
            ]
        )
        XCTAssertEqual(manifest.agreedProtocolVersion, "gongzhi-plugin/1")
    }

    func testOptionalFields() throws {
        var text = fields(services: nil, grants: nil)
        text = text.replacingOccurrences(of: "description = \"A shared grid\"\n", with: "")
        let manifest = try PluginManifest.parse(text, path: path)
        XCTAssertEqual(manifest.description, "")
        XCTAssertEqual(manifest.services, [])
        XCTAssertEqual(manifest.requestedGrants, [])
    }

    func testUpperCaseDigestIsLowered() throws {
        let upper = "0123456789ABCDEF" + String(repeating: "0", count: 48)
        let manifest = try PluginManifest.parse(fields(sha256: upper), path: path)
        XCTAssertEqual(manifest.sha256, upper.lowercased())
    }

    func testExecutableIsRelativeToTheManifestFolder() throws {
        XCTAssertEqual(
            try PluginManifest.parse(fields(executable: "\"grid\""), path: path).executable,
            "/opt/gongzhi/plugins/grid"
        )
        XCTAssertEqual(
            try PluginManifest.parse(fields(executable: "\"../../libexec/grid\""), path: path).executable,
            "/opt/libexec/grid"
        )
        XCTAssertEqual(
            try PluginManifest.parse(fields(executable: "\"/usr/bin/grid\""), path: path).executable,
            "/usr/bin/grid"
        )
        let relativeManifest = try PluginManifest.parse(
            fields(executable: "\"grid\""),
            path: "plugins/grid.plugin.toml"
        )
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(relativeManifest.path, normalize(cwd + "/plugins/grid.plugin.toml"))
        XCTAssertEqual(relativeManifest.executable, normalize(cwd + "/plugins/grid"))
    }

    func testEachMissingFieldIsNamed() {
        let cases: [(String, String)] = [
            ("name", fields(name: nil)),
            ("version", fields(version: nil)),
            ("executable", fields(executable: nil)),
            ("protocol_versions", fields(protocolVersions: nil)),
        ]
        for (key, text) in cases {
            let error = failure(text)
            XCTAssertEqual(error?.key, key, text)
            XCTAssertTrue(error?.message.contains("required") ?? false, "\(key): \(String(describing: error))")
        }
        let noDigest = failure(fields().replacingOccurrences(of: "sha256 = \"\(digest)\"\n", with: ""))
        XCTAssertEqual(noDigest?.key, "sha256")
        XCTAssertEqual(noDigest?.message, "is required")
    }

    func testEmptyFieldsAreRefused() {
        XCTAssertEqual(failure(fields(name: "\"\""))?.message, "must not be empty")
        XCTAssertEqual(failure(fields(version: "\"\""))?.key, "version")
        let versions = failure(fields(protocolVersions: "[]"))
        XCTAssertEqual(versions?.key, "protocol_versions")
        XCTAssertEqual(versions?.line, 6)
        XCTAssertTrue(versions?.message.contains("is required") ?? false)
    }

    func testWrongTypes() {
        let name = failure(fields(name: "5"))
        XCTAssertEqual(name?.key, "name")
        XCTAssertEqual(name?.line, 1)
        XCTAssertEqual(name?.message, "expected a string, found an integer")
        let versions = failure(fields(protocolVersions: "\"gongzhi-plugin/1\""))
        XCTAssertEqual(versions?.key, "protocol_versions")
        XCTAssertEqual(versions?.message, "expected an array of strings, found a string")
    }

    func testUnknownKey() {
        let error = failure(fields(extra: "entrypoint = \"x\""))
        XCTAssertEqual(error?.key, "entrypoint")
        XCTAssertEqual(error?.line, 9)
        XCTAssertTrue(error?.message.hasPrefix("unknown key") ?? false)
    }

    func testBadName() {
        for bad in ["Grid", "1grid", "grid_x", "grid.x", "grid x", "-grid", String(repeating: "a", count: 64), "grïd"] {
            let error = failure(fields(name: "\"\(bad)\""))
            XCTAssertEqual(error?.key, "name", bad)
            XCTAssertEqual(error?.line, 1, bad)
            XCTAssertTrue(error?.message.contains("is not a plugin name") ?? false, bad)
        }
    }

    func testIsValidName() {
        for good in ["a", "grid", "note-board", "a1", "x-2-y", "grid-", String(repeating: "a", count: 63)] {
            XCTAssertTrue(PluginManifest.isValidName(good), good)
        }
        for bad in ["", "A", "1a", "-a", "a_b", "a.b", "a/b", "a b", String(repeating: "a", count: 64), "é", "host"] {
            XCTAssertFalse(PluginManifest.isValidName(bad), bad)
        }
    }

    func testBadDigest() {
        for bad in [
            String(repeating: "a", count: 63), String(repeating: "a", count: 65), String(repeating: "g", count: 64),
            String(repeating: "a", count: 62) + " a", "",
        ] {
            let error = failure(fields(sha256: bad))
            XCTAssertEqual(error?.key, "sha256", bad)
            XCTAssertEqual(error?.line, 5, bad)
        }
        let error = failure(fields(sha256: "xyz"))
        XCTAssertTrue(error?.message.contains("64 hex digits") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("/opt/gongzhi/plugins/bin/gongzhi-grid") ?? false)
    }

    func testServicesMustBeFullyQualified() {
        for bad in ["GridService", "gongzhi.grid.v1.GridService/Get", ""] {
            let error = failure(fields(services: "[\"gongzhi.ok.v1.Fine\", \"\(bad)\"]"))
            XCTAssertEqual(error?.key, "services", bad)
            XCTAssertEqual(error?.line, 7, bad)
            XCTAssertTrue(error?.message.contains("is not a fully qualified service name") ?? false, bad)
        }
        XCTAssertEqual(failure(fields(services: "[1]"))?.key, "services")
    }

    func testBadGrant() {
        let error = failure(fields(grants: "[\"gongzhi.grid.v1.GridService/\"]"))
        XCTAssertEqual(error?.key, "grants")
        XCTAssertEqual(error?.line, 8)
        XCTAssertTrue(error?.message.contains("is not a grant") ?? false)
    }

    func testTOMLErrorCarriesTheLine() {
        let error = failure("name = \"grid\"\nversion = 1.0.0\n")
        XCTAssertNil(error?.key)
        XCTAssertEqual(error?.line, 2)
        XCTAssertTrue(error?.message.contains("strings need quotes") ?? false)
    }

    func testAgreedProtocolVersion() throws {
        let several = try PluginManifest.parse(
            fields(protocolVersions: "[\"gongzhi-plugin/2\", \"gongzhi-plugin/1\"]"),
            path: path
        )
        XCTAssertEqual(several.agreedProtocolVersion, "gongzhi-plugin/1")
        let newer = try PluginManifest.parse(fields(protocolVersions: "[\"gongzhi-plugin/2\"]"), path: path)
        XCTAssertNil(newer.agreedProtocolVersion)
        XCTAssertEqual(PluginProtocol.current, "gongzhi-plugin/1")
        XCTAssertEqual(PluginProtocol.supported, ["gongzhi-plugin/1"])
    }

    // MARK: verify()

    /// A folder with an executable shell script and a manifest sealed with the script's real hash.
    private struct Sealed {
        let directory: TemporaryDirectory
        let script: String
        let manifestPath: String
        let contents: [UInt8]
    }

    private func sealedPlugin(
        protocolVersions: String = "[\"gongzhi-plugin/1\"]",
        mode: mode_t = 0o755
    ) throws -> Sealed {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("bin"), withIntermediateDirectories: true)
        let script = directory.file("bin/grid")
        let contents = Array("#!/bin/sh\necho 'grid plugin'\nexit 0\n".utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: script, contents: Data(contents)))
        XCTAssertEqual(chmod(script, mode), 0)
        let manifestPath = directory.file("grid.plugin.toml")
        let text = fields(
            executable: "\"bin/grid\"",
            sha256: SHA256.hexHash(contents),
            protocolVersions: protocolVersions
        )
        try text.write(toFile: manifestPath, atomically: true, encoding: .utf8)
        return Sealed(directory: directory, script: script, manifestPath: manifestPath, contents: contents)
    }

    private func verifyFailure(
        _ manifest: PluginManifest,
        file: StaticString = #filePath,
        line: UInt = #line
    )
        -> ConfigurationError?
    {
        do {
            try manifest.verify()
            XCTFail("verify() passed", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.file, manifest.path, file: file, line: line)
            return error
        }
    }

    func testVerifyPassesForTheSealedExecutable() throws {
        let sealed = try sealedPlugin()
        defer { sealed.directory.remove() }
        let manifest = try PluginManifest.load(path: sealed.manifestPath)
        XCTAssertEqual(manifest.executable, sealed.script)
        XCTAssertEqual(manifest.sha256, try sha256OfFile(sealed.script))
        XCTAssertNoThrow(try manifest.verify())
    }

    func testVerifyFailsWhenOneByteChanged() throws {
        let sealed = try sealedPlugin()
        defer { sealed.directory.remove() }
        let manifest = try PluginManifest.load(path: sealed.manifestPath)
        var changed = sealed.contents
        changed[changed.count - 2] = UInt8(ascii: "1")  // exit 0 -> exit 1
        XCTAssertTrue(FileManager.default.createFile(atPath: sealed.script, contents: Data(changed)))
        XCTAssertEqual(chmod(sealed.script, 0o755), 0)

        let error = verifyFailure(manifest)
        XCTAssertEqual(error?.key, "sha256")
        XCTAssertTrue(error?.message.contains("SHA-256") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains(SHA256.hexHash(changed)) ?? false, "names the actual hash")
        XCTAssertTrue(error?.message.contains(manifest.sha256) ?? false, "names the expected hash")
        XCTAssertTrue(error?.description.contains("sha256") ?? false)
    }

    func testVerifyFailsWithoutASharedProtocolVersion() throws {
        let sealed = try sealedPlugin(protocolVersions: "[\"gongzhi-plugin/2\", \"other/1\"]")
        defer { sealed.directory.remove() }
        let manifest = try PluginManifest.load(path: sealed.manifestPath)
        let error = verifyFailure(manifest)
        XCTAssertEqual(error?.key, "protocol_versions")
        XCTAssertTrue(error?.message.contains("gongzhi-plugin/2, other/1") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("gongzhi-plugin/1") ?? false)
    }

    func testVerifyFailsForANonExecutableFile() throws {
        let sealed = try sealedPlugin(mode: 0o644)
        defer { sealed.directory.remove() }
        let manifest = try PluginManifest.load(path: sealed.manifestPath)
        let error = verifyFailure(manifest)
        XCTAssertEqual(error?.key, "executable")
        XCTAssertTrue(error?.message.contains("is not executable") ?? false, "\(String(describing: error))")
    }

    func testVerifyFailsForAMissingExecutable() throws {
        let sealed = try sealedPlugin()
        defer { sealed.directory.remove() }
        let manifest = try PluginManifest.load(path: sealed.manifestPath)
        XCTAssertEqual(unlink(sealed.script), 0)
        let error = verifyFailure(manifest)
        XCTAssertEqual(error?.key, "executable")
        XCTAssertTrue(error?.message.contains("cannot read the executable") ?? false, "\(String(describing: error))")
    }

    func testLoadOfAMissingManifest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.file("none.plugin.toml")
        XCTAssertThrowsError(try PluginManifest.load(path: missing)) { error in
            let error = error as? ConfigurationError
            XCTAssertEqual(error?.file, missing)
            XCTAssertTrue(error?.message.contains("cannot read the manifest") ?? false)
        }
    }
}
