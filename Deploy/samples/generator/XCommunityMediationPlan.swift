/// The fixed facts of X社区's people's mediation committee (X社区人民调解委员会): its part-time mediators, and the
/// disputes it has in hand on the day the sample is loaded, from one just applied for to one performed. Who the
/// parties are is drawn from the community by ``XCommunityMediation``; what each dispute is about, and what the
/// committee has done on it, is written here.
enum XCommunityMediationPlan {
    static let committee = "\(XCommunityPlan.communityName)人民调解委员会"

    /// Who records the committee's steps (applications, acceptance, assignments, the seal): the community's
    /// full-time mediator, one of the staff of ``XCommunityPlan/staff``.
    static let clerk = "shi-guoping"
    /// The community's other full-time mediator.
    static let staffMediator = "yu-meiqin"

    /// A part-time mediator of the committee (兼职人民调解员), bound as mediator within the community.
    struct Mediator {
        enum Kind {
            /// A resident: the respected old party member (老党员) who lives with the upstairs household of the
            /// README's dispute, so that the committee's check refuses him for it. The generator checks that the
            /// resident it finds has `name`.
            case residentInTheLeakingHousehold
            /// The head (contact) of a social organisation the community works with, acting for its partner.
            case organizationHead(organizationID: String)
            /// A community notable (社区能人) who does not live in X社区.
            case notable
        }

        var id: String
        var name: String
        var title: String
        var kind: Kind
    }

    static let elder = "wang-xingjuan"
    static let socialWorker = "cheng-feng"
    static let notable = "shao-zhenhua"

    static let mediators = [
        Mediator(
            id: elder,
            name: "王杏娟",
            title: "老党员、楼道长，兼职人民调解员",
            kind: .residentInTheLeakingHousehold
        ),
        Mediator(
            id: socialWorker,
            name: "程峰",
            title: "示例区阳光社会工作服务中心主任，兼职人民调解员",
            kind: .organizationHead(organizationID: "O-social-03")
        ),
        Mediator(id: notable, name: "邵振华", title: "退休中学教师、社区能人，兼职人民调解员", kind: .notable),
    ]

    /// The key of each dispute's application (its idempotency key): `x-mediation-01` … in the order below.
    static func key(_ number: Int) -> String { "x-mediation-" + Codes.pad(number, width: 2) }

    /// The README's dispute: water leaking through a ceiling (楼上漏水), between two households of one building
    /// in grid 1. The sample applies for it and goes no further: the README walks it from there.
    static let walk = (
        title: "楼上漏水",
        /// The names the generator must find for the downstairs (applicant) and upstairs (respondent) heads.
        applicant: "姜晓东",
        respondent: "黄军"
    )

    /// Where the committee's sessions are held.
    static let mediationRoom = "\(XCommunityPlan.communityName)人民调解室（社区服务中心二楼）"

    /// The shared income of 翠竹苑 the property company has kept (物业公共收益), in yuan.
    static let sharedIncome = 86_400
}
