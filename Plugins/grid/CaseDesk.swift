import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import Logging

/// Where the grid plugin's work happens: reports become cases (or join one), steps move cases, deadlines
/// escalate them. Writes to one case, and the duplicate check of one category, take turns; everything
/// else runs side by side.
///
/// Who acts is the caller the host verified: a person is recorded by id and name and acts only within their
/// places; an administrator, a plugin or an API client is recorded by its principal and is not held to places.
final class CaseDesk: Sendable {
    let grids: GridMap
    let cases: CaseBook
    let catalogue: CategoryCatalogue
    let clock: PluginClock
    let workers: WorkerRoster
    private let logger: Logger
    private let turns = KeyedTurns()

    /// How often a step retries after a conflicting write it did not cause.
    private static let conflictRetries = 4

    init(
        grids: GridMap,
        cases: CaseBook,
        catalogue: CategoryCatalogue,
        clock: PluginClock,
        workers: WorkerRoster,
        logger: Logger
    ) {
        self.grids = grids
        self.cases = cases
        self.catalogue = catalogue
        self.clock = clock
        self.workers = workers
        self.logger = logger
    }

    // MARK: Locating

    /// The grid a point is in; NOT_FOUND saying how far the nearest is when it is in none.
    func locate(_ point: Gongzhi_Core_V1_Point, code: StatusCode = .notFound) throws(RPCError) -> GridMap.GridInfo {
        let place = GeoPoint(point)
        guard place.isValid else {
            throw RPCError(
                code: .invalidArgument,
                message: "\(place) is not a WGS-84 longitude and latitude (longitude first, in degrees)"
            )
        }
        if let grid = grids.locate(place) { return grid }
        if let nearest = grids.nearest(to: place) {
            throw RPCError(
                code: code,
                message:
                    "no grid contains \(place); the nearest is \(nearest.code), \(Self.metres(nearest.distanceMeters)) away"
            )
        }
        throw RPCError(code: code, message: "no grid contains \(place): no grids are defined (gongzhictl grid import)")
    }

    // MARK: Reporting

    /// Takes a report by `caller`: opens a case, or links the report to an open case of the same matter that
    /// the caller may act on, or answers what an earlier report with the same idempotency key did.
    func report(
        _ request: Gongzhi_Grid_V1_ReportRequest,
        by caller: Caller
    ) async throws -> Gongzhi_Grid_V1_ReportResponse {
        try Self.refuseActorLabel(request.actor, field: "actor")
        let now = clock.nowMs()
        let principal = caller.principal
        var input = ReportInput(request)
        input.reporter.principal = principal
        input.reporter.reportedAtMs = now
        input.reporter.source = request.source
        input.reporter.idempotencyKey = request.idempotencyKey
        let actor = CaseActor(caller)

        // A retry of a report already taken answers what the first one did.
        let id =
            request.idempotencyKey.isEmpty
            ? nil : CaseIdentity.caseID(principal: principal, idempotencyKey: request.idempotencyKey)
        if let earlier = try retried(id: id, by: caller, key: request.idempotencyKey) { return earlier }

        // Whether it opens a case or joins one, a report is checked in full first.
        _ = try Self.workflow { () throws(WorkflowError) in try CaseWorkflow.validate(input, catalogue: catalogue) }
        let place = try self.place(of: request)
        if !caller.mayAct(at: place.gridCode) {
            throw RPCError(
                code: .permissionDenied,
                message: "the report is in grid \(place.gridCode), outside the places where "
                    + "\(Self.named(caller)) may report (\(Self.wording(caller.places)))"
            )
        }

        return try await turns.take(reportTurns(input, category: request.categoryCode)) {
            if let earlier = try retried(id: id, by: caller, key: request.idempotencyKey) { return earlier }
            // Only a case the caller may act on is joined: a report near the border of their places opens a
            // case of its own rather than join one in a grid outside them.
            let open =
                input.location.map {
                    cases.open(category: request.categoryCode, near: $0).filter { caller.mayAct(at: $0.gridCode) }
                } ?? []
            if let original = DuplicateFinder.original(of: input, at: now, among: open, catalogue: catalogue) {
                do {
                    let joined = try await turns.take("case:" + original.id) {
                        try await change(original.id, expectedRevision: 0) { current throws(WorkflowError) in
                            // A retry of a link the store took though its answer was lost: nothing to write.
                            if !input.idempotencyKey.isEmpty
                                && current.alsoReportedBy.contains(where: {
                                    $0.principal == principal && $0.idempotencyKey == input.idempotencyKey
                                })
                            {
                                return nil
                            }
                            // Closed or rejected since it was found: the report opens a case of its own.
                            guard CaseWorkflow.isOpen(current.state) else { throw Self.noLongerOpen }
                            return CaseWorkflow.link(duplicate: input.reporter, to: current, by: actor, at: now)
                        }
                    }
                    logger.info("a report joined case \(original.id) as a duplicate", metadata: ["by": "\(principal)"])
                    return Self.response(joined, created: false, duplicate: true)
                } catch let error as RPCError
                    where error.code == .failedPrecondition && error.message == Self.noLongerOpen.message
                {
                    logger.debug("case \(original.id) closed while a report was joining it; opening a case")
                }
            }
            let opened = try Self.workflow { () throws(WorkflowError) in
                try CaseWorkflow.open(
                    input,
                    id: id ?? CaseIdentity.caseID(principal: principal, idempotencyKey: ""),
                    place: place,
                    by: actor,
                    at: now,
                    catalogue: catalogue
                )
            }
            do {
                let created = try await cases.create(opened)
                logger.info(
                    "case \(opened.id) opened",
                    metadata: [
                        "category": "\(opened.categoryCode)", "grid": "\(opened.gridCode)",
                        "state": "\(opened.state.label)",
                    ]
                )
                return Self.response(created.message, created: true, duplicate: false)
            } catch let error as RPCError where error.code == .alreadyExists {
                // The same key from the same caller raced with itself: answer the case that won.
                if let existing = try await cases.fetch(opened.id) {
                    return Self.response(existing.message, created: false, duplicate: false)
                }
                throw error
            }
        }
    }

    /// What a report must have to itself while it checks for duplicates and opens its case: the squares of
    /// its category that the duplicate radius around its location touches. Reports far apart, or of other
    /// categories, go side by side; two that could be duplicates of each other take turns. A report without
    /// a location is never a duplicate, and its case id (or the store) keeps retries apart.
    private func reportTurns(_ report: ReportInput, category: String) -> [String] {
        guard let location = report.location, location.isValid else { return [] }
        return cases.cells.cells(around: location).map { "report:\(category):\($0.x):\($0.y)" }
    }

    /// A case found open for a duplicate was closed before the link was written.
    private static let noLongerOpen = WorkflowError.failedPrecondition(
        "the case closed while the report was joining it"
    )

    /// The answer to a report that was taken before, if this is a retry of one (PERMISSION_DENIED when its case
    /// lies outside the places where the caller may now act).
    private func retried(id: String?, by caller: Caller, key: String) throws -> Gongzhi_Grid_V1_ReportResponse? {
        var answer: Gongzhi_Grid_V1_ReportResponse?
        if let id, let existing = cases[id] {
            answer = Self.response(existing.message, created: false, duplicate: false)
        } else if let linked = cases.linkedCase(principal: caller.principal, idempotencyKey: key),
            let existing = cases[linked]
        {
            answer = Self.response(existing.message, created: false, duplicate: true)
        }
        if let answer { try Self.checkPlaces(of: answer.case, for: caller, doing: "report") }
        return answer
    }

    /// Where a report is: its location's grid, or the grid it names.
    private func place(of request: Gongzhi_Grid_V1_ReportRequest) throws(RPCError) -> GridPlace {
        if request.hasLocation {
            let grid = try locate(request.location, code: .invalidArgument)
            if !request.gridCode.isEmpty && request.gridCode != grid.code {
                throw RPCError(
                    code: .invalidArgument,
                    message:
                        "the location \(GeoPoint(request.location)) is in grid \(grid.code), not \(request.gridCode)"
                )
            }
            return grid.place
        }
        guard !request.gridCode.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "a report needs a location or a grid code")
        }
        guard let grid = grids.grid(code: request.gridCode) else {
            throw RPCError(code: .invalidArgument, message: "there is no grid \(request.gridCode)")
        }
        return grid.place
    }

    private static func response(
        _ value: Gongzhi_Grid_V1_Case,
        created: Bool,
        duplicate: Bool
    ) -> Gongzhi_Grid_V1_ReportResponse {
        var response = Gongzhi_Grid_V1_ReportResponse()
        response.case = value
        response.created = created
        response.duplicate = duplicate
        return response
    }

    // MARK: Steps

    /// Takes `caller`'s step on a case and answers the case after it. A person may step only on a case within
    /// their places (PERMISSION_DENIED before anything is read from elsewhere or written); a grid worker a case
    /// is dispatched to must be a Person who may take it (``WorkerRoster``).
    func step(
        _ command: WorkflowCommand,
        ref: Gongzhi_Grid_V1_CaseRef,
        by caller: Caller
    ) async throws -> Gongzhi_Grid_V1_Case {
        guard !ref.caseID.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "name the case: case_id is empty")
        }
        try Self.refuseActorLabel(ref.actor, field: "ref.actor")
        let actor = CaseActor(caller)
        return try await turns.take("case:" + ref.caseID) {
            guard let held = cases[ref.caseID] else {
                throw RPCError(code: .notFound, message: "there is no case \(ref.caseID)")
            }
            try Self.checkPlaces(of: held.message, for: caller, doing: command.action.wording)
            let command = try await resolved(command, on: held.message, by: actor)
            return try await change(ref.caseID, expectedRevision: ref.expectedRevision) {
                current throws(WorkflowError) in
                try CaseWorkflow.apply(command, to: current, by: actor, at: clock.nowMs(), catalogue: catalogue)
            }
        }
    }

    /// The command with what it names looked up: a dispatch to a grid worker gets the worker's Person checked
    /// and their name filled in, once the case is known to take the dispatch at all.
    private func resolved(
        _ command: WorkflowCommand,
        on current: Gongzhi_Grid_V1_Case,
        by actor: CaseActor
    ) async throws -> WorkflowCommand {
        guard case .dispatch(let assignee, let deadlineMs, let note) = command, assignee.kind == .gridWorker else {
            return command
        }
        try Self.workflow { () throws(WorkflowError) in
            try CaseWorkflow.check(command, on: current, by: actor, at: clock.nowMs())
        }
        let worker = try await workers.assignee(assignee, forCase: current.id, inGrid: current.gridCode)
        return .dispatch(assignee: worker, deadlineMs: deadlineMs, note: note)
    }

    // MARK: The plugin's own writes

    /// Writes what `next` makes of case `id`, in the case's turn: the plugin's own steps for another module (a
    /// hand-over to mediation, its conclusion). `next` gets the case as it is when the turn comes, and again
    /// after a conflicting write; nil from it means nothing to write. Answers the case written, or nil when
    /// nothing was written or there is no such case.
    func amend(
        _ id: String,
        _ next: (Gongzhi_Grid_V1_Case) -> Gongzhi_Grid_V1_Case?
    ) async throws -> Gongzhi_Grid_V1_Case? {
        try await turns.take("case:" + id) {
            guard cases[id] != nil else { return nil }
            var wrote = false
            let after = try await change(id, expectedRevision: 0) { current throws(WorkflowError) in
                let updated = next(current)
                wrote = updated != nil
                return updated
            }
            return wrote ? after : nil
        }
    }

    /// Creates a case the plugin opens by itself (a missed mediation obligation's), in the case's turn. Answers
    /// the case created, or nil when a case with its id exists already (so that following the same news twice,
    /// or again after a restart, opens it once).
    func create(_ value: Gongzhi_Grid_V1_Case) async throws -> Gongzhi_Grid_V1_Case? {
        try await turns.take("case:" + value.id) {
            guard cases[value.id] == nil else { return nil }
            do {
                return try await cases.create(value).message
            } catch let error as RPCError where error.code == .alreadyExists {
                _ = try await cases.fetch(value.id)
                return nil
            }
        }
    }

    // MARK: Places

    /// Refuses (PERMISSION_DENIED) a person acting on, or reading, a case outside their places.
    static func checkPlaces(
        of value: Gongzhi_Grid_V1_Case,
        for caller: Caller,
        doing verb: String
    ) throws(RPCError) {
        guard !caller.mayAct(at: value.gridCode) else { return }
        throw RPCError(
            code: .permissionDenied,
            message: "case \(value.id) is in grid \(value.gridCode), outside the places where \(named(caller)) "
                + "may \(verb) cases (\(wording(caller.places)))"
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

    /// Refuses a request that names who acts in a field of its own: the host verifies who acts.
    static func refuseActorLabel(_ label: String, field: String) throws(RPCError) {
        guard !label.isEmpty else { return }
        throw RPCError(
            code: .invalidArgument,
            message: "\(field) (\"\(label)\") is no longer accepted: the history records the person the host "
                + "verified. To act for a person, act as them: gongzhictl grid ... --as PERSON, or the metadata "
                + "entry gongzhi-act-as: PERSON (the person's id)"
        )
    }

    /// Reads a case, computes its next version (nil: none) and writes it; when someone else wrote the case in
    /// between and the caller did not ask for a revision, reads it again and retries.
    private func change(
        _ id: String,
        expectedRevision: Int64,
        _ next: (Gongzhi_Grid_V1_Case) throws(WorkflowError) -> Gongzhi_Grid_V1_Case?
    ) async throws -> Gongzhi_Grid_V1_Case {
        try await cases.change(id, expectedRevision: expectedRevision, retries: Self.conflictRetries) {
            current throws(RPCError) in
            try Self.workflow { () throws(WorkflowError) in try next(current) }
        }
    }

    // MARK: Deadlines

    /// Looks for overdue cases every `interval` and escalates them, until cancelled.
    func escalate(every interval: Duration) async {
        while !Task.isCancelled {
            await escalateOverdue()
            try? await Task.sleep(for: interval)
        }
    }

    /// Escalates every case whose deadline has passed; returns how many.
    @discardableResult
    func escalateOverdue() async -> Int {
        let now = clock.nowMs()
        var escalated = 0
        for (id, object) in cases.all()
        where CaseWorkflow.escalateIfOverdue(object.message, at: now, catalogue: catalogue) != nil {
            do {
                let after = try await turns.take("case:" + id) {
                    try await change(id, expectedRevision: 0) { current throws(WorkflowError) in
                        // Someone may have handled it meanwhile: then there is nothing to do.
                        CaseWorkflow.escalateIfOverdue(current, at: now, catalogue: catalogue)
                    }
                }
                escalated += 1
                logger.notice(
                    "case \(id) is overdue: escalated to the \(after.tier.wording) tier",
                    metadata: ["deadline": "\(object.message.deadlineMs)"]
                )
            } catch {
                logger.warning("cannot escalate case \(id): \(error)")
            }
        }
        return escalated
    }

    // MARK: Helpers

    /// Runs a step of the workflow and turns its refusal into the RPC error for it.
    static func workflow<T>(_ body: () throws(WorkflowError) -> T) throws(RPCError) -> T {
        do {
            return try body()
        } catch {
            switch error.code {
            case .invalidArgument: throw RPCError(code: .invalidArgument, message: error.message)
            case .failedPrecondition: throw RPCError(code: .failedPrecondition, message: error.message)
            case .notFound: throw RPCError(code: .notFound, message: error.message)
            }
        }
    }

    static func metres(_ distance: Double) -> String {
        distance < 1000 ? "\(Int(distance.rounded())) m" : "\((distance / 100).rounded() / 10) km"
    }
}

extension CaseActor {
    /// The caller the host verified, as the history records them: a person by id and name, anyone else by
    /// principal.
    init(_ caller: Caller) {
        if let person = caller.person {
            self.init(id: person.id, name: person.name.isEmpty ? person.id : person.name, principal: caller.principal)
        } else {
            self.init(principal: caller.principal)
        }
    }
}
