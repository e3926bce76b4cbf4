/// Marks messages read again after their batch went unacknowledged: the packet identifiers of an aborted batch
/// are remembered, and the broker sends those messages again first, with the same identifiers, when the session
/// is resumed.
struct RedeliveryTracker: Sendable {
    private var expected: Set<Int> = []

    /// A batch with these packet identifiers was read and not acknowledged.
    mutating func unacknowledged(_ packetIDs: some Sequence<Int>) {
        expected.formUnion(packetIDs.filter { $0 != 0 })
    }

    /// The broker had no session: nothing will come again.
    mutating func sessionLost() {
        expected.removeAll()
    }

    /// Whether each message of a batch is a redelivery. The first message that is not ends the redeliveries
    /// (the broker resends before it sends anything new), so identifiers it reuses later are not taken for them.
    mutating func mark(_ batch: [ReceivedMessage]) -> [MQTTMessage] {
        batch.map { received in
            var message = received.message
            if !expected.isEmpty {
                if expected.remove(received.packetID) != nil {
                    message.duplicate = true
                } else {
                    expected.removeAll()
                }
            }
            return message
        }
    }
}
