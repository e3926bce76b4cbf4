/// Limits on the connections to admin.sock and host.sock: `[connections]` in the configuration.
///
/// Read at start: changing them needs a restart of the host (a reload reports nothing about them and keeps the
/// values the sockets were opened with).
public struct ConnectionSettings: Sendable, Equatable {
    /// A connection with no call open, no request waiting and no partial frame is closed after this long
    /// (`idle_timeout`, default 5 min; 0 keeps idle connections open).
    public var idleTimeout: Duration? = .seconds(300)
    /// Connections one uid may have open on host.sock (`max_per_uid`, default 512; 0 for no limit).
    public var maxPerUID: Int? = 512
    /// Connections one principal (a token, a person's token, a plugin) may make calls on (`max_per_principal`,
    /// default 64; 0 for no limit).
    public var maxPerPrincipal: Int? = 64
    /// Connections host.sock takes at once (`max_host`); nil (0 in the file, the default) leaves room for the
    /// host's own files: the open-files soft limit less ``reservedDescriptors`` and 8 per plugin.
    public var maxHost: Int? = nil
    /// Connections admin.sock takes at once (`max_admin`, default 256); their descriptors are held back from
    /// host.sock, so that an operator can always get in.
    public var maxAdmin = 256
    /// Answer bytes a connection may leave unread before the host stops taking its calls (`outbound_budget`,
    /// default 8 MiB; written as bytes or "8MiB", "512KiB").
    public var outboundBudget = 8 << 20
    /// A connection over its outbound budget that reads nothing for this long is closed
    /// (`unread_answers_timeout`, default 60 s; 0 never closes it).
    public var unreadAnswersTimeout: Duration? = .seconds(60)
    /// A client that stops in the middle of a frame for this long is disconnected (`stalled_frame_timeout`,
    /// default 10 s).
    public var stalledFrameTimeout: Duration = .seconds(10)
    /// A frame still incomplete this long after its first byte closes its connection, however slowly the client
    /// keeps sending (`frame_timeout`, default 60 s; 0 for no limit).
    public var frameTimeout: Duration? = .seconds(60)

    /// Descriptors kept free for the host itself (its store, audit log, admin connections) when `max_host` is 0.
    public static let reservedDescriptors = 64

    public init() {}

    static let knownKeys: Set<String> = [
        "idle_timeout", "max_per_uid", "max_per_principal", "max_host", "max_admin", "outbound_budget",
        "unread_answers_timeout", "stalled_frame_timeout", "frame_timeout",
    ]

    init(reading table: TOMLTableReader?) throws(ConfigurationError) {
        guard let table else { return }
        try table.rejectUnknownKeys(Self.knownKeys)
        if let value = try table.duration("idle_timeout") { idleTimeout = value == .zero ? nil : value }
        if let value = try table.integer("max_per_uid", in: 0...1_000_000) { maxPerUID = value == 0 ? nil : Int(value) }
        if let value = try table.integer("max_per_principal", in: 0...1_000_000) {
            maxPerPrincipal = value == 0 ? nil : Int(value)
        }
        if let value = try table.integer("max_host", in: 0...10_000_000) { maxHost = value == 0 ? nil : Int(value) }
        if let value = try table.integer("max_admin", in: 1...100_000) { maxAdmin = Int(value) }
        if let value = try Self.bytes(table, "outbound_budget") {
            guard value >= 64 << 10 else {
                throw table.error("outbound_budget", "must be at least 64KiB (one answer may be up to 4MiB)")
            }
            outboundBudget = value
        }
        if let value = try table.duration("unread_answers_timeout") {
            unreadAnswersTimeout = value == .zero ? nil : value
        }
        if let value = try table.duration("stalled_frame_timeout") {
            guard value >= .milliseconds(100) else {
                throw table.error("stalled_frame_timeout", "must be at least 100ms")
            }
            stalledFrameTimeout = value
        }
        if let value = try table.duration("frame_timeout") {
            guard value == .zero || value >= .milliseconds(100) else {
                throw table.error("frame_timeout", "must be at least 100ms (or 0 for no limit)")
            }
            frameTimeout = value == .zero ? nil : value
        }
    }

    /// The cap on host.sock's connections: `max_host`, or what the open-files soft limit `softLimit` leaves
    /// after the host's own descriptors, admin.sock's and 8 per plugin.
    public func hostSocketCap(softLimit: Int, plugins: Int) -> Int {
        if let maxHost { return maxHost }
        return max(16, softLimit - Self.reservedDescriptors - maxAdmin - 8 * plugins)
    }

    /// A size written as a whole number of bytes or with a unit: "8MiB", "512KiB", "1GiB".
    private static func bytes(_ table: TOMLTableReader, _ key: String) throws(ConfigurationError) -> Int? {
        if let text = try? table.string(key) {
            let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
            for (unit, scale) in units where text.hasSuffix(unit) {
                if let number = Int(text.dropLast(unit.count)), number >= 0, number <= Int(Int32.max) {
                    return number * scale
                }
            }
            throw table.error(key, "\"\(text)\" is not a size; write e.g. \"8MiB\", \"512KiB\" or a number of bytes")
        }
        return try table.integer(key, in: 0...(1 << 40)).map { Int($0) }
    }
}
