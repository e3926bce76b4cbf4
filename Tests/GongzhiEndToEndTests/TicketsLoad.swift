import Foundation
import GongzhiTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A hotline system sending tickets (E0405 with a ticket number of its own) to the Open311 endpoint with curl, one
/// after another; a ticket that got no 200 (the plugin or the host down, a 503) is sent again with the same number,
/// as a hotline system does.
final class TicketsLoad: Sendable {
    struct Answered: Sendable {
        /// Ticket number → the service_request_id of its 200.
        var ids: [String: String] = [:]
        /// Ticket numbers sent more than once because an attempt got no 200.
        var retried: Set<String> = []
        var failures = 0
        var statuses: [Int: Int] = [:]
    }

    let endpoint: String
    let apiKey: String
    let prefix: String
    private let state = Mutex(Answered())
    private let stopping = Atomic(false)
    private let finished = Atomic(false)

    /// `endpoint` is `http://…/open311/hotline-12345/v2/`; ticket numbers are `prefix-N`.
    init(endpoint: String, apiKey: String, prefix: String) {
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.prefix = prefix
    }

    static func form(apiKey: String, ticket: String, number: Int) -> String {
        // Points spread over the three grids, so that the grid's 50 m rule joins some reports and not others; the
        // ticket number in the description keeps intake's content fingerprints apart.
        let point = GridEndToEndTests.point(inGrid: number % 3, dx: Double(number % 7) / 8, dy: Double(number % 5) / 6)
        return "api_key=\(apiKey)&service_code=E0405&lat=\(point.latitude)&long=\(point.longitude)"
            + "&description=%E8%B7%AF%E5%8F%A3%E7%A7%AF%E6%B0%B4+\(ticket)&attribute%5Bticket_no%5D=\(ticket)"
    }

    /// POSTs one ticket; the HTTP status (0 when curl got no answer) and body.
    static func post(endpoint: String, form: String) -> (status: Int, body: String) {
        let arguments = [
            "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "15", endpoint + "requests.json",
            "--data-binary", form, "-H", "Content-Type: application/x-www-form-urlencoded",
        ]
        guard let done = try? CompletedProcess.run("/usr/bin/curl", arguments) else { return (0, "") }
        let text = done.outputText
        guard let newline = text.lastIndex(of: "\n") else { return (0, text) }
        return (Int(text[text.index(after: newline)...]) ?? 0, String(text[..<newline]))
    }

    /// Sends tickets, `pause` apart, until `stop()`.
    func start(pause: Duration = .milliseconds(20)) {
        let thread = Thread { [self] in
            let microseconds =
                useconds_t(pause.components.attoseconds / 1_000_000_000_000)
                + useconds_t(pause.components.seconds * 1_000_000)
            var number = 0
            var attempts = 0
            while !stopping.load(ordering: .relaxed) {
                let ticket = "\(prefix)-\(number)"
                let answer = Self.post(
                    endpoint: endpoint,
                    form: Self.form(apiKey: apiKey, ticket: ticket, number: number)
                )
                let id =
                    answer.status == 200 ? IntakeSourcesEndToEndTests.field("service_request_id", in: answer.body) : nil
                state.withLock { state in
                    state.statuses[answer.status, default: 0] += 1
                    if attempts > 0 { state.retried.insert(ticket) }
                    if let id { state.ids[ticket] = id } else { state.failures += 1 }
                }
                if id != nil {
                    number += 1
                    attempts = 0
                } else {
                    attempts += 1
                    usleep(100_000)
                }
                usleep(microseconds)
            }
            finished.store(true, ordering: .releasing)
        }
        thread.start()
    }

    var answered: Answered { state.withLock { $0 } }

    /// Stops sending and waits until the last request has been answered.
    func stop() async throws {
        stopping.store(true, ordering: .relaxed)
        try await eventually("the tickets load stops", timeout: .seconds(30)) { finished.load(ordering: .acquiring) }
    }

    /// Waits until `number` more tickets were answered 200 than now.
    func waitForAnswered(_ number: Int, timeout: Duration = .seconds(60)) async throws {
        let target = answered.ids.count + number
        try await eventually("\(number) more tickets answered", timeout: timeout, poll: .milliseconds(20)) {
            answered.ids.count >= target
        }
    }
}
