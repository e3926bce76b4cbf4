import GongzhiMediation
import GongzhiMediationSchemas

/// The labels a Dispute object carries, for selecting disputes with `gongzhictl get disputes -l …`: its
/// state, type, source, level and places, each as a label value (lower case, words joined by '-').
enum DisputeLabels {
    static func labels(_ value: Gongzhi_Mediation_V1_Dispute) -> [String: String] {
        var labels = [
            "state": label(value.state.wording),
            "type": label(DisputeStats.typeName(value.type)),
            "source": label(sourceName(value.source)),
            "level": label(levelName(value.level)),
        ]
        for (key, code) in [("grid", value.gridCode), ("community", value.communityCode), ("street", value.streetCode)]
        where !code.isEmpty {
            labels[key] = code
        }
        return labels
    }

    /// "agreement drafted" → "agreement-drafted".
    static func label(_ wording: String) -> String {
        String(wording.map { $0 == " " ? "-" : $0 })
    }

    /// `application`, `grid case`.
    static func sourceName(_ source: Gongzhi_Mediation_V1_DisputeSource) -> String {
        switch source {
        case .application: "application"
        case .initiative: "initiative"
        case .gridCase: "grid case"
        case .police: "police"
        case .court: "court"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }

    /// `grid`, `community`.
    static func levelName(_ level: Gongzhi_Mediation_V1_MediationLevel) -> String {
        switch level {
        case .grid: "grid"
        case .community: "community"
        case .street: "street"
        case .above: "above"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}
