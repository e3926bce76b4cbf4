import GongzhiGridSchemas
import GongzhiSchemas

/// The closed loop of a case (上报 → 立案 → 派遣 → 处置 → 处理反馈 → 核查 → 结案 → 评价) as a value-level state
/// machine: each function takes a case and an event and answers the case after it, with the step appended
/// to its history. Nothing here stores, sends or reads a clock; the plugin does that at the edge.
public enum CaseWorkflow {
    /// Who the history names for the steps the plugin takes by itself: automatic registration and dispatch,
    /// and escalation.
    public static let systemActorName = "gongzhi-grid"

    /// A report's description may have at most this many characters.
    public static let maxDescriptionLength = 2_000
    /// A report, or one handling, may carry at most this many media references.
    public static let maxMediaCount = 20
    /// A media reference (URL or object key) may have at most this many characters.
    public static let maxMediaReferenceLength = 1_024
    /// An idempotency key may have at most this many characters.
    public static let maxIdempotencyKeyLength = 128
    /// Notes, reasons and comments may have at most this many characters.
    public static let maxNoteLength = 2_000
    /// A reporter's name may have at most this many characters, and their phone at most 32.
    public static let maxReporterNameLength = 100

    // MARK: - States

    /// The verbs a person may take in a state (not escalate or reopen, which the plugin takes). Empty in the
    /// final state, rejected. An evaluated case takes one more evaluation, only "not fixed": a follow-up visit
    /// (回访) that finds the matter back reopens it.
    public static func allowedActions(in state: Gongzhi_Grid_V1_CaseState) -> [Gongzhi_Grid_V1_Action] {
        switch state {
        case .reported: [.register, .reject]
        case .registered: [.dispatch]
        case .dispatched: [.start, .handle]
        case .inProgress: [.handle]
        case .handled: [.verify, .sendBack]
        case .verified: [.close]
        case .closed, .evaluated: [.evaluate]
        case .rejected, .unspecified, .UNRECOGNIZED: []
        }
    }

    /// Open: not rejected, closed or evaluated.
    public static func isOpen(_ state: Gongzhi_Grid_V1_CaseState) -> Bool {
        switch state {
        case .rejected, .closed, .evaluated: false
        default: true
        }
    }

    // MARK: - Opening

    /// A new case for a report, with one REPORT entry in its history by `actor`: REPORTED, with the category's
    /// tier. For a category with `auto_dispatch` and a place with a worker, the case is at once registered and
    /// dispatched to that worker with the category's deadline (three history entries; the automatic steps are
    /// recorded under `systemActorName` and the reporting caller's principal).
    ///
    /// Throws `invalidArgument` for an unknown category (naming it and a few known codes), a blank or too long
    /// description (more than 2,000 characters), more than 20 media or a blank or too long media reference, an
    /// idempotency key over 128 characters, a source not set, a location that is not a WGS-84 point, or a
    /// place without a grid code.
    public static func open(
        _ report: ReportInput,
        id: String,
        place: GridPlace,
        by actor: CaseActor,
        at nowMs: Int64,
        catalogue: CategoryCatalogue
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_Case {
        let category = try validate(report, catalogue: catalogue)
        if id.isEmpty {
            throw .invalidArgument("a new case needs an id")
        }
        if place.gridCode.isEmpty {
            throw .invalidArgument("the report is in no grid: give a location inside a grid, or a grid code")
        }

        var reporter = report.reporter
        reporter.principal = actor.principal
        reporter.reportedAtMs = nowMs
        reporter.source = report.source
        reporter.idempotencyKey = report.idempotencyKey

        var c = Gongzhi_Grid_V1_Case()
        c.id = id
        c.state = .reported
        c.source = report.source
        c.categoryCode = category.code
        c.categoryName = category.name
        c.categoryType = category.type
        c.description_p = report.description
        c.media = report.media
        if let location = report.location {
            c.location = location.schemaPoint
        }
        c.gridCode = place.gridCode
        c.communityCode = place.communityCode
        c.streetCode = place.streetCode
        c.tier = category.tier
        c.reporter = reporter
        c.createdAtMs = nowMs
        c.record(.report, from: .unspecified, by: actor, at: nowMs, note: "")

        guard category.autoDispatch, var worker = place.worker, !worker.id.isEmpty else { return c }
        if worker.kind == .unspecified {
            worker.kind = .gridWorker
        }
        let system = CaseActor(id: systemActorName, name: systemActorName, principal: actor.principal)
        c.state = .registered
        c.record(
            .register,
            from: .reported,
            by: system,
            at: nowMs,
            note: "registered automatically: \(category.name) is a small matter for the grid"
        )
        c.state = .dispatched
        c.assignee = worker
        c.deadlineMs = nowMs + Int64(category.deadlineMinutes) * 60_000
        c.dispatchedAtMs = nowMs
        c.record(
            .dispatch,
            from: .registered,
            by: system,
            at: nowMs,
            note: "dispatched automatically to the grid's worker \(worker.name.isEmpty ? worker.id : worker.name)"
        )
        return c
    }

    /// Checks a report before anything is done with it (a new case, or a link to an open one): a known
    /// category, a source, and every text within its limit. Returns the category.
    @discardableResult
    public static func validate(
        _ report: ReportInput,
        catalogue: CategoryCatalogue
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_Category {
        guard let category = catalogue.category(report.categoryCode) else {
            throw .invalidArgument(catalogue.unknownCategoryMessage(report.categoryCode))
        }
        switch report.source {
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument(
                "the report's source is required: patrol, visit, online, hotline, sensor or assigned"
            )
        case .mediation:
            throw .invalidArgument(
                "the source mediation is for the cases the grid module opens itself for a mediation agreement's "
                    + "missed obligation; give patrol, visit, online, hotline, sensor or assigned"
            )
        default:
            break
        }
        try checkText(report.description, "the description", limit: maxDescriptionLength, required: true)
        if report.media.count > maxMediaCount {
            throw .invalidArgument("the report has \(report.media.count) media; at most \(maxMediaCount) are allowed")
        }
        for (index, reference) in report.media.enumerated() {
            try checkText(reference, "media[\(index)]", limit: maxMediaReferenceLength, required: true)
        }
        try checkText(report.idempotencyKey, "the idempotency key", limit: maxIdempotencyKeyLength)
        if let location = report.location, !location.isValid {
            throw .invalidArgument(
                "the location \(location) is not a WGS-84 point (longitude within ±180°, latitude within ±90°)"
            )
        }
        try checkText(report.reporter.name, "the reporter's name", limit: maxReporterNameLength)
        try checkText(report.reporter.phone, "the reporter's phone", limit: 32)
        return category
    }

    // MARK: - Steps

    /// The case after a person's step, with a transition {action, from, to, actor, actor id, principal, at,
    /// note} appended to its history.
    ///
    /// Throws what ``check(_:on:by:at:)`` throws.
    public static func apply(
        _ command: WorkflowCommand,
        to current: Gongzhi_Grid_V1_Case,
        by actor: CaseActor,
        at nowMs: Int64,
        catalogue: CategoryCatalogue
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_Case {
        try check(command, on: current, by: actor, at: nowMs)
        let action = command.action
        var c = current
        let from = current.state
        let category = catalogue.category(current.categoryCode)
        switch command {
        case .register(let note, let tier):
            c.state = .registered
            if let tier, tier != .unspecified {
                c.tier = tier
            } else if let category {
                c.tier = category.tier
            } else if c.tier == .unspecified {
                c.tier = .community
            }
            c.record(action, from: from, by: actor, at: nowMs, note: note)

        case .reject(let reason):
            c.state = .rejected
            c.rejectionReason = reason
            c.record(action, from: from, by: actor, at: nowMs, note: reason)

        case .dispatch(var assignee, let deadlineMs, let note):
            if assignee.name.isEmpty {
                assignee.name = assignee.id
            }
            c.state = .dispatched
            c.assignee = assignee
            if let deadlineMs, deadlineMs != 0 {
                c.deadlineMs = deadlineMs
            } else {
                let minutes = category?.deadlineMinutes ?? CategoryCatalogue.fallbackDeadlineMinutes
                c.deadlineMs = nowMs + Int64(minutes) * 60_000
            }
            if c.dispatchedAtMs == 0 {
                c.dispatchedAtMs = nowMs
            }
            c.record(action, from: from, by: actor, at: nowMs, note: note)

        case .start(let note):
            c.state = .inProgress
            c.record(action, from: from, by: actor, at: nowMs, note: note)

        case .handle(let notes, let media):
            c.state = .handled
            c.handler = actor.name
            c.handlerID = actor.id
            c.handlingNotes = notes
            c.handledAtMs = nowMs
            c.handledLate = c.deadlineMs != 0 && nowMs > c.deadlineMs
            c.media += media
            c.record(action, from: from, by: actor, at: nowMs, note: notes)

        case .verify(let note):
            c.state = .verified
            c.record(action, from: from, by: actor, at: nowMs, note: note)

        case .sendBack(let reason):
            c.state = .inProgress
            c.clearHandling()
            c.record(action, from: from, by: actor, at: nowMs, note: reason)

        case .close(let note):
            c.state = .closed
            c.closedAtMs = nowMs
            c.closedTier = c.tier
            c.record(action, from: from, by: actor, at: nowMs, note: note)

        case .evaluate(let satisfaction, let comment):
            c.state = .evaluated
            c.satisfaction = satisfaction
            c.evaluationComment = comment
            c.record(action, from: from, by: actor, at: nowMs, note: comment)
            if satisfaction == .notFixed {
                c.state = .registered
                c.reopened += 1
                c.deadlineMs = 0
                c.clearAssignee()
                c.closedAtMs = 0
                c.closedTier = .unspecified
                c.clearHandling()
                c.record(
                    .reopen,
                    from: .evaluated,
                    by: actor,
                    at: nowMs,
                    note: "reopened: the reporter says the matter is not fixed; dispatch it again"
                )
            }
        }
        return c
    }

    /// Checks a person's step without taking it: what ``apply(_:to:by:at:catalogue:)`` would refuse, it refuses
    /// the same way. The plugin checks a step this way before it looks up what the step names (a dispatched
    /// grid worker), so that a step the case cannot take is refused for that reason first.
    ///
    /// A case that waits on a dispute in mediation refuses every step first, with `failedPrecondition` ("case C1
    /// waits on dispute MD-… in mediation (人民调解): it closes when the dispute ends"). Otherwise it throws
    /// `invalidArgument` for what is wrong with the command whatever the state (a missing reason, an
    /// assignee without kind or id, a deadline not after now, no satisfaction, text too long), and
    /// `failedPrecondition` when the state does not allow the step, with a message naming the state and the
    /// steps it allows ("case C1 is dispatched; it can be started or handled (allowed: start, handle)"), or
    /// when the actor's verified id is the handler's and the step is a verification of that handling.
    public static func check(
        _ command: WorkflowCommand,
        on current: Gongzhi_Grid_V1_Case,
        by actor: CaseActor,
        at nowMs: Int64
    ) throws(WorkflowError) {
        if let disputeID = waitingDisputeID(current) {
            throw .failedPrecondition(waitingMessage(current, disputeID: disputeID))
        }
        try validate(command, at: nowMs)
        guard allowedActions(in: current.state).contains(command.action) else {
            throw .failedPrecondition(notAllowedMessage(current))
        }
        if case .evaluate(let satisfaction, _) = command, current.state == .evaluated, satisfaction != .notFixed {
            throw .failedPrecondition(
                "case \(current.id) is evaluated (\(current.satisfaction.wording)); a later evaluation can only say "
                    + "it is not fixed, which reopens it"
            )
        }
        if case .verify = command, let handlerID = current.verifiedHandlerID, handlerID == actor.id {
            let named =
                current.handler.isEmpty || current.handler == handlerID
                ? handlerID : "\(current.handler) (\(handlerID))"
            throw .failedPrecondition(
                "case \(current.id) was handled by \(named), who may not verify their own handling; "
                    + "someone else must verify it"
            )
        }
    }

    private static func validate(_ command: WorkflowCommand, at nowMs: Int64) throws(WorkflowError) {
        switch command {
        case .register(let note, let tier):
            try checkText(note, "the note", limit: maxNoteLength)
            if let tier, case .UNRECOGNIZED(let value) = tier {
                throw .invalidArgument("tier \(value) is not one of grid, community, street or joint")
            }
        case .reject(let reason):
            try checkText(reason, "a reason for rejecting the case", limit: maxNoteLength, required: true)
        case .dispatch(let assignee, let deadlineMs, let note):
            switch assignee.kind {
            case .unspecified, .UNRECOGNIZED:
                throw .invalidArgument(
                    "dispatch needs an assignee with a kind (grid worker, partner team or department) and an id"
                )
            default:
                break
            }
            if assignee.id.allSatisfy(\.isWhitespace) {
                throw .invalidArgument(
                    "dispatch needs an assignee with an id: the grid worker's Person id, the Partner's or the "
                        + "Department's id"
                )
            }
            if let deadlineMs, deadlineMs != 0, deadlineMs <= nowMs {
                throw .invalidArgument(
                    "the deadline \(deadlineMs) ms is not after now (\(nowMs) ms); give a later one, or 0 for the "
                        + "category's"
                )
            }
            try checkText(note, "the note", limit: maxNoteLength)
        case .start(let note), .verify(let note), .close(let note):
            try checkText(note, "the note", limit: maxNoteLength)
        case .handle(let notes, let media):
            try checkText(notes, "the handling notes", limit: maxNoteLength)
            if media.count > maxMediaCount {
                throw .invalidArgument("the handling has \(media.count) media; at most \(maxMediaCount) are allowed")
            }
            for (index, reference) in media.enumerated() {
                try checkText(reference, "media[\(index)]", limit: maxMediaReferenceLength, required: true)
            }
        case .sendBack(let reason):
            try checkText(reason, "a reason for sending the case back", limit: maxNoteLength, required: true)
        case .evaluate(let satisfaction, let comment):
            switch satisfaction {
            case .unspecified, .UNRECOGNIZED:
                throw .invalidArgument(
                    "an evaluation needs a satisfaction: satisfied, acceptable, unsatisfied or not fixed"
                )
            default:
                break
            }
            try checkText(comment, "the comment", limit: maxNoteLength)
        }
    }

    /// "case C1 is dispatched; it can be started or handled (allowed: start, handle)".
    static func notAllowedMessage(_ c: Gongzhi_Grid_V1_Case) -> String {
        let allowed = allowedActions(in: c.state)
        if c.state == .unspecified {
            return
                "case \(c.id) has no state; it was not opened by CaseWorkflow.open and takes no steps (allowed: none)"
        }
        if allowed.isEmpty {
            return "case \(c.id) is \(c.state.wording), which is final; it takes no more steps (allowed: none)"
        }
        return "case \(c.id) is \(c.state.wording); it can be \(listedWithOr(allowed.map(\.pastParticiple))) "
            + "(allowed: \(allowed.map(\.wording).joined(separator: ", ")))"
    }

    // MARK: - Duplicates

    /// The case with a later report of the same matter attached (`also_reported_by`, with the report time set
    /// to now when missing) and a REPORT entry in its history by `actor`, the caller who reported it, noting
    /// it; the state does not change.
    public static func link(
        duplicate reporter: Gongzhi_Grid_V1_Reporter,
        to current: Gongzhi_Grid_V1_Case,
        by actor: CaseActor,
        at nowMs: Int64
    ) -> Gongzhi_Grid_V1_Case {
        var c = current
        var reporter = reporter
        if reporter.reportedAtMs == 0 {
            reporter.reportedAtMs = nowMs
        }
        c.alsoReportedBy.append(reporter)
        c.record(
            .report,
            from: c.state,
            by: actor,
            at: nowMs,
            note: "reported again (\(c.alsoReportedBy.count + 1) reports of this matter); linked as a duplicate"
        )
        return c
    }
}

extension Gongzhi_Grid_V1_Case {
    /// Appends a transition from `from` to the current state.
    mutating func record(
        _ action: Gongzhi_Grid_V1_Action,
        from: Gongzhi_Grid_V1_CaseState,
        by actor: CaseActor,
        at nowMs: Int64,
        note: String
    ) {
        var transition = Gongzhi_Grid_V1_Transition()
        transition.action = action
        transition.from = from
        transition.to = state
        transition.actor = actor.name
        transition.actorID = actor.id
        transition.principal = actor.principal
        transition.atMs = nowMs
        transition.note = note
        history.append(transition)
    }

    /// The verified id of who handled the case: `handler_id`; for a case handled before ids were recorded,
    /// the principal of its last HANDLE step (the caller the host verified then). Nil when it was not handled.
    var verifiedHandlerID: String? {
        if !handlerID.isEmpty { return handlerID }
        guard !handler.isEmpty, let handling = history.last(where: { $0.action == .handle }) else { return nil }
        return handling.actorID.isEmpty ? handling.principal : handling.actorID
    }

    /// Forgets the last handling, for a case sent back or reopened.
    mutating func clearHandling() {
        handler = ""
        handlerID = ""
        handlingNotes = ""
        handledAtMs = 0
        handledLate = false
    }
}
