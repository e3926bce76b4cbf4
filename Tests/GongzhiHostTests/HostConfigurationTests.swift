import Foundation
import GongzhiTestSupport
import XCTest

@testable import GongzhiHost

/// The host configuration: what a good file gives, and errors that name the file, key and line.
final class HostConfigurationTests: XCTestCase {
    private let path = "/etc/gongzhi/host.toml"

    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> HostConfiguration {
        do {
            return try HostConfiguration.parse(text, path: path)
        } catch {
            XCTFail("unexpected error: \(error)", file: file, line: line)
            throw error
        }
    }

    private func failure(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigurationError? {
        do {
            let configuration = try HostConfiguration.parse(text, path: path)
            XCTFail("accepted: \(configuration)", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.file, path, file: file, line: line)
            return error
        }
    }

    private let minimal = """
        runtime_dir = "/run/gongzhi"
        data_dir = "/var/lib/gongzhi"
        """

    // MARK: Good files

    func testMinimalConfigurationWithoutPlugins() throws {
        let configuration = try parse(minimal)
        XCTAssertEqual(configuration.path, path)
        XCTAssertEqual(configuration.runtimeDirectory, "/run/gongzhi")
        XCTAssertEqual(configuration.dataDirectory, "/var/lib/gongzhi")
        XCTAssertNil(configuration.pluginDirectory)
        XCTAssertEqual(configuration.adminUIDs, [0, getuid()])
        XCTAssertEqual(configuration.logLevel, .info)
        XCTAssertEqual(configuration.defaultTokenLifetime, .seconds(30 * 86_400))
        XCTAssertEqual(configuration.supervision, SupervisionPolicy())
        XCTAssertEqual(configuration.plugins, [])
        XCTAssertNil(configuration.manifestPath("grid"))

        XCTAssertEqual(configuration.adminSocketPath, "/run/gongzhi/admin.sock")
        XCTAssertEqual(configuration.hostSocketPath, "/run/gongzhi/host.sock")
        XCTAssertEqual(configuration.pluginSocketDirectory, "/run/gongzhi/plugins")
        XCTAssertEqual(configuration.pluginSocketPath("grid"), "/run/gongzhi/plugins/grid/grid.sock")
        XCTAssertEqual(configuration.pluginDataDirectory("grid"), "/var/lib/gongzhi/plugins/grid")
    }

    /// Plugins are isolated when the host runs as root, unless the configuration turns it off for development; an
    /// unprivileged host cannot isolate them. Each says why in the status.
    func testIsolationFollowsTheHostsUserAndIsolatePlugins() throws {
        let isolating = try parse(minimal)
        XCTAssertTrue(isolating.isolatePlugins)
        let off = try parse(minimal + "\nisolate_plugins = false\n")
        XCTAssertFalse(off.isolatePlugins)
        let offText = PluginIsolation.of(off).statusText
        XCTAssertTrue(offText.hasPrefix("not isolated: "), offText)
        if geteuid() == 0 {
            XCTAssertEqual(PluginIsolation.of(isolating), .isolated)
            XCTAssertTrue(offText.contains("isolate_plugins = false in \(path)"), offText)
        } else {
            XCTAssertTrue(PluginIsolation.of(isolating).statusText.contains("not root"))
            XCTAssertTrue(offText.contains("not root"), offText)
        }
        XCTAssertEqual(failure(minimal + "\nisolate_plugins = \"no\"\n")?.key, "isolate_plugins")
    }

    func testFullConfiguration() throws {
        let configuration = try parse(
            """
            runtime_dir = "/run/gongzhi"
            data_dir = "/var/lib/gongzhi"
            plugin_dir = "/usr/lib/gongzhi/plugins"
            admin_uids = [1000, 0]
            log_level = "debug"
            token_ttl = "12h"

            [supervision]
            health_interval = "500ms"
            health_timeout = 3
            start_timeout = "1m"
            stop_grace = "2s"
            backoff_initial = "250ms"
            backoff_max = "1h"
            crash_limit = 7
            crash_window = "10m"
            unhealthy_limit = 4
            log_lines = 50

            [plugins.noticeboard]
            grants = ["gongzhi.test.v1.Echo/*", "gongzhi.grid.v1.*/Get"]
            env = { LANG = "C.UTF-8", FEATURE = "on" }
            restart = "never"
            log_level = "trace"

            [plugins.grid]
            enabled = false
            """
        )
        XCTAssertEqual(configuration.pluginDirectory, "/usr/lib/gongzhi/plugins")
        XCTAssertEqual(configuration.adminUIDs, [1000, 0])
        XCTAssertEqual(configuration.logLevel, .debug)
        XCTAssertEqual(configuration.defaultTokenLifetime, .seconds(12 * 3600))
        XCTAssertEqual(configuration.manifestPath("grid"), "/usr/lib/gongzhi/plugins/grid.plugin.toml")

        let supervision = configuration.supervision
        XCTAssertEqual(supervision.healthInterval, .milliseconds(500))
        XCTAssertEqual(supervision.healthTimeout, .seconds(3))
        XCTAssertEqual(supervision.startTimeout, .seconds(60))
        XCTAssertEqual(supervision.stopGracePeriod, .seconds(2))
        XCTAssertEqual(supervision.backoffInitial, .milliseconds(250))
        XCTAssertEqual(supervision.backoffMaximum, .seconds(3600))
        XCTAssertEqual(supervision.crashLimit, 7)
        XCTAssertEqual(supervision.crashWindow, .seconds(600))
        XCTAssertEqual(supervision.unhealthyLimit, 4)
        XCTAssertEqual(supervision.logLines, 50)

        XCTAssertEqual(configuration.plugins.map(\.name), ["grid", "noticeboard"], "in name order")
        let grid = try XCTUnwrap(configuration.plugin(named: "grid"))
        XCTAssertEqual(grid, PluginConfiguration(name: "grid", enabled: false))
        let board = try XCTUnwrap(configuration.plugin(named: "noticeboard"))
        XCTAssertTrue(board.enabled)
        XCTAssertEqual(
            board.approvedGrants,
            [try GrantPattern(parsing: "gongzhi.test.v1.Echo/*"), try GrantPattern(parsing: "gongzhi.grid.v1.*/Get")]
        )
        XCTAssertEqual(board.environment, ["LANG": "C.UTF-8", "FEATURE": "on"])
        XCTAssertEqual(board.restart, .never)
        XCTAssertEqual(board.logLevel, .trace)
        XCTAssertNil(configuration.plugin(named: "missing"))
    }

    func testPluginDefaults() throws {
        let configuration = try parse(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\n")
        XCTAssertEqual(configuration.plugins, [PluginConfiguration(name: "grid")])
        let grid = configuration.plugins[0]
        XCTAssertTrue(grid.enabled)
        XCTAssertEqual(grid.approvedGrants, [])
        XCTAssertEqual(grid.environment, [:])
        XCTAssertEqual(grid.restart, .always)
        XCTAssertNil(grid.logLevel)
    }

    func testEnvironmentAsATable() throws {
        let configuration = try parse(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid.env]\nA = \"1\"\nB = \"two\"\n")
        XCTAssertEqual(configuration.plugins.first?.environment, ["A": "1", "B": "two"])
    }

    func testRelativePathsResolveAgainstTheConfigurationFolder() throws {
        let configuration = try parse(
            """
            runtime_dir = "run"
            data_dir = "../data/./gongzhi/"
            plugin_dir = "./plugins"
            """
        )
        XCTAssertEqual(configuration.runtimeDirectory, "/etc/gongzhi/run")
        XCTAssertEqual(configuration.dataDirectory, "/etc/data/gongzhi")
        XCTAssertEqual(configuration.pluginDirectory, "/etc/gongzhi/plugins")

        let absolute = try parse("runtime_dir = \"/run//x/../y\"\ndata_dir = \"/d\"\n")
        XCTAssertEqual(absolute.runtimeDirectory, "/run/y", "absolute paths are only normalised")
    }

    func testRelativeConfigurationPathResolvesAgainstTheWorkingDirectory() throws {
        let configuration = try HostConfiguration.parse(minimal + "\nplugin_dir = \"p\"\n", path: "conf/host.toml")
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(configuration.path, normalize(cwd + "/conf/host.toml"))
        XCTAssertEqual(configuration.pluginDirectory, normalize(cwd + "/conf/p"))
    }

    func testLoadReadsAFileAndResolvesAgainstItsFolder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file("host.toml")
        try "runtime_dir = \"run\"\ndata_dir = \"data\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try HostConfiguration.load(path: file)
        XCTAssertEqual(configuration.path, file)
        XCTAssertEqual(configuration.runtimeDirectory, directory.path + "/run")
        XCTAssertEqual(configuration.dataDirectory, directory.path + "/data")

        let missing = directory.file("missing.toml")
        XCTAssertThrowsError(try HostConfiguration.load(path: missing)) { error in
            let error = error as? ConfigurationError
            XCTAssertEqual(error?.file, missing)
            XCTAssertTrue(error?.message.contains("cannot read the configuration") ?? false)
        }
    }

    // MARK: Errors

    func testMissingRuntimeDirectory() {
        let error = failure("data_dir = \"/d\"\n")
        XCTAssertEqual(error?.key, "runtime_dir")
        XCTAssertNil(error?.line)
        XCTAssertEqual(error?.message, "is required")
        XCTAssertEqual(error?.description, "\(path): runtime_dir: is required")

        let missingData = failure("runtime_dir = \"/r\"\n")
        XCTAssertEqual(missingData?.key, "data_dir")
    }

    func testEmptyRuntimeDirectory() {
        let error = failure("data_dir = \"/d\"\n\nruntime_dir = \"\"\n")
        XCTAssertEqual(error?.key, "runtime_dir")
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.message, "must not be empty")
    }

    func testWrongType() {
        let error = failure("runtime_dir = \"/r\"\ndata_dir = 5\n")
        XCTAssertEqual(error?.key, "data_dir")
        XCTAssertEqual(error?.line, 2)
        XCTAssertEqual(error?.message, "expected a string, found an integer")
        XCTAssertEqual(error?.description, "\(path):2: data_dir: expected a string, found an integer")

        let uids = failure(minimal + "\nadmin_uids = 0\n")
        XCTAssertEqual(uids?.key, "admin_uids")
        XCTAssertEqual(uids?.line, 3)
        XCTAssertTrue(uids?.message.contains("expected an array of integers, found an integer") ?? false)

        let uidItem = failure(minimal + "\nadmin_uids = [0, \"root\"]\n")
        XCTAssertEqual(uidItem?.key, "admin_uids")
        XCTAssertTrue(uidItem?.message.contains("found a string in it") ?? false)

        let negativeUID = failure(minimal + "\nadmin_uids = [-1]\n")
        XCTAssertEqual(negativeUID?.key, "admin_uids")
        XCTAssertTrue(negativeUID?.message.contains("-1 is not a uid") ?? false)

        let enabled = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\nenabled = \"yes\"\n")
        XCTAssertEqual(enabled?.key, "plugins.grid.enabled")
        XCTAssertEqual(enabled?.line, 5)
        XCTAssertEqual(enabled?.message, "expected true or false, found a string")

        let pluginsNotATable = failure(minimal + "\nplugins = 3\n")
        XCTAssertEqual(pluginsNotATable?.key, "plugins")
        XCTAssertEqual(pluginsNotATable?.message, "expected a table, found an integer")

        let grantsNotArray = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\ngrants = \"x/*\"\n")
        XCTAssertEqual(grantsNotArray?.key, "plugins.grid.grants")
        XCTAssertEqual(grantsNotArray?.line, 5)
    }

    func testUnknownTopLevelKey() {
        let error = failure("runtme_dir = \"/r\"\ndata_dir = \"/d\"\n")
        XCTAssertEqual(error?.key, "runtme_dir")
        XCTAssertEqual(error?.line, 1)
        XCTAssertTrue(error?.message.hasPrefix("unknown key") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("runtime_dir") ?? false, "lists the known keys")
    }

    func testUnknownPluginKey() {
        let error = failure(minimal + "\nplugin_dir = \"/p\"\n\n[plugins.grid]\nenabeld = true\n")
        XCTAssertEqual(error?.key, "plugins.grid.enabeld")
        XCTAssertEqual(error?.line, 6)
        XCTAssertTrue(error?.message.hasPrefix("unknown key") ?? false)
        XCTAssertTrue(error?.message.contains("enabled") ?? false)
    }

    func testUnknownSupervisionKey() {
        let error = failure(minimal + "\n[supervision]\nhealth_intervall = \"5s\"\n")
        XCTAssertEqual(error?.key, "supervision.health_intervall")
        XCTAssertEqual(error?.line, 4)
        XCTAssertTrue(error?.message.hasPrefix("unknown key") ?? false)
    }

    func testBadLogLevel() {
        let error = failure(minimal + "\nlog_level = \"verbose\"\n")
        XCTAssertEqual(error?.key, "log_level")
        XCTAssertEqual(error?.line, 3)
        XCTAssertTrue(error?.message.contains("\"verbose\" is not a level") ?? false, "\(String(describing: error))")

        let plugin = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\nlog_level = \"loud\"\n")
        XCTAssertEqual(plugin?.key, "plugins.grid.log_level")
        XCTAssertEqual(plugin?.line, 5)
        XCTAssertTrue(plugin?.message.contains("\"loud\" is not a level") ?? false)
    }

    func testBadRestartPolicy() {
        let error = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\nrestart = \"sometimes\"\n")
        XCTAssertEqual(error?.key, "plugins.grid.restart")
        XCTAssertEqual(error?.line, 5)
        XCTAssertTrue(error?.message.contains("not a restart policy") ?? false)
    }

    func testBadDurationInSupervision() {
        let error = failure(minimal + "\n[supervision]\nstop_grace = \"5 seconds\"\n")
        XCTAssertEqual(error?.key, "supervision.stop_grace")
        XCTAssertEqual(error?.line, 4)
        XCTAssertTrue(
            error?.message.contains("\"5 seconds\" is not a duration") ?? false,
            "\(String(describing: error))"
        )

        let negative = failure(minimal + "\n[supervision]\nbackoff_max = -5\n")
        XCTAssertEqual(negative?.key, "supervision.backoff_max")
        XCTAssertEqual(negative?.line, 4)
        XCTAssertTrue(negative?.message.contains("expected a duration") ?? false)

        let boolean = failure(minimal + "\n[supervision]\ncrash_window = true\n")
        XCTAssertEqual(boolean?.key, "supervision.crash_window")
        XCTAssertEqual(boolean?.message, "expected a duration such as \"5s\", found a boolean")

        let ttl = failure(minimal + "\ntoken_ttl = \"forever\"\n")
        XCTAssertEqual(ttl?.key, "token_ttl")
        XCTAssertEqual(ttl?.line, 3)
    }

    func testOutOfRangeSupervisionIntegers() {
        let zero = failure(minimal + "\n[supervision]\ncrash_limit = 0\n")
        XCTAssertEqual(zero?.key, "supervision.crash_limit")
        XCTAssertEqual(zero?.line, 4)
        XCTAssertEqual(zero?.message, "0 is out of range (1...1000)")

        let few = failure(minimal + "\n[supervision]\nlog_lines = 9\n")
        XCTAssertEqual(few?.key, "supervision.log_lines")
        XCTAssertEqual(few?.message, "9 is out of range (10...1000000)")

        let text = failure(minimal + "\n[supervision]\nunhealthy_limit = \"3\"\n")
        XCTAssertEqual(text?.key, "supervision.unhealthy_limit")
        XCTAssertEqual(text?.message, "expected an integer, found a string")
    }

    func testReservedEnvironmentVariable() {
        let inline = failure(
            minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\nenv = { PATH = \"/bin\", GONGZHI_SOCKET = \"/x\" }\n"
        )
        XCTAssertEqual(inline?.key, "plugins.grid.env.GONGZHI_SOCKET")
        XCTAssertEqual(inline?.line, 5)
        XCTAssertTrue(inline?.message.contains("GONGZHI_ variables are set by the host") ?? false)

        let table = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid.env]\nOK = \"1\"\nGONGZHI_TOKEN = \"t\"\n")
        XCTAssertEqual(table?.key, "plugins.grid.env.GONGZHI_TOKEN")
        XCTAssertEqual(table?.line, 6)

        let notString = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\nenv = { N = 1 }\n")
        XCTAssertEqual(notString?.key, "plugins.grid.env.N")
        XCTAssertEqual(notString?.message, "expected a string, found an integer")
    }

    func testEnabledPluginNeedsAPluginDirectory() throws {
        let error = failure(minimal + "\n[plugins.grid]\ngrants = []\n")
        XCTAssertEqual(error?.key, "plugin_dir")
        XCTAssertTrue(error?.message.contains("is required when plugins are enabled") ?? false)

        let disabled = try parse(minimal + "\n[plugins.grid]\nenabled = false\n")
        XCTAssertEqual(disabled.plugins.map(\.name), ["grid"])
        XCTAssertNil(disabled.pluginDirectory)
    }

    func testBadGrantPattern() {
        let error = failure(
            minimal
                + "\nplugin_dir = \"/p\"\n[plugins.grid]\ngrants = [\n  \"gongzhi.grid.v1.GridService/*\",\n  \"gongzhi.grid.v1.GridService/Get/Cell\",\n]\n"
        )
        XCTAssertEqual(error?.key, "plugins.grid.grants")
        XCTAssertEqual(error?.line, 5)
        XCTAssertTrue(
            error?.message.contains("\"gongzhi.grid.v1.GridService/Get/Cell\" is not a grant") ?? false,
            "\(String(describing: error))"
        )

        let star = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.grid]\ngrants = [\"gongzhi.*.v1/*\"]\n")
        XCTAssertEqual(star?.key, "plugins.grid.grants")
        XCTAssertTrue(star?.message.contains("* may only end the service name") ?? false)
    }

    func testInvalidPluginName() throws {
        for name in ["Grid", "1grid", "grid_board", "\"\"", "\"a.b\""] {
            let error = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.\(name)]\nenabled = true\n")
            XCTAssertTrue(error?.key?.hasPrefix("plugins.") ?? false, "\(name): \(String(describing: error))")
            XCTAssertTrue(error?.message.contains("is not a plugin name") ?? false, "\(name)")
            XCTAssertNotNil(error?.line, name)
        }
        let error = failure(minimal + "\nplugin_dir = \"/p\"\n[plugins.Grid]\nenabled = true\n")
        XCTAssertEqual(error?.key, "plugins.Grid")
        XCTAssertTrue(error?.message.contains("\"Grid\" is not a plugin name") ?? false)
        XCTAssertEqual(error?.line, 4)
    }

    func testInvalidPluginNameInDottedKeyNamesItsLine() {
        let error = failure(minimal + "\nplugin_dir = \"/p\"\nplugins.Bad.enabled = true\n")
        XCTAssertEqual(error?.key, "plugins.Bad")
        XCTAssertEqual(error?.line, 4)
    }

    func testTOMLSyntaxErrorBecomesAConfigurationError() {
        let error = failure(minimal + "\nlog_level = debug\n")
        XCTAssertNil(error?.key)
        XCTAssertEqual(error?.line, 3)
        XCTAssertTrue(error?.message.contains("strings need quotes") ?? false)
        XCTAssertEqual(error?.description.hasPrefix("\(path):3: debug is not a value"), true)
    }

    // MARK: Supervision defaults and durations

    func testSupervisionPolicyDefaults() {
        let policy = SupervisionPolicy()
        XCTAssertEqual(policy.healthInterval, .seconds(5))
        XCTAssertEqual(policy.healthTimeout, .seconds(2))
        XCTAssertEqual(policy.startTimeout, .seconds(15))
        XCTAssertEqual(policy.stopGracePeriod, .seconds(5))
        XCTAssertEqual(policy.backoffInitial, .seconds(1))
        XCTAssertEqual(policy.backoffMaximum, .seconds(60))
        XCTAssertEqual(policy.crashLimit, 5)
        XCTAssertEqual(policy.crashWindow, .seconds(120))
        XCTAssertEqual(policy.unhealthyLimit, 3)
        XCTAssertEqual(policy.logLines, 1000)
    }

    func testEmptySupervisionTableKeepsDefaults() throws {
        let configuration = try parse(minimal + "\n[supervision]\n")
        XCTAssertEqual(configuration.supervision, SupervisionPolicy())
    }

    func testParseDuration() {
        XCTAssertEqual(parseDuration("500ms"), .milliseconds(500))
        XCTAssertEqual(parseDuration("5s"), .seconds(5))
        XCTAssertEqual(parseDuration("2m"), .seconds(120))
        XCTAssertEqual(parseDuration("1h"), .seconds(3600))
        XCTAssertEqual(parseDuration("30d"), .seconds(30 * 86_400))
        XCTAssertEqual(parseDuration("0s"), .zero)
        XCTAssertEqual(parseDuration("0ms"), .zero)
        XCTAssertNil(parseDuration("5"), "a bare number in a string has no unit")
        XCTAssertNil(parseDuration("x"))
        XCTAssertNil(parseDuration(""))
        XCTAssertNil(parseDuration("s"))
        XCTAssertNil(parseDuration("ms"))
        XCTAssertNil(parseDuration("-5s"))
        XCTAssertNil(parseDuration("1.5s"))
        XCTAssertNil(parseDuration("5 s"))
        XCTAssertNil(parseDuration("5sec"))
        XCTAssertNil(parseDuration("5mm"))
        XCTAssertNil(parseDuration("5w"))
        XCTAssertNil(parseDuration("9223372036854775807d"), "overflow is refused")
    }

    func testConfigurationErrorDescription() {
        XCTAssertEqual(ConfigurationError(file: "f", message: "m").description, "f: m")
        XCTAssertEqual(ConfigurationError(file: "f", line: 3, message: "m").description, "f:3: m")
        XCTAssertEqual(ConfigurationError(file: "f", key: "k", message: "m").description, "f: k: m")
        XCTAssertEqual(ConfigurationError(file: "f", key: "a.b", line: 9, message: "m").description, "f:9: a.b: m")
    }
}
