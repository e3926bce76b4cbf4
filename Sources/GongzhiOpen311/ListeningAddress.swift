import Synchronization

/// Where the server listens: the configured address until the socket is bound, then the bound one (the real
/// port when port 0 was asked for). Service discovery's URLs use it when a request names no host.
final class ListeningAddress: Sendable {
    private let address: Mutex<Open311Address>

    init(_ configured: Open311Address) {
        address = Mutex(configured)
    }

    var current: Open311Address { address.withLock { $0 } }

    func bound(_ bound: Open311Address) {
        address.withLock { $0 = bound }
    }
}
