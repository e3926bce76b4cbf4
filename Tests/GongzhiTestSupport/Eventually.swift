/// Waits until `condition` holds, checking it every `poll`; throws a `TestSupportError` naming `what` and the
/// caller's file and line once `timeout` has passed.
public func eventually(
    _ what: String,
    timeout: Duration = .seconds(20),
    poll: Duration = .milliseconds(5),
    file: StaticString = #filePath,
    line: UInt = #line,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw TestSupportError("timed out waiting until \(what) (\(file):\(line))")
        }
        try await Task.sleep(for: poll)
    }
}
