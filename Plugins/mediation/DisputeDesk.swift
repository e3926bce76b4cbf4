import GongzhiCalendar
import GongzhiGridSchemas
import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import Logging

/// Where the mediation plugin's work happens: applications and hand-overs open disputes, steps move them
/// through the procedure, and the clocks that run out are recorded as alerts. Steps on one dispute take turns;
/// everything else runs side by side.
///
/// Who acts is the caller the host verified: a person is recorded by id and name and acts only on disputes
/// within their places; an administrator, a plugin or an API client is recorded by its principal and is not
/// held to places.
final class DisputeDesk: Sendable {
    let disputes: DisputeBook
    let settings: MediationSettings
    let roster: MediatorRoster
    let gridCases: GridCases
    private let logger: Logger
    private let turns = KeyedTurns()

    /// How often a step retries after a conflicting write it did not cause.
    private static let conflictRetries = 4

    init(
        disputes: DisputeBook,
        settings: MediationSettings,
        roster: MediatorRoster,
        gridCases: GridCases,
        logger: Logger
    ) {
        self.disputes = disputes
        self.settings = settings
        self.roster = roster
        self.gridCases = gridCases
        self.logger = logger
    }

    var clock: PluginClock { settings.clock }

    // MARK: Opening

    /// Opens a dispute on an application, the committee's initiative or a referral by the police or a court;
    /// a retry with the same idempotency key by the same caller answers the first one's dispute.
    func apply(
        _ request: Gongzhi_Mediation_V1_ApplyRequest,
        by caller: Caller
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        if request.source == .gridCase {
            throw RPCError(
                code: .invalidArgument,
                message: "a grid case comes to mediation by a hand-over, which keeps the case and the dispute "
                    + "linked: gongzhictl mediation hand-off CASE (HandOff)"
            )
        }
        let id = DisputeIdentity.applicationID(principal: caller.principal, idempotencyKey: request.idempotencyKey)
        return try await turns.take(id) {
            if let earlier = disputes[id] {
                try Self.checkPlaces(of: earlier.message, for: caller, doing: "read")
                return earlier.message
            }
            // Checked before anything is read for it: the place is the caller's to act in.
            _ = try Self.refusing { () throws(MediationRefusal) in
                try DisputeProcedure.open(request, id: id, by: MediationActor(caller), at: clock.nowMs())
            }
            try Self.checkPlace(request.placeCode, for: caller)
            var filled = request
            filled.parties = try await roster.withHouseholds(request.parties)
            let opened = try Self.refusing { () throws(MediationRefusal) in
                try DisputeProcedure.open(filled, id: id, by: MediationActor(caller), at: clock.nowMs())
            }
            do {
                let created = try await disputes.create(opened)
                logOpened(created.message)
                return created.message
            } catch let error as RPCError where error.code == .alreadyExists && !request.idempotencyKey.isEmpty {
                // The same key from the same caller, written meanwhile by a write the book has not seen yet.
                if let existing = try await disputes.fetch(id) {
                    try Self.checkPlaces(of: existing.message, for: caller, doing: "read")
                    return existing.message
                }
                throw error
            }
        }
    }

    /// Hands grid case `request.case_id` to mediation: a dispute with source GRID_CASE, the case's id, grid,
    /// category name and description, and the request's parties. The grid plugin notices the dispute and makes
    /// the case wait on it.
    func handOff(
        _ request: Gongzhi_Mediation_V1_HandOffRequest,
        by caller: Caller
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let caseID = request.caseID
        guard !caseID.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "name the grid case to hand over: case_id is empty")
        }
        if request.parties.count < 2 {
            throw RPCError(
                code: .invalidArgument,
                message: "a grid case does not name its parties: give at least two (\(request.parties.count) given)"
            )
        }
        let id = DisputeIdentity.handOffID(caseID: caseID)
        return try await turns.take(id) {
            let found: Gongzhi_Grid_V1_Case
            switch try await gridCases.lookup(caseID) {
            case .notDeployed:
                throw RPCError(
                    code: .failedPrecondition,
                    message: "the grid module is not deployed on this host: there are no grid cases to hand over; "
                        + "open the dispute with `gongzhictl mediation apply`"
                )
            case .missing:
                throw RPCError(code: .notFound, message: "there is no grid case \(caseID)")
            case .found(let value):
                found = value
            }
            if !caller.mayAct(at: found.gridCode) {
                throw RPCError(
                    code: .permissionDenied,
                    message: "grid case \(caseID) is in grid \(found.gridCode), outside the places where "
                        + "\(Self.named(caller)) may hand cases to mediation (\(Self.wording(caller.places)))"
                )
            }
            if let earlier = disputes[id] {
                throw Self.handedOver(caseID, to: earlier.message.id)
            }
            if !found.mediation.disputeID.isEmpty {
                throw Self.handedOver(caseID, to: found.mediation.disputeID)
            }
            guard settings.disputeCategories.contains(found.categoryCode) else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "grid case \(caseID) is in category \(found.categoryCode) (\(found.categoryName)), "
                        + "which is not a dispute; the dispute categories are "
                        + "\(settings.disputeCategories.joined(separator: ", ")) (MEDIATION_DISPUTE_CATEGORIES)"
                )
            }
            if let reason = GridCases.closedReason(found) {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "grid case \(caseID) cannot be handed to mediation: \(reason)"
                )
            }
            var application = Gongzhi_Mediation_V1_ApplyRequest()
            application.type = request.type == .unspecified ? .neighbour : request.type
            application.source = .gridCase
            application.referralID = caseID
            application.placeCode = found.gridCode
            application.level = request.level == .unspecified ? .community : request.level
            application.title = found.categoryName.isEmpty ? found.categoryCode : found.categoryName
            application.facts = found.description_p
            application.parties = try await roster.withHouseholds(request.parties)
            var opened = try Self.refusing { () throws(MediationRefusal) in
                try DisputeProcedure.open(application, id: id, by: MediationActor(caller), at: clock.nowMs())
            }
            if !request.note.isEmpty, !opened.history.isEmpty {
                try Self.refusing { () throws(MediationRefusal) in
                    try Self.checkNote(request.note)
                }
                opened.history[opened.history.count - 1].note += "; \(request.note)"
            }
            do {
                let created = try await disputes.create(opened)
                logOpened(created.message)
                return created.message
            } catch let error as RPCError where error.code == .alreadyExists {
                throw Self.handedOver(caseID, to: id)
            }
        }
    }

    private static func handedOver(_ caseID: String, to disputeID: String) -> RPCError {
        RPCError(
            code: .alreadyExists,
            message: "grid case \(caseID) was handed to mediation before: dispute \(disputeID)"
        )
    }

    private static func checkNote(_ note: String) throws(MediationRefusal) {
        if note.count > DisputeProcedure.maxNoteLength {
            throw .invalidArgument(
                "the note has \(note.count) characters; at most \(DisputeProcedure.maxNoteLength) are allowed"
            )
        }
    }

    private func logOpened(_ value: Gongzhi_Mediation_V1_Dispute) {
        logger.info(
            "dispute \(value.id) opened",
            metadata: [
                "source": "\(DisputeLabels.sourceName(value.source))", "place": "\(value.placeCode)",
                "type": "\(DisputeStats.typeName(value.type))",
            ]
        )
    }

    // MARK: Steps

    /// Takes `caller`'s step on dispute `id` and answers the dispute after it.
    func step(
        _ id: String,
        by caller: Caller,
        _ command: DisputeCommand
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try await step(id, command.action, by: caller) { _ in (command, "") }
    }

    /// Takes `caller`'s step `action` on dispute `id` and answers the dispute after it. `resolve` makes the
    /// command, looking up what it needs (people, the grid module), once the dispute is known and within the
    /// caller's places, and gives a note for the step's history beside the procedure's own ("": none).
    func step(
        _ id: String,
        _ action: Gongzhi_Mediation_V1_Action,
        by caller: Caller,
        _ resolve: (Gongzhi_Mediation_V1_Dispute) async throws -> (DisputeCommand, String)
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        let actor = MediationActor(caller)
        _ = try held(id)
        return try await turns.take(id) {
            let held = try self.held(id)
            try Self.checkPlaces(of: held, for: caller, doing: action.wording)
            let (command, note) = try await resolve(held)
            return try await change(id) { current throws(MediationRefusal) in
                var next = try DisputeProcedure.apply(
                    command,
                    to: current,
                    by: actor,
                    at: clock.nowMs(),
                    restDays: settings.restDays
                )
                if !note.isEmpty, next.history.count > current.history.count {
                    let last = next.history.count - 1
                    next.history[last].note += next.history[last].note.isEmpty ? note : "; \(note)"
                }
                return next
            }
        }
    }

    /// The dispute with this id as the book holds it; NOT_FOUND when there is none.
    func held(_ id: String) throws(RPCError) -> Gongzhi_Mediation_V1_Dispute {
        guard !id.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "name the dispute: dispute_id is empty")
        }
        guard let held = disputes[id] else {
            throw RPCError(code: .notFound, message: "there is no dispute \(id)")
        }
        return held.message
    }

    /// The dispute with this id, for `caller` to read; NOT_FOUND or PERMISSION_DENIED.
    func read(_ id: String, by caller: Caller) throws(RPCError) -> Gongzhi_Mediation_V1_Dispute {
        let value = try held(id)
        try Self.checkPlaces(of: value, for: caller, doing: "read")
        return value
    }

    /// The performance of a missed obligation names the grid case opened for it where the dispute lies in a
    /// grid and the grid module is deployed; the step's note says which, or why there is none.
    func missedObligation(
        _ performance: Gongzhi_Mediation_V1_Performance,
        of dispute: Gongzhi_Mediation_V1_Dispute
    ) async throws -> (performance: Gongzhi_Mediation_V1_Performance, note: String) {
        var performance = performance
        performance.gridCaseID = ""
        guard performance.outcome == .missed else { return (performance, "") }
        guard dispute.gridCode.count == 15 else {
            return (performance, "no grid case: the dispute lies in no grid")
        }
        guard try await gridCases.deployed() else {
            return (performance, "no grid case: the grid module is not deployed")
        }
        performance.gridCaseID = DisputeIdentity.missedObligationCaseID(
            disputeID: dispute.id,
            obligationID: performance.obligationID
        )
        return (performance, "grid case \(performance.gridCaseID) opens for it")
    }

    // MARK: Places

    /// Refuses (PERMISSION_DENIED) a person acting on, or reading, a dispute outside their places.
    static func checkPlaces(
        of value: Gongzhi_Mediation_V1_Dispute,
        for caller: Caller,
        doing verb: String
    ) throws(RPCError) {
        guard !caller.mayAct(at: value.placeCode) else { return }
        throw RPCError(
            code: .permissionDenied,
            message: "dispute \(value.id) lies in \(value.placeCode), outside the places where \(named(caller)) "
                + "may \(verb) disputes (\(wording(caller.places)))"
        )
    }

    /// Refuses (PERMISSION_DENIED) a person opening a dispute outside their places.
    static func checkPlace(_ place: String, for caller: Caller) throws(RPCError) {
        guard !caller.mayAct(at: place) else { return }
        throw RPCError(
            code: .permissionDenied,
            message: "the dispute lies in \(place), outside the places where \(named(caller)) may open disputes "
                + "(\(wording(caller.places)))"
        )
    }

    /// "胡伟 (hu-wei)", or the principal of a caller that is not a person.
    static func named(_ caller: Caller) -> String {
        guard let person = caller.person else { return caller.principal }
        return person.name.isEmpty || person.name == person.id ? person.id : "\(person.name) (\(person.id))"
    }

    /// "330199001001, 330199001002001", "nowhere" or "everywhere".
    static func wording(_ places: PlaceScope) -> String {
        guard let codes = places.codes else { return "everywhere" }
        return codes.isEmpty ? "nowhere" : codes.joined(separator: ", ")
    }

    // MARK: Writing

    /// Reads a dispute, computes its next version (nil: none) and writes it; when someone else wrote it in
    /// between, reads it again and retries.
    private func change(
        _ id: String,
        _ next: (Gongzhi_Mediation_V1_Dispute) throws(MediationRefusal) -> Gongzhi_Mediation_V1_Dispute?
    ) async throws -> Gongzhi_Mediation_V1_Dispute {
        try await disputes.change(id, retries: Self.conflictRetries) { current throws(RPCError) in
            try Self.refusing { () throws(MediationRefusal) in try next(current) }
        }
    }

    // MARK: Alerts

    /// Looks for clocks that ran out every `interval` and records them, until cancelled.
    func alert(every interval: Duration) async {
        while !Task.isCancelled {
            await recordAlerts()
            try? await Task.sleep(for: interval)
        }
    }

    /// Records, on every dispute, each of its clocks overdue now that it does not hold as an alert yet, and
    /// logs it; returns how many alerts were recorded.
    @discardableResult
    func recordAlerts() async -> Int {
        let now = clock.nowMs()
        var recorded = 0
        for value in disputes.all() where !DisputeAlerts.new(for: value, at: now, restDays: settings.restDays).isEmpty {
            let id = value.id
            do {
                let before = value.alerts.count
                let after = try await turns.take(id) {
                    try await change(id) { current throws(MediationRefusal) in
                        DisputeAlerts.recording(in: current, at: now, restDays: settings.restDays)
                    }
                }
                for alert in after.alerts.dropFirst(before) where alert.atMs == now {
                    recorded += 1
                    logger.notice(
                        "dispute \(id): \(alert.description_p) ran out",
                        metadata: ["place": "\(after.placeCode)", "deadline": "\(alert.deadlineMs)"]
                    )
                }
            } catch {
                logger.warning("cannot record the alerts of dispute \(id): \(error)")
            }
        }
        return recorded
    }

    // MARK: Helpers

    /// Runs the procedure and turns its refusal into the RPC error of the same code.
    static func refusing<T>(_ body: () throws(MediationRefusal) -> T) throws(RPCError) -> T {
        do {
            return try body()
        } catch {
            switch error.code {
            case .invalidArgument: throw RPCError(code: .invalidArgument, message: error.message)
            case .failedPrecondition: throw RPCError(code: .failedPrecondition, message: error.message)
            }
        }
    }
}

extension MediationActor {
    /// The caller the host verified, as the history records them: a person by id and name, anyone else by
    /// principal.
    init(_ caller: Caller) {
        if let person = caller.person {
            self.init(id: person.id, name: person.name.isEmpty ? person.id : person.name)
        } else {
            self.init(id: caller.principal, name: caller.principal)
        }
    }
}
