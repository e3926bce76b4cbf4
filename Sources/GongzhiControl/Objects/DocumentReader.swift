import GongzhiDocuments

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the files given to `apply -f` into documents, each with its place.
///
/// The format comes from the file's extension: `.json`, `.jsonl` and `.ndjson` are JSON (one document,
/// a list of them, or one a line), `.yaml` and `.yml` are YAML (`---`-separated documents, each a
/// document or a list of them). Other files, and standard input, are JSON when they start with `{` or
/// `[`, else YAML.
public enum DocumentReader {
    enum Format: Sendable, Equatable {
        case json
        case yaml
    }

    static func format(name: String, bytes: [UInt8]) -> Format {
        let lowered = name.lowercased()
        if [".json", ".jsonl", ".ndjson"].contains(where: { lowered.hasSuffix($0) }) { return .json }
        if [".yaml", ".yml"].contains(where: { lowered.hasSuffix($0) }) { return .yaml }
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        guard index < bytes.count else { return .json }
        return bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") ? .json : .yaml
    }

    /// The documents in one file's bytes. `name` is how messages name the file.
    static func documents(
        in bytes: [UInt8],
        name: String,
        format: Format? = nil
    ) throws(ControlError) -> [(value: SourceValue, place: DocumentPlace)] {
        var documents: [(value: SourceValue, place: DocumentPlace)] = []
        switch format ?? self.format(name: name, bytes: bytes) {
        case .json:
            let values: [SourceValue]
            do {
                values = try JSONText.values(in: bytes)
            } catch {
                throw ControlError(
                    "\(name):\(error.line):\(error.column): \(error.problem)",
                    exitCode: ControlExitCode.failed
                )
            }
            let place = DocumentPlace(file: name)
            for value in values {
                if case .array(let items) = value.content {
                    documents += items.map { ($0, place) }
                } else {
                    documents.append((value, place))
                }
            }
        case .yaml:
            let yaml: [(number: Int, value: SourceValue)]
            do {
                yaml = try YAMLText.documents(in: String(decoding: bytes, as: UTF8.self))
            } catch {
                throw ControlError(
                    "\(name), document \(error.document) (line \(error.line), column \(error.column)): \(error.problem)",
                    exitCode: ControlExitCode.failed
                )
            }
            for (number, value) in yaml {
                if case .array(let items) = value.content {
                    for (index, item) in items.enumerated() {
                        documents.append((item, DocumentPlace(file: name, yamlDocument: number, item: index + 1)))
                    }
                } else {
                    documents.append((value, DocumentPlace(file: name, yamlDocument: number)))
                }
            }
        }
        return documents
    }

    /// The whole of a file, or of standard input for `-`.
    public static func contents(of path: String, context: ControlContext) throws(ControlError) -> [UInt8] {
        if path == "-" {
            do {
                return try context.readStandardInput()
            } catch {
                throw ControlError("cannot read standard input: \(error)", exitCode: ControlExitCode.failed)
            }
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ControlError("cannot read \(path): \(lastError())", exitCode: ControlExitCode.failed)
        }
        defer { close(descriptor) }
        do {
            return try readAll(descriptor)
        } catch {
            throw ControlError("cannot read \(path): \(error.reason)", exitCode: ControlExitCode.failed)
        }
    }

    /// Why a file could not be read.
    public struct ReadError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Everything until the end of the file.
    public static func readAll(_ descriptor: Int32) throws(ReadError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(reason: lastError())
            }
            bytes += chunk[0..<count]
        }
    }

    private static func lastError() -> String {
        let code = errno
        if code == EISDIR { return "it is a folder; name the files in it" }
        return String(cString: strerror(code)).lowercased()
    }
}

/// read(2), by a name that the enum's own `read` does not hide.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
