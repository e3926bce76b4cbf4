import GongzhiSchemas

@testable import GongzhiControl

/// A fixed clock, and the kinds a fake host lists, for the tests of gongzhictl's core and of modules'
/// command lines; each test target adds the answers it needs.
package enum Fixtures {
    /// 2025-11-21T15:00:00Z, shown as 23:00:00 at +08:00.
    package static let nowMs: Int64 = 1_763_737_200_000
    package static let time = TimeStyle.fixed(nowMs: nowMs, utcOffsetSeconds: 8 * 3600)

    package static func minutesAgo(_ minutes: Int64) -> Int64 { nowMs - minutes * 60_000 }

    /// A kind a plugin registered, which gongzhictl has no Swift type for.
    package static let caseKind = Gongzhi_Host_V1_Kind.with {
        $0.name = "Case"
        $0.messageName = "gongzhi.grid.v1.Case"
        $0.owner = "grid"
        $0.sensitiveFields = ["reporter_phone"]
        $0.revision = 12
    }

    /// Every kind the fake host lists: the core kinds and Case.
    package static let kinds: [Gongzhi_Host_V1_Kind] = LocalSchemas.coreKinds + [caseKind]
}
