import GongzhiRPC
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Logs (rate-limited) and counts the errors of a listening socket, such as `accept` failing with EMFILE when the
/// process is out of file descriptors; NIO's `AcceptBackoffHandler` in front of it pauses accepting meanwhile.
final class ListenerErrorLogger: ChannelInboundHandler {
    typealias InboundIn = any Channel

    private let socketName: String
    private let counters: LimitCounters?
    private let log: RateLimitedLog

    init(socketName: String, counters: LimitCounters?, log: RateLimitedLog) {
        self.socketName = socketName
        self.counters = counters
        self.log = log
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason: String
        let advice: String
        if let error = error as? IOError, error.errnoCode == EMFILE || error.errnoCode == ENFILE {
            reason = "too many open files"
            advice =
                "raise LimitNOFILE in the unit, or lower [connections] max_host; idle connections close after "
                + "[connections] idle_timeout"
        } else {
            reason = "\(error)"
            advice = "retrying shortly"
        }
        counters?.count("connections.accept_errors", detail: "\(socketName): \(reason)")
        log.warning(
            limit: "accept",
            key: "\(socketName): \(reason)",
            "cannot accept connections on \(socketName): \(reason); pausing accepts for 100 ms (\(advice))"
        )
    }
}
