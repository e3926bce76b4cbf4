import GongzhiObjects
import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `gongzhi.host.v1.People` for one caller: who the host takes them to be, and what their roles allow where.
struct IdentityCall: Gongzhi_Host_V1_PeopleHandler {
    let principal: Principal
    let access: PersonAccess?
    let token: IssuedTokenRecord?
    /// The objects service, for the names of places.
    let objects: ObjectsService?

    func whoAmI(
        request: Gongzhi_Host_V1_WhoAmIRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Host_V1_WhoAmIResponse {
        var response = Gongzhi_Host_V1_WhoAmIResponse()
        response.principal = principal.description
        response.kind = principal.kind
        if let token {
            response.tokenID = token.id
            response.tokenExpiresAtMs = token.expiresAtMilliseconds
        }
        guard let access else { return response }
        var person = access.person
        // The phone is theirs, but shown only where their roles show personal data of people.
        if !access.personalDataScope(kind: PeopleDirectory.personKind).covers("") {
            person.phone = ""
        }
        response.person = person
        for binding in access.bindings {
            var grant = Gongzhi_Host_V1_Grant()
            grant.role = binding.role.name
            grant.roleTitle = binding.role.title
            grant.placeCode = binding.place
            grant.placeName = await placeName(binding.place)
            grant.personalData = binding.role.personalData
            grant.rules = binding.role.message.rules
            response.grants.append(grant)
        }
        return response
    }

    private func placeName(_ code: String) async -> String {
        guard let objects, let level = PlaceLevel(code: code) else { return "" }
        let kind = level == .grid ? "Grid" : "Region"
        guard let stored = try? await objects.storage.get(kind: kind, id: code) else { return "" }
        if level == .grid {
            return (try? Gongzhi_Core_V1_Grid(serializedBytes: stored.data))?.name ?? ""
        }
        return (try? Gongzhi_Core_V1_Region(serializedBytes: stored.data))?.name ?? ""
    }
}
