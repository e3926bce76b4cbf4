import GongzhiRPC
import GongzhiSchemas
import GongzhiStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Gongzhi_Host_V1_Object {
    init(_ stored: StoredObject) {
        self.init()
        kind = stored.kind
        id = stored.id
        revision = stored.revision
        labels = stored.labels
        parent = stored.parent
        createdAtMs = stored.createdAt
        updatedAtMs = stored.updatedAt
        owner = stored.owner
        data = Data(stored.data)
    }
}

extension Gongzhi_Host_V1_WatchEvent.TypeEnum {
    init(_ type: Change.ChangeType) {
        switch type {
        case .added: self = .added
        case .modified: self = .modified
        case .deleted: self = .deleted
        }
    }
}

extension StoreError {
    /// The status and message a caller of the Objects service gets for this error.
    var rpcError: RPCError {
        switch code {
        case .notFound: RPCError(code: .notFound, message: message)
        case .alreadyExists: RPCError(code: .alreadyExists, message: message)
        case .revisionConflict: RPCError(code: .aborted, message: message)
        case .compareFailed: RPCError(code: .failedPrecondition, message: message)
        case .compacted: RPCError(code: .outOfRange, message: message)
        case .invalidArgument: RPCError(code: .invalidArgument, message: message)
        case .unavailable: RPCError(code: .unavailable, message: message)
        }
    }
}

/// Runs a storage call, turning its error into the RPC status a caller gets.
func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws(RPCError) -> T {
    do {
        return try await body()
    } catch {
        throw error.rpcError
    }
}
