import Foundation
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A client that pipelines large Lists on host.sock and never reads its answers does not grow the host without
/// bound: past the connection's outbound budget the host stops starting its calls and reading its socket, while
/// other clients are served as usual; the answers are all there once the client reads.
final class NeverReadingClientEndToEndTests: XCTestCase {
    static let residents = 2500
    static let listCalls = 1000

    /// The resident memory of process `pid`, from /proc (VmRSS), in bytes.
    static func residentBytes(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kilobytes << 10
    }

    /// Stores `count` residents of about 400 bytes each, through admin.sock, in transactions of 250.
    static func seedResidents(_ host: HostUnderTest, count: Int) async throws {
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        let notes = String(repeating: "门牌号与联系人备注，", count: 12)
        for start in stride(from: 0, to: count, by: 250) {
            var txn = Gongzhi_Host_V1_TxnRequest()
            for index in start..<min(start + 250, count) {
                var write = Gongzhi_Host_V1_Write()
                write.create = try ObjectsEndToEndTests.resident(String(format: "R-%05d", index), notes: notes)
                txn.writes.append(write)
            }
            _ = try await objects.txn(txn)
        }
    }

    /// One `Objects/List` request frame for every resident, presenting `token`.
    static func listFrame(streamID: UInt32, token: String) throws -> [UInt8] {
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Resident"
        list.pageSize = 10_000
        var request = Gongzhi_Rpc_V1_Request()
        request.service = Gongzhi_Host_V1_Objects.serviceName
        request.method = Gongzhi_Host_V1_Objects.Method.list
        request.payload = try list.serializedData()
        var entry = Gongzhi_Rpc_V1_KeyValue()
        entry.key = "gongzhi-token"
        entry.value = token
        request.metadata = [entry]
        return RawFrame.bytes(streamID: streamID, type: 1, data: try request.serializedBytes())
    }

    func testAClientThatNeverReadsItsAnswersDoesNotGrowTheHostAndOthersAreServed() async throws {
        let settings = ProcessInfo.processInfo.environment["NEVER_READING_SETTINGS"] ?? ""
        let host = try await HostUnderTest(plugins: [], settings: settings)
        addTeardownBlock { await host.stop() }
        try await Self.seedResidents(host, count: Self.residents)
        // With personal data, so that each answer carries the residents' notes: about 1 MiB.
        let reader = try await host.issueClientToken(scopes: [
            "gongzhi.host.v1.Objects/*", "gongzhi.host.v1.PersonalData/Read",
        ])
        let other = try await host.issueClientToken(scopes: ["gongzhi.host.v1.Objects/Get"])

        // One List answered in full first, so that the baseline holds what one answer takes.
        let warm = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: reader.token))
        var list = Gongzhi_Host_V1_ListRequest()
        list.kind = "Resident"
        list.pageSize = 10_000
        let page = try await warm.list(list)
        XCTAssertEqual(page.objects.count, Self.residents)
        let pageBytes = try page.serializedData().count
        let baseline = Self.residentBytes(of: host.process.pid)

        var stream: [UInt8] = []
        for call in 0..<Self.listCalls {
            stream += try Self.listFrame(streamID: UInt32(2 * call + 1), token: reader.token)
        }
        let socket = try RawSocket(path: host.hostSocket)
        let descriptor = socket.fd
        let toSend = stream
        let sender = Task.detached { RawSocket.sendAll(toSend, to: descriptor) }

        var peak = baseline
        let getter = Gongzhi_Host_V1_ObjectsClient(channel: host.channel(token: other.token))
        var get = Gongzhi_Host_V1_GetRequest()
        get.kind = "Resident"
        get.id = "R-00042"
        for second in 0..<20 {
            try await Task.sleep(for: .seconds(1))
            peak = max(peak, Self.residentBytes(of: host.process.pid))
            if second % 5 == 4 {
                do {
                    let found = try await getter.get(get, options: CallOptions(timeout: .seconds(5)))
                    XCTAssertEqual(found.id, "R-00042")
                } catch {
                    XCTFail("another client is not served meanwhile: \(error)")
                }
            }
        }
        let growth = peak - baseline
        print(
            "host RSS \(baseline >> 20) MiB -> peak \(peak >> 20) MiB (+\(growth >> 20) MiB), answers of \(pageBytes) B"
        )
        XCTAssertLessThanOrEqual(growth, 64 << 20, "host RSS grew by \(growth >> 20) MiB\n--- host log:\n\(host.log)")

        // Once the client reads, its calls are answered, each once.
        var answered = Set<UInt32>()
        for call in 0..<50 {
            let frame = try XCTUnwrap(try socket.receiveFrame(timeout: .seconds(30)), "answer \(call) never came")
            XCTAssertTrue(answered.insert(frame.streamID).inserted, "stream \(frame.streamID) answered twice")
            XCTAssertEqual(frame.streamID % 2, 1)
            XCTAssertLessThan(frame.streamID, UInt32(2 * Self.listCalls))
            let response = try Gongzhi_Rpc_V1_Response(serializedBytes: frame.data)
            XCTAssertEqual(response.status.code, 0, response.status.message)
            let answer = try Gongzhi_Host_V1_ListResponse(serializedBytes: response.payload)
            XCTAssertEqual(answer.objects.count, Self.residents)
        }
        let sent = await sender.value
        XCTAssertEqual(sent, stream.count, "every call was sent")
    }
}
