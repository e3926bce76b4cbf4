#if canImport(Glibc)
import Glibc
#endif

/// How calls are admitted: `[admission]` and its level tables in the configuration.
///
/// ```toml
/// [admission]
/// max_streams_per_flow = 64     # open Watches and other streams per principal
/// store_reads_per_flow = 0      # 0: half the store's readers
///
/// [admission.clients]           # also [admission.admin], [admission.plugins], [admission.routed]
/// seats = 0                     # 0: from the processor count (see below)
/// seats_per_flow = 0            # 0: half the seats
/// queue_length_per_flow = 256
/// max_wait = "10s"
/// max_seats_per_call = 0        # 0: a quarter of the seats
/// ```
///
/// With `seats = 0` a level gets, per processor: admin 4, plugins 8, clients 4, and each plugin's routed pool 8
/// (admin 8, plugins 16, clients 8, routed 16 on two processors).
public struct AdmissionSettings: Sendable, Equatable {
    /// The limits of one level, as configured; 0 means "the default".
    public struct Level: Sendable, Equatable {
        public var seats: Int = 0
        public var seatsPerFlow: Int = 0
        public var queueLengthPerFlow: Int = AdmissionSettings.defaultQueueLengthPerFlow
        public var maxWait: Duration = .seconds(10)
        public var maxSeatsPerCall: Int = 0

        public init() {}

        static let knownKeys: Set<String> = [
            "seats", "seats_per_flow", "queue_length_per_flow", "max_wait", "max_seats_per_call",
        ]

        init(reading table: TOMLTableReader?) throws(ConfigurationError) {
            guard let table else { return }
            try table.rejectUnknownKeys(Self.knownKeys)
            if let value = try table.integer("seats", in: 0...100_000) { seats = Int(value) }
            if let value = try table.integer("seats_per_flow", in: 0...100_000) { seatsPerFlow = Int(value) }
            if let value = try table.integer("queue_length_per_flow", in: 0...100_000) {
                queueLengthPerFlow = Int(value)
            }
            if let value = try table.duration("max_wait") {
                guard value > .zero else {
                    throw table.error("max_wait", "must be more than 0s (seconds are usual)")
                }
                maxWait = value
            }
            if let value = try table.integer("max_seats_per_call", in: 0...100_000) { maxSeatsPerCall = Int(value) }
        }

        /// The limits in effect: `seats` 0 becomes `seatsPerProcessor` × `processors`, `seats_per_flow` 0 half of
        /// them, `max_seats_per_call` 0 a quarter (each at least 1, and never more than the flow's share).
        func limits(seatsPerProcessor: Int, processors: Int) -> LevelLimits {
            let seats = seats > 0 ? seats : max(4, seatsPerProcessor * max(1, processors))
            return LevelLimits(
                seats: seats,
                seatsPerFlow: seatsPerFlow > 0 ? seatsPerFlow : seats / 2,
                queueLengthPerFlow: queueLengthPerFlow,
                maxWait: maxWait,
                maxSeatsPerCall: maxSeatsPerCall > 0 ? maxSeatsPerCall : seats / 4
            )
        }
    }

    /// Calls one principal may have waiting per level before more are refused.
    public static let defaultQueueLengthPerFlow = 256

    /// `[admission.admin]`: calls on admin.sock.
    public var admin = Level()
    /// `[admission.plugins]`: plugins' calls to the host's own services.
    public var plugins = Level()
    /// `[admission.clients]`: API clients' and persons' calls to the host's own services.
    public var clients = Level()
    /// `[admission.routed]`: calls routed to a plugin; each plugin has a pool of these limits.
    public var routed = Level()
    /// Streams (Watch, routed streams) one principal may hold open (`max_streams_per_flow`, default 64).
    public var maxStreamsPerFlow = 64
    /// Store reads one principal may run at once (`store_reads_per_flow`); 0, the default, is half the store's
    /// readers.
    public var storeReadsPerFlow = 0
    /// False turns admission off (`enabled`, default true): every call runs at once, as before.
    public var enabled = true

    public init() {}

    static let knownKeys: Set<String> = [
        "admin", "plugins", "clients", "routed", "max_streams_per_flow", "store_reads_per_flow", "enabled",
    ]

    init(reading table: TOMLTableReader?) throws(ConfigurationError) {
        guard let table else { return }
        try table.rejectUnknownKeys(Self.knownKeys)
        admin = try Level(reading: table.table("admin"))
        plugins = try Level(reading: table.table("plugins"))
        clients = try Level(reading: table.table("clients"))
        routed = try Level(reading: table.table("routed"))
        if let value = try table.integer("max_streams_per_flow", in: 1...100_000) { maxStreamsPerFlow = Int(value) }
        if let value = try table.integer("store_reads_per_flow", in: 0...10_000) { storeReadsPerFlow = Int(value) }
        enabled = try table.bool("enabled") ?? true
    }

    /// The processors this host may use, for the defaults.
    static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// The limits in effect at each level, for `processors` processors.
    func limits(processors: Int = AdmissionSettings.processorCount) -> AdmissionLimits {
        AdmissionLimits(
            admin: admin.limits(seatsPerProcessor: 4, processors: processors),
            plugins: plugins.limits(seatsPerProcessor: 8, processors: processors),
            clients: clients.limits(seatsPerProcessor: 4, processors: processors),
            routed: routed.limits(seatsPerProcessor: 8, processors: processors),
            maxStreamsPerFlow: maxStreamsPerFlow
        )
    }

    /// The store reads one principal may run at once, when the store has `readers` readers: the configured
    /// number, or half the readers (at least one).
    func storeReadsPerFlow(readers: Int) -> Int {
        storeReadsPerFlow > 0 ? storeReadsPerFlow : max(1, readers / 2)
    }
}
