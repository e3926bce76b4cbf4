import Foundation
import GongzhiTestSupport
import XCTest

/// The built `gongzhictl` as a process: exit statuses, and what goes to standard output and error.
final class ExecutableTests: XCTestCase {
    private struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    private func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutables.path("gongzhictl"))
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both before waiting, so that a long completion script cannot fill a pipe and stall the child.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorData, as: UTF8.self)
        )
    }

    func testNoSocketExitsWith3AndOneLine() throws {
        let outcome = try run(["--socket", "/nonexistent/admin.sock", "status"])
        XCTAssertEqual(outcome.status, 3)
        XCTAssertEqual(outcome.output, "")
        XCTAssertEqual(
            outcome.errors,
            "error: cannot reach the host at /nonexistent/admin.sock: no such file "
                + "(is gongzhi-host running? use --socket or GONGZHI_ADMIN_SOCKET)\n"
        )
    }

    func testEnvironmentNamesTheSocket() throws {
        let outcome = try run(
            ["plugins", "list", "-o", "json"],
            environment: ["GONGZHI_ADMIN_SOCKET": "/nonexistent/env.sock"]
        )
        XCTAssertEqual(outcome.status, 3)
        XCTAssertEqual(
            outcome.errors,
            "error: cannot reach the host at /nonexistent/env.sock: no such file "
                + "(is gongzhi-host running? use --socket or GONGZHI_ADMIN_SOCKET)\n"
        )
    }

    func testUsageErrorExitsWith2() throws {
        let outcome = try run(["plugins", "describe"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.output, "")
        XCTAssertTrue(outcome.errors.hasPrefix("error: Missing expected argument '<name>'\n"), outcome.errors)
    }

    func testHelpAndCompletionExitWith0() throws {
        let help = try run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.output.contains("Exit codes:"), help.output)
        XCTAssertEqual(help.errors, "")
        let completion = try run(["--generate-completion-script", "bash"])
        XCTAssertEqual(completion.status, 0)
        XCTAssertTrue(completion.output.hasPrefix("#!/bin/bash"), completion.output)
        XCTAssertTrue(completion.output.contains("plugins"))
        XCTAssertEqual(completion.errors, "")
    }
}
