import Foundation
import GongzhiTestSupport
import Synchronization
import XCTest

@testable import GongzhiHost

#if canImport(Glibc)
import Glibc
#endif

/// How the host starts a plugin's process: no descriptor of the host's gets through, it starts in its data folder,
/// as its user when the host is root, and a step that fails is named.
final class PluginProcessTests: XCTestCase {
    /// Runs `script` as a plugin and returns its output lines once it has ended.
    private func run(
        _ script: String,
        in directory: TemporaryDirectory,
        account: PluginAccount? = nil,
        workingDirectory: String? = nil
    ) throws -> [String] {
        let path = directory.file("plugin.sh")
        try ("#!/bin/sh\n" + script).write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(path, 0o755), 0)
        let lines = Mutex<[String]>([])
        let ended = DispatchSemaphore(value: 0)
        _ = try PluginProcess.spawn(
            PluginProcess.Launch(
                executable: path,
                environment: ["PATH": "/usr/bin:/bin"],
                account: account,
                workingDirectory: workingDirectory ?? directory.path
            ),
            onLine: { _, line in lines.withLock { $0.append(line) } },
            onExit: { _ in ended.signal() }
        )
        XCTAssertEqual(ended.wait(timeout: .now() + 20), .success, "the plugin ended")
        return lines.withLock { $0 }
    }

    func testNoDescriptorOfTheHostReachesThePluginAndItStartsInItsFolder() throws {
        let directory = try TemporaryDirectory(prefix: "gzspawn")
        defer { directory.remove() }
        // Opened the careless way (no O_CLOEXEC), as a library might.
        let leaked = directory.file("secret")
        let fd = open(leaked, O_RDWR | O_CREAT, 0o600)
        XCTAssertGreaterThan(fd, 2)
        defer { close(fd) }
        let lines = try run(
            "for f in /proc/$$/fd/*; do echo \"fd ${f##*/} $(readlink $f)\"; done; echo \"cwd $(pwd)\"",
            in: directory
        )
        XCTAssertTrue(lines.contains("cwd \(directory.path)"), "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("fd 0 /dev/null") }, "\(lines)")
        XCTAssertFalse(lines.contains { $0.hasSuffix(leaked) }, "the host's descriptor leaked: \(lines)")
    }

    func testAsRootThePluginRunsAsItsUserWithItsGroupsOnly() throws {
        try XCTSkipUnless(geteuid() == 0, "changing users needs root; this runs as uid \(geteuid())")
        let directory = try TemporaryDirectory(prefix: "gzspawn")
        defer { directory.remove() }
        let nobody = PluginAccount(user: "nobody", uid: 65534, gid: 65534, groups: [65534, 4242])
        let lines = try run("echo \"ids $(id -u) $(id -g) $(id -G)\"", in: directory, account: nobody)
        XCTAssertEqual(lines, ["ids 65534 65534 65534 4242"])
    }

    func testAFailedStepIsNamed() throws {
        let directory = try TemporaryDirectory(prefix: "gzspawn")
        defer { directory.remove() }
        XCTAssertThrowsError(
            try PluginProcess.spawn(
                PluginProcess.Launch(executable: directory.file("missing"), environment: [:]),
                onLine: { _, _ in },
                onExit: { _ in }
            )
        ) { error in
            XCTAssertEqual("\(error)", "start \(directory.file("missing")): execve failed: No such file or directory")
        }
        XCTAssertThrowsError(
            try run("true", in: directory, workingDirectory: directory.file("no-such-folder"))
        ) { error in
            XCTAssertEqual("\(error)", "start \(directory.file("plugin.sh")): chdir failed: No such file or directory")
        }
    }
}
