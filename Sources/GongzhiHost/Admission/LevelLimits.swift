/// The limits of one priority level, from its `[admission.LEVEL]` table.
struct LevelLimits: Sendable, Equatable {
    /// Calls' seats in use at once in the level.
    var seats: Int
    /// Seats one flow may use at once: its share.
    var seatsPerFlow: Int
    /// Calls of one flow that may wait for a seat; one more is refused at once.
    var queueLengthPerFlow: Int
    /// The longest a call waits for a seat (less when the caller's deadline is sooner).
    var maxWait: Duration
    /// The most seats one call takes (a large List's width is capped here).
    var maxSeatsPerCall: Int

    /// Limits for `seats`, with a quarter of them per flow and per call unless given (at least one each).
    init(
        seats: Int,
        seatsPerFlow: Int? = nil,
        queueLengthPerFlow: Int = AdmissionSettings.defaultQueueLengthPerFlow,
        maxWait: Duration = .seconds(10),
        maxSeatsPerCall: Int? = nil
    ) {
        self.seats = max(1, seats)
        self.seatsPerFlow = min(self.seats, max(1, seatsPerFlow ?? self.seats / 4))
        self.queueLengthPerFlow = max(0, queueLengthPerFlow)
        self.maxWait = maxWait
        self.maxSeatsPerCall = min(self.seatsPerFlow, max(1, maxSeatsPerCall ?? self.seats / 4))
    }

    /// The seats a call asking for `width` takes: 1 to ``maxSeatsPerCall``.
    func seats(forWidth width: Int) -> Int {
        min(max(1, width), maxSeatsPerCall)
    }
}
