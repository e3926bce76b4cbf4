import CGongzhiMQTT

#if canImport(Glibc)
import Glibc
#endif

/// Why a session call failed, in libmosquitto's or the shim's words.
struct MQTTSessionError: Error, CustomStringConvertible {
    var description: String
}

/// A message of a batch with the packet identifier the broker gave it.
struct ReceivedMessage: Sendable {
    var packetID: Int
    var message: MQTTMessage
}

/// What the session knows of its connection (gz_mqtt_status).
struct MQTTSessionStatus: Sendable, Equatable {
    var connected: Bool
    var sessionPresent: Bool
    var subscribed: Bool
    var connacks: UInt32
    var refusedFilters: Int
}

/// The C session of CGongzhiMQTT. Not thread-safe: every call is made on the receiver's one thread, one at a time
/// (which is what makes the unchecked Sendable sound).
final class MQTTSession: @unchecked Sendable {
    private let handle: OpaquePointer
    private var closed = false

    /// The libmosquitto version the process runs with.
    static var libraryVersion: (major: Int, minor: Int, revision: Int) {
        let version = Int(gz_mqtt_library_version())
        return (version / 1_000_000, version / 1000 % 1000, version % 1000)
    }

    init(options: MQTTOptions) throws(MQTTSessionError) {
        let host: String
        let port: Int32
        switch options.broker {
        case .unixSocket(let path):
            host = path
            port = 0
        case .tcp(let name, let number):
            guard (1...65535).contains(number) else {
                throw MQTTSessionError(description: "the broker's port \(number) is not within 1...65535")
            }
            host = name
            port = Int32(number)
        }
        let filters = options.topicFilters.map { strdup($0) }
        defer { for filter in filters { free(filter) } }
        var error = [CChar](repeating: 0, count: 256)
        let opened: OpaquePointer? = host.withCString { host in
            options.clientID.withCString { clientID in
                withOptionalCString(options.username) { username in
                    withOptionalCString(options.password) { password in
                        filters.map { UnsafePointer($0) }.withUnsafeBufferPointer { filterPointers in
                            var cOptions = gz_mqtt_options()
                            cOptions.host = host
                            cOptions.port = port
                            cOptions.client_id = clientID
                            cOptions.username = username
                            cOptions.password = password
                            cOptions.filters = filterPointers.baseAddress
                            cOptions.filter_count = Int32(clamping: filterPointers.count)
                            cOptions.keepalive_s = Int32(clamping: options.keepAliveSeconds)
                            cOptions.receive_maximum = Int32(clamping: options.receiveMaximum)
                            cOptions.session_expiry_s = options.sessionExpirySeconds
                            cOptions.max_payload_bytes = UInt32(clamping: max(0, options.maximumPayloadBytes))
                            return gz_mqtt_open(&cOptions, &error, error.count)
                        }
                    }
                }
            }
        }
        guard let opened else {
            throw MQTTSessionError(
                description: String(decoding: error.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
            )
        }
        handle = opened
    }

    deinit {
        if !closed { gz_mqtt_close(handle) }
    }

    /// Disconnects as `disconnect` does (aborting when a batch is unacknowledged) and frees the session. Nothing
    /// may be called after it.
    func close() {
        guard !closed else { return }
        closed = true
        gz_mqtt_close(handle)
    }

    private var lastError: MQTTSessionError {
        MQTTSessionError(description: String(cString: gz_mqtt_last_error(handle)))
    }

    /// Connects (again) and writes the CONNECT; the CONNACK comes with a later `readBatch`.
    func connect(waitMilliseconds: Int32) throws(MQTTSessionError) {
        guard gz_mqtt_connect(handle, waitMilliseconds) == 0 else { throw lastError }
    }

    /// Reads what arrives within `waitMilliseconds`, up to `max` messages; their PUBACKs are queued, not written.
    func readBatch(max: Int, waitMilliseconds: Int32) throws(MQTTSessionError) -> [ReceivedMessage] {
        var messages: UnsafePointer<gz_mqtt_message>?
        var count: Int32 = 0
        guard gz_mqtt_read_batch(handle, Int32(clamping: max), waitMilliseconds, &messages, &count) == 0 else {
            throw lastError
        }
        guard let messages, count > 0 else { return [] }
        return UnsafeBufferPointer(start: messages, count: Int(count)).map { message in
            let payload =
                message.payload_len == 0
                ? [] : Array(UnsafeBufferPointer(start: message.payload, count: Int(message.payload_len)))
            return ReceivedMessage(
                packetID: Int(message.mid),
                message: MQTTMessage(
                    topic: String(cString: message.topic),
                    payload: payload,
                    payloadSize: Int(message.payload_size)
                )
            )
        }
    }

    /// Writes everything queued: the PUBACKs of the batches read so far, SUBSCRIBE, PINGREQ.
    func flush(waitMilliseconds: Int32) throws(MQTTSessionError) {
        guard gz_mqtt_flush(handle, waitMilliseconds) == 0 else { throw lastError }
    }

    /// Keepalive: queues a PINGREQ when one is due.
    func keepAlive() throws(MQTTSessionError) {
        guard gz_mqtt_misc(handle) == 0 else { throw lastError }
    }

    /// Ends the connection without writing anything queued.
    func abort() {
        gz_mqtt_abort(handle)
    }

    /// Disconnects keeping the session, once the broker has read everything written; aborts instead when a batch
    /// was read and not flushed.
    func disconnect(waitMilliseconds: Int32) throws(MQTTSessionError) {
        guard gz_mqtt_disconnect(handle, waitMilliseconds) == 0 else { throw lastError }
    }

    var unacknowledged: Bool { gz_mqtt_unacknowledged(handle) }

    var status: MQTTSessionStatus {
        var status = gz_mqtt_status()
        gz_mqtt_get_status(handle, &status)
        return MQTTSessionStatus(
            connected: status.connected,
            sessionPresent: status.session_present,
            subscribed: status.subscribed,
            connacks: UInt32(status.connacks),
            refusedFilters: Int(status.refused_filters)
        )
    }

    /// The reason of the last failure (a refused subscription, say), or "".
    var lastErrorText: String { String(cString: gz_mqtt_last_error(handle)) }
}

private func withOptionalCString<Result>(
    _ text: String?,
    _ body: (UnsafePointer<CChar>?) -> Result
) -> Result {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
