import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The metadata entry that carries a token on host.sock (the host's `CallerMetadata.token`).
let tokenMetadataKey = "gongzhi-token"

/// The response metadata entry in which the host says, with RESOURCE_EXHAUSTED, when to try again.
let retryAfterMetadataKey = "gongzhi-retry-after-ms"

/// Linux's `POLLRDHUP` (the peer closed its side), which Glibc's module map hides without `_GNU_SOURCE`.
let pollReadHangUp = Int16(0x2000)

/// ttrpc's frames and the envelopes of a unary call, written and read by hand, so that the overload benchmark's
/// clients depend on nothing of the host's.
enum TTRPCWire {
    /// A frame header: data length (4 bytes, big-endian), stream id (4), type (1), flags (1).
    static let headerSize = 10
    static let requestType: UInt8 = 0x01
    static let responseType: UInt8 = 0x02
    /// The largest data length the protocol allows.
    static let maxDataLength = 4 << 20

    /// A request frame: the header and the `Request` envelope (service 1, method 2, payload 3, timeout_nano 4,
    /// metadata 5 as `KeyValue` key 1, value 2), with the token in its metadata when there is one.
    static func requestFrame(
        streamID: UInt32,
        service: String,
        method: String,
        payload: [UInt8],
        token: String?,
        timeoutNanoseconds: Int64 = 0
    ) -> [UInt8] {
        var envelope = ProtobufMessageWriter()
        envelope.string(1, service)
        envelope.string(2, method)
        envelope.bytes(3, payload)
        if timeoutNanoseconds > 0 { envelope.varint(4, UInt64(timeoutNanoseconds)) }
        if let token {
            var entry = ProtobufMessageWriter()
            entry.string(1, tokenMetadataKey)
            entry.string(2, token)
            envelope.message(5, entry)
        }
        var frame: [UInt8] = []
        frame.reserveCapacity(Self.headerSize + envelope.bytes.count)
        appendBigEndian(UInt32(envelope.bytes.count), to: &frame)
        appendBigEndian(streamID, to: &frame)
        frame.append(Self.requestType)
        frame.append(0)
        frame += envelope.bytes
        return frame
    }

    /// The status of a `Response` envelope (status 1: `Status` with code 1 and message 2; payload 2; metadata 3),
    /// where its payload lies in `data`, and the retry time the host gave in its metadata. A response without a
    /// status is OK.
    static func response(_ data: [UInt8]) throws -> TTRPCResponse {
        var response = TTRPCResponse(code: 0, message: "", payload: 0..<0)
        var fields = ProtobufFieldReader(data)
        while let field = try fields.next() {
            switch (field.number, field.wireType) {
            case (1, 2):
                var status = ProtobufFieldReader(data, range: field.range)
                while let part = try status.next() {
                    if part.number == 1 && part.wireType == 0 { response.code = Int32(truncatingIfNeeded: part.varint) }
                    if part.number == 2 && part.wireType == 2 {
                        response.message = String(decoding: data[part.range], as: UTF8.self)
                    }
                }
            case (2, 2):
                response.payload = field.range
            case (3, 2):
                var entry = ProtobufFieldReader(data, range: field.range)
                var key = ""
                var value = ""
                while let part = try entry.next() {
                    guard part.wireType == 2 else { continue }
                    if part.number == 1 { key = String(decoding: data[part.range], as: UTF8.self) }
                    if part.number == 2 { value = String(decoding: data[part.range], as: UTF8.self) }
                }
                if key == retryAfterMetadataKey { response.retryAfterMilliseconds = Int(value) }
            default:
                break
            }
        }
        return response
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

/// What a `Response` envelope said: a gRPC status code, its message, and where the answer's bytes are.
struct TTRPCResponse {
    var code: Int32
    var message: String
    var payload: Range<Int>
    /// The `gongzhi-retry-after-ms` metadata entry of a refusal, when the host sent one.
    var retryAfterMilliseconds: Int?
}

/// One frame read off a connection.
struct TTRPCFrame {
    var streamID: UInt32
    var type: UInt8
    var flags: UInt8
    var data: [UInt8]
}

/// Bytes read off a connection, cut into whole frames.
struct TTRPCFrameBuffer {
    private var storage: [UInt8] = []
    private var start = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        // Drop what was consumed once it is most of the buffer, so that appending stays cheap.
        if self.start > 0 && self.start >= self.storage.count / 2 {
            self.storage.removeFirst(self.start)
            self.start = 0
        }
        self.storage.append(contentsOf: bytes)
    }

    /// The next whole frame, taken out of the buffer; nil until one has arrived. Throws on a frame longer than
    /// the protocol allows.
    mutating func nextFrame() throws -> TTRPCFrame? {
        guard self.storage.count - self.start >= TTRPCWire.headerSize else { return nil }
        let header = self.storage[self.start..<self.start + TTRPCWire.headerSize].map { UInt32($0) }
        let length = Int(header[0] << 24 | header[1] << 16 | header[2] << 8 | header[3])
        guard length <= TTRPCWire.maxDataLength else {
            throw BenchFailure("the host sent a frame of \(length) bytes, more than ttrpc's 4 MiB")
        }
        guard self.storage.count - self.start >= TTRPCWire.headerSize + length else { return nil }
        let streamID = header[4] << 24 | header[5] << 16 | header[6] << 8 | header[7]
        let dataStart = self.start + TTRPCWire.headerSize
        let frame = TTRPCFrame(
            streamID: streamID,
            type: UInt8(header[8]),
            flags: UInt8(header[9]),
            data: Array(self.storage[dataStart..<dataStart + length])
        )
        self.start = dataStart + length
        if self.start == self.storage.count {
            self.storage.removeAll(keepingCapacity: true)
            self.start = 0
        }
        return frame
    }
}

/// One non-blocking client connection to a Unix-domain socket, for the overload benchmark's load generators and
/// probe. Not thread-safe: each is used by one thread.
final class UnixStreamConnection {
    let descriptor: Int32
    private(set) var isOpen = true

    /// Why a connection could not be made: the errno of `socket` or `connect` (EAGAIN: the listener's backlog
    /// is full; ECONNREFUSED: nobody accepts; EMFILE: this process's own file limit).
    struct ConnectFailure: Error, CustomStringConvertible {
        var code: Int32

        var description: String { "connect: \(String(cString: strerror(self.code)))" }
    }

    /// What a read or a write did.
    enum Transfer {
        case bytes(Int)
        case wouldBlock
        case closed
        case failed(Int32)
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        self.close()
    }

    /// Connects once, without waiting.
    static func connect(path: String) -> Result<UnixStreamConnection, ConnectFailure> {
        #if os(Linux)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        let descriptor = socket(AF_UNIX, type, 0)
        guard descriptor >= 0 else { return .failure(ConnectFailure(code: errno)) }
        #if !os(Linux)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        #endif
        let connection = UnixStreamConnection(descriptor: descriptor)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return .failure(ConnectFailure(code: ENAMETOOLONG)) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .success(connection) }
        let code = errno
        guard code == EINPROGRESS else { return .failure(ConnectFailure(code: code)) }
        // Unix sockets connect at once or not at all; should one ever be in progress, wait for it briefly.
        let events = connection.wait(for: Int16(POLLOUT), milliseconds: 1_000)
        guard events & Int16(POLLOUT) != 0 else { return .failure(ConnectFailure(code: ETIMEDOUT)) }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
        return failure == 0 ? .success(connection) : .failure(ConnectFailure(code: failure))
    }

    /// Connects, trying again every 10 ms while the listener's backlog is full, until `deadline`.
    static func connect(path: String, deadline: ContinuousClock.Instant) throws -> UnixStreamConnection {
        while true {
            switch Self.connect(path: path) {
            case .success(let connection):
                return connection
            case .failure(let failure) where failure.code == EAGAIN && ContinuousClock.now < deadline:
                usleep(10_000)
            case .failure(let failure):
                throw BenchFailure("cannot connect to \(path): \(failure)")
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Transfer {
        guard self.isOpen else { return .closed }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .bytes(0) }
        let written = send(self.descriptor, base, bytes.count, Int32(MSG_NOSIGNAL))
        if written >= 0 { return .bytes(written) }
        return Self.failure(errno)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
        guard self.isOpen else { return .closed }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .bytes(0) }
        let count = recv(self.descriptor, base, buffer.count, 0)
        if count > 0 { return .bytes(count) }
        if count == 0 { return .closed }
        return Self.failure(errno)
    }

    private static func failure(_ code: Int32) -> Transfer {
        switch code {
        case EAGAIN, EWOULDBLOCK, EINTR: .wouldBlock
        case EPIPE, ECONNRESET, ENOTCONN: .closed
        default: .failed(code)
        }
    }

    /// Writes all of `bytes`, waiting for room as long as `deadline` allows; throws when the connection ends or
    /// the deadline passes first.
    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
        var offset = 0
        while offset < bytes.count {
            let transfer = bytes.withUnsafeBytes { self.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch transfer {
            case .bytes(let count):
                offset += count
            case .wouldBlock:
                let left = deadline - ContinuousClock.now
                guard left > .zero else { throw BenchFailure("timed out writing a request") }
                _ = self.wait(for: Int16(POLLOUT), milliseconds: Int32(clamping: milliseconds(left) + 1))
            case .closed:
                throw BenchFailure("the host closed the connection")
            case .failed(let code):
                throw BenchFailure("write: \(String(cString: strerror(code)))")
            }
        }
    }

    /// Waits up to `milliseconds` for any of `events` (or a hang-up or error) and returns what happened.
    @discardableResult
    func wait(for events: Int16, milliseconds: Int32) -> Int16 {
        var entry = pollfd(fd: self.descriptor, events: events, revents: 0)
        let ready = poll(&entry, 1, milliseconds)
        return ready > 0 ? entry.revents : 0
    }

    /// Bytes the host has sent that this side has not read yet, as the kernel holds them.
    var unreadBytes: Int {
        var count: Int32 = 0
        #if os(Linux)
        guard ioctl(self.descriptor, UInt(FIONREAD), &count) == 0 else { return 0 }
        #endif
        return Int(count)
    }

    func close() {
        guard self.isOpen else { return }
        self.isOpen = false
        systemClose(self.descriptor)
    }
}

// The system's calls, by names that the connection's own methods do not hide.
private func systemConnect(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(descriptor, address, length)
}

private func systemClose(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// A duration in whole milliseconds, rounded down.
func milliseconds(_ duration: Duration) -> Int {
    let (seconds, attoseconds) = duration.components
    return Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000)
}

/// A duration in microseconds.
func microseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
}
