import GongzhiCalendar
import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC

/// The printed documents of a dispute: the agreement (人民调解协议书) and the judicial confirmation package
/// (司法确认申请书, the agreement, the parties). They hold personal data, so they go only to callers who see
/// it where the dispute lies.
enum DisputeDocuments {
    /// Refuses (PERMISSION_DENIED) a caller who may not see personal data in this call.
    static func requirePersonalData(
        _ context: ServerCallContext,
        for document: String,
        printing verb: String
    ) throws(RPCError) {
        guard !context.callerSeesPersonalData else { return }
        throw RPCError(
            code: .permissionDenied,
            message: "\(document) holds personal data: \(verb) needs a role that shows personal data where the "
                + "dispute lies, such as mediator, or the personal-data grant"
        )
    }

    /// The agreement as printable HTML; FAILED_PRECONDITION when the dispute has none.
    static func agreement(_ dispute: Gongzhi_Mediation_V1_Dispute, committee: String) throws(RPCError) -> String {
        guard dispute.hasAgreement else {
            throw RPCError(
                code: .failedPrecondition,
                message: "dispute \(dispute.id) has no agreement to print (it is \(dispute.state.wording)): "
                    + "draft one first (gongzhictl mediation draft)"
            )
        }
        return AgreementDocument.html(dispute, committee: committee)
    }

    /// The package for the parties' joint application to `court` (the one recorded, when none is named):
    /// FAILED_PRECONDITION before the agreement takes effect or once the 30-day window has closed at `nowMs`.
    static func confirmationPackage(
        _ dispute: Gongzhi_Mediation_V1_Dispute,
        court requested: String,
        committee: String,
        at nowMs: Int64,
        restDays: RestDays
    ) throws(RPCError) -> Gongzhi_Mediation_V1_ConfirmationPackageResponse {
        let effective = dispute.hasAgreement ? dispute.agreement.effectiveAtMs : 0
        guard effective > 0 else {
            throw RPCError(
                code: .failedPrecondition,
                message: "dispute \(dispute.id) has no agreement in effect (it is \(dispute.state.wording)): "
                    + "judicial confirmation is applied for once every party and a mediator have signed and the "
                    + "committee has sealed"
            )
        }
        let applyBy = restDays.moved(LegalClocks.confirmationWindowEnd(effectiveAtMs: effective))
        guard nowMs < applyBy else {
            throw RPCError(
                code: .failedPrecondition,
                message: "the 30 days to apply for judicial confirmation of dispute \(dispute.id)'s agreement "
                    + "ended with \(Self.day(applyBy)) (人民调解法 Art 33): the parties may still sue on the "
                    + "agreement, or ask the committee to mediate again"
            )
        }
        let court = requested.isEmpty ? dispute.confirmation.court : requested
        return .with {
            $0.applicationHtml = ConfirmationApplication.html(
                dispute,
                court: court,
                committee: committee,
                restDays: restDays
            )
            $0.agreementHtml = AgreementDocument.html(dispute, committee: committee)
            $0.parties = dispute.parties
            $0.applyByMs = applyBy
        }
    }

    /// The last day of a deadline (the day before the first millisecond past it).
    private static func day(_ deadlineMs: Int64) -> String {
        ChinaCalendar.dateText(at: deadlineMs - 1)
    }
}
