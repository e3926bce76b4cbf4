import Foundation
import GongzhiMediation
import XCTest

/// Both printed documents of one full dispute, an organisation among its parties, for people to open in a browser
/// and print.
final class PrintedSamplesTests: XCTestCase {
    typealias P = PrintedDocumentFixtures

    /// With GONGZHI_WRITE_PRINTED_SAMPLES=1, writes both documents of a full dispute with an organisation among
    /// its parties to the temporary directory (agreement-sample.html, application-sample.html) for people to open
    /// and print; they are checked either way.
    func testSamplesForPeopleToOpenAndPrint() throws {
        let dispute = try P.agreed(parties: [P.wang(), P.li(), P.propertyCompany()])
        let agreement = AgreementDocument.html(dispute, committee: P.committee)
        let application = ConfirmationApplication.html(dispute, court: P.court, committee: P.committee)
        XCTAssertEqual(problems(ofPage: agreement), [])
        XCTAssertEqual(problems(ofPage: application), [])
        guard ProcessInfo.processInfo.environment["GONGZHI_WRITE_PRINTED_SAMPLES"] == "1" else { return }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
        try Data(agreement.utf8).write(to: directory.appendingPathComponent("agreement-sample.html"))
        try Data(application.utf8).write(to: directory.appendingPathComponent("application-sample.html"))
    }
}
