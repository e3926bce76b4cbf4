import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An encoded message as `Data`, for `MessageCodec.encode`.
///
/// swift-protobuf asks for its buffer with `init(repeating: 0, count:)` only to overwrite every byte of it; `Data`
/// would zero a large buffer first, so a large one is allocated without being zeroed and handed to `Data` as it is.
struct MessageBytes: SwiftProtobufContiguousBytes {
    /// Smaller messages are zeroed as `Data` zeroes them: not worth a separate allocation.
    static let unfilledThreshold = 1024

    var data: Data

    init(repeating value: UInt8, count: Int) {
        guard value == 0, count >= Self.unfilledThreshold, let memory = malloc(count) else {
            data = Data(repeating: value, count: count)
            return
        }
        data = Data(bytesNoCopy: memory, count: count, deallocator: .free)
    }

    init(_ sequence: some Sequence<UInt8>) {
        data = Data(sequence)
    }

    var count: Int { data.count }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try data.withUnsafeBytes(body)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try data.withUnsafeMutableBytes(body)
    }
}
