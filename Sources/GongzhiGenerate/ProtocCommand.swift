import Foundation

/// The system's `protoc`, found on `PATH` (or at `$PROTOC`), and running it.
struct ProtocCommand {
    let executable: URL

    static let installAdvice =
        "install it with `sudo apt-get install protobuf-compiler libprotobuf-dev` (Debian, Ubuntu), "
        + "or set PROTOC to its path"

    /// Finds protoc, and checks that it finds the well-known `.proto` files (`google/protobuf/descriptor.proto`,
    /// which Gongzhi's options import).
    static func find(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ProtocCommand {
        let manager = FileManager.default
        var candidate: URL?
        if let given = environment["PROTOC"], !given.isEmpty {
            guard manager.isExecutableFile(atPath: given) else {
                throw GenerationError("PROTOC is \(given), which is not an executable file; \(installAdvice)")
            }
            candidate = URL(fileURLWithPath: given)
        } else {
            for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
                let path = String(folder) + "/protoc"
                if manager.isExecutableFile(atPath: path) {
                    candidate = URL(fileURLWithPath: path)
                    break
                }
            }
        }
        guard let executable = candidate else {
            throw GenerationError("protoc, the protocol buffer compiler, was not found on PATH; \(installAdvice)")
        }
        return ProtocCommand(executable: executable)
    }

    /// Where protoc finds `google/protobuf/descriptor.proto`: the include folder beside it, or /usr/include.
    func wellKnownTypesFolder() throws -> URL {
        let resolved = executable.resolvingSymlinksInPath()
        let candidates = [
            resolved.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("include"),
            URL(fileURLWithPath: "/usr/include"),
            URL(fileURLWithPath: "/usr/local/include"),
        ]
        for folder in candidates
        where FileManager.default.fileExists(
            atPath: folder.appendingPathComponent("google/protobuf/descriptor.proto").path
        ) {
            return folder
        }
        throw GenerationError(
            "protoc is at \(executable.path), but google/protobuf/descriptor.proto is not beside it nor in "
                + "/usr/include; \(Self.installAdvice)"
        )
    }

    /// Runs protoc with `arguments`; its warnings go to stderr, and a failure becomes an error with its output.
    func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw GenerationError("cannot run \(executable.path): \(error.localizedDescription)")
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw GenerationError(
                "protoc failed (status \(process.terminationStatus)):\n\(text)\n"
                    + "command: \(([executable.path] + arguments).joined(separator: " "))"
            )
        }
        if !text.isEmpty {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
