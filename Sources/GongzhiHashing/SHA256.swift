import CGongzhiSHA256

/// SHA-256 (FIPS 180-4): the host's manifest checks, token hashes and audit chain, the grid's case ids.
///
/// A small implementation (in C, `CGongzhiSHA256`, fast even in debug builds) so that the host links
/// neither Foundation nor a crypto library for one hash function: its idle memory matters on a district
/// server. It is checked against the standard test vectors and against `sha256sum`.
public struct SHA256: Sendable {
    private var state = gongzhi_sha256()

    public init() {
        gongzhi_sha256_init(&state)
    }

    /// The digest of `bytes`.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(Array(bytes))
        return hasher.finalize()
    }

    /// The lower-case hex digest of `bytes`.
    public static func hexHash<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        hexString(hash(bytes))
    }

    /// Adds bytes to the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds bytes to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        gongzhi_sha256_update(&state, base, bytes.count)
    }

    /// The 32-byte digest. Call once; the hash is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { gongzhi_sha256_final(&state, $0.baseAddress!) }
        return digest
    }
}

/// Lower-case hex of bytes.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
