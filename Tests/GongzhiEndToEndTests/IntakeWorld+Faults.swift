import Foundation
import GongzhiGridSchemas
import GongzhiHost
import GongzhiIntakeSchemas
import GongzhiSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

#if canImport(Glibc)
import Glibc
#endif

// What the intake fault tests do with the world: a fixed Open311 port, devices, telemetry, tickets and cases
// checked against what the loads were acknowledged, and the world again on a restarted host.
extension IntakeWorld {
    /// A free TCP port on 127.0.0.1 (bound and released), for an Open311 address that stays the same across
    /// restarts of the plugin and the host.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(socket, raw, length) == 0 else { return false }
                return getsockname(socket, raw, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("bind() to 127.0.0.1:0 failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts the world with the Open311 front end on a fixed free port, so that load generators keep their
    /// endpoint when the plugin or the host restarts.
    static func startOnFixedPort(
        _ test: XCTestCase,
        budgets: [String: Int] = [:],
        supervision: SupervisionPolicy = .forTests,
        directory: TemporaryDirectory? = nil
    ) async throws -> IntakeWorld {
        let port = try freePort()
        return try await start(
            test,
            budgets: budgets,
            environment: ["INTAKE_HTTP_ADDRESS": "127.0.0.1:\(port)"],
            supervision: supervision,
            directory: directory
        )
    }

    /// Registers water-level sensors `ids`, spread over the three grids.
    func registerDevices(_ ids: [String]) async throws {
        var request = Gongzhi_Intake_V1_PutDevicesRequest()
        request.devices = ids.enumerated().map { index, id in
            var device = Self.device(id, kind: "water_level", inGrid: index % 3)
            device.location = GridEndToEndTests.point(
                inGrid: index % 3,
                dx: 0.05 + 0.9 * Double(index / 3 % 10) / 10,
                dy: 0.05 + 0.9 * Double(index / 30) / 10
            )
            return device
        }
        _ = try await intake.putDevices(request)
    }

    /// Every reading stored for `device` (its telemetry), by its own time.
    func storedReadings(_ device: String) async throws -> [Int64: Double] {
        var request = Gongzhi_Intake_V1_ReadingsRequest()
        request.deviceID = device
        request.limit = 10_000
        let readings = try await intake.readings(request).readings
        return Dictionary(readings.map { ($0.timeUnixMs, $0.value) }) { first, _ in first }
    }

    /// Of the readings with keys `keys` (`ReadingsLoad.key`), those not in telemetry.
    func missingReadings(_ keys: Set<String>) async throws -> [String] {
        var byDevice: [String: [Int64]] = [:]
        for key in keys {
            guard let slash = key.lastIndex(of: "/"), let atMs = Int64(key[key.index(after: slash)...]) else {
                continue
            }
            byDevice[String(key[..<slash]), default: []].append(atMs)
        }
        var missing: [String] = []
        for (device, times) in byDevice {
            let stored = try await storedReadings(device)
            missing += times.filter { stored[$0] == nil }.map { ReadingsLoad.key(device: device, atMs: $0) }
        }
        return missing.sorted()
    }

    /// The items of the hotline, every page.
    func hotlineItems() async throws -> [Gongzhi_Intake_V1_IntakeItem] {
        var items: [Gongzhi_Intake_V1_IntakeItem] = []
        var request = Gongzhi_Intake_V1_ListItemsRequest()
        request.source = "hotline-12345"
        request.limit = 1_000
        while true {
            let page = try await intake.listItems(request)
            items += page.items
            if page.nextPageToken.isEmpty { return items }
            request.pageToken = page.nextPageToken
        }
    }

    /// Checks the hotline's tickets against what was answered 200: each answered ticket number has exactly one
    /// item, in a case that exists, with the id its 200 gave (unless it was sent more than once); each ticket's
    /// report key is in exactly one case (no case opened twice for it, nor the ticket joined twice).
    func checkTickets(
        _ answered: TicketsLoad.Answered,
        file: StaticString = #filePath,
        line: UInt = #line
    )
        async throws
    {
        let items = try await hotlineItems()
        let byTicket = Dictionary(grouping: items, by: \.externalID)
        let doubled = byTicket.filter { $0.value.count > 1 }.keys.sorted()
        XCTAssertEqual(doubled, [], "ticket numbers with more than one item", file: file, line: line)
        let missing = answered.ids.keys.filter { byTicket[$0] == nil }.sorted()
        XCTAssertEqual(
            missing,
            [],
            "of \(answered.ids.count) tickets answered 200, these have no item",
            file: file,
            line: line
        )
        for (ticket, id) in answered.ids where !answered.retried.contains(ticket) {
            guard let item = byTicket[ticket]?.first else { continue }
            XCTAssertEqual(item.serviceRequestID, id, "ticket \(ticket) answered \(id)", file: file, line: line)
        }
        let cases = try await self.cases()
        let caseIDs = Set(cases.map(\.id))
        let keyCounts = cases.flatMap { [$0.reporter] + $0.alsoReportedBy }.map(\.idempotencyKey)
            .filter { $0.hasPrefix("intake:hotline-12345:") }
            .reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        XCTAssertEqual(
            keyCounts.filter { $0.value > 1 }.keys.sorted(),
            [],
            "ticket keys in more than one case or report",
            file: file,
            line: line
        )
        for item in items {
            XCTAssertEqual(item.state, .inCase, "item \(item.id) (ticket \(item.externalID))", file: file, line: line)
            XCTAssertTrue(
                caseIDs.contains(item.caseID),
                "item \(item.id)'s case \(item.caseID) exists",
                file: file,
                line: line
            )
            XCTAssertEqual(
                keyCounts["intake:hotline-12345:\(item.externalID)"],
                1,
                "ticket \(item.externalID) reported once",
                file: file,
                line: line
            )
        }
    }

    /// The sensor cases, by the device their alert came from.
    func sensorCasesByDevice(_ devices: [String]) async throws -> [String: Int] {
        let sensorCases = try await cases().filter { $0.reporter.source == .sensor }
        var counts: [String: Int] = [:]
        for gridCase in sensorCases {
            for device in devices where gridCase.description_p.contains("（\(device)）") {
                counts[device, default: 0] += 1
            }
        }
        return counts
    }
}

extension IntakeWorld {
    /// The same world on a host started again on the same folder: clients of the new host, and the same broker,
    /// files, api_key and Open311 endpoint (started on a fixed port).
    func reattached(to host: HostUnderTest) async throws -> IntakeWorld {
        for plugin in host.plugins { try await host.waitUntil(plugin.name, timeout: .seconds(60)) }
        var world = self
        world.host = host
        world.intake = Gongzhi_Intake_V1_IntakeClient(channel: host.admin)
        world.grid = Gongzhi_Grid_V1_GridServiceClient(channel: host.admin)
        world.objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        try await world.waitUntilConnected()
        return world
    }

    /// Waits until the MQTT source is connected to its broker.
    func waitUntilConnected(timeout: Duration = .seconds(60)) async throws {
        try await eventually("the MQTT source is connected", timeout: timeout, poll: .milliseconds(50)) {
            let sources = try await intake.listSources(Gongzhi_Intake_V1_ListSourcesRequest())
            return sources.sources.first { $0.name == "sensors-x" }?.state == .connected
        }
    }

    /// sensors-x's counters once it has accepted `count` distinct messages (received, with any the broker delivered
    /// again, at least that many) and settled.
    func drained(accepted count: Int, timeout: Duration = .seconds(90)) async throws -> Gongzhi_Intake_V1_SourceCounters
    {
        try await eventually("sensors-x accepted \(count) messages", timeout: timeout, poll: .milliseconds(50)) {
            try await stats("sensors-x").accepted >= UInt64(count)
        }
        return try await settled("sensors-x", timeout: timeout)
    }

    /// Waits until the MQTT source received at least `count` messages and has nothing in flight, and checks the
    /// conservation equation.
    func drained(received count: Int, timeout: Duration = .seconds(90)) async throws -> Gongzhi_Intake_V1_SourceCounters
    {
        try await eventually("sensors-x received \(count) messages", timeout: timeout, poll: .milliseconds(50)) {
            try await stats("sensors-x").received >= UInt64(count)
        }
        return try await settled("sensors-x", timeout: timeout)
    }
}
