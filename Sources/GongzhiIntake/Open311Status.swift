import GongzhiGridSchemas
import GongzhiIntakeSchemas

/// What Open311 shows of a ticket's progress: `open` (reported) or `closed` (resolved), and status notes for
/// the person who asked (意见有反馈). The notes never hold personal data.
public struct Open311Status: Equatable, Sendable {
    /// `open` or `closed`, the only two values GeoReport v2 allows.
    public var status: String
    public var notes: String

    public init(status: String, notes: String) {
        self.status = status
        self.notes = notes
    }

    /// The status of a grid case in each state; `agency` names who was dispatched to, when known.
    public static func of(caseState: Gongzhi_Grid_V1_CaseState, agency: String = "") -> Open311Status {
        switch caseState {
        case .unspecified, .reported:
            return Open311Status(status: "open", notes: "已受理，等待立案 (received, waiting to be registered)")
        case .registered:
            return Open311Status(status: "open", notes: "已立案，等待派遣 (registered, waiting to be dispatched)")
        case .rejected:
            return Open311Status(
                status: "closed",
                notes: "不予立案 (not registered: outside the scope of grid management or not enough to act on)"
            )
        case .dispatched:
            let notes =
                agency.isEmpty
                ? "已派遣 (dispatched)"
                : "已派遣至\(agency) (dispatched to \(agency))"
            return Open311Status(status: "open", notes: notes)
        case .inProgress:
            return Open311Status(status: "open", notes: "处置中 (being handled)")
        case .handled:
            return Open311Status(status: "open", notes: "已处置，等待核查 (handled, waiting to be verified)")
        case .verified:
            return Open311Status(status: "closed", notes: "已核查，处置完毕 (verified as resolved)")
        case .closed:
            return Open311Status(status: "closed", notes: "已结案 (closed)")
        case .evaluated:
            return Open311Status(status: "closed", notes: "已结案并评价 (closed and evaluated)")
        case .UNRECOGNIZED:
            return Open311Status(status: "open", notes: "处理中 (in progress)")
        }
    }

    /// The status of an intake item: its case's when it is in one, else the item's own.
    public static func of(item: Gongzhi_Intake_V1_IntakeItem) -> Open311Status {
        switch item.state {
        case .inCase:
            var status = of(caseState: item.caseState, agency: item.agency)
            if item.joinedOpenCase {
                status.notes += "；与同一问题的已有案件合并办理 (joined an open case on the same problem)"
            }
            return status
        case .unspecified, .waiting:
            return Open311Status(status: "open", notes: "已受理，等待分拨 (received, waiting to be routed by a person)")
        case .open:
            return Open311Status(status: "open", notes: "已受理，等待答复 (received, waiting for an answer)")
        case .answered:
            return Open311Status(status: "closed", notes: "已答复 (answered)")
        case .closed:
            return Open311Status(status: "closed", notes: "已办结 (closed)")
        case .UNRECOGNIZED:
            return Open311Status(status: "open", notes: "处理中 (in progress)")
        }
    }
}
