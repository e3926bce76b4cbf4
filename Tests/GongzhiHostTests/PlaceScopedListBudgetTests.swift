import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import XCTest

/// A person's list, held to their places, ends at the answer's byte budget too, and resumes right after it.
final class PlaceScopedListBudgetTests: XCTestCase {
    typealias A = Administrator

    func testAPlaceScopedListEndsAtTheResponseBudgetAndTheNextPageResumes() async throws {
        try await withInProcessHost { host in
            let admin = A(host)
            try await admin.smallDistrict()
            try await admin.person("hu-wei", "胡伟", phone: "13900000001")
            try await admin.bind("hu-wei", "grid-worker", "330199001001001")
            // Residents of 1.2 MB each: three fit one answer (4 MiB less 64 KiB), four do not. One lies outside
            // hu-wei's grid, between the others.
            let grids = [
                "330199001001001", "330199001001001", "330199002001001", "330199001001001", "330199001001001",
            ]
            for (index, grid) in grids.enumerated() {
                var resident = Gongzhi_Core_V1_Resident()
                resident.id = "R-\(index)"
                resident.name = "居民 \(index)"
                resident.gridCode = grid
                resident.notes = String(repeating: "x", count: 1_200_000)
                try await admin.create("Resident", resident.id, resident)
            }
            let token = try host.issueClientToken(
                subject: "front-desk",
                scopes: [PlatformGrants.impersonate, "gongzhi.host.v1.Objects/*"]
            )
            let channel = host.hostChannel(token: token).addingMetadata([CallerMetadataKey.actAs: "hu-wei"])
            let asPerson = Gongzhi_Host_V1_ObjectsClient(channel: channel)
            var request = Gongzhi_Host_V1_ListRequest()
            request.kind = "Resident"
            request.pageSize = 100
            let first = try await asPerson.list(request)
            XCTAssertEqual(first.objects.map(\.id), ["R-0", "R-1", "R-3"])
            XCTAssertEqual(first.nextPageToken, "R-3")
            request.pageToken = first.nextPageToken
            let second = try await asPerson.list(request)
            XCTAssertEqual(second.objects.map(\.id), ["R-4"])
            XCTAssertEqual(second.nextPageToken, "")
        }
    }
}
