/// A configuration file or manifest that cannot be used, with the file, the key and the line at fault.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// The dotted key at fault (e.g. `plugins.grid.enabled`), when the problem is one key.
    public var key: String?
    public var line: Int?
    public var message: String

    public init(file: String, key: String? = nil, line: Int? = nil, message: String) {
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let key { return "\(place): \(key): \(message)" }
        return "\(place): \(message)"
    }
}

/// Typed reads from one TOML table, with errors that name the key, and a check for unknown keys.
struct TOMLTableReader {
    let values: [String: TOMLValue]
    let prefix: String
    let file: String
    let line: Int?

    /// The text of a TOML file; `what` names it in the error ("the configuration", "the manifest").
    static func readText(path: String, what: String) throws(ConfigurationError) -> String {
        do {
            return try readTextFile(path)
        } catch {
            throw ConfigurationError(file: path, message: "cannot read \(what): \(error)")
        }
    }

    /// The top-level table of a TOML document, with syntax errors naming the file and line.
    static func parse(_ text: String, path: String) throws(ConfigurationError) -> TOMLTableReader {
        do {
            return TOMLTableReader(try TOMLDocument(parsing: text).root, file: path)
        } catch {
            throw ConfigurationError(file: path, line: error.line, message: error.message)
        }
    }

    init(_ values: [String: TOMLValue], prefix: String = "", file: String, line: Int? = nil) {
        self.values = values
        self.prefix = prefix
        self.file = file
        self.line = line
    }

    func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, key: path(key), line: values[key]?.line ?? line, message: message)
    }

    func mismatch(_ key: String, expected: String, found: TOMLValue) -> ConfigurationError {
        error(key, "expected \(expected), found \(found.typeName)")
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = values[key] else { return nil }
        guard case .string(let text) = value.kind else { throw mismatch(key, expected: "a string", found: value) }
        return text
    }

    func requiredString(_ key: String) throws(ConfigurationError) -> String {
        guard let text = try string(key) else { throw error(key, "is required") }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return text
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = values[key] else { return nil }
        guard case .boolean(let flag) = value.kind else {
            throw mismatch(key, expected: "true or false", found: value)
        }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64? {
        guard let value = values[key] else { return nil }
        guard case .integer(let number) = value.kind else {
            throw mismatch(key, expected: "an integer", found: value)
        }
        guard range.contains(number) else {
            throw error(key, "\(number) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return number
    }

    func stringArray(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = values[key] else { return nil }
        guard case .array(let items) = value.kind else {
            throw mismatch(key, expected: "an array of strings", found: value)
        }
        var out: [String] = []
        for item in items {
            guard case .string(let text) = item.kind else {
                throw error(key, "expected an array of strings, found \(item.typeName) in it")
            }
            out.append(text)
        }
        return out
    }

    func integerArray(_ key: String) throws(ConfigurationError) -> [Int64]? {
        guard let value = values[key] else { return nil }
        guard case .array(let items) = value.kind else {
            throw mismatch(key, expected: "an array of integers", found: value)
        }
        var out: [Int64] = []
        for item in items {
            guard case .integer(let number) = item.kind else {
                throw error(key, "expected an array of integers, found \(item.typeName) in it")
            }
            out.append(number)
        }
        return out
    }

    func table(_ key: String) throws(ConfigurationError) -> TOMLTableReader? {
        guard let value = values[key] else { return nil }
        guard case .table(let table) = value.kind else { throw mismatch(key, expected: "a table", found: value) }
        return TOMLTableReader(table, prefix: path(key), file: file, line: value.line)
    }

    /// A duration written as "500ms", "5s", "2m", "1h", "30d", or a whole number of seconds.
    func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let value = values[key] else { return nil }
        switch value.kind {
        case .integer(let seconds) where seconds >= 0:
            return .seconds(seconds)
        case .string(let text):
            guard let parsed = parseDuration(text) else {
                throw error(
                    key,
                    "\"\(text)\" is not a duration; write e.g. \"500ms\", \"5s\", \"2m\", \"1h\" or \"30d\""
                )
            }
            return parsed
        default:
            throw mismatch(key, expected: "a duration such as \"5s\"", found: value)
        }
    }

    /// Fails on a key that is not one of `known`, so that a typo is not silently ignored.
    func rejectUnknownKeys(_ known: Set<String>) throws(ConfigurationError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw error(key, "unknown key (known here: \(known.sorted().joined(separator: ", ")))")
        }
    }
}

/// Parses "500ms", "5s", "2m", "1h", "30d" (a whole number and a unit).
package func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
    for (unit, milliseconds) in units where text.hasSuffix(unit) {
        let number = text.dropLast(unit.count)
        // "ms" ends in "s": make sure "5ms" is not read as "5m" + "s".
        if unit == "s" && number.hasSuffix("m") { continue }
        guard let value = Int64(number), value >= 0 else { return nil }
        let (total, overflow) = value.multipliedReportingOverflow(by: milliseconds)
        guard !overflow else { return nil }
        return .milliseconds(total)
    }
    return nil
}
