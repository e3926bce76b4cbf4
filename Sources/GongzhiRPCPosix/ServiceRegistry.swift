import GongzhiRPC

/// The services a server serves, indexed once at start.
struct ServiceRegistry: Sendable {
    private let services: [String: [String: RPCMethodHandler]]

    init(_ services: [any RPCService]) {
        var index: [String: [String: RPCMethodHandler]] = [:]
        for service in services {
            index[service.serviceName, default: [:]].merge(service.methodHandlers) { _, new in new }
        }
        self.services = index
    }

    var serviceNames: [String] { services.keys.sorted() }

    /// The handler for a method, or the error that tells the caller what is served instead.
    func handler(service: String, method: String) -> Result<RPCMethodHandler, RPCError> {
        guard let methods = services[service] else {
            let served = services.keys.sorted().joined(separator: ", ")
            return .failure(
                RPCError(
                    code: .unimplemented,
                    message: "service \(service.isEmpty ? "(empty name)" : service) is not served here"
                        + (served.isEmpty ? "" : " (served: \(served))")
                )
            )
        }
        guard let handler = methods[method] else {
            return .failure(
                RPCError(
                    code: .unimplemented,
                    message: "\(service) has no method \(method.isEmpty ? "(empty name)" : method)"
                        + " (it has: \(methods.keys.sorted().joined(separator: ", ")))"
                )
            )
        }
        return .success(handler)
    }
}
