/// The life of one ttrpc stream, as seen from one end, following PROTOCOL.md 1.2.
///
/// Each end tracks whether it has finished sending (`localClosed`) and whether the other end has
/// (`remoteClosed`). A client closes its side before the server's final response; a server sees the
/// client's side close before it closes its own. The machine takes events and answers what to do or
/// why the event breaks the protocol; it does no I/O, so it is tested on its own.
public struct StreamStateMachine: Hashable, Sendable {
    public enum Role: Hashable, Sendable { case client, server }

    public enum State: Hashable, Sendable {
        /// Nothing sent or received yet.
        case idle
        /// The stream is open; `unary` streams carry no data frames.
        case open(unary: Bool, localClosed: Bool, remoteClosed: Bool)
        /// The final response was sent or received.
        case finished
    }

    /// What a received data frame means for the receiver.
    public enum DataDisposition: Hashable, Sendable {
        /// Deliver the message; `isLast` is true when the sender closed its side with it.
        case deliver(isLast: Bool)
        /// The frame only closes the sender's side (flag `no data`).
        case closeOnly
    }

    /// An event that the protocol does not allow in the current state.
    public struct Violation: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public let role: Role
    public private(set) var state: State = .idle

    public init(role: Role) { self.role = role }

    public var isFinished: Bool { state == .finished }

    /// True once this end has sent everything it will send on the stream.
    public var isLocalClosed: Bool {
        switch state {
        case .idle: false
        case .open(_, let localClosed, _): localClosed
        case .finished: true
        }
    }

    // MARK: Client side

    /// The client opens the stream. `sendsData` is true for client- and bidirectional-streaming calls,
    /// `unary` for plain unary calls.
    public mutating func sendRequest(unary: Bool, sendsData: Bool) throws(Violation) {
        try expect(.client, "send a request")
        guard state == .idle else { throw Violation(message: "a request was already sent on this stream") }
        state = .open(unary: unary, localClosed: !sendsData, remoteClosed: false)
    }

    /// The flags the client puts on its request frame for this stream.
    public static func requestFlags(unary: Bool, sendsData: Bool) -> FrameFlags {
        if unary { return [] }
        return sendsData ? .remoteOpen : .remoteClosed
    }

    /// The client sends a data frame; `closing` marks the last one.
    public mutating func sendData(closing: Bool) throws(Violation) {
        try expect(.client, "send request data")
        guard case .open(let unary, let localClosed, let remoteClosed) = state else {
            throw Violation(message: "cannot send data: the stream is \(state == .idle ? "not open" : "finished")")
        }
        if unary { throw Violation(message: "data frames are not allowed on a unary stream") }
        if localClosed { throw Violation(message: "cannot send data after closing the sending side") }
        if closing && remoteClosed {
            // The server already closed its side with a data frame; no response follows.
            state = .finished
        } else {
            state = .open(unary: unary, localClosed: closing, remoteClosed: remoteClosed)
        }
    }

    // MARK: Server side

    /// The server receives the request that opens the stream. Returns true when the client will
    /// still send data frames.
    @discardableResult
    public mutating func receiveRequest(flags: FrameFlags) throws(Violation) -> Bool {
        try expect(.server, "receive a request")
        guard state == .idle else { throw Violation(message: "a second request arrived on an open stream") }
        if flags.contains(.remoteOpen) && flags.contains(.remoteClosed) {
            throw Violation(message: "a request cannot be both remote-open and remote-closed")
        }
        let unary = !flags.contains(.remoteOpen) && !flags.contains(.remoteClosed)
        let clientSendsData = flags.contains(.remoteOpen)
        state = .open(unary: unary, localClosed: false, remoteClosed: !clientSendsData)
        return clientSendsData
    }

    /// The server sends a data frame (a streamed response message).
    public mutating func sendResponseData() throws(Violation) {
        try expect(.server, "send response data")
        guard case .open(let unary, let localClosed, _) = state else {
            throw Violation(message: "cannot send data: the stream is \(state == .idle ? "not open" : "finished")")
        }
        if unary { throw Violation(message: "data frames are not allowed on a unary stream") }
        if localClosed { throw Violation(message: "cannot send data after closing the sending side") }
    }

    /// The server sends the final response; the stream is finished.
    public mutating func sendResponse() throws(Violation) {
        try expect(.server, "send a response")
        guard case .open = state else {
            throw Violation(message: "cannot respond: the stream is \(state == .idle ? "not open" : "finished")")
        }
        state = .finished
    }

    // MARK: Both sides

    /// A data frame arrives from the other end.
    public mutating func receiveData(flags: FrameFlags) throws(Violation) -> DataDisposition {
        guard case .open(let unary, let localClosed, let remoteClosed) = state else {
            throw Violation(message: "data arrived for a stream that is \(state == .idle ? "not open" : "finished")")
        }
        if unary { throw Violation(message: "data frames are not allowed on a unary stream") }
        if remoteClosed { throw Violation(message: "data arrived after the sender closed its side") }
        let closing = flags.contains(.remoteClosed)
        if closing && role == .client && localClosed {
            // The server closed its side with data and no final response will follow.
            state = .finished
        } else {
            state = .open(unary: unary, localClosed: localClosed, remoteClosed: closing)
        }
        if flags.contains(.noData) {
            return .closeOnly
        }
        return .deliver(isLast: closing)
    }

    /// The client receives the final response; the stream is finished.
    public mutating func receiveResponse() throws(Violation) {
        try expect(.client, "receive a response")
        guard case .open = state else {
            throw Violation(
                message: "a response arrived for a stream that is \(state == .idle ? "not open" : "finished")"
            )
        }
        state = .finished
    }

    private func expect(_ role: Role, _ action: String) throws(Violation) {
        guard self.role == role else { throw Violation(message: "only the \(role) may \(action)") }
    }
}
