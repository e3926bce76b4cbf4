import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ByteBuffer {
    /// Payloads at least this large are handed on in the memory they arrived in rather than copied.
    public static let payloadSharingThreshold = 16 << 10

    /// The readable bytes as `Data`, for a payload handed to a handler or a caller.
    ///
    /// A large payload is not copied: the `Data` points into this buffer's memory and keeps its storage alive.
    /// The storage is then no longer uniquely owned, so a connection that goes on to reuse its buffer for the
    /// next frame gets fresh storage (ByteBuffer's copy-on-write) and can never overwrite these bytes. A small
    /// payload, or one that would keep a much larger buffer alive, is copied.
    public func payloadData() -> Data {
        let count = self.readableBytes
        guard count >= Self.payloadSharingThreshold, count >= self.storageCapacity / 4 else {
            return Data(self.readableBytesView)
        }
        let owner = self
        return self.withUnsafeReadableBytes { bytes in
            Data(
                bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!),
                count: count,
                deallocator: .custom { _, _ in withExtendedLifetime(owner) {} }
            )
        }
    }
}
