/// Services indexed by name once, and dispatched to by service and method name: what a plain server
/// (a socket's `RPCServer`, or an `InProcessChannel`) puts in front of its services.
public struct ServiceRegistry: RPCCallDispatcher {
    private let services: [String: [String: RPCMethodHandler]]

    public init(_ services: [any RPCService]) {
        var index: [String: [String: RPCMethodHandler]] = [:]
        for service in services {
            index[service.serviceName, default: [:]].merge(service.methodHandlers) { _, new in new }
        }
        self.services = index
    }

    /// The names of the services served, sorted.
    public var serviceNames: [String] { services.keys.sorted() }

    /// True when `service` is served here.
    public func serves(_ service: String) -> Bool { services[service] != nil }

    public func dispatch(_ head: RPCCallHead) -> Result<RPCMethodHandler, RPCError> {
        handler(service: head.service, method: head.method)
    }

    /// The handler for a method, or the error that tells the caller what is served instead.
    public func handler(service: String, method: String) -> Result<RPCMethodHandler, RPCError> {
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
