import Foundation
import GongzhiGridSchemas
import GongzhiHost
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// What a person at the intake desk does in the end-to-end tests: `gongzhictl intake …`, curl with headers, the
/// items and dead letters of a source, and a person's own view of the service.
extension IntakeWorld {
    /// Runs the built `gongzhictl` against the host's admin socket.
    func ctl(_ arguments: [String]) throws -> ControlEndToEndTests.Outcome {
        let done = try CompletedProcess.run(
            try BuiltExecutables.path("gongzhictl"),
            arguments,
            environment: ["GONGZHI_ADMIN_SOCKET": host.adminSocket, "TZ": "UTC", "PATH": "/usr/bin:/bin"]
        )
        return ControlEndToEndTests.Outcome(status: done.status, output: done.outputText, errors: done.errors)
    }

    /// curl as an Open311 client, with the answer's headers (lower-cased names) as well.
    func curlWithHeaders(
        _ path: String,
        form: String? = nil,
        headers: [String] = []
    ) throws -> (status: Int, headers: [String: String], body: String) {
        let headerFile = files.file("headers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: headerFile) }
        let answer = try curl(path, form: form, headers: headers) { $0 + ["-D", headerFile] }
        var fields: [String: String] = [:]
        let text = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (answer.status, fields, answer.body)
    }

    /// curl with extra arguments.
    func curl(
        _ path: String,
        form: String?,
        headers: [String],
        arguments extra: ([String]) -> [String]
    ) throws -> (status: Int, body: String) {
        var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", open311 + path]
        if let form {
            arguments += ["--data-binary", form, "-H", "Content-Type: application/x-www-form-urlencoded"]
        }
        for header in headers { arguments += ["-H", header] }
        let done = try CompletedProcess.run("/usr/bin/curl", extra(arguments))
        let text = done.outputText
        guard let newline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: newline)...]) else {
            throw TestSupportError("curl gave no status: \(text) \(done.errors)")
        }
        return (status, String(text[..<newline]))
    }

    /// An Open311 POST form of `service` at `latitude`, `longitude` with the hotline's key.
    func ticketForm(
        service: String,
        latitude: Double?,
        longitude: Double?,
        description: String = "%E8%B7%AF%E5%8F%A3%E7%A7%AF%E6%B0%B4",
        key: String? = nil,
        extra: String = ""
    ) -> String {
        var form = "api_key=\(key ?? apiKey)&service_code=\(service)&description=\(description)"
        if let latitude { form += "&lat=\(latitude)" }
        if let longitude { form += "&long=\(longitude)" }
        return form + extra
    }

    func items(_ source: String) async throws -> [Gongzhi_Intake_V1_IntakeItem] {
        var request = Gongzhi_Intake_V1_ListItemsRequest()
        request.source = source
        request.limit = 1_000
        return try await intake.listItems(request).items
    }

    func deadLetters(_ source: String) async throws -> [Gongzhi_Intake_V1_DeadLetter] {
        var request = Gongzhi_Intake_V1_ListDeadLettersRequest()
        request.source = source
        request.limit = 1_000
        return try await intake.listDeadLetters(request).deadLetters
    }

    /// Waits until `count` dead letters of `source` exist and returns them.
    func deadLetters(_ source: String, count: Int) async throws -> [Gongzhi_Intake_V1_DeadLetter] {
        var letters: [Gongzhi_Intake_V1_DeadLetter] = []
        try await eventually("\(count) dead letters of \(source)") {
            letters = try await deadLetters(source)
            return letters.count >= count
        }
        return letters
    }

    func replay(_ ids: [String]) async throws -> [Gongzhi_Intake_V1_ReplayOutcome] {
        var request = Gongzhi_Intake_V1_ReplayDeadLettersRequest()
        request.ids = ids
        return try await intake.replayDeadLetters(request).outcomes
    }

    /// The counters of `source` as they stand, with the conservation equation checked (in flight or not).
    func balanced(_ source: String) async throws -> Gongzhi_Intake_V1_SourceCounters {
        let counters = try await stats(source)
        XCTAssertEqual(
            counters.received,
            counters.accepted + counters.duplicates + counters.deadLettered + counters.inFlight,
            "received = accepted + duplicates + dead-lettered + in flight for \(source): \(counters)"
        )
        return counters
    }

    /// The intake service as a person bound to the whole district with a role that may call every intake
    /// method, with or without the personal-data grant.
    func person(
        _ id: String,
        personalData: Bool,
        in test: XCTestCase
    ) async throws -> Gongzhi_Intake_V1_IntakeClient {
        var role = Gongzhi_Core_V1_Role()
        role.name = "intake-desk-\(id)"
        role.title = "城市大脑受理"
        var rule = Gongzhi_Core_V1_RoleRule()
        rule.methods = ["gongzhi.intake.v1.Intake/*"]
        role.rules = [rule]
        role.personalData = personalData
        var person = Gongzhi_Core_V1_Person()
        person.id = id
        person.name = id
        var binding = Gongzhi_Core_V1_RoleBinding()
        binding.id = "\(id).\(role.name).330199"
        binding.personID = id
        binding.role = role.name
        binding.placeCode = "330199"
        for (kind, objectID, message) in [
            ("Role", role.name, role as any SwiftProtobuf.Message), ("Person", id, person),
            ("RoleBinding", binding.id, binding),
        ] {
            var request = Gongzhi_Host_V1_CreateRequest()
            request.object.kind = kind
            request.object.id = objectID
            request.object.data = try message.serializedBytes()
            _ = try await objects.create(request)
        }
        var token = Gongzhi_Host_V1_IssueTokenRequest()
        token.kind = .person
        token.subject = id
        let issued = try await host.adminClient.issueToken(token)
        let channel = host.channel(token: issued.token)
        test.addTeardownBlock { await channel.close() }
        return Gongzhi_Intake_V1_IntakeClient(channel: channel)
    }
}
