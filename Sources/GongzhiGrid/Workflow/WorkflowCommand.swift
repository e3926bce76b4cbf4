import GongzhiGridSchemas
import GongzhiSchemas

/// A step a person takes on a case: one of the workflow's verbs with what it carries.
public enum WorkflowCommand: Sendable {
    /// 立案: accept a reported case. `tier` overrides the category's (nil or `.unspecified`: the category's).
    case register(note: String, tier: Gongzhi_Grid_V1_Tier?)
    /// 不予立案: refuse a reported case; the reason is required.
    case reject(reason: String)
    /// 派遣: send a registered case to a grid worker, partner team or department (kind and id required). The
    /// deadline is `deadlineMs` if given (and not 0), else now plus the category's `deadline_minutes`.
    case dispatch(assignee: Gongzhi_Grid_V1_Assignee, deadlineMs: Int64?, note: String)
    /// The assignee starts work.
    case start(note: String)
    /// 处理反馈: the handler says it is done; `media` (photos of the result) are added to the case's media.
    case handle(notes: String, media: [String])
    /// 核查: someone other than the handler confirms the handling.
    case verify(note: String)
    /// The handling was not good enough: back to in progress; the reason is required.
    case sendBack(reason: String)
    /// 结案.
    case close(note: String)
    /// 评价: the reporter's satisfaction; `.notFixed` reopens the case.
    case evaluate(satisfaction: Gongzhi_Grid_V1_Satisfaction, comment: String)

    /// The verb recorded in the history.
    public var action: Gongzhi_Grid_V1_Action {
        switch self {
        case .register: .register
        case .reject: .reject
        case .dispatch: .dispatch
        case .start: .start
        case .handle: .handle
        case .verify: .verify
        case .sendBack: .sendBack
        case .close: .close
        case .evaluate: .evaluate
        }
    }
}
