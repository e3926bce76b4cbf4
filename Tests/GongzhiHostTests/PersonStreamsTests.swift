import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Synchronization
import XCTest

@testable import GongzhiHost

/// A Watch followed until it ends: how many events it saw, and the error that ended it.
private final class FollowedWatch: Sendable {
    private final class Seen: Sendable {
        let state = Mutex<(events: [String], ended: RPCError?)>(([], nil))
    }

    private let seen = Seen()
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ client: Gongzhi_Host_V1_ObjectsClient, kind: String) {
        var request = Gongzhi_Host_V1_WatchRequest()
        request.kind = kind
        let watching = Task { [seen] in
            do {
                try await client.watch(request) { events in
                    for try await event in events { seen.state.withLock { $0.events.append(event.object.id) } }
                }
            } catch let error as RPCError {
                seen.state.withLock { $0.ended = error }
            } catch {
                seen.state.withLock { $0.ended = RPCError(code: .unknown, message: "\(error)") }
            }
        }
        task.withLock { $0 = watching }
    }

    var events: [String] { seen.state.withLock { $0.events } }
    var ended: RPCError? { seen.state.withLock { $0.ended } }

    func stop() { task.withLock { $0?.cancel() } }
}

/// A person's open streams end as soon as they may no longer act (suspended, removed) or what they may see changes
/// (a binding, or a role they hold): a Watch opened before would otherwise go on showing what it showed.
final class PersonStreamsTests: XCTestCase {
    typealias A = Administrator

    func testSuspendingAPersonEndsTheirWatchesAndNobodyElses() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            try await admin.person("li-na", "李娜")
            try await admin.bind("hu-wei", "viewer", "330199001")
            try await admin.bind("li-na", "viewer", "330199001")
            let own = FollowedWatch(
                Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("hu-wei")),
                kind: "Grid"
            )
            let actedFor = FollowedWatch(
                Gongzhi_Host_V1_ObjectsClient(channel: admin.actingFor("hu-wei")),
                kind: "Grid"
            )
            let other = FollowedWatch(
                Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("li-na")),
                kind: "Grid"
            )
            defer { for watch in [own, actedFor, other] { watch.stop() } }
            try await eventually("the three watches caught up") {
                [own, actedFor, other].allSatisfy { $0.events.contains("330199001001001") }
            }

            try await admin.suspend("hu-wei", reason: "on leave")
            try await eventually("hu-wei's watches ended") {
                own.ended != nil && actedFor.ended != nil
            }
            let message =
                "person hu-wei was suspended (on leave), which ends the streams open for them; an administrator "
                + "resumes them with gongzhictl people resume hu-wei"
            XCTAssertEqual(own.ended?.code, .unauthenticated, "their own token is refused from now on")
            XCTAssertEqual(own.ended?.message, message)
            XCTAssertEqual(actedFor.ended?.code, .permissionDenied, "nobody may act for them from now on")
            XCTAssertEqual(actedFor.ended?.message, message)

            // li-na's watch goes on, and sees what comes next.
            try await admin.place("330199001001003", "东一社区第三网格")
            try await eventually("li-na's watch saw the new grid") { other.events.contains("330199001001003") }
            XCTAssertNil(other.ended)
            XCTAssertEqual(host.tokens.openStreams.endedCount, 2)
            let ends = host.audit(after: 0).filter { $0.outcome == "ended" }
            XCTAssertEqual(ends.count, 2, "\(ends)")
        }
    }

    func testAChangedBindingOrRoleEndsTheWatchAborted() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "viewer", "330199001")
            var watch = FollowedWatch(
                Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("hu-wei")),
                kind: "Grid"
            )
            try await eventually("the watch caught up") { watch.events.contains("330199001001001") }

            try await admin.delete("RoleBinding", A.bindingID("hu-wei", "viewer", "330199001"))
            try await eventually("the watch ended") { watch.ended != nil }
            XCTAssertEqual(watch.ended?.code, .aborted)
            XCTAssertEqual(
                watch.ended?.message,
                "person hu-wei's role bindings changed, which ends the streams open for hu-wei: what hu-wei may see "
                    + "changed; list again and watch from the list's revision"
            )

            // A change to a role they hold ends it too; a change to another role does not. (Built-in roles never
            // change: these are copies of viewer.)
            for name in ["reader", "auditor"] {
                var role = try await admin.message(Gongzhi_Core_V1_Role.self, "Role", "viewer")
                role.name = name
                role.builtIn = false
                try await admin.create("Role", name, role)
            }
            try await admin.bind("hu-wei", "reader", "330199002")
            watch = FollowedWatch(
                Gongzhi_Host_V1_ObjectsClient(channel: try admin.personChannel("hu-wei")),
                kind: "Grid"
            )
            try await eventually("the new watch caught up") { watch.events.contains("330199002001001") }
            var auditor = try await admin.message(Gongzhi_Core_V1_Role.self, "Role", "auditor")
            auditor.title += "（审计）"
            try await admin.update("Role", "auditor", auditor)
            try await admin.place("330199002001002", "西一社区第二网格")
            try await eventually("the watch saw the new grid") { watch.events.contains("330199002001002") }
            XCTAssertNil(watch.ended, "a role hu-wei does not hold changed nothing for them")

            var reader = try await admin.message(Gongzhi_Core_V1_Role.self, "Role", "reader")
            reader.title += "（只读）"
            try await admin.update("Role", "reader", reader)
            try await eventually("the watch ended") { watch.ended != nil }
            XCTAssertEqual(watch.ended?.code, .aborted)
            XCTAssertEqual(
                watch.ended?.message,
                "role reader changed, which ends the streams open for hu-wei: what hu-wei may see changed; list again "
                    + "and watch from the list's revision"
            )
            watch.stop()
        }
    }

    /// A change between the call's check and the stream's registration (which no reload's ending reached) is
    /// caught at the registration.
    func testAChangeBetweenTheCallsCheckAndTheStreamsStartEndsItAtOnce() async throws {
        let streams = OpenStreams()
        let person = OpenStreams.Person(id: "hu-wei", cannotActCode: .permissionDenied)
        do {
            _ = try await streams.run(
                under: nil,
                person: person,
                personChanged: { .cannotAct("person hu-wei can no longer act") },
                isRevoked: { false },
                onEnd: { _ in },
                {
                    try await Task.sleep(for: .seconds(60))
                    return 0
                }
            )
            XCTFail("the stream ran on")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied)
            XCTAssertEqual(error.message, "person hu-wei can no longer act")
        }
        XCTAssertEqual(streams.endedCount, 1)
    }

    func testTheDirectoryTellsHowAPersonsAccessChangedSinceACallWasDecided() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟")
            try await admin.bind("hu-wei", "viewer", "330199001")
            let people = host.people
            guard case .success(let decided) = people.access("hu-wei") else { return XCTFail("hu-wei cannot act") }
            XCTAssertNil(people.change(since: decided), "nothing changed")
            try await admin.place("330199001001003", "东一社区第三网格")
            XCTAssertNil(people.change(since: decided), "another write of the store changes nothing for hu-wei")
            try await admin.bind("hu-wei", "viewer", "330199002")
            guard case .accessChanged(let message)? = people.change(since: decided) else {
                return XCTFail("a new binding is a change")
            }
            XCTAssertTrue(message.contains("list again"), message)
            try await admin.suspend("hu-wei", reason: "on leave")
            guard case .cannotAct(let suspended)? = people.change(since: decided) else {
                return XCTFail("a suspension is")
            }
            XCTAssertTrue(suspended.contains("suspended (on leave)"), suspended)
        }
    }
}
