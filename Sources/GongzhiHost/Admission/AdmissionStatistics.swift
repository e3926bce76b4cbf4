/// What admission did at one priority level since the host started, and what it holds now.
struct AdmissionStatistics: Sendable, Equatable {
    /// The level, as ``PriorityLevel/description`` names it (`routed:PLUGIN` for a routed pool).
    var level: String
    /// Seats in use now, and the level's seats.
    var seatsInUse: Int
    var seats: Int
    /// Calls waiting for a seat now.
    var waiting: Int
    /// Calls admitted (at once or after waiting).
    var admitted: UInt64
    /// Calls that had to wait before they were admitted, refused or cancelled.
    var queued: UInt64
    /// Calls refused: their flow's queue was full, or they waited `max_wait`.
    var rejected: UInt64
    /// Calls that stopped waiting because their caller went away or their deadline passed.
    var cancelled: UInt64

    init(level: String, seats: Int) {
        self.level = level
        self.seats = seats
        self.seatsInUse = 0
        self.waiting = 0
        self.admitted = 0
        self.queued = 0
        self.rejected = 0
        self.cancelled = 0
    }
}
