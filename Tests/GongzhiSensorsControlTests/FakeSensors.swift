import GongzhiRPC
import GongzhiSensorsSchemas
import Synchronization

/// The sensor adapter's service as the host routes it: fixed answers, and what it was asked; or, as `failure`,
/// the error the host answers instead.
final class FakeSensors: Gongzhi_Sensors_V1_SensorsHandler {
    let failure: RPCError?
    let requests = Mutex<[String]>([])

    init(failure: RPCError? = nil) {
        self.failure = failure
    }

    static let thresholds = Gongzhi_Sensors_V1_ListThresholdsResponse.with {
        $0.thresholds = [
            .with {
                $0.kind = "water_level"
                $0.unit = "cm"
                $0.direction = .above
                $0.warning = 20
                $0.critical = 30
                $0.plausibleMin = -50
                $0.plausibleMax = 500
            },
            .with {
                $0.kind = "battery"
                $0.unit = "%"
                $0.direction = .below
                $0.warning = 20
                $0.critical = 10
                $0.plausibleMin = 0
                $0.plausibleMax = 100
            },
        ]
    }

    /// An alert for the first reading and a rejection for the last, whatever they are.
    static func answer(_ request: Gongzhi_Sensors_V1_CheckRequest) -> Gongzhi_Sensors_V1_CheckResponse {
        .with { response in
            let readings = request.readings
            response.checked = UInt32(max(0, readings.count - 1))
            if let first = readings.first {
                response.alerts = [
                    .with {
                        $0.index = 0
                        $0.deviceID = first.deviceID
                        $0.kind = first.kind
                        $0.value = first.value
                        $0.severity = .critical
                        $0.limit = 30
                        $0.message = "\(first.kind) \(first.value) reached the critical threshold 30"
                    }
                ]
                response.checkedByKind = [first.kind: 1]
            }
            if readings.count > 1 {
                response.rejections = [
                    .with {
                        $0.index = UInt32(readings.count - 1)
                        $0.reason = "device_id is missing"
                    }
                ]
            }
        }
    }

    private func record(_ request: String) throws {
        requests.withLock { $0.append(request) }
        if let failure { throw failure }
    }

    func check(
        request: Gongzhi_Sensors_V1_CheckRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Sensors_V1_CheckResponse {
        try record("Check \(request.readings.map(\.deviceID).joined(separator: ","))")
        return Self.answer(request)
    }

    func listThresholds(
        request: Gongzhi_Sensors_V1_ListThresholdsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Sensors_V1_ListThresholdsResponse {
        try record("ListThresholds")
        return Self.thresholds
    }
}
