import Foundation
import GongzhiMediationSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// Mediation records are confidential (人民调解法 Art 15: mediators keep the parties' secrets): on every read path
/// through the real host, those who follow a dispute without taking part — the grid worker of its grid, community
/// staff — see its type, title, place and state, and never its facts, narrative, session records or the parties'
/// phones; the assigned mediator sees them, and the host audits it; a mediator of another community sees nothing;
/// the printed agreement goes only to a caller who sees personal data.
final class MediationConfidentialityEndToEndTests: XCTestCase {
    typealias World = MediationWorld

    /// What no one without the personal data may read anywhere in an answer.
    static let secrets = [
        World.facts, World.narrative, World.record, World.applicantPhone, World.respondentPhone,
        World.applicantAddress,
    ]

    func assertNoSecrets(_ message: some SwiftProtobuf.Message, file: StaticString = #filePath, line: UInt = #line) {
        let bytes: [UInt8] = (try? message.serializedBytes()) ?? []
        XCTAssertFalse(bytes.isEmpty, file: file, line: line)
        let text = String(decoding: bytes, as: UTF8.self)
        for secret in Self.secrets {
            XCTAssertFalse(text.contains(secret), "the answer holds \"\(secret)\"", file: file, line: line)
        }
    }

    func request(_ id: String) -> Gongzhi_Mediation_V1_GetDisputeRequest {
        var request = Gongzhi_Mediation_V1_GetDisputeRequest()
        request.disputeID = id
        return request
    }

    func personalDataShown(_ world: MediationWorld, to person: String) async throws -> [Gongzhi_Host_V1_AuditEntry] {
        try await world.audit(person: person).filter { $0.outcome == "personal-data" }
    }

    func testEachReadPathShowsTheDisputesPersonalDataOnlyToItsMediatorAndAuditsIt() async throws {
        let world = try await MediationWorld.start(self)
        // The dispute in 王芳's grid, with a session and its record; another in the community's other grid; one
        // in the other community, opened by its own mediator.
        let id = try await world.dispute(in: .mediating).id
        let nextGrid = try await world.dispute(
            in: .accepted,
            World.application(place: "330199001001002", title: "占用楼道")
        ).id
        var elsewhere = World.application(place: "330199001002001", title: "宠物扰民")
        elsewhere.buildingID = "B9"
        let otherCommunity = try await world.apply(by: world.mediation(as: World.otherMediator), elsewhere).id

        // The grid worker of the grid: no mediation method but summaries.
        let worker = world.mediation(as: World.gridWorker)
        await assertRPCError(.permissionDenied, saying: ["GetDispute", "none of their roles allows it"]) {
            try await worker.getDispute(self.request(id))
        }
        await assertRPCError(.permissionDenied, saying: ["ListDisputes"]) {
            try await worker.listDisputes(Gongzhi_Mediation_V1_ListDisputesRequest())
        }
        let summary = try await worker.getSummary(request(id))
        XCTAssertEqual(summary.id, id)
        XCTAssertEqual(summary.type, .neighbour)
        XCTAssertEqual(summary.title, "楼上漏水")
        XCTAssertEqual(summary.placeCode, World.grid)
        XCTAssertEqual(summary.state, .mediating)
        XCTAssertEqual(summary.mediatorNames, ["胡伟"])
        XCTAssertEqual(summary.buildingID, "B7")
        XCTAssertGreaterThan(summary.nextDeadlineMs, 0, "the month to mediate")
        XCTAssertTrue(summary.unknownFields.data.isEmpty, "nothing beyond the summary's own fields")
        assertNoSecrets(summary)
        let summaries = try await worker.listSummaries(Gongzhi_Mediation_V1_ListDisputesRequest())
        XCTAssertEqual(summaries.summaries.map(\.id), [id], "only the disputes of 王芳's grid")
        assertNoSecrets(summaries)
        await assertRPCError(.permissionDenied) { try await worker.getSummary(self.request(nextGrid)) }
        var workerGet = Gongzhi_Host_V1_GetRequest()
        workerGet.kind = "Dispute"
        workerGet.id = id
        await assertRPCError(.permissionDenied) { try await world.objects(as: World.gridWorker).get(workerGet) }

        // A summary cannot hold personal data: its message, as the host knows it from the plugin, has no field
        // for any.
        var services = Gongzhi_Host_V1_ListServicesRequest()
        services.name = Gongzhi_Mediation_V1_Mediation.serviceName
        let described = try await world.host.adminClient.listServices(services).services
        let set = try Google_Protobuf_FileDescriptorSet(
            serializedBytes: try XCTUnwrap(described.first).fileDescriptorSet
        )
        let summaryType = try XCTUnwrap(
            set.file.filter { $0.package == "gongzhi.mediation.v1" }.flatMap(\.messageType).first {
                $0.name == "DisputeSummary"
            }
        )
        XCTAssertEqual(
            summaryType.field.map(\.name),
            [
                "id", "state", "type", "source", "referral_id", "place_code", "grid_code", "community_code",
                "street_code", "building_id", "compound", "level", "title", "mediator_names", "applied_at_ms",
                "accepted_at_ms", "closed_at_ms", "next_deadline_ms", "overdue",
            ]
        )

        // Community staff: summaries of the community's disputes, and the Dispute objects themselves through the
        // object store, with the personal data removed because Dispute is a confidential kind.
        let staff = world.mediation(as: World.staff)
        await assertRPCError(.permissionDenied, saying: ["GetDispute"]) { try await staff.getDispute(self.request(id)) }
        let staffSummaries = try await staff.listSummaries(Gongzhi_Mediation_V1_ListDisputesRequest())
        XCTAssertEqual(Set(staffSummaries.summaries.map(\.id)), [id, nextGrid])
        assertNoSecrets(staffSummaries)
        let staffObjects = world.objects(as: World.staff)
        var get = Gongzhi_Host_V1_GetRequest()
        get.kind = "Dispute"
        get.id = id
        let object = try await staffObjects.get(get)
        let redacted = try Gongzhi_Mediation_V1_Dispute(serializedBytes: object.data)
        XCTAssertEqual(redacted.title, "楼上漏水")
        XCTAssertEqual(redacted.type, .neighbour)
        XCTAssertEqual(redacted.placeCode, World.grid)
        XCTAssertEqual(redacted.state, .mediating)
        XCTAssertEqual(redacted.facts, "")
        XCTAssertEqual(redacted.narrative, "")
        XCTAssertEqual(redacted.sessions.map(\.record), [""])
        XCTAssertEqual(redacted.parties.map(\.phone), ["", ""])
        XCTAssertEqual(redacted.parties.map(\.address), ["", ""])
        XCTAssertEqual(redacted.parties.map(\.name), ["张桂兰", "李建国"], "who the parties are is not removed")
        XCTAssertTrue(
            Set(object.redactedFields).isSuperset(of: [
                "facts", "narrative", "sessions.record", "parties.phone", "parties.address",
            ]),
            "\(object.redactedFields)"
        )
        assertNoSecrets(redacted)
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Dispute"
        let listed = try await staffObjects.list(list)
        XCTAssertEqual(Set(listed.objects.map(\.id)), [id, nextGrid], "the community's disputes, not the other's")
        for item in listed.objects {
            XCTAssertTrue(item.redactedFields.contains("facts"), "\(item.id): \(item.redactedFields)")
            assertNoSecrets(try Gongzhi_Mediation_V1_Dispute(serializedBytes: item.data))
        }
        var watch = Gongzhi_Host_V1_WatchRequest()
        watch.kind = "Dispute"
        let events = try await staffObjects.watch(watch) { stream in
            var events: [Gongzhi_Host_V1_WatchEvent] = []
            for try await event in stream {
                events.append(event)
                let value = try Gongzhi_Mediation_V1_Dispute(serializedBytes: event.object.data)
                if value.id == id && value.sessions.count == 1 { break }
            }
            return events
        }
        XCTAssertFalse(events.isEmpty)
        XCTAssertFalse(events.map(\.object.id).contains(otherCommunity), "no event of the other community's")
        for event in events {
            XCTAssertTrue(event.object.redactedFields.contains("facts"), "\(event.object.redactedFields)")
            assertNoSecrets(try Gongzhi_Mediation_V1_Dispute(serializedBytes: event.object.data))
        }
        // The figures count only the disputes of the caller's places.
        let staffStats = try await staff.stats(Gongzhi_Mediation_V1_StatsRequest())
        XCTAssertEqual(staffStats.disputes, 2)
        let staffShown = try await personalDataShown(world, to: World.staff)
        XCTAssertEqual(staffShown, [], "nothing personal was shown to the staff")

        // The assigned mediator sees everything, and the host audits the answer that showed it.
        let hu = world.mediation(as: World.mediator)
        let before = try await personalDataShown(world, to: World.mediator).filter {
            $0.action == "gongzhi.mediation.v1.Mediation/GetDispute"
        }
        XCTAssertEqual(before, [])
        let whole = try await hu.getDispute(request(id))
        XCTAssertEqual(whole.facts, World.facts)
        XCTAssertEqual(whole.narrative, World.narrative)
        XCTAssertEqual(whole.sessions.map(\.record), [World.record])
        XCTAssertEqual(whole.parties.map(\.phone), [World.applicantPhone, World.respondentPhone])
        let audited = try await personalDataShown(world, to: World.mediator).filter {
            $0.action == "gongzhi.mediation.v1.Mediation/GetDispute"
        }
        XCTAssertEqual(audited.count, 1, "\(audited)")
        XCTAssertEqual(audited.first?.target, "plugin:mediation")
        XCTAssertTrue(audited.first?.principal.hasSuffix("as person:\(World.mediator)") == true)
        for field in ["facts", "narrative", "parties.phone", "sessions.record"] {
            XCTAssertTrue(
                audited.first?.detail.contains(field) == true,
                "\(audited.first?.detail ?? "") names \(field)"
            )
        }
        let mine = try await hu.listDisputes(Gongzhi_Mediation_V1_ListDisputesRequest()).disputes
        XCTAssertEqual(Set(mine.map(\.id)), [id, nextGrid], "his community's disputes")

        // A mediator of the other community: neither the dispute nor its summary, and no step on it.
        let sun = world.mediation(as: World.otherMediator)
        await assertRPCError(.permissionDenied) { try await sun.getDispute(self.request(id)) }
        await assertRPCError(.permissionDenied) { try await sun.getSummary(self.request(id)) }
        await assertRPCError(.permissionDenied) { try await world.session(id, by: sun) }
        await assertRPCError(.permissionDenied) { try await sun.print(.with { $0.disputeID = id }) }
        let theirs = try await sun.listDisputes(Gongzhi_Mediation_V1_ListDisputesRequest()).disputes
        XCTAssertEqual(theirs.map(\.id), [otherCommunity])
        let theirStats = try await sun.stats(Gongzhi_Mediation_V1_StatsRequest())
        XCTAssertEqual(theirStats.disputes, 1)
        let sunShown = try await personalDataShown(world, to: World.otherMediator).filter {
            $0.action == "gongzhi.mediation.v1.Mediation/GetDispute"
        }
        XCTAssertEqual(sunShown, [])
        let untouched = try await world.get(id)
        XCTAssertEqual(untouched.sessions.count, 1)

        // The agreement is printed only for a caller who sees personal data: an application's token without the
        // grant is refused, and reads the dispute without it.
        _ = try await world.draft(
            id,
            World.agreement(repairBy: World.china(2026, 3, 10), payBy: World.china(2026, 3, 20))
        )
        let token = try await world.host.issueClientToken(scopes: ["gongzhi.mediation.v1.Mediation/*"])
        let channel = world.host.channel(token: token.token)
        addTeardownBlock { await channel.close() }
        let application = Gongzhi_Mediation_V1_MediationClient(channel: channel)
        await assertRPCError(.permissionDenied, saying: ["personal data", "mediator"]) {
            try await application.print(.with { $0.disputeID = id })
        }
        let plain = try await application.getDispute(request(id))
        XCTAssertEqual(plain.title, "楼上漏水")
        assertNoSecrets(plain)
        let printed = try await hu.print(.with { $0.disputeID = id })
        XCTAssertTrue(printed.html.contains("人民调解协议书"), printed.html)
    }
}
