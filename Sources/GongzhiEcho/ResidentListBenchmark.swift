import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Measures listings of a host's Residents (`gongzhi.host.v1.Objects/List` of kind Resident), one at a time on one
/// connection: each listing asks for pages of `pageSize` and follows the page tokens to the end (or stops after
/// `pages` pages), and its time is that of all its calls. For the people benchmark: the same listing as an
/// administrator on admin.sock and as a person on host.sock, whose list the host keeps to their places.
public enum ResidentListBenchmark {
    /// The method measured, as the result names it.
    public static let method = "gongzhi.host.v1.Objects/List"

    /// What one listing returned.
    struct Listing {
        var objects: [Gongzhi_Host_V1_Object] = []
        var pages = 0
        var bytes = 0
    }

    /// Makes `warmup` unmeasured listings and one that tells what the answers look like on this path, then `calls`
    /// measured ones. Every listing must return exactly `expect` Residents, with distinct ids, each with a
    /// `grid_code` that starts with `within` (when given), and show their phones and ID numbers as the first one
    /// did: all of them or none (withheld and named in `redacted_fields`).
    public static func run(
        channel: any RPCClientChannel,
        pageSize: Int,
        pages: Int?,
        expect: Int,
        within: String?,
        calls: Int,
        warmup: Int
    ) async throws -> EchoBenchmark.Result {
        precondition(pageSize > 0, "the list benchmark needs a positive page size")
        let client = Gongzhi_Host_V1_ObjectsClient(channel: channel)
        var request = Gongzhi_Host_V1_ListRequest()
        request.kind = "Resident"
        request.pageSize = UInt32(pageSize)

        let first = try await list(client, request, pages: pages, measureBytes: true)
        let shown = try showsPersonalData(first, expect: expect, within: within, likeTheFirst: nil)
        for _ in 0..<warmup {
            _ = try showsPersonalData(
                try await list(client, request, pages: pages),
                expect: expect,
                within: within,
                likeTheFirst: shown
            )
        }
        let clock = ContinuousClock()
        let cpuBefore = EchoBenchmark.processCPUSeconds()
        var latencies: [Double] = []
        latencies.reserveCapacity(calls)
        var busy = Duration.zero
        for _ in 0..<calls {
            let start = clock.now
            let listing = try await list(client, request, pages: pages)
            let elapsed = clock.now - start
            busy += elapsed
            latencies.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
            // Checked between listings, outside the measured time: the check reads every object's data.
            _ = try showsPersonalData(listing, expect: expect, within: within, likeTheFirst: shown)
        }
        let cpu = EchoBenchmark.processCPUSeconds() - cpuBefore
        latencies.sort()
        let seconds = Double(busy.components.seconds) + Double(busy.components.attoseconds) / 1e18
        var result = EchoBenchmark.Result(
            impl: "gongzhi",
            payload: try request.serializedData().count,
            concurrency: 1,
            connections: 1,
            calls: calls,
            p50_us: EchoBenchmark.percentile(latencies, 0.50),
            p99_us: EchoBenchmark.percentile(latencies, 0.99),
            calls_per_sec: seconds > 0 ? Double(calls) / seconds : 0,
            client_cpu_seconds: cpu,
            method: method,
            response_bytes: first.bytes,
            sensitive_shown: shown
        )
        result.objects = first.objects.count
        result.pages = first.pages
        return result
    }

    /// One listing: pages until the host gives no next page token, or `pages` pages.
    static func list(
        _ client: Gongzhi_Host_V1_ObjectsClient,
        _ request: Gongzhi_Host_V1_ListRequest,
        pages: Int?,
        measureBytes: Bool = false
    ) async throws -> Listing {
        var listing = Listing()
        var request = request
        while true {
            let page = try await client.list(request)
            listing.pages += 1
            if measureBytes { listing.bytes += try page.serializedData().count }
            listing.objects += page.objects
            if page.nextPageToken.isEmpty || listing.pages == pages { return listing }
            request.pageToken = page.nextPageToken
        }
    }

    /// Whether the listing shows the Residents' phones and ID numbers; throws when it does not hold exactly
    /// `expect` distinct Residents (within `within`), shows the personal data of some of them only, or shows it
    /// otherwise than the first listing did.
    static func showsPersonalData(
        _ listing: Listing,
        expect: Int,
        within: String?,
        likeTheFirst first: Bool?
    ) throws -> Bool {
        let objects = listing.objects
        guard objects.count == expect else {
            throw RPCError(
                code: .dataLoss,
                message: "the listing returned \(objects.count) Residents in \(listing.pages) pages, not \(expect)"
            )
        }
        guard Set(objects.map(\.id)).count == objects.count else {
            throw RPCError(code: .dataLoss, message: "the listing returned a Resident twice")
        }
        var showing = 0
        var hiding = 0
        for object in objects {
            guard object.kind == "Resident" else {
                throw RPCError(code: .dataLoss, message: "the listing returned a \(object.kind), not a Resident")
            }
            let resident = try Gongzhi_Core_V1_Resident(serializedBytes: object.data)
            if let within, !resident.gridCode.hasPrefix(within) {
                throw RPCError(
                    code: .dataLoss,
                    message: "Resident/\(object.id) lies in \(resident.gridCode), outside \(within)"
                )
            }
            if !resident.phone.isEmpty && !resident.idCardNumber.isEmpty && object.redactedFields.isEmpty {
                showing += 1
            } else if resident.phone.isEmpty && resident.idCardNumber.isEmpty && !object.redactedFields.isEmpty {
                hiding += 1
            }
        }
        guard showing == expect || hiding == expect else {
            throw RPCError(
                code: .dataLoss,
                message: "the listing showed the phone and ID number of \(showing) of \(expect) Residents and "
                    + "withheld both of \(hiding); every listing on one path should show them all or none"
            )
        }
        let shown = showing == expect
        if let first, first != shown {
            throw RPCError(
                code: .dataLoss,
                message: "a listing \(shown ? "showed" : "withheld") the personal data that the first listing "
                    + "\(first ? "showed" : "withheld")"
            )
        }
        return shown
    }
}
