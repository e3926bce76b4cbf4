import GongzhiTestSupport
import XCTest

@testable import GongzhiHost

#if canImport(Glibc)
import Glibc
#endif

/// Which users plugins may run as, and what the host checks before it starts one as its user.
final class PluginAccountTests: XCTestCase {
    private func account(_ user: String, uid: uid_t) -> PluginAccount {
        PluginAccount(user: user, uid: uid, gid: uid, groups: [uid])
    }

    func testTheUserIsGongzhiNameUnlessTheConfigurationNamesOne() {
        XCTAssertEqual(PluginAccount.userName(for: PluginConfiguration(name: "grid")), "gongzhi-grid")
        XCTAssertEqual(PluginAccount.userName(for: PluginConfiguration(name: "grid", user: "gz-grid")), "gz-grid")
    }

    func testUserNamesUseraddTakes() {
        for good in ["gongzhi-grid", "_gz", "gz_t1-escape", String(repeating: "a", count: 32)] {
            XCTAssertTrue(PluginAccount.isValidUserName(good), good)
        }
        for bad in ["", "Grid", "1grid", "gz grid", "gz/grid", "-gz", String(repeating: "a", count: 33)] {
            XCTAssertFalse(PluginAccount.isValidUserName(bad), bad)
        }
    }

    func testAConfiguredUserThatUseraddWouldNotTakeIsAConfigurationError() throws {
        let text = """
            runtime_dir = "/run/gongzhi"
            data_dir = "/var/lib/gongzhi"
            plugin_dir = "/usr/lib/gongzhi/plugins"

            [plugins.grid]
            user = "Grid Plugin"
            """
        XCTAssertThrowsError(try HostConfiguration.parse(text, path: "/etc/gongzhi/host.toml")) { error in
            XCTAssertTrue("\(error)".contains("\"Grid Plugin\" is not a user name"), "\(error)")
        }
    }

    func testADefaultUserNameOverThirtyTwoCharactersAsksForAShorterOne() {
        let plugin = PluginConfiguration(name: "a-plugin-with-a-rather-long-name")
        XCTAssertThrowsError(try PluginAccount.resolve(for: plugin, socketGroup: nil, create: false)) { error in
            XCTAssertEqual(
                "\(error)",
                "the user name \"gongzhi-a-plugin-with-a-rather-long-name\" of plugin a-plugin-with-a-rather-long-name "
                    + "is longer than 32 characters; name a shorter one with user = \"…\" in "
                    + "[plugins.a-plugin-with-a-rather-long-name]"
            )
        }
    }

    func testAMissingUserIsNotCreatedWhenNotAsked() {
        let plugin = PluginConfiguration(name: "grid", user: "gz-no-such-user-here")
        XCTAssertThrowsError(try PluginAccount.resolve(for: plugin, socketGroup: nil, create: false)) { error in
            XCTAssertTrue("\(error)".hasPrefix("user gz-no-such-user-here of plugin grid does not exist"), "\(error)")
        }
    }

    func testAnExistingUserGetsItsGroupAndTheSocketGroupOnly() throws {
        // "nobody" exists on every Debian system, as uid and group 65534 (nogroup).
        let plugin = PluginConfiguration(name: "grid", user: "nobody")
        let found = try PluginAccount.resolve(for: plugin, socketGroup: 4242, create: false)
        XCTAssertEqual(found.uid, 65534)
        XCTAssertEqual(found.groups, [found.gid, 4242])
        XCTAssertEqual(try PluginAccount.resolve(for: plugin, socketGroup: 0, create: false).groups, [found.gid])
    }

    func testRootTheHostsUserAnAdministratorAndASharedUserAreRefused() {
        func refusal(_ accounts: [String: PluginAccount], admins: [UInt32] = [0]) -> String? {
            PluginAccount.refusal(of: accounts, hostUID: 0, adminUIDs: admins, configurationPath: "/etc/g.toml")
        }
        XCTAssertNil(
            refusal(["grid": account("gongzhi-grid", uid: 998), "points": account("gongzhi-points", uid: 997)])
        )
        XCTAssertEqual(
            refusal(["grid": account("root", uid: 0)], admins: []),
            "plugin grid would run as root, which is root (uid 0); give it a user of its own"
        )
        XCTAssertEqual(
            refusal(["grid": account("gongzhi-grid", uid: 998)], admins: [0, 998]),
            "plugin grid would run as gongzhi-grid (uid 998), which admin_uids in /etc/g.toml lists; plugins are not "
                + "administrators: remove it from admin_uids"
        )
        XCTAssertEqual(
            refusal(["grid": account("gz", uid: 998), "points": account("gz", uid: 998)]),
            "plugins grid and points would both run as uid 998 (gz); each plugin needs a user of its own so that "
                + "neither can read the other's data"
        )
        XCTAssertEqual(
            PluginAccount.refusal(
                of: ["grid": account("me", uid: 1000)],
                hostUID: 1000,
                adminUIDs: [],
                configurationPath: "/etc/g.toml"
            ),
            "plugin grid would run as me (uid 1000), the host's own user; give it a user of its own"
        )
    }

    func testAPluginUserMustReachItsFoldersAndMustNotBeAbleToChangeItsExecutable() throws {
        let directory = try TemporaryDirectory(prefix: "gzreach")
        defer { directory.remove() }
        let nobody = account("nobody", uid: 65534)
        let folder = directory.file("plugin")
        XCTAssertEqual(mkdir(folder, 0o700), 0)
        XCTAssertEqual(chmod(folder, 0o700), 0)
        let problem = try XCTUnwrap(FolderAccess.problem(reaching: folder, as: nobody, needs: .search))
        XCTAssertTrue(problem.contains("may not enter \(folder) (mode 700"), problem)
        XCTAssertEqual(chmod(folder, 0o711), 0)
        XCTAssertNil(FolderAccess.problem(reaching: folder, as: nobody, needs: .search))

        let executable = directory.file("plugin/run")
        XCTAssertTrue(FileManager.default.createFile(atPath: executable, contents: Data("#!/bin/sh\n".utf8)))
        XCTAssertEqual(chmod(executable, 0o700), 0)
        let notRunnable = try XCTUnwrap(FolderAccess.problem(reaching: executable, as: nobody, needs: .execute))
        XCTAssertTrue(notRunnable.contains("may not run \(executable)"), notRunnable)
        XCTAssertEqual(chmod(executable, 0o755), 0)
        XCTAssertNil(FolderAccess.problem(reaching: executable, as: nobody, needs: .execute))
        XCTAssertNil(FolderAccess.writableProblem(executable, as: nobody))
        XCTAssertNotNil(FolderAccess.writableProblem(executable, as: account("me", uid: getuid())), "its owner")
        XCTAssertEqual(chmod(folder, 0o777), 0)
        let writable = try XCTUnwrap(FolderAccess.writableProblem(executable, as: nobody))
        XCTAssertTrue(writable.contains("could change \(folder)"), writable)
    }
}
