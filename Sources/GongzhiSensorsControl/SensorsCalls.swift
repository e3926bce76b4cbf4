import GongzhiControl
import GongzhiRPC
import GongzhiSensorsSchemas
import SwiftProtobuf

/// Calls to the sensor adapter through the host's admin socket.
enum SensorsCalls {
    static let service = Gongzhi_Sensors_V1_Sensors.serviceName

    /// A CheckRequest from JSON: `{"readings": [...]}` or a bare list of readings.
    static func checkRequest(from bytes: [UInt8], name: String) throws(ControlError) -> Gongzhi_Sensors_V1_CheckRequest
    {
        let start = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let json: [UInt8] =
            start == UInt8(ascii: "[") ? Array("{\"readings\":".utf8) + bytes + Array("}".utf8) : bytes
        do {
            return try Gongzhi_Sensors_V1_CheckRequest(jsonUTF8Bytes: json)
        } catch {
            throw ControlError(
                "\(name) is not a list of readings (\(error)); see gongzhictl sensors check --help",
                exitCode: ControlExitCode.failed
            )
        }
    }

    /// The adapter's service, as errors name it.
    static let plugin = PluginService(
        name: service,
        plugin: "sensors",
        refusal: "the sensor adapter refused the readings"
    )

    /// Calls the adapter; an error says whether the host, the plugin or the request is the problem.
    static func call<Result: Sendable>(
        _ invocation: Invocation,
        _ body: (Gongzhi_Sensors_V1_SensorsClient, CallOptions) async throws -> Result
    ) async throws -> Result {
        try await invocation.callPlugin(plugin) { channel, options in
            try await body(Gongzhi_Sensors_V1_SensorsClient(channel: channel), options)
        }
    }
}
