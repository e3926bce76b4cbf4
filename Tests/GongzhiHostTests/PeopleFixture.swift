import Foundation
import GongzhiHost
import GongzhiRPC
import GongzhiSchemas
import SwiftProtobuf
import XCTest

/// An administrator of an in-process host writing places, people, roles and bindings through admin.sock's
/// Objects service, as `gongzhictl` does; and the channels people call with.
struct Administrator {
    let host: InProcessHost
    let objects: Gongzhi_Host_V1_ObjectsClient

    init(_ host: InProcessHost) {
        self.host = host
        self.objects = Gongzhi_Host_V1_ObjectsClient(channel: host.adminChannel())
    }

    /// The audit's name of the administrator this process is.
    static var principal: String { "admin:uid=\(getuid())" }

    static func object(
        _ kind: String,
        _ id: String,
        _ message: some SwiftProtobuf.Message
    ) throws -> Gongzhi_Host_V1_Object {
        object(kind, id, data: try message.serializedBytes())
    }

    static func object(_ kind: String, _ id: String, data: Data) -> Gongzhi_Host_V1_Object {
        var object = Gongzhi_Host_V1_Object()
        object.kind = kind
        object.id = id
        object.data = data
        return object
    }

    static func write(_ object: Gongzhi_Host_V1_Object) -> Gongzhi_Host_V1_Write {
        var write = Gongzhi_Host_V1_Write()
        write.create = object
        return write
    }

    static func deletion(_ kind: String, _ id: String) -> Gongzhi_Host_V1_Write {
        var write = Gongzhi_Host_V1_Write()
        write.delete.kind = kind
        write.delete.id = id
        return write
    }

    @discardableResult
    func create(
        _ kind: String,
        _ id: String,
        _ message: some SwiftProtobuf.Message
    ) async throws -> Gongzhi_Host_V1_Object {
        var request = Gongzhi_Host_V1_CreateRequest()
        request.object = try Self.object(kind, id, message)
        return try await objects.create(request)
    }

    @discardableResult
    func create(_ kind: String, _ id: String, data: Data) async throws -> Gongzhi_Host_V1_Object {
        var request = Gongzhi_Host_V1_CreateRequest()
        request.object = Self.object(kind, id, data: data)
        return try await objects.create(request)
    }

    @discardableResult
    func update(
        _ kind: String,
        _ id: String,
        _ message: some SwiftProtobuf.Message
    ) async throws -> Gongzhi_Host_V1_Object {
        try await update(kind, id, data: try message.serializedBytes())
    }

    @discardableResult
    func update(_ kind: String, _ id: String, data: Data) async throws -> Gongzhi_Host_V1_Object {
        var request = Gongzhi_Host_V1_UpdateRequest()
        request.object = Self.object(kind, id, data: data)
        return try await objects.update(request)
    }

    @discardableResult
    func delete(_ kind: String, _ id: String) async throws -> Int64 {
        var request = Gongzhi_Host_V1_DeleteRequest()
        request.kind = kind
        request.id = id
        return try await objects.delete(request).revision
    }

    @discardableResult
    func txn(_ writes: [Gongzhi_Host_V1_Write]) async throws -> Gongzhi_Host_V1_TxnResponse {
        var request = Gongzhi_Host_V1_TxnRequest()
        request.writes = writes
        return try await objects.txn(request)
    }

    /// The stored object, or nil when there is none.
    func stored(_ kind: String, _ id: String) async throws -> Gongzhi_Host_V1_Object? {
        var request = Gongzhi_Host_V1_GetRequest()
        request.kind = kind
        request.id = id
        do {
            return try await objects.get(request)
        } catch let error as RPCError where error.code == .notFound {
            return nil
        }
    }

    /// The stored object; the test fails when there is none.
    func require(
        _ kind: String,
        _ id: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> Gongzhi_Host_V1_Object {
        let object = try await stored(kind, id)
        return try XCTUnwrap(object, "\(kind)/\(id) is not stored", file: file, line: line)
    }

    /// The stored object's data as a `M`; the test fails when there is none.
    func message<M: SwiftProtobuf.Message>(
        _: M.Type,
        _ kind: String,
        _ id: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> M {
        try M(serializedBytes: try await require(kind, id, file: file, line: line).data)
    }

    /// The ids of every object of `kind`.
    func ids(_ kind: String) async throws -> [String] {
        var request = Gongzhi_Host_V1_ListRequest()
        request.kind = kind
        return try await objects.list(request).objects.map(\.id)
    }

    static func region(_ code: String, _ name: String) -> Gongzhi_Core_V1_Region {
        var region = Gongzhi_Core_V1_Region()
        region.code = code
        region.name = name
        switch code.count {
        case 6: region.level = .district
        case 9: region.level = .street
        default: region.level = .community
        }
        region.parentCode = code.count > 6 ? String(code.prefix(code.count - 3)) : ""
        return region
    }

    static func grid(_ code: String, _ name: String) -> Gongzhi_Core_V1_Grid {
        var grid = Gongzhi_Core_V1_Grid()
        grid.code = code
        grid.name = name
        grid.communityCode = String(code.prefix(12))
        return grid
    }

    static func person(_ id: String, _ name: String, phone: String = "") -> Gongzhi_Core_V1_Person {
        var person = Gongzhi_Core_V1_Person()
        person.id = id
        person.name = name
        person.phone = phone
        return person
    }

    static func binding(_ person: String, _ role: String, _ place: String) -> Gongzhi_Core_V1_RoleBinding {
        var binding = Gongzhi_Core_V1_RoleBinding()
        binding.personID = person
        binding.role = role
        binding.placeCode = place
        return binding
    }

    static func bindingID(_ person: String, _ role: String, _ place: String) -> String {
        "\(person).\(role).\(place)"
    }

    /// A place: a Region for a district, street or community code, a Grid for a grid code.
    func place(_ code: String, _ name: String) async throws {
        if code.count == 15 {
            try await create("Grid", code, Self.grid(code, name))
        } else {
            try await create("Region", code, Self.region(code, name))
        }
    }

    func person(_ id: String, _ name: String, phone: String = "") async throws {
        try await create("Person", id, Self.person(id, name, phone: phone))
    }

    func bind(_ person: String, _ role: String, _ place: String) async throws {
        try await create("RoleBinding", Self.bindingID(person, role, place), Self.binding(person, role, place))
    }

    func suspend(_ id: String, reason: String) async throws {
        var person = try await message(Gongzhi_Core_V1_Person.self, "Person", id)
        person.state = .suspended
        person.suspendedReason = reason
        try await update("Person", id, person)
    }

    /// The district 330199 with street 330199001, its community 330199001001 and that community's grids
    /// 330199001001001 and 330199001001002, and a second street 330199002 with community 330199002001 and grid
    /// 330199002001001.
    func smallDistrict() async throws {
        try await place("330199", "示范区")
        try await place("330199001", "东街道")
        try await place("330199001001", "东一社区")
        try await place("330199001001001", "东一社区第一网格")
        try await place("330199001001002", "东一社区第二网格")
        try await place("330199002", "西街道")
        try await place("330199002001", "西一社区")
        try await place("330199002001001", "西一社区第一网格")
    }

    // MARK: People's channels

    /// A channel as `person` calling host.sock with a token of theirs.
    func personChannel(_ person: String, lifetime: Duration = .seconds(3600)) throws -> any RPCClientChannel {
        host.hostChannel(token: try host.issuePersonToken(person: person, lifetime: lifetime))
    }

    /// A channel as this administrator acting for `person` on admin.sock.
    func actingFor(_ person: String) -> any RPCClientChannel {
        host.adminChannel().addingMetadata([CallerMetadataKey.actAs: person])
    }
}

/// The id of an issued token: what follows `gzt_`, up to the next `_`.
func tokenID(_ token: String) -> String {
    String(token.dropFirst(4).prefix { $0 != "_" })
}

extension Gongzhi_Host_V1_ObjectsClient {
    func get(_ kind: String, _ id: String) async throws -> Gongzhi_Host_V1_Object {
        var request = Gongzhi_Host_V1_GetRequest()
        request.kind = kind
        request.id = id
        return try await get(request)
    }

    /// Every object of `kind`, following the page tokens to the end with pages of `pageSize`.
    func listAll(_ kind: String, pageSize: UInt32 = 0) async throws -> (objects: [Gongzhi_Host_V1_Object], pages: Int) {
        var request = Gongzhi_Host_V1_ListRequest()
        request.kind = kind
        request.pageSize = pageSize
        var objects: [Gongzhi_Host_V1_Object] = []
        var pages = 0
        while true {
            let page = try await list(request)
            pages += 1
            objects += page.objects
            if page.nextPageToken.isEmpty { return (objects, pages) }
            request.pageToken = page.nextPageToken
        }
    }
}
