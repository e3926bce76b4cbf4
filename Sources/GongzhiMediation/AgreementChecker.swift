import GongzhiMediationSchemas

/// Checks a mediation agreement (人民调解协议书) before it is signed: the contents Art 29 of the People's
/// Mediation Law requires, and the matters a court will not confirm (法释〔2011〕5号 Art 4: identity, adoption
/// and marriage relations). And says when a signed agreement takes effect: when every party and a mediator
/// have signed and the committee has sealed.
public enum AgreementChecker {
    /// Every problem with `agreement` for `dispute`, each a sentence naming the field or the matter; empty
    /// when it may be signed.
    public static func problems(
        in agreement: Gongzhi_Mediation_V1_Agreement,
        for dispute: Gongzhi_Mediation_V1_Dispute
    ) -> [String] {
        var problems: [String] = []
        let partyIDs = Set(dispute.parties.map(\.id))
        let missingParties = dispute.parties.filter { !agreement.partyIds.contains($0.id) }
        if !missingParties.isEmpty {
            problems.append(
                "the parties are missing \(missingParties.map(DisputeProcedure.label).joined(separator: ", "))"
            )
        }
        for id in agreement.partyIds where !partyIDs.contains(id) {
            problems.append("\"\(id)\" is not a party of dispute \(dispute.id)")
        }
        if isBlank(agreement.facts) {
            problems.append("the main facts (纠纷的主要事实) are missing")
        }
        if agreement.matters.isEmpty || agreement.matters.contains(where: { isBlank($0.summary) }) {
            problems.append("the disputed matters (争议事项) are missing")
        }
        if isBlank(agreement.responsibilities) {
            problems.append("the parties' responsibilities (各方当事人的责任) are missing")
        }
        if isBlank(agreement.terms) {
            problems.append("the terms agreed (协议内容) are missing")
        }
        if agreement.obligations.isEmpty {
            problems.append("no obligation says who performs what, how and by when (履行方式、时限)")
        }
        var obligationIDs: Set<String> = []
        for (index, obligation) in agreement.obligations.enumerated() {
            let name = obligation.id.isEmpty ? "obligation \(index + 1)" : "obligation \(obligation.id)"
            if obligation.id.isEmpty {
                problems.append("\(name) has no id")
            } else if !obligationIDs.insert(obligation.id).inserted {
                problems.append("two obligations have the id \(obligation.id)")
            }
            if !partyIDs.contains(obligation.partyID) {
                problems.append("\(name) names no party of the dispute as the one who owes it")
            }
            if isBlank(obligation.content) {
                problems.append("\(name) does not say what is to be done")
            }
            if isBlank(obligation.method) {
                problems.append("\(name) has no method of performance (履行方式)")
            }
            if obligation.deadlineMs <= 0 {
                problems.append("\(name) has no deadline of performance (履行期限)")
            }
        }
        for matter in agreement.matters {
            if let relation = unconfirmableRelation(matter.kind) {
                problems.append(
                    "the matter \"\(matter.summary)\" concerns \(relation), which a court will not confirm "
                        + "(法释〔2011〕5号 Art 4): settle it by litigation or the registry instead"
                )
            }
        }
        return problems
    }

    /// What the agreement still lacks to take effect: the signatures of parties who have not signed, a
    /// mediator's signature, the committee's seal. Empty when it is in effect.
    public static func missingForEffect(
        _ agreement: Gongzhi_Mediation_V1_Agreement,
        for dispute: Gongzhi_Mediation_V1_Dispute
    ) -> [String] {
        var missing: [String] = []
        let signedParties = Set(agreement.signatures.filter { $0.role == .party }.map(\.signerID))
        for id in agreement.partyIds where !signedParties.contains(id) {
            let party = dispute.parties.first { $0.id == id }
            missing.append("the signature of \(party.map(DisputeProcedure.label) ?? id)")
        }
        if !agreement.signatures.contains(where: { $0.role == .mediator }) {
            missing.append("a mediator's signature")
        }
        if agreement.sealedAtMs == 0 {
            missing.append("the committee's seal")
        }
        return missing
    }

    private static func unconfirmableRelation(_ kind: Gongzhi_Mediation_V1_MatterKind) -> String? {
        switch kind {
        case .identity: "an identity relation (身份关系)"
        case .adoption: "an adoption relation (收养关系)"
        case .marriage: "a marriage relation (婚姻关系)"
        default: nil
        }
    }

    private static func isBlank(_ text: String) -> Bool {
        text.allSatisfy(\.isWhitespace)
    }
}
