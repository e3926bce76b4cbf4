import Foundation
import GongzhiIntake
import GongzhiPluginSDK
import GongzhiRPC

/// What the host's config gives the plugin in its environment (`[plugins.intake] env = { … }`):
///
/// - `INTAKE_SOURCES`: the sources file (JSON, see Docs/intake.md); its mapping files are named relative to it.
/// - `INTAKE_HTTP_ADDRESS`: where the Open311 front end listens, HOST:PORT (default the sources file's
///   `http.address`, else 127.0.0.1:8311); port 0 takes any free port, which `ListSources` then shows.
/// - `INTAKE_READINGS_RETENTION_DAYS`: how long readings are kept (default 90).
/// - `INTAKE_REALTIME_WAIT_MS`: how long an Open311 POST of a realtime service waits for its routing before it
///   is answered with the id alone (default 2,000).
/// - `INTAKE_MODULE_GRACE_MS`: how long after the plugin starts a module the host does not serve (grid, sensors)
///   is still taken as starting, its calls tried again, before intake takes it as not deployed (default 30,000).
/// - `INTAKE_CLOCK_FILE`: for tests, a file holding the current time in milliseconds.
///
/// A bad value or an invalid sources or mapping file stops the start with a message naming the file, line and
/// column.
struct IntakeSettings: Sendable {
    var sourcesPath: String
    var sources: IntakeSources
    /// Each Open311 or file source's mapping, by source name.
    var mappings: [String: SourceMapping]
    var httpAddress: HTTPAddress
    var retentionDays: Int = 90
    var realtimeWaitMs: Int64 = 2_000
    var moduleGraceMs: Int64 = 30_000
    var clock: PluginClock = .system

    static func fromEnvironment() throws(RPCError) -> IntakeSettings {
        try parse(PluginEnvironment.processVariable)
    }

    static func parse(_ lookup: (String) -> String?) throws(RPCError) -> IntakeSettings {
        func value(_ name: String) -> String? {
            guard let text = lookup(name)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        guard let path = value("INTAKE_SOURCES") else {
            throw RPCError(
                code: .invalidArgument,
                message: "INTAKE_SOURCES is not set; give the path of the sources file (Docs/intake.md)"
            )
        }
        var settings = try load(sourcesPath: path)
        if let text = value("INTAKE_HTTP_ADDRESS") {
            guard let address = HTTPAddress(text) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "INTAKE_HTTP_ADDRESS is \"\(text)\"; give HOST:PORT, such as 127.0.0.1:8311"
                )
            }
            settings.httpAddress = address
        }
        if let text = value("INTAKE_READINGS_RETENTION_DAYS") {
            guard let days = Int(text), (1...3_650).contains(days) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "INTAKE_READINGS_RETENTION_DAYS is \"\(text)\"; give a number of days from 1 to 3650"
                )
            }
            settings.retentionDays = days
        }
        if let text = value("INTAKE_REALTIME_WAIT_MS") {
            guard let milliseconds = Int64(text), (0...60_000).contains(milliseconds) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "INTAKE_REALTIME_WAIT_MS is \"\(text)\"; give milliseconds from 0 to 60000"
                )
            }
            settings.realtimeWaitMs = milliseconds
        }
        if let text = value("INTAKE_MODULE_GRACE_MS") {
            guard let milliseconds = Int64(text), (0...3_600_000).contains(milliseconds) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "INTAKE_MODULE_GRACE_MS is \"\(text)\"; give milliseconds from 0 to 3600000"
                )
            }
            settings.moduleGraceMs = milliseconds
        }
        settings.clock = PluginClock(file: value("INTAKE_CLOCK_FILE"))
        return settings
    }

    /// Reads the sources file and every mapping it names.
    static func load(sourcesPath: String) throws(RPCError) -> IntakeSettings {
        let sources: IntakeSources
        do {
            sources = try IntakeSources.parse(try read(sourcesPath))
        } catch let error as InputError {
            throw RPCError(code: .invalidArgument, message: "\(sourcesPath): \(error)")
        } catch {
            throw RPCError(code: .invalidArgument, message: "\(error)")
        }
        let folder = (sourcesPath as NSString).deletingLastPathComponent
        var mappings: [String: SourceMapping] = [:]
        for source in sources.sources where !source.mappingPath.isEmpty {
            let path =
                source.mappingPath.hasPrefix("/") ? source.mappingPath : "\(folder)/\(source.mappingPath)"
            do {
                let mapping = try SourceMapping.parse(try read(path))
                guard mapping.source == source.name else {
                    throw RPCError(
                        code: .invalidArgument,
                        message: "\(path) is the mapping of \"\(mapping.source)\", but the source \"\(source.name)\" "
                            + "names it; give each source its own mapping"
                    )
                }
                mappings[source.name] = mapping
            } catch let error as InputError {
                throw RPCError(code: .invalidArgument, message: "\(path): \(error)")
            } catch let error as RPCError {
                throw error
            } catch {
                throw RPCError(code: .invalidArgument, message: "\(error)")
            }
        }
        return IntakeSettings(
            sourcesPath: sourcesPath,
            sources: sources,
            mappings: mappings,
            httpAddress: HTTPAddress(sources.httpAddress) ?? HTTPAddress(host: "127.0.0.1", port: 8311)
        )
    }

    private static func read(_ path: String) throws(RPCError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RPCError(
                code: .invalidArgument,
                message: "\(path) cannot be read; check the path and its permissions"
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RPCError(code: .invalidArgument, message: "\(path) is not UTF-8 text")
        }
        return text
    }
}
