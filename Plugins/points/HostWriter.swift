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
/// Snapshots are merged into one transaction while it stays under ``budget`` bytes and
/// ``maximumWrites`` writes; a snapshot larger than that alone (thousands of transfers touching thousands of accounts) is
/// written as several transactions — the objects new to the host first, then the transfers, then the objects it
/// has — never splitting what one change of the book made across a failure unnoticed: loading the book again
/// replays the transfers that were stored and writes again the accounts whose balances differ.
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

    /// What is gathered for one transaction: transfers to create, and the other objects as last changed.
    private struct Gathered {
        var creates: [Gongzhi_Host_V1_Object] = []
        var latest: [String: Gongzhi_Host_V1_Object] = [:]
        var order: [String] = []
        var bytes = 0

        var isEmpty: Bool { creates.isEmpty && order.isEmpty }
        var writes: Int { creates.count + order.count }
        var objects: [Gongzhi_Host_V1_Object] { order.compactMap { latest[$0] } }

        mutating func add(creates more: [Gongzhi_Host_V1_Object], objects: [Gongzhi_Host_V1_Object], bytes: Int) {
            creates += more
            for object in objects {
                let key = HostWriter.key(object.kind, object.id)
                if latest.updateValue(object, forKey: key) == nil { order.append(key) }
            }
            self.bytes += bytes
        }
    }

    static func size(_ object: Gongzhi_Host_V1_Object) -> Int { object.data.count + object.id.utf8.count + 64 }

    /// Writes snapshots in order.
    func write(_ snapshots: [BookSnapshot]) async throws {
        var gathered = Gathered()
        for snapshot in snapshots {
            let (snapshotCreates, snapshotObjects) = Self.objects(of: snapshot)
            let size = (snapshotCreates + snapshotObjects).reduce(0) { $0 + Self.size($1) }
            let writes = snapshotCreates.count + snapshotObjects.count
            if !gathered.isEmpty
                && (gathered.bytes + size > Self.budget || gathered.writes + writes > Self.maximumWrites)
            {
                try await commit(creates: gathered.creates, objects: gathered.objects)
                gathered = Gathered()
            }
            gathered.add(creates: snapshotCreates, objects: snapshotObjects, bytes: size)
        }
        if gathered.bytes <= Self.budget && gathered.writes <= Self.maximumWrites {
            try await commit(creates: gathered.creates, objects: gathered.objects)
            return
        }
        // One snapshot larger than a transaction, in pieces: first the objects the host has not seen (accounts the
        // transfers name, so that no stored transfer names an account the store lacks), then the transfers, then
        // the objects it has. Cut short anywhere, loading the ledger again replays the transfers stored and writes
        // again every account whose stored balances differ.
        let known = revisions.withLock { revisions in
            Set(gathered.objects.map { Self.key($0.kind, $0.id) }.filter { revisions[$0] != nil })
        }
        let objects = gathered.objects
        let fresh = objects.filter { !known.contains(Self.key($0.kind, $0.id)) }
        let seen = objects.filter { known.contains(Self.key($0.kind, $0.id)) }
        for (group, asCreates) in [(fresh, false), (gathered.creates, true), (seen, false)] {
            var piece: [Gongzhi_Host_V1_Object] = []
            var pieceBytes = 0
            for object in group {
                if piece.count >= Self.maximumWrites || pieceBytes + Self.size(object) > Self.budget {
                    try await commit(creates: asCreates ? piece : [], objects: asCreates ? [] : piece)
                    piece = []
                    pieceBytes = 0
                }
                piece.append(object)
                pieceBytes += Self.size(object)
            }
            if !piece.isEmpty { try await commit(creates: asCreates ? piece : [], objects: asCreates ? [] : piece) }
        }
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
