import Foundation

/// curl as the HTTP client of the tests: a separate process speaking real HTTP/1.1 to the server.
struct Curl {
    /// What curl received: the status, the headers (names in lower case), the body, and how many bytes of the
    /// request body it sent.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
        var uploadedBytes: Int
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int
    let folder: URL

    var base: String { "http://127.0.0.1:\(port)" }

    /// `GET`s (or with `-d`/`--data-urlencode`, `POST`s) `base + path` with the extra arguments.
    func callAsFunction(_ path: String, _ arguments: String...) async throws -> Answer {
        try await run(path, arguments)
    }

    func run(_ path: String, _ arguments: [String]) async throws -> Answer {
        let name = UUID().uuidString
        let bodyFile = folder.appendingPathComponent("\(name).body").path
        let headersFile = folder.appendingPathComponent("\(name).headers").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments =
            ["-sS", "--max-time", "10", "-o", bodyFile, "-D", headersFile, "-w", "%{http_code} %{size_upload}"]
            + arguments + [base + path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let written = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "curl \(path) exited with \(status): \(message)")
        }
        let numbers = written.split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 2 else { throw Failure(description: "curl wrote \"\(written)\"") }
        var headers: [String: String] = [:]
        let headerText = (try? String(contentsOfFile: headersFile, encoding: .utf8)) ?? ""
        // With Expect: 100-continue curl writes every response's head; the last one is the answer's.
        let lastHead = headerText.components(separatedBy: "\r\n\r\n").last { !$0.isEmpty } ?? ""
        for line in lastHead.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        let body = (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        return Answer(status: numbers[0], headers: headers, body: body, uploadedBytes: numbers[1])
    }
}
