import CMosquitto
import Foundation
import GongzhiTestSupport
import Synchronization

/// An MQTT publisher for counted loads that records which messages the broker acknowledged: QoS 1 over
/// libmosquitto (MQTT 3.1.1, clean session) on the broker's Unix socket, with libmosquitto's own thread and
/// reconnects (every second while the broker is away; a message not yet acknowledged is sent again after a
/// reconnect). Each message carries a key of the test's choosing; `acknowledged` holds the keys of the messages
/// whose PUBACK came back, the publisher's proof that the broker took them.
final class AcknowledgedPublisher: @unchecked Sendable {
    private struct State {
        var keysByPacket: [Int32: String] = [:]
        /// PUBACKs that came back before `publish` had recorded their packet's key.
        var earlyAcknowledgements: Set<Int32> = []
        var acknowledged: Set<String> = []
        var published = 0
        var refused = 0
    }

    // The handle is used from any thread: libmosquitto locks its own state once `loop_start` runs.
    private let handle: OpaquePointer
    private let state = Mutex(State())

    /// Connects to the broker at `socketPath` and starts libmosquitto's network thread.
    init(socketPath: String, clientID: String = "publisher-\(UUID().uuidString.prefix(8))") throws {
        mosquitto_lib_init()
        guard let handle = mosquitto_new(clientID, true, nil) else {
            throw TestSupportError("mosquitto_new failed for \(clientID)")
        }
        self.handle = handle
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_max_inflight_messages_set(handle, 100)
        mosquitto_reconnect_delay_set(handle, 1, 1, false)
        mosquitto_publish_callback_set(handle) { _, userData, packet in
            guard let userData else { return }
            Unmanaged<AcknowledgedPublisher>.fromOpaque(userData).takeUnretainedValue().acknowledge(packet)
        }
        let connected = mosquitto_connect(handle, socketPath, 0, 30)
        guard connected == Int32(MOSQ_ERR_SUCCESS.rawValue) else {
            mosquitto_destroy(handle)
            throw TestSupportError("the publisher cannot connect to \(socketPath): \(Self.describe(connected))")
        }
        let started = mosquitto_loop_start(handle)
        guard started == Int32(MOSQ_ERR_SUCCESS.rawValue) else {
            mosquitto_destroy(handle)
            throw TestSupportError("the publisher's network thread did not start: \(Self.describe(started))")
        }
    }

    deinit {
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, true)
        mosquitto_destroy(handle)
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: mosquitto_strerror(code))
    }

    private func acknowledge(_ packet: Int32) {
        state.withLock { state in
            if let key = state.keysByPacket.removeValue(forKey: packet) {
                state.acknowledged.insert(key)
            } else {
                state.earlyAcknowledgements.insert(packet)
            }
        }
    }

    /// Hands a QoS 1 message to libmosquitto, which sends it now or after its next reconnect (while disconnected,
    /// `mosquitto_publish` queues the message and answers MOSQ_ERR_NO_CONN). False when libmosquitto refused it
    /// (it will never be sent).
    @discardableResult
    func publish(topic: String, payload: String, key: String) -> Bool {
        var packet: Int32 = 0
        let bytes = Array(payload.utf8)
        let result = bytes.withUnsafeBytes { buffer in
            mosquitto_publish(handle, &packet, topic, Int32(buffer.count), buffer.baseAddress, 1, false)
        }
        return state.withLock { state in
            // NO_CONN: queued while the broker is away (libmosquitto then could not write it), sent on reconnect.
            guard result == Int32(MOSQ_ERR_SUCCESS.rawValue) || result == Int32(MOSQ_ERR_NO_CONN.rawValue) else {
                state.refused += 1
                return false
            }
            state.published += 1
            if state.earlyAcknowledgements.remove(packet) != nil {
                state.acknowledged.insert(key)
            } else {
                state.keysByPacket[packet] = key
            }
            return true
        }
    }

    /// The keys of the messages the broker acknowledged.
    var acknowledged: Set<String> { state.withLock { $0.acknowledged } }
    var acknowledgedCount: Int { state.withLock { $0.acknowledged.count } }
    /// Messages handed to libmosquitto.
    var published: Int { state.withLock { $0.published } }
    /// Messages libmosquitto refused.
    var refused: Int { state.withLock { $0.refused } }
    /// Messages handed over and not acknowledged yet.
    var unacknowledged: Int { state.withLock { $0.keysByPacket.count } }

    /// Waits until every message handed over was acknowledged.
    func waitUntilAllAcknowledged(timeout: Duration = .seconds(60)) async throws {
        try await eventually(
            "the broker acknowledged every published message",
            timeout: timeout,
            poll: .milliseconds(20)
        ) {
            state.withLock { $0.keysByPacket.isEmpty && $0.acknowledged.count == $0.published }
        }
    }
}
