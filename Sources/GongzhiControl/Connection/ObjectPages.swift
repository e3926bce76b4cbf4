import GongzhiRPC
import GongzhiSchemas

/// Reads every page of a kind's objects.
enum ObjectPages {
    /// How many objects one List page asks for.
    static let pageSize: UInt32 = 500

    static func all(
        kind: String,
        objects: Gongzhi_Host_V1_ObjectsClient,
        options: CallOptions
    ) async throws -> [Gongzhi_Host_V1_Object] {
        var found: [Gongzhi_Host_V1_Object] = []
        var token = ""
        repeat {
            let page = try await objects.list(
                .with {
                    $0.kind = kind
                    $0.pageSize = pageSize
                    $0.pageToken = token
                },
                options: options
            )
            found += page.objects
            token = page.nextPageToken
        } while !token.isEmpty
        return found
    }
}
