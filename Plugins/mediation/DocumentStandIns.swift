// PLACEHOLDERS, to be removed when the library's documents land: `AgreementDocument` and
// `ConfirmationApplication` are being written in Sources/GongzhiMediation with exactly these signatures.
// Until then these stand-ins give the plugin something with the same shape to call: a bare page naming the
// dispute, not the printable documents.

import GongzhiMediationSchemas

/// Placeholder for the library's 人民调解协议书 (to be removed when it lands).
enum AgreementDocument {
    static func html(_ dispute: Gongzhi_Mediation_V1_Dispute, committee: String) -> String {
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>人民调解协议书</title></head>"
            + "<body><h1>\(committee) 人民调解协议书</h1><p>\(dispute.id) \(dispute.agreement.number)</p></body></html>"
    }
}

/// Placeholder for the library's 司法确认申请书 (to be removed when it lands).
enum ConfirmationApplication {
    static func html(_ dispute: Gongzhi_Mediation_V1_Dispute, court: String, committee: String) -> String {
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>司法确认申请书</title></head>"
            + "<body><h1>司法确认申请书</h1><p>\(court) \(dispute.id) \(committee)</p></body></html>"
    }
}
