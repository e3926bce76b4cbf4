import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

@testable import GongzhiHost

/// The order in which waiting calls were admitted.
private final class AdmissionOrder: Sendable {
    private let labels = Mutex<[String]>([])

    func append(_ label: String) { labels.withLock { $0.append(label) } }

    var all: [String] { labels.withLock { $0 } }
}

/// Timers that fire only when a test says so.
private final class ManualTimers: Sendable {
    private let pending = Mutex<[(delay: Duration, action: @Sendable () -> Void, cancelled: Bool)]>([])

    var timer: AdmissionController.Timer {
        { delay, action in
            let index = self.pending.withLock { pending in
                pending.append((delay, action, false))
                return pending.count - 1
            }
            return { self.pending.withLock { $0[index].cancelled = true } }
        }
    }

    /// The delays of the timers set so far, and whether each was cancelled.
    var delays: [(Duration, Bool)] { pending.withLock { timers in timers.map { ($0.delay, $0.cancelled) } } }

    /// Fires every timer not cancelled, as if their time had come.
    func fireAll() {
        let due = pending.withLock { pending in
            defer { for index in pending.indices { pending[index].cancelled = true } }
            return pending.filter { !$0.cancelled }.map(\.action)
        }
        for action in due { action() }
    }
}

final class AdmissionControllerTests: XCTestCase {
    private let heavy = FlowKey(kind: .client, name: "tk_heavy", detail: "reports")
    private let light = FlowKey(kind: .client, name: "tk_light")
    private let third = FlowKey(kind: .person, name: "p-3")
    private var timers: ManualTimers!

    override func setUp() {
        timers = ManualTimers()
    }

    private func controller(
        seats: Int = 4,
        seatsPerFlow: Int = 2,
        queueLength: Int = 50,
        maxSeatsPerCall: Int = 2,
        streams: Int = 64,
        counters: LimitCounters? = nil
    ) -> AdmissionController {
        let level = LevelLimits(
            seats: seats,
            seatsPerFlow: seatsPerFlow,
            queueLengthPerFlow: queueLength,
            maxWait: .seconds(10),
            maxSeatsPerCall: maxSeatsPerCall
        )
        return AdmissionController(
            limits: AdmissionLimits(
                admin: level,
                plugins: level,
                clients: level,
                routed: level,
                maxStreamsPerFlow: streams
            ),
            configurationPath: "/etc/gongzhi/gongzhi.toml",
            counters: counters,
            timer: timers.timer
        )
    }

    private func statistics(_ controller: AdmissionController, _ level: String = "clients") -> AdmissionStatistics? {
        controller.statistics.first { $0.level == level }
    }

    /// Waits (briefly) until `count` calls wait at the clients level.
    private func waitForWaiting(_ controller: AdmissionController, _ count: Int, line: UInt = #line) async throws {
        for _ in 0..<2000 {
            if statistics(controller)?.waiting == count { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        XCTFail("\(count) calls never waited: \(String(describing: statistics(controller)))", line: line)
    }

    /// Admits in a task of its own, recording the order of admissions in `order`.
    private func waiter(
        _ controller: AdmissionController,
        _ flow: FlowKey,
        label: String,
        order: AdmissionOrder,
        width: Int = 1
    ) -> Task<AdmissionTicket, any Error> {
        Task {
            let ticket = try await controller.admit(flow, level: .clients, width: width)
            order.append(label)
            return ticket
        }
    }

    func testCallsWithinTheirShareAreAdmittedAtOnceAndSeatsNeverExceedTheLimits() async throws {
        let controller = controller()
        let first = try await controller.admit(heavy, level: .clients)
        let second = try await controller.admit(heavy, level: .clients)
        XCTAssertEqual(statistics(controller)?.seatsInUse, 2)
        // The heavy flow has its two seats: its third call waits though the level has two free.
        let order = AdmissionOrder()
        let third = waiter(controller, heavy, label: "heavy-3", order: order)
        try await waitForWaiting(controller, 1)
        XCTAssertEqual(statistics(controller)?.seatsInUse, 2)
        // Another flow is not held up by it.
        let light1 = try await controller.admit(light, level: .clients)
        let light2 = try await controller.admit(light, level: .clients)
        XCTAssertEqual(statistics(controller)?.seatsInUse, 4)
        first.release()
        let admitted = try await third.value
        XCTAssertEqual(order.all, ["heavy-3"])
        XCTAssertEqual(statistics(controller)?.seatsInUse, 4)
        // A second release of the same ticket gives nothing back.
        first.release()
        XCTAssertEqual(statistics(controller)?.seatsInUse, 4)
        for ticket in [second, admitted, light1, light2] { ticket.release() }
        let final = try XCTUnwrap(statistics(controller))
        XCTAssertEqual(final.seatsInUse, 0)
        XCTAssertEqual(final.waiting, 0)
        XCTAssertEqual(final.admitted, 5)
        XCTAssertEqual(final.queued, 1)
        XCTAssertEqual(final.rejected, 0)
    }

    func testTheFlowWithFewestSeatsInUseGoesFirstAndEachFlowIsServedInOrder() async throws {
        let controller = controller(seats: 4, seatsPerFlow: 3)
        let order = AdmissionOrder()
        let heavyHeld = [
            try await controller.admit(heavy, level: .clients),
            try await controller.admit(heavy, level: .clients),
            try await controller.admit(heavy, level: .clients),
        ]
        let lightHeld = try await controller.admit(light, level: .clients)
        // The level is full. The heavy flow queues three more, then a third flow one.
        var tasks: [Task<AdmissionTicket, any Error>] = []
        for index in 1...3 {
            tasks.append(waiter(controller, heavy, label: "heavy-\(index)", order: order))
            try await waitForWaiting(controller, index)
        }
        tasks.append(waiter(controller, third, label: "third", order: order))
        try await waitForWaiting(controller, 4)

        // A seat of the heavy flow comes back: the third flow, with none in use, goes before the heavy flow's queue.
        heavyHeld[0].release()
        let thirdTicket = try await tasks[3].value
        XCTAssertEqual(order.all, ["third"])
        // The light flow's seat comes back: only the heavy flow waits, first in first out.
        lightHeld.release()
        var admitted = [try await tasks[0].value]
        heavyHeld[1].release()
        admitted.append(try await tasks[1].value)
        heavyHeld[2].release()
        admitted.append(try await tasks[2].value)
        XCTAssertEqual(order.all, ["third", "heavy-1", "heavy-2", "heavy-3"])
        XCTAssertEqual(statistics(controller)?.seatsInUse, 4)
        for ticket in admitted + [thirdTicket] { ticket.release() }
        XCTAssertEqual(statistics(controller)?.seatsInUse, 0)
    }

    func testANewcomerDoesNotPassAWaitingCallOfAnotherFlow() async throws {
        let controller = controller(seats: 2, seatsPerFlow: 2)
        let held = try await controller.admit(heavy, level: .clients)
        let order = AdmissionOrder()
        // The light flow's wide call waits for two seats; a narrow call of a third flow, which one free seat would
        // fit, waits behind it rather than keep it waiting for ever.
        let wide = waiter(controller, light, label: "light", order: order, width: 2)
        try await waitForWaiting(controller, 1)
        let narrow = waiter(controller, third, label: "third", order: order)
        try await waitForWaiting(controller, 2)
        XCTAssertEqual(statistics(controller)?.seatsInUse, 1)
        held.release()
        let wideTicket = try await wide.value
        XCTAssertEqual(order.all, ["light"])
        XCTAssertEqual(statistics(controller)?.waiting, 1)
        wideTicket.release()
        try await narrow.value.release()
        XCTAssertEqual(order.all, ["light", "third"])
    }

    func testAFullQueueIsRefusedAtOnceNamingThePrincipalTheLimitAndWhenToRetry() async throws {
        let counters = LimitCounters()
        let controller = controller(seats: 4, seatsPerFlow: 1, queueLength: 2, counters: counters)
        let held = try await controller.admit(heavy, level: .clients)
        let order = AdmissionOrder()
        let queued = [
            waiter(controller, heavy, label: "1", order: order),
            waiter(controller, heavy, label: "2", order: order),
        ]
        try await waitForWaiting(controller, 2)
        do {
            _ = try await controller.admit(heavy, level: .clients)
            XCTFail("a third waiting call was admitted")
        } catch {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertTrue(error.message.contains("token tk_heavy (client \"reports\")"), error.message)
            XCTAssertTrue(error.message.contains("[admission.clients] queue_length_per_flow = 2"), error.message)
            XCTAssertTrue(error.message.contains("/etc/gongzhi/gongzhi.toml"), error.message)
            XCTAssertTrue(error.message.contains("retry in"), error.message)
            let retry = try XCTUnwrap(error.metadata[AdmissionController.retryAfterMetadataKey].flatMap { Int($0) })
            XCTAssertTrue((50...5000).contains(retry), "\(retry)")
        }
        // The callback form refuses the same way.
        let refused = Mutex<RPCError?>(nil)
        controller.admit(heavy, level: .clients) { result in
            if case .failure(let error) = result { refused.withLock { $0 = error } }
        }
        XCTAssertEqual(refused.withLock { $0 }?.code, .resourceExhausted)
        XCTAssertEqual(statistics(controller)?.rejected, 2)
        // Both are counted for `gongzhictl status`, under the limit's key.
        XCTAssertEqual(counters.value("admission.clients.queue_length_per_flow"), 2, "\(counters.snapshot())")
        held.release()
        // Which of the two queued first is up to the scheduler: each gives its seat back as soon as it has it, so
        // that the other gets it in turn, whichever that is.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in queued { group.addTask { try await task.value.release() } }
            try await group.waitForAll()
        }
        XCTAssertEqual(Set(order.all), ["1", "2"])
    }

    func testACallThatWaitsMaxWaitIsRefusedAndItsPlaceFreed() async throws {
        let controller = controller(seats: 1, seatsPerFlow: 1, queueLength: 1)
        let held = try await controller.admit(heavy, level: .clients)
        let waiting = Task { [light] in try await controller.admit(light, level: .clients) }
        try await waitForWaiting(controller, 1)
        XCTAssertEqual(timers.delays.map { $0.0 }, [.seconds(10)])
        timers.fireAll()
        do {
            _ = try await waiting.value
            XCTFail("admitted after max_wait")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertTrue(error.message.contains("[admission.clients] max_wait = \"10s\""), error.message)
            XCTAssertTrue(error.message.contains("token tk_light"), error.message)
            XCTAssertNotNil(error.metadata[AdmissionController.retryAfterMetadataKey])
        }
        XCTAssertEqual(statistics(controller)?.waiting, 0)
        XCTAssertEqual(statistics(controller)?.rejected, 1)
        // Its place is free again: another call of the flow may wait.
        let again = Task { [light] in try await controller.admit(light, level: .clients) }
        try await waitForWaiting(controller, 1)
        held.release()
        try await again.value.release()
    }

    func testACallerDeadlineSoonerThanMaxWaitEndsTheWait() async throws {
        let controller = controller(seats: 1, seatsPerFlow: 1)
        let held = try await controller.admit(heavy, level: .clients)
        let deadline = ContinuousClock.now + .seconds(2)
        let waiting = Task { [light] in try await controller.admit(light, level: .clients, deadline: deadline) }
        try await waitForWaiting(controller, 1)
        let delay = try XCTUnwrap(timers.delays.first?.0)
        XCTAssertLessThanOrEqual(delay, .seconds(2))
        XCTAssertGreaterThan(delay, .seconds(1))
        timers.fireAll()
        do {
            _ = try await waiting.value
            XCTFail("admitted after its deadline")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .deadlineExceeded)
        }
        XCTAssertEqual(statistics(controller)?.cancelled, 1)
        held.release()
    }

    func testACancelledWaiterFreesItsPlaceAndItsTimer() async throws {
        let controller = controller(seats: 1, seatsPerFlow: 1, queueLength: 1)
        let held = try await controller.admit(heavy, level: .clients)
        let waiting = Task { [light] in try await controller.admit(light, level: .clients) }
        try await waitForWaiting(controller, 1)
        waiting.cancel()
        do {
            _ = try await waiting.value
            XCTFail("admitted though cancelled")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .cancelled)
        }
        XCTAssertEqual(statistics(controller)?.waiting, 0)
        XCTAssertEqual(timers.delays.map { $0.1 }, [true])
        // The queue (of one) has room again, and the released seat goes to the new waiter, not the cancelled one.
        let order = AdmissionOrder()
        let next = waiter(controller, light, label: "next", order: order)
        try await waitForWaiting(controller, 1)
        held.release()
        try await next.value.release()
        XCTAssertEqual(order.all, ["next"])
        XCTAssertEqual(statistics(controller)?.seatsInUse, 0)
    }

    func testSystemCallsNeverWait() async throws {
        let controller = controller(seats: 1, seatsPerFlow: 1, queueLength: 0)
        let held = try await controller.admit(heavy, level: .clients)
        let plugin = FlowKey(kind: .plugin, name: "grid")
        for _ in 0..<100 {
            let ticket = try await controller.admit(plugin, level: .system, width: 50)
            XCTAssertEqual(ticket.hold, .nothing)
        }
        XCTAssertEqual(controller.statistics.first { $0.level == "system" }?.admitted, 100)
        // The clients level, full with no queue, refuses instead.
        do {
            _ = try await controller.admit(light, level: .clients)
            XCTFail("admitted past a full level with no queue")
        } catch {
            XCTAssertEqual(error.code, .resourceExhausted)
        }
        held.release()
    }

    func testLevelsAndRoutedPoolsDoNotShareSeats() async throws {
        let controller = controller(seats: 1, seatsPerFlow: 1, queueLength: 0)
        let plugin = FlowKey(kind: .plugin, name: "grid")
        // A plugin serving a routed call holds the caller's seat in the grid pool; its own calls into the host
        // draw on the plugins level, and a call routed to another plugin on that plugin's pool.
        let routed = try await controller.admit(light, level: .routed(plugin: "grid"))
        let callback = try await controller.admit(plugin, level: .plugins)
        let other = try await controller.admit(plugin, level: .routed(plugin: "points"))
        let client = try await controller.admit(light, level: .clients)
        XCTAssertEqual(
            controller.statistics.filter { $0.seatsInUse > 0 }.map(\.level),
            ["clients", "plugins", "routed:grid", "routed:points"]
        )
        for ticket in [routed, callback, other, client] { ticket.release() }
    }

    func testAListIsAsWideAsItsPageSizeUpToTheLevelsCap() async throws {
        var request = Gongzhi_Host_V1_ListRequest()
        request.kind = "Resident"
        request.pageSize = 10_000
        let payload = try MessageCodec.encode(request)
        let objects = Gongzhi_Host_V1_Objects.serviceName
        XCTAssertEqual(CallCost.width(service: objects, method: "List", payload: payload), 10)
        request.pageSize = 0
        XCTAssertEqual(CallCost.width(service: objects, method: "List", payload: try MessageCodec.encode(request)), 1)
        XCTAssertEqual(CallCost.width(service: objects, method: "Get", payload: payload), 1)

        let controller = controller(seats: 8, seatsPerFlow: 4, maxSeatsPerCall: 2)
        let wide = try await controller.admit(heavy, level: .clients, width: 10)
        XCTAssertEqual(wide.hold, .seats(.clients, 2))
        XCTAssertEqual(statistics(controller)?.seatsInUse, 2)
        wide.release()
    }

    func testTheCallbackFormIsAnsweredWhenASeatComesBack() async throws {
        let controller = controller(seats: 1, seatsPerFlow: 1)
        let held = try await controller.admit(heavy, level: .clients)
        let admitted = Mutex<AdmissionTicket?>(nil)
        controller.admit(light, level: .clients) { result in
            admitted.withLock { $0 = try? result.get() }
        }
        XCTAssertNil(admitted.withLock { $0 })
        XCTAssertEqual(statistics(controller)?.waiting, 1)
        held.release()
        let ticket = try XCTUnwrap(admitted.withLock { $0 })
        XCTAssertEqual(ticket.flow, light)
        ticket.release()
        XCTAssertEqual(statistics(controller)?.seatsInUse, 0)
    }

    func testOpenStreamsPerFlowAreCapped() throws {
        let controller = controller(streams: 2)
        let first = try controller.openStream(heavy)
        let second = try controller.openStream(heavy)
        XCTAssertThrowsError(try controller.openStream(heavy)) { error in
            let error = error as? RPCError
            XCTAssertEqual(error?.code, .resourceExhausted)
            XCTAssertTrue(error?.message.contains("[admission] max_streams_per_flow = 2") == true)
        }
        // Another flow has its own streams; a closed stream makes room.
        let other = try controller.openStream(light)
        first.release()
        let third = try controller.openStream(heavy)
        XCTAssertEqual(controller.streamsRefused, 1)
        for ticket in [second, other, third] { ticket.release() }
    }
}
