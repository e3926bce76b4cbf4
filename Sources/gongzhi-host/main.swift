import GongzhiHost
import GongzhiRPCPosix
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

// Swift concurrency runs on NIO's event loops: a forwarded call resumes on the loop that read the
// plugin's answer and writes the caller's answer there, without a hop to another thread pool. Must
// happen before any task starts. (The host does its blocking work, audit and process watching, on
// threads of its own.)
let runsOnEventLoops = EventLoopExecutor.install()
// The allocator keeps the memory one call frees for the next, instead of faulting it in again every call.
MallocSettings.apply()
// What the host creates (the store and its -wal and -shm files above all) is the host's alone.
umask(0o077)

let usage = """
    usage: gongzhi-host [--config FILE] [--check] [--prepare-plugin-users] [--log-level LEVEL] [--version]

    Runs the Gongzhi host in the foreground: serves admin.sock and host.sock in the runtime folder,
    starts and supervises the plugins the configuration enables, and routes calls to them.
    SIGTERM or SIGINT stops the plugins gracefully and exits; SIGHUP reloads the configuration.

      --config FILE      the configuration (default: $GONGZHI_CONFIG, else /etc/gongzhi/gongzhi.toml)
      --check            check the configuration and the manifests and executables of enabled plugins, then exit
      --prepare-plugin-users
                         as root: create the missing system users of enabled plugins, check them, then exit
      --log-level LEVEL  override log_level (trace, debug, info, notice, warning, error, critical)
      --version          print the version and exit

    Exit status: 0 after a clean stop, 1 when the host fails, 2 for a bad command line or configuration.
    """

func fail(_ message: String, status: Int32) -> Never {
    var standardError = StandardError()
    print("gongzhi-host: \(message)", to: &standardError)
    exit(status)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        let bytes = Array(string.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}

var configPath: String?
var checkOnly = false
var preparePluginUsers = false
var levelOverride: Logger.Level?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--config", "-c":
        guard let value = arguments.next() else { fail("--config needs a file", status: 2) }
        configPath = value
    case "--check":
        checkOnly = true
    case "--prepare-plugin-users":
        preparePluginUsers = true
    case "--log-level":
        guard let value = arguments.next(), let level = Logger.Level(rawValue: value) else {
            fail("--log-level needs one of trace, debug, info, notice, warning, error, critical", status: 2)
        }
        levelOverride = level
    case "--version":
        print(
            "gongzhi-host \(GongzhiHostVersion.current) (plugin protocol \(PluginProtocol.supported.joined(separator: ", ")))"
        )
        exit(0)
    case "--help", "-h":
        print(usage)
        exit(0)
    default:
        fail("unknown argument \(argument)\n\(usage)", status: 2)
    }
}

let path =
    configPath ?? getenv("GONGZHI_CONFIG").map { String(cString: $0) } ?? "/etc/gongzhi/gongzhi.toml"
var configuration: HostConfiguration
do {
    configuration = try HostConfiguration.load(path: path)
} catch {
    fail("\(error.description)", status: 2)
}
if let levelOverride { configuration.logLevel = levelOverride }

if checkOnly {
    var problems = 0
    for plugin in configuration.plugins where plugin.enabled {
        guard let manifestPath = configuration.manifestPath(plugin.name) else { continue }
        do {
            let manifest = try PluginManifest.load(path: manifestPath)
            try manifest.verify()
            print("ok    \(plugin.name) \(manifest.version) (\(manifest.executable))")
        } catch {
            problems += 1
            print("bad   \(plugin.name): \(error.description)")
        }
    }
    // As root, the users the plugins would run as (not created here).
    for problem in PluginUsers.problems(configuration) ?? [] {
        print("bad   \(problem)")
        problems += 1
    }
    print(problems == 0 ? "configuration \(configuration.path) is valid" : "\(problems) plugin(s) would be refused")
    exit(problems == 0 ? 0 : 2)
}

if preparePluginUsers {
    do {
        for line in try PluginUsers.prepare(configuration) { print(line) }
    } catch {
        fail(error.description, status: 1)
    }
    exit(0)
}

let level = configuration.logLevel
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = level
    return handler
}
let logger = Logger(label: "gongzhi.host")
logger.debug("Swift concurrency on NIO's event loops: \(runsOnEventLoops)")
// Before anything opens files: every connection takes a descriptor, and systemd's default soft limit is 1024.
let openFiles = FileDescriptorLimit.raiseToHard()
logger.info(
    "open files limit \(openFiles.before) -> \(openFiles.after)",
    metadata: ["hard": "\(FileDescriptorLimit.current()?.hard ?? 0)"]
)
let host = HostService(configuration: configuration, logger: logger)
let group = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: [ServiceGroupConfiguration.ServiceConfiguration(service: host)],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
)
do {
    try await group.run()
} catch {
    fail("\(error)", status: 1)
}
