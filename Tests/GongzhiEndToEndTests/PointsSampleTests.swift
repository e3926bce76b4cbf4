import Foundation
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// X社区's points exchange as the real `gongzhi-samples x-community-points` writes it, and as `Deploy/samples/load.sh`
/// loads it into a real host running the real points plugin.
final class PointsSampleTests: XCTestCase {
    /// 2026-12-01 09:00 in China: the day the sample's ledger is opened unless told otherwise.
    static let defaultOpening: Int64 = 1_796_086_800_000
    static let dayMs: Int64 = 86_400_000
    static let files = ["ledgers.commands", "load.commands", "accounts.json", "history.json", "balances.tsv"]

    /// The files the generator writes for a ledger opened at `openedAt` (nil: its default), by name.
    static func generate(openedAt: Int64?) throws -> [String: Data] {
        let directory = try TemporaryDirectory(prefix: "gzpointsample")
        defer { directory.remove() }
        var arguments = ["x-community-points", "--output", directory.path]
        if let openedAt { arguments += ["--opened-at", String(openedAt)] }
        let outcome = try CompletedProcess.run(try BuiltExecutables.path("gongzhi-samples"), arguments)
        guard outcome.status == 0 else {
            throw TestSupportError("gongzhi-samples exited with \(outcome.status): \(outcome.errors)")
        }
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory.file(name)))
        }
        return files
    }

    static func history(_ files: [String: Data]) throws -> [Gongzhi_Points_V1_Transfer] {
        try Gongzhi_Points_V1_CreateTransfersRequest(jsonUTF8Bytes: try XCTUnwrap(files["history.json"])).transfers
    }

    /// `balances.tsv`: account → (balance, available).
    static func balances(_ files: [String: Data]) throws -> [String: (balance: Int64, available: Int64)] {
        let text = String(decoding: try XCTUnwrap(files["balances.tsv"]), as: UTF8.self)
        var lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        XCTAssertEqual(lines.first, ["account", "holder", "balance", "available"])
        lines.removeFirst()
        var balances: [String: (balance: Int64, available: Int64)] = [:]
        for line in lines {
            guard line.count == 4, let balance = Int64(line[2]), let available = Int64(line[3]) else {
                throw TestSupportError("balances.tsv has the line \(line)")
            }
            balances[String(line[0])] = (balance, available)
        }
        return balances
    }

    // MARK: - The generator

    func testTheSameOpeningGivesTheSameBytesAndAnotherOnlyOtherTimes() throws {
        let first = try Self.generate(openedAt: nil)
        let again = try Self.generate(openedAt: Self.defaultOpening)
        XCTAssertEqual(Set(first.keys), Set(Self.files))
        for name in Self.files {
            XCTAssertTrue(first[name] == again[name], "\(name) differs between two runs")
        }

        // Opened in the middle of a month, the history spans two months: the same people earn and spend the same
        // points, at other times.
        let later = try Self.generate(openedAt: Self.defaultOpening + 15 * Self.dayMs + 3_600_000)
        XCTAssertTrue(first["balances.tsv"] == later["balances.tsv"], "the amounts do not depend on the day")
        let (early, late) = (try Self.history(first), try Self.history(later))
        XCTAssertEqual(early.map(\.id), late.map(\.id))
        XCTAssertEqual(early.map(\.amount), late.map(\.amount))
        XCTAssertEqual(zip(early, late).map { $1.timestampMs - $0.timestampMs }, early.map { _ in 15 * Self.dayMs })
    }

    /// What the plugin will check of an imported history: ids, accounts that are opened, timestamps in order and
    /// in the 30 days before the opening day, credits by rules within their caps (for both openings), balances
    /// that never go below zero, corrections that reverse what they name.
    func testTheHistoryIsOneThePluginTakes() throws {
        for opening in [Self.defaultOpening, Self.defaultOpening + 15 * Self.dayMs] {
            let files = try Self.generate(openedAt: opening)
            let history = try Self.history(files)
            XCTAssertTrue((300...1_000).contains(history.count), "\(history.count) transfers")
            let accounts = try Gongzhi_Points_V1_CreateAccountsRequest(
                jsonUTF8Bytes: try XCTUnwrap(files["accounts.json"])
            ).accounts
            let opened = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0) })
            XCTAssertEqual(opened.count, accounts.count, "account ids are unique")
            XCTAssertEqual(Set(history.map(\.id)).count, history.count, "transfer ids are unique")

            // The opening day in China, and the 30 days before it.
            let openingDay = (opening + 8 * 3_600_000) / Self.dayMs * Self.dayMs - 8 * 3_600_000
            let caps = ["volunteer-hour": 200, "deliberation": 20, "party-duty": 50]
            var balances: [String: Int64] = [:]
            var earned: [String: Int64] = [:]
            var previous: Int64 = 0
            for transfer in history {
                XCTAssertTrue(transfer.imported, transfer.id)
                XCTAssertGreaterThanOrEqual(transfer.timestampMs, previous, "\(transfer.id) is out of order")
                XCTAssertTrue(
                    (openingDay - 30 * Self.dayMs..<openingDay).contains(transfer.timestampMs),
                    "\(transfer.id) lies outside the month before the opening"
                )
                previous = transfer.timestampMs
                let debit = try XCTUnwrap(opened[transfer.debitAccountID], transfer.debitAccountID)
                let credit = try XCTUnwrap(opened[transfer.creditAccountID], transfer.creditAccountID)
                XCTAssertEqual(debit.ledger, credit.ledger, transfer.id)
                XCTAssertEqual(transfer.ledger, debit.ledger, transfer.id)
                XCTAssertGreaterThan(transfer.amount, 0, transfer.id)
                balances[debit.id, default: 0] -= transfer.amount
                balances[credit.id, default: 0] += transfer.amount
                if debit.debitsMustNotExceedCredits {
                    XCTAssertGreaterThanOrEqual(balances[debit.id]!, 0, "\(transfer.id) overdraws \(debit.id)")
                }
                if debit.holderKind == .issuer {
                    XCTAssertTrue(
                        ["volunteer-hour", "deliberation", "training", "carry-over", "party-duty"].contains(
                            transfer.code
                        ),
                        transfer.id
                    )
                    let month = Self.month(transfer.timestampMs)
                    earned["\(credit.id) \(transfer.code) \(month)", default: 0] += transfer.amount
                    if let cap = caps[transfer.code] {
                        XCTAssertLessThanOrEqual(earned["\(credit.id) \(transfer.code) \(month)"]!, Int64(cap))
                    }
                } else if transfer.code == "correction" {
                    let original = try XCTUnwrap(history.first { $0.id == transfer.reversesID }, transfer.id)
                    XCTAssertEqual(original.debitAccountID, transfer.creditAccountID)
                    XCTAssertEqual(original.creditAccountID, transfer.debitAccountID)
                    XCTAssertLessThanOrEqual(transfer.amount, original.amount)
                    XCTAssertLessThan(original.timestampMs, transfer.timestampMs)
                } else {
                    XCTAssertEqual(transfer.code, "redemption", transfer.id)
                    XCTAssertEqual(credit.holderKind, .venue, transfer.id)
                }
            }
            // Every kind of past transfer the README and the docs speak of is there.
            let codes = Set(history.map(\.code))
            for code in ["volunteer-hour", "deliberation", "training", "carry-over", "party-duty", "redemption"] {
                XCTAssertTrue(codes.contains(code), code)
            }
            XCTAssertEqual(history.filter { $0.code == "correction" }.count, 2)
            // Points carried over from the paper ledger expire 14 days after the opening day.
            for transfer in history where transfer.code == "carry-over" {
                XCTAssertEqual(transfer.expiresAtMs, openingDay + 14 * Self.dayMs, transfer.id)
            }
        }
    }

    /// `2026-11`: the calendar month in China that holds `ms`.
    static func month(_ ms: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(ms + 8 * 3_600_000) / 1_000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return "\(parts.year!)-\(parts.month!)"
    }

    // MARK: - Loaded into a host

    func load(_ host: HostUnderTest, _ extra: [String] = []) throws -> CompletedProcess {
        try CompletedProcess.run(
            "/bin/bash",
            [ObjectCommandsEndToEndTests.repositoryRoot + "/Deploy/samples/load.sh", "--socket", host.adminSocket]
                + extra,
            environment: [
                "GONGZHI_SAMPLES_BIN": try BuiltExecutables.path("gongzhi-samples"),
                "GONGZHICTL_BIN": try BuiltExecutables.path("gongzhictl"),
                "PATH": "/usr/bin:/bin",
            ]
        )
    }

    /// Every account's balance and what is available, as the plugin answers.
    func accounts(_ points: Gongzhi_Points_V1_PointsClient) async throws -> [String: (Int64, Int64)] {
        var request = Gongzhi_Points_V1_ListAccountsRequest()
        request.limit = 10_000
        let views = try await points.listAccounts(request).accounts
        return Dictionary(uniqueKeysWithValues: views.map { ($0.account.id, ($0.balance, $0.available)) })
    }

    func testTheSampleLoadsIntoAHostWithThePointsPluginAndAgainChangesNothing() async throws {
        let host = try await HostUnderTest(plugins: [try PointsWorld.pointsPlugin(environment: [:])])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("points")
        let points = Gongzhi_Points_V1_PointsClient(channel: host.admin)

        let first = try load(host)
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertTrue(first.outputText.contains("created 28,731"), first.outputText)
        XCTAssertTrue(first.errors.contains("the points exchange is loaded"), first.errors)

        // The history is anchored on the day the volunteer ledger was opened: generate it for that day.
        let ledgers = try await points.listLedgers(Gongzhi_Points_V1_ListLedgersRequest()).ledgers
        XCTAssertEqual(ledgers.map(\.code), ["party", "volunteer"])
        let opened = try XCTUnwrap(ledgers.first { $0.code == "volunteer" }).createdAtMs
        let files = try Self.generate(openedAt: opened)
        let history = try Self.history(files)
        let expected = try Self.balances(files)

        // The chain verifies from the host's store: the history, the three credited records and the held
        // redemption's pending transfer.
        let verified = try await points.verify(Gongzhi_Points_V1_VerifyRequest())
        XCTAssertTrue(verified.ok, verified.problem)
        XCTAssertEqual(verified.transfers, Int64(history.count + 4))
        let status = try await points.status(Gongzhi_Points_V1_StatusRequest())
        XCTAssertEqual(status.heldRedemptions, 1)
        XCTAssertEqual(status.pending, 1)

        // Every account the generator names holds what it says, and no other account was opened.
        let loaded = try await accounts(points)
        XCTAssertEqual(Set(loaded.keys), Set(expected.keys))
        for (id, want) in expected {
            let got = try XCTUnwrap(loaded[id], id)
            XCTAssertEqual(got.0, want.balance, "balance of \(id)")
            XCTAssertEqual(got.1, want.available, "available of \(id)")
        }
        let imported = try await points.history(
            .with {
                $0.accountID = "volunteer:resident:R-0000090"
                $0.limit = 100
            }
        )
        XCTAssertEqual(imported.account.balance, 170)
        XCTAssertTrue(imported.transfers.allSatisfy(\.imported), "朱永康's points all came from the paper ledger")

        // The day's service records: three credited, one waiting, one rejected.
        let records = try await points.listServiceRecords(Gongzhi_Points_V1_ListServiceRecordsRequest()).records
        XCTAssertEqual(
            records.map(\.state).sorted { $0.rawValue < $1.rawValue },
            [.recorded, .rejected, .credited, .credited, .credited]
        )
        let waiting = try XCTUnwrap(records.first { $0.state == .recorded })
        XCTAssertEqual(waiting.recordedBy, "zhu-yongkang")
        XCTAssertEqual(waiting.holderID, "R-0000090")
        XCTAssertTrue(
            records.filter { $0.state == .credited }.allSatisfy {
                $0.confirmedBy == "chen-jing" && $0.recordedBy == "zheng-lingdi"
            }
        )

        // Loaded again: every transfer, record and redemption exists already; nothing changes.
        let again = try load(host)
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.outputText.contains("unchanged 28,731"), again.outputText)
        let after = try await points.status(Gongzhi_Points_V1_StatusRequest())
        XCTAssertEqual(after.transfers, status.transfers)
        XCTAssertEqual(after.accounts, status.accounts)
        XCTAssertEqual(after.headHash, status.headHash)
        XCTAssertEqual(after.heldRedemptions, 1)
        let reloaded = try await accounts(points)
        XCTAssertEqual(reloaded.count, loaded.count)
        for (id, value) in loaded {
            XCTAssertTrue(reloaded[id].map { $0 == value } ?? false, "\(id) changed")
        }
        let recordsAfter = try await points.listServiceRecords(Gongzhi_Points_V1_ListServiceRecordsRequest()).records
        XCTAssertEqual(recordsAfter, records)

        // The walk the README takes: the team leader confirms 朱永康's record; the rice's threshold (200) still
        // keeps him from redeeming it until his next service is credited.
        let leader = Gongzhi_Points_V1_PointsClient(
            channel: MetadataAddingChannel(base: host.admin, metadata: ["gongzhi-act-as": "zheng-lingdi"])
        )
        let confirmed = try await leader.confirmService(.with { $0.id = waiting.id })
        XCTAssertEqual(confirmed.state, .credited, confirmed.creditResult)
        XCTAssertEqual(confirmed.points, 20)
        let volunteer = Gongzhi_Points_V1_PointsClient(
            channel: MetadataAddingChannel(base: host.admin, metadata: ["gongzhi-act-as": "zhu-yongkang"])
        )
        let own = try await volunteer.getAccount(.with { $0.accountID = "volunteer:resident:R-0000090" })
        XCTAssertEqual(own.balance, 190)
        _ = await assertRPCError(.failedPrecondition) {
            _ = try await volunteer.redeem(
                .with {
                    $0.id = "too-early"
                    $0.accountID = "volunteer:resident:R-0000090"
                    $0.goodID = "rice-5kg"
                }
            )
        }
        _ = await assertRPCError(.permissionDenied) {
            _ = try await volunteer.getAccount(.with { $0.accountID = "volunteer:resident:R-0000314" })
        }
        let final = try await points.verify(Gongzhi_Points_V1_VerifyRequest())
        XCTAssertTrue(final.ok, final.problem)
    }
}
