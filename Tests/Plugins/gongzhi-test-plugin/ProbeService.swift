import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas

#if canImport(Glibc)
import Glibc
#endif

/// The `gongzhi.test.v1.Probe` service: lets a test make the plugin call its host with its own token, and
/// see the process as the host started it.
struct ProbeService: Gongzhi_Test_V1_ProbeHandler {
    /// How long CallHost waits for the host when its own caller set no deadline.
    static let defaultCallTimeout: Duration = .seconds(10)

    let host: HostChannel

    func callHost(
        request: Gongzhi_Test_V1_CallHostRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_CallHostResponse {
        let timeout = context.deadline.map { $0 - .now } ?? Self.defaultCallTimeout
        var response = Gongzhi_Test_V1_CallHostResponse()
        do {
            let answer = try await host.unary(
                service: request.service,
                method: request.method,
                payload: request.payload,
                options: CallOptions(timeout: timeout)
            )
            response.code = StatusCode.ok.rawValue
            response.payload = answer.payload
        } catch {
            let failure = RPCError(wrapping: error)
            response.code = failure.code.rawValue
            response.message = failure.message
        }
        return response
    }

    func inspect(
        request: Gongzhi_Test_V1_InspectRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Test_V1_InspectResponse {
        var response = Gongzhi_Test_V1_InspectResponse()
        response.pid = getpid()
        response.parentPid = getppid()
        response.environment = Self.environment()
        response.arguments = CommandLine.arguments
        for entry in context.requestMetadata where response.callMetadata[entry.key] == nil {
            response.callMetadata[entry.key] = entry.value
        }
        return response
    }

    /// The process's environment, with the token's value replaced by "(set)".
    private static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                let value = String(text[text.index(after: equals)...])
                variables[name] = name == PluginEnvironment.Variable.token ? "(set)" : value
            }
            cursor += 1
        }
        return variables
    }
}
