import Foundation
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// The host's records are its alone: the store with its -wal and -shm files, the tokens and the audit log are
/// 0600 in a 0700 folder, whatever the umask the host was started with, and also when an older host left them
/// readable by others.
final class FileModesEndToEndTests: XCTestCase {
    func testTheStoreTokensAndAuditAreReadableByTheHostAlone() async throws {
        let directory = try TemporaryDirectory(prefix: "gzmodes")
        addTeardownBlock { directory.remove() }
        let host = try await HostUnderTest(plugins: [], directory: directory)
        _ = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/Get"])
        let records = directory.path + "/data/host"
        let files = ["objects.sqlite", "objects.sqlite-wal", "objects.sqlite-shm", "tokens.json", "audit.log"]
        try assertModes(records, files)
        await host.stop()

        // An older host's records, readable by everyone: tightened at the next start.
        for file in files where FileManager.default.fileExists(atPath: records + "/" + file) {
            XCTAssertEqual(chmod(records + "/" + file, 0o644), 0)
        }
        let again = try await HostUnderTest(plugins: [], directory: directory)
        addTeardownBlock { await again.stop() }
        _ = try await again.issueClientToken(scopes: ["gongzhi.host.v1.Objects/Get"])
        try assertModes(records, files)
    }

    private func assertModes(_ records: String, _ files: [String], line: UInt = #line) throws {
        XCTAssertEqual(try mode(records), 0o700, "data/host", line: line)
        XCTAssertEqual(try mode(records + "/.."), 0o711, "data", line: line)
        for file in files {
            XCTAssertEqual(try mode(records + "/" + file), 0o600, file, line: line)
        }
    }

    private func mode(_ path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return info.st_mode & 0o7777
    }
}
