import GongzhiGridSchemas
import GongzhiIntakeSchemas

/// Who takes a step on an item, as the host verified them: a person (id and name), or a caller that is not a
/// person (the plugin itself, an administrator), whose principal is then its id and its name.
public struct ItemActor: Equatable, Sendable {
    public var id: String
    public var name: String
    /// The caller the host verified ("person:hu-wei", "plugin:intake").
    public var principal: String

    public init(id: String, name: String, principal: String) {
        self.id = id
        self.name = name
        self.principal = principal
    }

    /// A caller that is not a person.
    public init(principal: String) {
        self.init(id: principal, name: principal, principal: principal)
    }
}

/// A step on an intake item.
public enum ItemStep: Equatable, Sendable {
    /// A person routes a WAITING item into a grid case (the plugin filed the report and names its case).
    case routeToCase(caseID: String, categoryCode: String, agency: String, note: String)
    /// A person routes a WAITING item as a consultation, request for help or suggestion: OPEN.
    case routeAsItem(Gongzhi_Intake_V1_ItemType, note: String)
    /// The answer (答复) to an OPEN or ANSWERED item: ANSWERED, or CLOSED when `close`.
    case answer(text: String, close: Bool)
    /// Closes an item that is not in a case: WAITING, OPEN or ANSWERED → CLOSED.
    case close(note: String)
    /// The item's case changed: its state, deadline and the agency dispatched to, as Open311 shows them.
    case followCase(state: Gongzhi_Grid_V1_CaseState, expectedAtMs: Int64, agency: String)

    var action: String {
        switch self {
        case .routeToCase, .routeAsItem: return "routed"
        case .answer(_, let close): return close ? "answered and closed" : "answered"
        case .close: return "closed"
        case .followCase: return "case updated"
        }
    }
}

/// Why a step on an item or a dead letter was refused; `code` maps to the RPC status of the same name.
public struct IntakeWorkflowError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Equatable, Sendable {
        /// The step itself is wrong whatever the item's state: an empty answer, an unknown type.
        case invalidArgument
        /// The item's or dead letter's state does not allow the step.
        case failedPrecondition
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The small answer-and-close workflow of intake items: what no rule routed waits for a person, who routes it
/// into a case or as an item of its own; consultations, requests for help and suggestions are answered and
/// closed; an item in a case follows its case.
///
/// | state | steps it allows |
/// |---|---|
/// | waiting | route to a case, route as an item, close |
/// | in a case | follow the case |
/// | open | answer, close |
/// | answered | answer again, close |
/// | closed | none |
public enum ItemWorkflow {
    /// The longest answer, in characters.
    public static let maximumAnswerLength = 4_000

    /// The item after `step`, with an event {action, actor, actor id, principal, at, note} in its history.
    public static func apply(
        _ step: ItemStep,
        to current: Gongzhi_Intake_V1_IntakeItem,
        by actor: ItemActor,
        atMs: Int64
    ) throws(IntakeWorkflowError) -> Gongzhi_Intake_V1_IntakeItem {
        var item = current
        var note = ""
        switch (step, current.state) {
        case (.routeToCase(let caseID, let categoryCode, let agency, let stepNote), .waiting):
            guard !caseID.isEmpty else { throw invalid("routing into a case needs the case's id") }
            guard SourceMapping.isCatalogueCode(categoryCode) else {
                throw invalid("\"\(categoryCode)\" is not a catalogue category like E0405")
            }
            item.state = .inCase
            item.caseID = caseID
            item.categoryCode = categoryCode
            item.caseState = .reported
            item.agency = agency
            note = stepNote
        case (.routeAsItem(let type, let stepNote), .waiting):
            guard type == .consultation || type == .help || type == .suggestion else {
                throw invalid(
                    "an item of its own is a consultation, a request for help or a suggestion; "
                        + "complaints and reports are routed into a case"
                )
            }
            item.state = .open
            item.type = type
            note = stepNote
        case (.answer(let text, let close), .open), (.answer(let text, let close), .answered):
            let answer = text.trimmingSpaces()
            guard !answer.isEmpty else { throw invalid("the answer is empty; write what the person is told") }
            guard answer.count <= maximumAnswerLength else {
                throw invalid("the answer has \(answer.count) characters, more than \(maximumAnswerLength)")
            }
            item.answer = answer
            item.state = close ? .closed : .answered
            if close { item.closedAtMs = atMs }
        case (.close(let stepNote), .waiting), (.close(let stepNote), .open), (.close(let stepNote), .answered):
            item.state = .closed
            item.closedAtMs = atMs
            note = stepNote
        case (.followCase(let state, let expectedAtMs, let agency), .inCase):
            item.caseState = state
            item.expectedAtMs = expectedAtMs
            if !agency.isEmpty { item.agency = agency }
            let status = Open311Status.of(caseState: state, agency: item.agency)
            if status.status == "closed", item.closedAtMs == 0 { item.closedAtMs = atMs }
            if status.status == "open" { item.closedAtMs = 0 }
        default:
            throw IntakeWorkflowError(
                code: .failedPrecondition,
                message: "item \(current.id) is \(stateName(current.state)): it cannot be \(step.action); "
                    + "the steps it allows: \(allowedSteps(current.state))"
            )
        }
        item.statusNotes = Open311Status.of(item: item).notes
        item.updatedAtMs = atMs
        var event = Gongzhi_Intake_V1_ItemEvent()
        event.action = step.action
        event.actor = actor.name
        event.actorID = actor.id
        event.principal = actor.principal
        event.atMs = atMs
        event.note = note
        item.history.append(event)
        return item
    }

    static func invalid(_ message: String) -> IntakeWorkflowError {
        IntakeWorkflowError(code: .invalidArgument, message: message)
    }

    static func stateName(_ state: Gongzhi_Intake_V1_ItemState) -> String {
        switch state {
        case .waiting: return "waiting for a person"
        case .inCase: return "in a grid case"
        case .open: return "open"
        case .answered: return "answered"
        case .closed: return "closed"
        case .unspecified, .UNRECOGNIZED: return "in no known state"
        }
    }

    static func allowedSteps(_ state: Gongzhi_Intake_V1_ItemState) -> String {
        switch state {
        case .waiting: return "route, close"
        case .inCase: return "none but following its case"
        case .open: return "answer, close"
        case .answered: return "answer, close"
        case .closed, .unspecified, .UNRECOGNIZED: return "none"
        }
    }
}
