import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How wide a call is: the seats it asks for while it runs (Kubernetes' "width" of a request). A List of many
/// objects costs more than a Get; the level caps any call at its `max_seats_per_call`.
enum CallCost {
    /// Objects one seat of a List stands for.
    static let objectsPerSeat = 1000

    /// The width of a call to `service`/`method` with the request `payload`: `ceil(page_size / 1000)` for an
    /// Objects List (its default page size when unset), 1 for any other call. Only a List's request is read.
    static func width(service: String, method: String, payload: Data) -> Int {
        guard service == Gongzhi_Host_V1_Objects.serviceName, method == Gongzhi_Host_V1_Objects.Method.list,
            let request = try? Gongzhi_Host_V1_ListRequest(serializedBytes: payload)
        else { return 1 }
        let pageSize = request.pageSize == 0 ? ObjectsService.defaultPageSize : Int(request.pageSize)
        return max(1, (pageSize + objectsPerSeat - 1) / objectsPerSeat)
    }
}
