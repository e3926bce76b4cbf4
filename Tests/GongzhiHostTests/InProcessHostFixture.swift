import Foundation
import GongzhiHost
import GongzhiRPC
import GongzhiTestSupport
import Logging
import XCTest

/// An in-process host in a temporary folder (in memory where the system has one) for one test: opened before `body`, closed and removed after.
func withInProcessHost<T>(
    adminUIDs: [UInt32] = [getuid()],
    _ body: (InProcessHost) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory(prefix: "gzhost", in: TemporaryDirectory.memoryBacked)
    defer { directory.remove() }
    let logger = Logger(label: "gongzhi.test.host", factory: { _ in SwiftLogNoOpLogHandler() })
    let host = try await InProcessHost(directory: directory.path, adminUIDs: adminUIDs, logger: logger)
    do {
        let result = try await body(host)
        await host.close()
        return result
    } catch {
        await host.close()
        throw error
    }
}

/// Runs `body`, which must fail with an `RPCError` of `code` (and `message`, when given); returns the error.
@discardableResult
func expectRefusal(
    _ code: StatusCode,
    _ message: String? = nil,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> Void
) async -> RPCError? {
    do {
        try await body()
        XCTFail("expected \(code)\(message.map { ": \($0)" } ?? "")", file: file, line: line)
        return nil
    } catch let error as RPCError {
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        if let message { XCTAssertEqual(error.message, message, file: file, line: line) }
        return error
    } catch {
        XCTFail("expected an RPCError, got \(error)", file: file, line: line)
        return nil
    }
}

extension InProcessHost {
    /// The latest audit record.
    var lastAudit: AuditRecord? { audit.recent(1).first }

    /// The audit records since `sequence`, oldest first.
    func audit(after sequence: UInt64) -> [AuditRecord] {
        audit.recent(1000).filter { $0.sequence > sequence }
    }

    /// The sequence of the latest audit record (0 when there is none).
    var auditSequence: UInt64 { lastAudit?.sequence ?? 0 }
}
