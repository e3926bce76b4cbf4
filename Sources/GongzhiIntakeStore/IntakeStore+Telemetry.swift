import Foundation
import GRDB
import GongzhiSensorsSchemas
import SwiftProtobuf

extension IntakeStore {
    /// Stores readings (all from inbox row `seq`) in one transaction and answers how many this input holds in
    /// the store now: those new, and those the same input stored before (storing again after a crash changes
    /// nothing and still counts them as the input's). A reading whose (device, kind, time) another input
    /// stored is ignored and not counted: it is a duplicate.
    /// Each device's latest reading of a kind is replaced only by a reading with a newer time of its own, so the
    /// order in which readings arrive does not matter.
    /// - Throws: ``IntakeStoreError/Code/invalidArgument`` for a reading without a device id or kind.
    public func storeReadings(_ readings: [Gongzhi_Sensors_V1_Reading], seq: UInt64) throws(IntakeStoreError) -> Int {
        var encoded: [(Gongzhi_Sensors_V1_Reading, Data)] = []
        encoded.reserveCapacity(readings.count)
        for (index, reading) in readings.enumerated() {
            guard !reading.deviceID.isEmpty, !reading.kind.isEmpty else {
                throw IntakeStoreError(
                    .invalidArgument,
                    "reading \(index) of input \(seq) has no "
                        + (reading.deviceID.isEmpty ? "device id" : "kind") + "; validate readings before storing them"
                )
            }
            do {
                let bytes: [UInt8] = try reading.serializedBytes()
                encoded.append((reading, Data(bytes)))
            } catch {
                throw IntakeStoreError(
                    .invalidArgument,
                    "reading \(index) of input \(seq) cannot be encoded: \(error)",
                    cause: error
                )
            }
        }
        if encoded.isEmpty { return 0 }
        return try write("store \(readings.count) readings of input \(seq)") { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO readings (device_id, kind, time_ms, value, seq, reading)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            )
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO latest (device_id, kind, time_ms, value, seq, reading) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (device_id, kind) DO UPDATE SET time_ms = excluded.time_ms, value = excluded.value,
                        seq = excluded.seq, reading = excluded.reading
                    WHERE excluded.time_ms > latest.time_ms
                    """
            )
            let owner = try db.cachedStatement(
                sql: "SELECT seq FROM readings WHERE device_id = ? AND kind = ? AND time_ms = ?"
            )
            var stored = 0
            for (reading, bytes) in encoded {
                let arguments: StatementArguments = [
                    reading.deviceID, reading.kind, reading.timeUnixMs, reading.value, Int64(clamping: seq), bytes,
                ]
                try insert.execute(arguments: arguments)
                if db.changesCount > 0 {
                    stored += 1
                } else if try Int64.fetchOne(
                    owner,
                    arguments: [reading.deviceID, reading.kind, reading.timeUnixMs]
                ) == Int64(clamping: seq) {
                    stored += 1
                }
                try upsert.execute(arguments: arguments)
            }
            return stored
        }
    }

    /// Each device's latest reading of each kind, for the given devices (all when nil) and kind (all when nil),
    /// sorted by device id and kind.
    public func latest(
        deviceIDs: Set<String>? = nil,
        kind: String? = nil
    ) throws(IntakeStoreError) -> [Gongzhi_Sensors_V1_Reading] {
        try read("the latest readings") { db in
            let kindCondition = kind == nil ? "" : " AND kind = ?"
            let kindArgument: StatementArguments = kind.map { [$0] } ?? []
            var blobs: [Data] = []
            if let deviceIDs {
                let statement = try db.cachedStatement(
                    sql: "SELECT reading FROM latest WHERE device_id = ?\(kindCondition) ORDER BY kind"
                )
                for deviceID in deviceIDs.sorted() {
                    blobs += try Data.fetchAll(statement, arguments: [deviceID] + kindArgument)
                }
            } else {
                blobs = try Data.fetchAll(
                    db,
                    sql: "SELECT reading FROM latest WHERE 1\(kindCondition) ORDER BY device_id, kind",
                    arguments: kindArgument
                )
            }
            return try blobs.map { try Self.decodeReading($0) }
        }
    }

    /// One device's readings measured in `sinceMs..<untilMs`, of one kind (all when nil), oldest first, at most
    /// `limit`.
    public func readings(
        deviceID: String,
        kind: String? = nil,
        sinceMs: Int64,
        untilMs: Int64,
        limit: Int
    ) throws(IntakeStoreError) -> [Gongzhi_Sensors_V1_Reading] {
        guard limit > 0 else {
            throw IntakeStoreError(.invalidArgument, "the limit of readings is \(limit); give 1 or more")
        }
        return try read("the readings of \(deviceID)") { db in
            // With a kind, the whole primary key (device, kind, time) bounds the scan.
            let blobs =
                if let kind {
                    try Data.fetchAll(
                        db,
                        sql: """
                            SELECT reading FROM readings
                            WHERE device_id = ? AND kind = ? AND time_ms >= ? AND time_ms < ? ORDER BY time_ms LIMIT ?
                            """,
                        arguments: [deviceID, kind, sinceMs, untilMs, limit]
                    )
                } else {
                    try Data.fetchAll(
                        db,
                        sql: """
                            SELECT reading FROM readings
                            WHERE device_id = ? AND time_ms >= ? AND time_ms < ? ORDER BY time_ms, kind LIMIT ?
                            """,
                        arguments: [deviceID, sinceMs, untilMs, limit]
                    )
                }
            return try blobs.map { try Self.decodeReading($0) }
        }
    }

    /// Removes readings measured before `olderThanMs` (the retention period) and answers how many. The latest
    /// reading of each device and kind is kept however old.
    public func pruneReadings(olderThanMs: Int64) throws(IntakeStoreError) -> Int {
        try write("prune the readings measured before \(olderThanMs)") { db in
            try db.execute(sql: "DELETE FROM readings WHERE time_ms < ?", arguments: [olderThanMs])
            return db.changesCount
        }
    }

    static func decodeReading(_ data: Data) throws -> Gongzhi_Sensors_V1_Reading {
        try Gongzhi_Sensors_V1_Reading(serializedBytes: data.bytes)
    }
}
