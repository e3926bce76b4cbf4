import GongzhiGridSchemas
import GongzhiIntake
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import GongzhiSensorsSchemas
import Synchronization

/// How a call to another module through the host ended, as the pipeline acts on it.
enum DownstreamFailure: Error, CustomStringConvertible {
    /// No plugin serves the service: the module is not deployed here.
    case notDeployed(String)
    /// Worth trying again later: the host or the module is busy, restarting or slow.
    case transient(String)
    /// The module refused what intake made of the input: it will refuse it again.
    case refused(RPCError)

    var description: String {
        switch self {
        case .notDeployed(let message), .transient(let message): return message
        case .refused(let error): return error.message
        }
    }

    /// Sorts an error. A module the host does not serve yet counts as not deployed only once the plugin has run
    /// for `grace` (the host starts plugins side by side, so a module may register a moment after intake).
    static func classify(_ error: any Error, pastGrace: Bool) -> DownstreamFailure {
        guard let rpc = error as? RPCError else { return .transient("\(error)") }
        switch rpc.code {
        case .unimplemented where rpc.message.hasPrefix("no plugin serves"):
            return pastGrace ? .notDeployed(rpc.message) : .transient(rpc.message)
        case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted, .cancelled, .internal, .unknown:
            return .transient(rpc.message)
        default:
            return .refused(rpc)
        }
    }
}

/// The calls intake makes to the grid and sensor modules through the host, each classified for the pipeline.
struct Downstream: Sendable {
    let grid: Gongzhi_Grid_V1_GridServiceClient
    let sensors: Gongzhi_Sensors_V1_SensorsClient
    let objects: HostObjects
    let startedAtMs: Int64
    let clock: PluginClock
    /// A module is taken as not deployed when the host does not serve it this long after the plugin started.
    let graceMs: Int64

    init(host: HostChannel, objects: HostObjects, clock: PluginClock, graceMs: Int64 = 30_000) {
        grid = Gongzhi_Grid_V1_GridServiceClient(channel: host)
        sensors = Gongzhi_Sensors_V1_SensorsClient(channel: host)
        self.objects = objects
        self.clock = clock
        self.graceMs = graceMs
        startedAtMs = clock.nowMs()
    }

    private var pastGrace: Bool { clock.nowMs() - startedAtMs >= graceMs }

    private func call<T: Sendable>(_ body: () async throws -> T) async throws(DownstreamFailure) -> T {
        do {
            return try await body()
        } catch {
            throw DownstreamFailure.classify(error, pastGrace: pastGrace)
        }
    }

    /// The grid a point lies in; nil when it lies in none (the grid answers NOT_FOUND).
    func locate(_ point: Coordinate) async throws(DownstreamFailure) -> Gongzhi_Grid_V1_LocateResponse? {
        var request = Gongzhi_Grid_V1_LocateRequest()
        request.point.latitude = point.latitude
        request.point.longitude = point.longitude
        do {
            return try await call { try await grid.locate(request) }
        } catch .refused(let error) where error.code == .notFound {
            return nil
        }
    }

    func report(
        _ request: Gongzhi_Grid_V1_ReportRequest
    ) async throws(DownstreamFailure)
        -> Gongzhi_Grid_V1_ReportResponse
    {
        try await call { try await grid.report(request) }
    }

    /// Registers a reported case and dispatches it to a department (对口); a case already past reporting is
    /// left as it is (someone acted on it, or this ran before).
    func dispatch(
        _ reported: Gongzhi_Grid_V1_Case,
        toDepartment department: String
    ) async throws(DownstreamFailure)
        -> Gongzhi_Grid_V1_Case
    {
        var current = reported
        if current.state == .reported {
            var register = Gongzhi_Grid_V1_RegisterCaseRequest()
            register.ref.caseID = current.id
            register.note = "城市大脑受理，对口派遣"
            current = try await call { try await grid.register(register) }
        }
        if current.state == .registered {
            var dispatch = Gongzhi_Grid_V1_DispatchRequest()
            dispatch.ref.caseID = current.id
            dispatch.assignee.kind = .department
            dispatch.assignee.id = department
            dispatch.note = "按分类对口派遣"
            current = try await call { try await grid.dispatch(dispatch) }
        }
        return current
    }

    func check(
        _ readings: [Gongzhi_Sensors_V1_Reading]
    ) async throws(DownstreamFailure)
        -> Gongzhi_Sensors_V1_CheckResponse
    {
        var request = Gongzhi_Sensors_V1_CheckRequest()
        request.readings = readings
        return try await call { try await sensors.check(request) }
    }

    /// The grid of a building named by an Open311 address_id; nil when there is no such building.
    func building(_ id: String) async throws(DownstreamFailure) -> Gongzhi_Core_V1_Building? {
        do {
            return try await call { try await objects.get(Gongzhi_Core_V1_Building.self, id: id)?.message }
        } catch .refused(let error) where error.code == .notFound {
            return nil
        }
    }
}
