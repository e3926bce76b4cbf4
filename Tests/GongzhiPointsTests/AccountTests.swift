import GongzhiPointsSchemas
import XCTest

@testable import GongzhiPoints

/// Opening accounts: each request's result, the ids' shape, and what an account may not open with.
final class AccountTests: XCTestCase {
    typealias F = PointsFixtures

    func account(_ id: String, _ configure: (inout Account) -> Void = { _ in }) -> Account {
        var account = Account()
        account.id = id
        configure(&account)
        return account
    }

    func testCreateAccountsAnswersEachRequestAndFillsTheFieldsFromTheID() {
        var book = F.book()
        let requests = [
            account("volunteer:resident:R0100") {
                $0.holderName = "赵六"
                $0.communityCode = F.community
                $0.debitsMustNotExceedCredits = true
            },
            account("volunteer:resident:R0100") {
                $0.holderName = "赵六"
                $0.communityCode = F.community
                $0.debitsMustNotExceedCredits = true
            },
            // A holder's account may not go below zero.
            account("volunteer:resident:R0100") {
                $0.holderName = "赵六"
                $0.communityCode = F.community
            },
            account("volunteer:resident:R0100") {
                $0.holderName = "赵七"
                $0.debitsMustNotExceedCredits = true
            },
            account("volunteer:resident:R0100") {
                $0.communityCode = F.otherCommunity
                $0.debitsMustNotExceedCredits = true
            },
            account("not an id"),
            account("volunteer:nobody:R1"),
            account("volunteer:resident:"),
            account("volunteer:expiry:x"),
            account("ghost:resident:R0100"),
            account("volunteer:resident:R0101") { $0.holderKind = .partner },
            account("volunteer:resident:R0102") { $0.ledger = "party" },
            account("volunteer:resident:R0103") { $0.holderID = "R9" },
            account("volunteer:resident:R0104") {
                $0.debitsMustNotExceedCredits = true
                $0.creditsMustNotExceedDebits = true
            },
            account("volunteer:resident:R0105") { $0.creditsPosted = 100 },
            account("volunteer:resident:R0106") { $0.lots = [Gongzhi_Points_V1_Lot()] },
            account("party:expiry"),
        ]
        let results = book.createAccounts(requests, now: F.t0)
        XCTAssertEqual(results.map(\.index), Array(0..<Int32(requests.count)))
        XCTAssertEqual(results.map(\.id), requests.map(\.id))
        XCTAssertEqual(
            results.map(\.result),
            [
                .ok, .exists, .flagsInvalid, .accountExistsWithDifferentField,
                .accountExistsWithDifferentField, .idInvalid, .idInvalid, .idInvalid, .idInvalid, .ledgerNotFound,
                .holderInvalid, .holderInvalid, .holderInvalid, .flagsInvalid, .flagsInvalid, .flagsInvalid, .ok,
            ]
        )
        XCTAssertEqual(results[2].field, "flags")
        XCTAssertEqual(results[3].field, "holder_name")
        XCTAssertEqual(results[4].field, "community_code")
        XCTAssertEqual(results[5].field, "id")
        XCTAssertEqual(results[9].field, "ledger")
        XCTAssertEqual(results[13].field, "flags")
        XCTAssertEqual(results[14].field, "balances")
        for result in results where result.result != .ok && result.result != .exists {
            XCTAssertFalse(result.message.isEmpty, "\(result.id) is refused with no reason")
        }

        let opened = book.accounts["volunteer:resident:R0100"]
        XCTAssertEqual(opened?.ledger, "volunteer")
        XCTAssertEqual(opened?.holderKind, .resident)
        XCTAssertEqual(opened?.holderID, "R0100")
        XCTAssertEqual(opened?.holderName, "赵六")
        XCTAssertEqual(opened?.createdAtMs, F.t0)
        XCTAssertEqual(book.accounts["party:expiry"]?.holderKind, .expiry)
        XCTAssertEqual(book.accounts["party:expiry"]?.holderID, "")
        for refusedID in ["volunteer:resident:R0101", "volunteer:resident:R0104", "volunteer:resident:R0105"] {
            XCTAssertNil(book.accounts[refusedID])
        }
        XCTAssertEqual(book.changes.accounts, ["volunteer:resident:R0100", "party:expiry"])
    }

    func testEnsureAccountOpensOnceWithTheLimitsOfItsKind() {
        var book = F.book()
        let id = book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .partner, holderID: "P0100"),
            holderName: "物业公司",
            communityCode: F.community,
            partnerType: "builder",
            now: F.t0
        )
        XCTAssertEqual(id, "volunteer:partner:P0100")
        XCTAssertEqual(book.accounts[id]?.debitsMustNotExceedCredits, true)
        XCTAssertEqual(book.accounts[id]?.partnerType, "builder")
        let again = book.ensureAccount(
            AccountID(ledger: "volunteer", holderKind: .partner, holderID: "P0100"),
            holderName: "another name",
            communityCode: F.otherCommunity,
            now: F.t0 + 1
        )
        XCTAssertEqual(again, id)
        XCTAssertEqual(book.accounts[id]?.holderName, "物业公司", "an existing account is left as it is")
        XCTAssertEqual(book.accounts[F.venue]?.debitsMustNotExceedCredits, true)
        XCTAssertEqual(book.accounts[F.issuer]?.debitsMustNotExceedCredits, false)
    }

    func testAccountIDsReadAndWrite() {
        XCTAssertEqual(AccountID("volunteer:resident:R0001")?.holderKind, .resident)
        XCTAssertEqual(AccountID("volunteer:resident:R:1")?.holderID, "R:1")
        XCTAssertEqual(AccountID("volunteer:expiry")?.description, "volunteer:expiry")
        XCTAssertEqual(AccountID("volunteer:issuer:330106001001")?.isHolder, false)
        XCTAssertEqual(AccountID("volunteer:person:hu-wei")?.isHolder, true)
        for bad in [
            "", "volunteer", ":resident:R1", "volunteer:resident", "volunteer:expiry:", "volunteer:unspecified:x",
        ] {
            XCTAssertNil(AccountID(bad), bad)
        }
        let written = AccountID(ledger: "party", holderKind: .venue, holderID: "V2")
        XCTAssertEqual(written.description, "party:venue:V2")
        XCTAssertEqual(AccountID(written.description), written)
        XCTAssertNil(AccountID.problem(withID: "ok.id:1_2-3", what: "the transfer"))
        XCTAssertNotNil(AccountID.problem(withID: "", what: "the transfer"))
    }
}
