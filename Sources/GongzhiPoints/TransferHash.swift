import GongzhiHashing
import GongzhiPointsSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The hash chain of the ledger's transfers: each transfer's `hash` is SHA-256 of the transfer serialized (in
/// protobuf's binary form, fields in number order) with `hash` left empty — which includes `previous_hash`, the
/// hash of the transfer before it, and `sequence`. Changing, removing or reordering any recorded transfer breaks
/// every hash after it.
public enum TransferHash {
    /// The `previous_hash` of the first transfer.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The hash `transfer` should carry.
    public static func compute(_ transfer: Gongzhi_Points_V1_Transfer) -> [UInt8] {
        var unhashed = transfer
        unhashed.hash = Data()
        // A message without map fields serializes the same way every time.
        let bytes: [UInt8] = (try? unhashed.serializedBytes()) ?? []
        return SHA256.hash(bytes)
    }

    /// Lowercase hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        hexString(Array(bytes))
    }
}
