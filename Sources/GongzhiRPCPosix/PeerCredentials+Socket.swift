import GongzhiRPC
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Laid out like Linux `struct ucred`, which Glibc hides from Swift behind `_GNU_SOURCE`.
private struct LinuxPeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

extension PeerCredentials {
    /// Asks the kernel who is on the other end of a connected Unix-domain socket channel.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(
                RPCError(code: .internal, message: "the channel does not expose socket options")
            )
        }
        let future: EventLoopFuture<LinuxPeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
        #else
        // Handlers rely on these for access decisions; guessing them would be worse than refusing.
        return channel.eventLoop.makeFailedFuture(
            RPCError(code: .unavailable, message: "peer credentials are read with SO_PEERCRED, which needs Linux")
        )
        #endif
    }
}
