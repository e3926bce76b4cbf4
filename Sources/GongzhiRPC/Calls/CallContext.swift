import Logging
import Synchronization

/// The process on the other end of a Unix-socket connection, from the kernel (SO_PEERCRED).
public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid=\(pid),uid=\(uid),gid=\(gid)" }
}

/// The four call shapes of ttrpc 1.2.
public enum RPCKind: String, Hashable, Sendable {
    case unary
    case clientStreaming
    case serverStreaming
    case bidirectionalStreaming

    /// True when the client sends its requests as data frames.
    public var clientStreams: Bool { self == .clientStreaming || self == .bidirectionalStreaming }
    /// True when the server sends its responses as data frames.
    public var serverStreams: Bool { self == .serverStreaming || self == .bidirectionalStreaming }

    /// The error a server answers when a request's flags do not fit this method's call shape, or nil when
    /// they fit. Shared by every server, so that a mismatch reads the same over a socket and in-process.
    package func mismatch(requestFlags flags: FrameFlags, service: String, method: String) -> RPCError? {
        let opensStream = flags.contains(.remoteOpen)
        let isUnaryRequest = !flags.contains(.remoteOpen) && !flags.contains(.remoteClosed)
        switch self {
        case .unary where opensStream:
            return RPCError(
                code: .invalidArgument,
                message: "\(service)/\(method) is a unary method, but the request announced a stream of requests"
            )
        case .clientStreaming where !opensStream, .bidirectionalStreaming where !opensStream:
            return RPCError(
                code: .invalidArgument,
                message: "\(service)/\(method) is a \(rawValue) method; open it with the remote-open flag"
            )
        case .serverStreaming where isUnaryRequest || opensStream:
            return RPCError(
                code: .invalidArgument,
                message:
                    "\(service)/\(method) is a server-streaming method; send its one request with the remote-closed flag"
            )
        default:
            return nil
        }
    }
}

/// Everything a server handler knows about the call it serves.
public final class ServerCallContext: Sendable {
    public let service: String
    public let method: String
    /// The metadata the caller sent.
    public let requestMetadata: Metadata
    /// The process that opened the connection, from the kernel, not from anything the peer said.
    public let peer: PeerCredentials
    /// When the caller stops waiting, if it set a deadline.
    public let deadline: ContinuousClock.Instant?
    /// A logger with the call's service and method attached.
    public var logger: Logger {
        // Built on demand: most calls never log, and attaching metadata allocates.
        var logger = baseLogger
        logger[metadataKey: "rpc"] = "\(service)/\(method)"
        return logger
    }

    /// The connection the call arrived on, when a server over a socket serves it.
    public let connection: RPCConnection?

    private let baseLogger: Logger

    private let _responseMetadata = Mutex(Metadata())

    public init(
        service: String,
        method: String,
        requestMetadata: Metadata,
        peer: PeerCredentials,
        deadline: ContinuousClock.Instant?,
        logger: Logger,
        connection: RPCConnection? = nil
    ) {
        self.connection = connection
        self.service = service
        self.method = method
        self.requestMetadata = requestMetadata
        self.peer = peer
        self.deadline = deadline
        self.baseLogger = logger
    }

    /// Metadata sent back to the caller with the final response.
    public var responseMetadata: Metadata {
        get { _responseMetadata.withLock { $0 } }
        set { _responseMetadata.withLock { $0 = newValue } }
    }

    /// Returns once the caller's connection can take more answers: at once unless the client has left more of its
    /// answers unread than the connection's outbound budget, in which case it waits until the client reads. A call
    /// that is about to do work whose answer would add to that backlog (a large read) awaits this first, so that a
    /// client that does not read holds up only its own calls. Throws `CancellationError` when the call is
    /// cancelled while it waits (the client went away, or the deadline passed).
    public func waitUntilConnectionCanTakeAnswers() async throws {
        try await connection?.outbound.waitUntilOpen()
    }

    /// Adds one entry to the response metadata.
    public func addResponseMetadata(_ key: String, _ value: String) {
        _responseMetadata.withLock { $0.add(key, value) }
    }
}

/// Per-call settings of a client.
public struct CallOptions: Sendable, Hashable {
    /// How long the caller waits. Sent to the server as `timeout_nano`; `nil` waits as long as it takes.
    public var timeout: Duration?
    /// Metadata sent with the request.
    public var metadata: Metadata

    public init(timeout: Duration? = nil, metadata: Metadata = [:]) {
        self.timeout = timeout
        self.metadata = metadata
    }

    public static let defaults = CallOptions()
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `Int64`'s range instead of overflowing
    /// (`.seconds(Int64.max)` is a fair way to say "no limit").
    public var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflowAgain { return seconds < 0 ? .min : .max }
        return total
    }
}
