import GongzhiPluginSDK
import GongzhiPoints
import GongzhiRPC
import GongzhiSchemas
import Logging
import Synchronization

/// Writes the book's snapshots to the host as transactions: new transfers are created (an id taken fails the
/// transaction), every other object is created or updated at the revision last written, so that a second writer
/// is noticed at once.
///
/// Snapshots are merged into one transaction while it stays under ``budget`` bytes and ``maximumWrites`` writes; a
/// snapshot larger than that
/// alone (thousands of transfers touching thousands of accounts) is written as several transactions — its
/// transfers first, then the objects they changed — never splitting what one change of the book made across a
/// failure unnoticed: loading the book again replays the transfers that were stored and writes their accounts.
final class HostWriter: Sendable {
    /// The most bytes of objects in one transaction: well under a frame (4 MiB).
    static let budget = 3 * 1024 * 1024
    /// The most writes in one transaction (the host takes 16,384).
    static let maximumWrites = 8_192

    private let objects: HostObjects
    private let logger: Logger
    private let revisions: Mutex<[String: Int64]>

    init(objects: HostObjects, revisions: [String: Int64], logger: Logger) {
        self.objects = objects
        self.logger = logger
        self.revisions = Mutex(revisions)
    }

    static func key(_ kind: String, _ id: String) -> String { kind + "/" + id }

    /// Forgets the revisions written and takes those of a fresh load.
    func reset(revisions: [String: Int64]) {
        self.revisions.withLock { $0 = revisions }
    }

    /// Writes snapshots in order.
    func write(_ snapshots: [BookSnapshot]) async throws {
        var creates: [Gongzhi_Host_V1_Object] = []
        var latest: [String: Gongzhi_Host_V1_Object] = [:]
        var order: [String] = []
        var bytes = 0
        for snapshot in snapshots {
            let (snapshotCreates, snapshotObjects) = Self.objects(of: snapshot)
            let size = (snapshotCreates + snapshotObjects).reduce(0) { $0 + $1.data.count + $1.id.utf8.count + 64 }
            let writes = creates.count + order.count + snapshotCreates.count + snapshotObjects.count
            if bytes > 0 && (bytes + size > Self.budget || writes > Self.maximumWrites) {
                try await commit(creates: creates, objects: order.compactMap { latest[$0] })
                creates = []
                latest = [:]
                order = []
                bytes = 0
            }
            creates += snapshotCreates
            for object in snapshotObjects {
                let key = Self.key(object.kind, object.id)
                if latest.updateValue(object, forKey: key) == nil { order.append(key) }
            }
            bytes += size
        }
        if bytes <= Self.budget && creates.count + order.count <= Self.maximumWrites {
            try await commit(creates: creates, objects: order.compactMap { latest[$0] })
            return
        }
        // One snapshot larger than a transaction: its transfers in pieces, then its objects in pieces.
        var piece: [Gongzhi_Host_V1_Object] = []
        var pieceBytes = 0
        for object in creates {
            piece.append(object)
            pieceBytes += object.data.count + 64
            if pieceBytes > Self.budget || piece.count >= Self.maximumWrites {
                try await commit(creates: piece, objects: [])
                piece = []
                pieceBytes = 0
            }
        }
        var updates: [Gongzhi_Host_V1_Object] = []
        for object in order.compactMap({ latest[$0] }) {
            updates.append(object)
            pieceBytes += object.data.count + 64
            if pieceBytes > Self.budget || piece.count + updates.count >= Self.maximumWrites {
                try await commit(creates: piece, objects: updates)
                piece = []
                updates = []
                pieceBytes = 0
            }
        }
        if !piece.isEmpty || !updates.isEmpty { try await commit(creates: piece, objects: updates) }
    }

    /// One transaction: creates, then each object created or updated at the revision last written.
    private func commit(creates: [Gongzhi_Host_V1_Object], objects written: [Gongzhi_Host_V1_Object]) async throws {
        if creates.isEmpty && written.isEmpty { return }
        var request = Gongzhi_Host_V1_TxnRequest()
        request.writes.reserveCapacity(creates.count + written.count)
        for object in creates {
            var write = Gongzhi_Host_V1_Write()
            write.create = object
            request.writes.append(write)
        }
        let known = revisions.withLock { revisions in written.map { revisions[Self.key($0.kind, $0.id)] } }
        for (object, revision) in zip(written, known) {
            var write = Gongzhi_Host_V1_Write()
            if let revision {
                var update = Gongzhi_Host_V1_UpdateRequest()
                update.object = object
                update.expectedRevision = revision
                write.update = update
            } else {
                write.create = object
            }
            request.writes.append(write)
        }
        let response = try await objects.client.txn(request)
        revisions.withLock { revisions in
            for object in written { revisions[Self.key(object.kind, object.id)] = response.revision }
        }
    }

    /// The transfers to create and the other objects to write, as the host's objects.
    static func objects(
        of snapshot: BookSnapshot
    ) -> (creates: [Gongzhi_Host_V1_Object], objects: [Gongzhi_Host_V1_Object]) {
        var written: [Gongzhi_Host_V1_Object] = []
        written += snapshot.ledgers.map(PointsKinds.object)
        written += snapshot.rules.map(PointsKinds.object)
        written += snapshot.venues.map(PointsKinds.object)
        written += snapshot.accounts.map(PointsKinds.object)
        written += snapshot.goods.map(PointsKinds.object)
        written += snapshot.redemptions.map(PointsKinds.object)
        written += snapshot.records.map(PointsKinds.object)
        return (snapshot.transfers.map(PointsKinds.object), written)
    }
}
