import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking Unix-domain socket for sending hand-made bytes to a server, as a broken or hostile
/// client would.
public final class RawSocket {
    public let fd: Int32
    /// Bytes received but not yet returned as a frame.
    private var pending: [UInt8] = []

    public init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw TestSupportError("connect(\(path)) failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Writes `bytes` to `descriptor`, blocking while the socket is full, and returns how many were written before
    /// the first failure (all of them when none failed): for a sender on a task of its own while the test reads.
    public static func sendAll(_ bytes: [UInt8], to descriptor: Int32) -> Int {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return offset }
            offset += sent
        }
        return offset
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw TestSupportError("send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Reads up to `count` bytes, waiting at most `timeout`. Returns [] when the peer closed the connection.
    public func receive(atMost count: Int = 65536, timeout: Duration = .seconds(5)) throws -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let millis = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&poller, 1, millis)
        if ready == 0 { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        let received = recv(fd, &buffer, count, 0)
        if received < 0 {
            if errno == ECONNRESET { return [] }
            throw TestSupportError("recv failed: \(String(cString: strerror(errno)))")
        }
        return Array(buffer[0..<received])
    }

    /// Reads exactly one frame (header and data), or nil on timeout, or throws if the peer closed.
    public func receiveFrame(
        timeout: Duration = .seconds(5)
    ) throws -> (streamID: UInt32, type: UInt8, flags: UInt8, data: [UInt8])? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if pending.count >= 10 {
                let length = Int(pending[0]) << 24 | Int(pending[1]) << 16 | Int(pending[2]) << 8 | Int(pending[3])
                if pending.count >= 10 + length {
                    let streamID =
                        UInt32(pending[4]) << 24 | UInt32(pending[5]) << 16 | UInt32(pending[6]) << 8
                        | UInt32(pending[7])
                    let frame = (streamID, pending[8], pending[9], Array(pending[10..<(10 + length)]))
                    pending.removeFirst(10 + length)
                    return frame
                }
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            guard let chunk = try receive(timeout: left) else { return nil }
            if chunk.isEmpty { throw TestSupportError("the server closed the connection") }
            pending += chunk
        }
    }

    /// True if the server closes the connection within `timeout`.
    public func waitForClose(timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let chunk = try receive(timeout: deadline - ContinuousClock.now) else { return false }
            if chunk.isEmpty { return true }
        }
        return false
    }
}

/// Builds frames by hand.
public enum RawFrame {
    public static func bytes(streamID: UInt32, type: UInt8, flags: UInt8 = 0, data: [UInt8]) -> [UInt8] {
        header(length: UInt32(data.count), streamID: streamID, type: type, flags: flags) + data
    }

    public static func header(length: UInt32, streamID: UInt32, type: UInt8, flags: UInt8 = 0) -> [UInt8] {
        [
            UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff),
            UInt8(streamID >> 24), UInt8(streamID >> 16 & 0xff), UInt8(streamID >> 8 & 0xff), UInt8(streamID & 0xff),
            type, flags,
        ]
    }
}
