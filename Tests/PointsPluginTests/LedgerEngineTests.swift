import Foundation
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiPoints
import GongzhiPointsSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import Logging
import Synchronization
import XCTest

@testable import gongzhi_points

/// The points plugin's engine against an in-process host: what a change writes is in the host's store when it
/// is answered, concurrent changes share transactions, a second writer is noticed and the engine reads the ledger
/// again, and a batch larger than one transaction is written whole.
final class LedgerEngineTests: XCTestCase {
    private let logger = Logger(label: "gongzhi.test.points", factory: { _ in SwiftLogNoOpLogHandler() })
    static let start: Int64 = 1_763_258_400_000

    /// The points plugin's manifest, as kept beside its sources.
    static let manifest = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Plugins/points/points.plugin.toml").path

    /// Runs `body` with the points plugin admitted to an in-process host (its kinds registered) and an engine
    /// opened over the plugin's channel; `engine` opens another one, as a second plugin process would.
    func withEngine(
        _ body: (_ engine: LedgerEngine, _ open: () async throws -> LedgerEngine, _ host: InProcessTestHost)
            async throws -> Void
    ) async throws {
        let opened = Mutex<LedgerEngine?>(nil)
        let logger = self.logger
        let plugin = try TestPlugin(manifest: Self.manifest) { context in
            let descriptors = try PointsKinds.fileDescriptorSet()
            for kind in PointsKinds.all {
                try await context.objects.registerKind(
                    kind.name,
                    messageName: kind.message,
                    fileDescriptorSet: descriptors
                )
            }
            let engine = try await LedgerEngine.open(objects: context.objects, clock: .system, logger: logger)
            opened.withLock { $0 = engine }
            return [
                PointsService(
                    engine: engine,
                    directory: HolderDirectory(objects: context.objects),
                    integrations: Integrations()
                )
            ]
        }
        try await withInProcessTestHost(plugins: [plugin]) { host in
            let engine = try XCTUnwrap(opened.withLock { $0 })
            var running: [Task<Void, Never>] = [Task { await engine.run() }]
            let open = { () async throws -> LedgerEngine in
                let engine = try await LedgerEngine.open(
                    objects: HostObjects(channel: try host.pluginChannel("points")),
                    clock: .system,
                    logger: logger
                )
                running.append(Task { await engine.run() })
                return engine
            }
            try await engine.perform { book, now in
                var ledger = Ledger()
                ledger.code = "volunteer"
                ledger.name = "志愿者积分"
                ledger.lotMonths = 12
                book.put(ledger: ledger)
                for id in ["volunteer:issuer:330199001001", "volunteer:resident:R1", "volunteer:resident:R2"] {
                    var account = Account()
                    account.id = id
                    account.communityCode = "330199001001"
                    account.debitsMustNotExceedCredits = !id.contains("issuer")
                    XCTAssertEqual(book.createAccounts([account], now: now).first?.result, .ok)
                }
                var rule = EarningRule()
                rule.code = "deliberation"
                rule.name = "议事会"
                rule.ledger = "volunteer"
                rule.source = .manual
                rule.points = 5
                rule.active = true
                book.put(rule: rule)
            }
            try await body(engine, open, host)
            for task in running { task.cancel() }
        }
    }

    static func credit(_ id: String, to account: String = "volunteer:resident:R1", amount: Int64 = 5) -> Transfer {
        var transfer = Transfer()
        transfer.id = id
        transfer.debitAccountID = "volunteer:issuer:330199001001"
        transfer.creditAccountID = account
        transfer.amount = amount
        transfer.code = "deliberation"
        return transfer
    }

    /// The account as the host stores it.
    func stored(_ id: String, _ host: InProcessTestHost) async throws -> Account? {
        try await HostObjects(channel: host.adminChannel).get(Account.self, id: id)?.message
    }

    func testAnAnsweredChangeIsInTheHostsStoreWithItsAccounts() async throws {
        try await withEngine { engine, _, host in
            let results = try await engine.perform { book, now in
                book.createTransfers([Self.credit("c-1")], now: now, recordedBy: "test")
            }
            XCTAssertEqual(results.map(\.result), [.ok])
            let transfer = try await HostObjects(channel: host.adminChannel).get(Transfer.self, id: "c-1")
            XCTAssertEqual(transfer?.message.sequence, 1)
            let value1 = try await stored("volunteer:resident:R1", host)?.creditsPosted
            XCTAssertEqual(value1, 5)
            let value2 = try await stored("volunteer:issuer:330199001001", host)?.debitsPosted
            XCTAssertEqual(value2, 5)
        }
    }

    func testConcurrentChangesAreAllWrittenAndTheStoreVerifies() async throws {
        try await withEngine { engine, _, host in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<32 {
                    group.addTask {
                        for index in 0..<10 {
                            let results = try await engine.perform { book, now in
                                book.createTransfers(
                                    [Self.credit("c-\(client)-\(index)", amount: 1)],
                                    now: now,
                                    recordedBy: "test"
                                )
                            }
                            XCTAssertEqual(results.first?.result, .ok)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let value3 = try await stored("volunteer:resident:R1", host)?.creditsPosted
            XCTAssertEqual(value3, 320)
            let objects = HostObjects(channel: host.adminChannel)
            let report = LedgerVerification.verify(
                transfers: try await objects.list(Transfer.self).objects.map(\.message),
                accounts: try await objects.list(Account.self).objects.map(\.message)
            )
            XCTAssertTrue(report.ok, report.problem ?? "")
            XCTAssertEqual(report.transfers, 320)
        }
    }

    func testASecondWriterIsNoticedAndTheLedgerIsReadAgain() async throws {
        try await withEngine { first, open, host in
            _ = try await first.perform { book, now in
                book.createTransfers([Self.credit("c-1")], now: now, recordedBy: "test")
            }
            // A second process writes the same accounts behind the first one's back.
            let second = try await open()
            _ = try await second.perform { book, now in
                book.createTransfers([Self.credit("c-2")], now: now, recordedBy: "test")
            }
            // The first one's next write meets revisions it did not write: refused, then the ledger is read again.
            do {
                _ = try await first.perform { book, now in
                    book.createTransfers([Self.credit("c-3")], now: now, recordedBy: "test")
                }
                XCTFail("a write over a second writer's must fail")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, .unavailable)
                XCTAssertTrue(error.message.contains("retry with the same ids"), error.message)
            }
            var retried: [TransferResult] = []
            try await eventually("the first engine has read the ledger again") {
                guard
                    let results = try? await first.perform({ book, now in
                        book.createTransfers([Self.credit("c-2"), Self.credit("c-3")], now: now, recordedBy: "test")
                    })
                else { return false }
                retried = results
                return true
            }
            // c-2 is the second writer's, known now; c-3 was lost with the failed write and is recorded once.
            XCTAssertEqual(retried.map(\.result), [.exists, .ok])
            let value4 = try await stored("volunteer:resident:R1", host)?.creditsPosted
            XCTAssertEqual(value4, 15)
        }
    }

    func testABatchLargerThanOneTransactionIsWrittenWhole() async throws {
        try await withEngine { engine, _, host in
            // 8,000 holders, each credited once in one batch: far more than one transaction's bytes.
            let holders = 8_000
            _ = try await engine.perform { book, now in
                let accounts = (0..<holders).map { index -> Account in
                    var account = Account()
                    account.id = "volunteer:resident:H\(index)"
                    account.holderName = String(repeating: "志", count: 20)
                    account.communityCode = "330199001001"
                    account.debitsMustNotExceedCredits = true
                    return account
                }
                XCTAssertTrue(book.createAccounts(accounts, now: now).allSatisfy { $0.result == .ok })
            }
            let batch = (0..<holders).map {
                var transfer = Self.credit("big-\($0)", to: "volunteer:resident:H\($0)", amount: 3)
                transfer.memo = String(repeating: "议", count: 60)
                return transfer
            }
            let results = try await engine.perform { book, now in
                book.createTransfers(batch, now: now, recordedBy: "test")
            }
            XCTAssertTrue(results.allSatisfy { $0.result == .ok })
            let value5 = try await stored("volunteer:issuer:330199001001", host)?.debitsPosted
            XCTAssertEqual(value5, Int64(3 * holders))
            let value6 = try await stored("volunteer:resident:H7999", host)?.creditsPosted
            XCTAssertEqual(value6, 3)
            let objects = HostObjects(channel: host.adminChannel)
            let value7 = try await objects.list(Transfer.self, pageSize: 5000).objects.count
            XCTAssertEqual(value7, holders)
        }
    }
}
