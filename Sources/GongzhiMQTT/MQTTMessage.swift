/// A message read from the broker, handed to `commit` in a batch; acknowledged only after the batch committed.
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    /// The payload, cut to `MQTTOptions.maximumPayloadBytes` when it was larger (see `isCut`).
    public var payload: [UInt8]
    /// True for a message that this receiver read before and is read again because its batch was not
    /// acknowledged (same session, same packet identifier). libmosquitto does not expose the DUP flag of a
    /// PUBLISH, so a redelivery to a new process is not marked: deduplicate by content, not by this flag.
    public var duplicate: Bool
    /// The payload's size as published.
    public var payloadSize: Int

    /// Whether `payload` holds only the first `MQTTOptions.maximumPayloadBytes` of a larger payload.
    public var isCut: Bool { payloadSize > payload.count }

    public init(topic: String, payload: [UInt8], duplicate: Bool = false, payloadSize: Int? = nil) {
        self.topic = topic
        self.payload = payload
        self.duplicate = duplicate
        self.payloadSize = payloadSize ?? payload.count
    }
}
