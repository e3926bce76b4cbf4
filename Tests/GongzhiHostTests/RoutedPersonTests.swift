import Foundation
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import SwiftProtobuf
import Synchronization
import XCTest

@testable import GongzhiHost

/// A person's call routed to a plugin: the plugin is told who the verified person is, by which roles and where
/// they may call the method (and nothing a caller sent under the host's keys); and the answer comes back without
/// the messages that lie outside their places, refused when it lies outside itself, and with personal data only
/// where their roles show it.
final class RoutedPersonTests: XCTestCase {
    typealias A = Administrator
    static let service = "placetest.v1.Places"

    /// placetest.v1: Query { code = 1 }, Spot { code = 1 [place]; phone = 2 [sensitive] },
    /// Area { code = 1 [place]; repeated Spot spots = 2 }; service Places { Area(Query) → Area; Spot(Query) → Spot }.
    static func descriptors() throws -> Data {
        typealias D = TestDescriptors
        func place(_ name: String, _ number: Int32) -> Google_Protobuf_FieldDescriptorProto {
            var field = D.field(name, number, .string)
            field.options.Gongzhi_Core_V1_place = true
            return field
        }
        func message(
            _ name: String,
            _ fields: [Google_Protobuf_FieldDescriptorProto]
        ) -> Google_Protobuf_DescriptorProto {
            var message = Google_Protobuf_DescriptorProto()
            message.name = name
            message.field = fields
            return message
        }
        func method(_ name: String, output: String) -> Google_Protobuf_MethodDescriptorProto {
            var method = Google_Protobuf_MethodDescriptorProto()
            method.name = name
            method.inputType = ".placetest.v1.Query"
            method.outputType = ".placetest.v1.\(output)"
            return method
        }
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "placetest/v1/places.proto"
        file.package = "placetest.v1"
        file.syntax = "proto3"
        file.messageType = [
            message("Query", [D.field("code", 1, .string)]),
            message("Spot", [place("code", 1), D.field("phone", 2, .string, sensitive: true)]),
            message(
                "Area",
                [place("code", 1), D.field("spots", 2, .message, repeated: true, typeName: ".placetest.v1.Spot")]
            ),
        ]
        var service = Google_Protobuf_ServiceDescriptorProto()
        service.name = "Places"
        service.method = [method("Area", output: "Area"), method("Spot", output: "Spot")]
        file.service = [service]
        var set = Google_Protobuf_FileDescriptorSet()
        set.file = [file]
        return try set.serializedBytes()
    }

    // Wire bytes of the test messages.
    static func string(_ number: UInt8, _ text: String) -> Data {
        Data([number << 3 | 2, UInt8(text.utf8.count)] + Array(text.utf8))
    }

    static func spot(_ code: String, phone: String = "") -> Data {
        string(1, code) + (phone.isEmpty ? Data() : string(2, phone))
    }

    static func area(_ code: String, _ spots: [Data]) -> Data {
        spots.reduce(string(1, code)) { $0 + Data([2 << 3 | 2, UInt8($1.count)]) + $1 }
    }

    static let inside = spot("330199001001001", phone: "13900000001")
    static let outside = spot("330199002001001", phone: "13900000002")

    /// The plugin: `Area` answers an area of community 330199001001 holding a spot inside it and one of the
    /// second street; `Spot` answers a spot at the code asked for. It keeps the metadata of every call.
    struct Places: RPCService {
        final class Calls: Sendable {
            let metadata = Mutex<[Metadata]>([])
        }

        let calls = Calls()
        let descriptors: Data

        var serviceName: String { RoutedPersonTests.service }
        var fileDescriptorSet: RPCFileDescriptorSet? { RPCFileDescriptorSet(bytes: descriptors) }

        var methodHandlers: [String: RPCMethodHandler] {
            [
                "Area": RPCMethodHandler(unary: { _, context in
                    calls.metadata.withLock { $0.append(context.requestMetadata) }
                    return RoutedPersonTests.area(
                        "330199001001",
                        [RoutedPersonTests.inside, RoutedPersonTests.outside]
                    )
                }),
                "Spot": RPCMethodHandler(unary: { payload, context in
                    calls.metadata.withLock { $0.append(context.requestMetadata) }
                    // The query is a Query { code = 1 }: the same bytes as a Spot with that code.
                    return payload
                }),
            ]
        }
    }

    private func world(_ host: InProcessHost) async throws -> Places {
        let admin = A(host)
        try await admin.smallDistrict()
        for (name, personalData) in [("spotter", true), ("spot-viewer", false)] {
            var role = RoleDefinitionTests.role(name, [RoleDefinitionTests.rule(methods: ["\(Self.service)/*"])])
            role.personalData = personalData
            try await admin.create("Role", name, role)
        }
        try await admin.person("hu-wei", "胡伟")
        try await admin.bind("hu-wei", "spotter", "330199001001")
        try await admin.bind("hu-wei", "viewer", "330199002")
        try await admin.person("li-na", "李娜")
        try await admin.bind("li-na", "spot-viewer", "330199")
        let places = Places(descriptors: try Self.descriptors())
        _ = try host.admit(plugin: "places", services: [Self.service], requestedGrants: [])
        try host.register(plugin: "places", services: [places])
        return places
    }

    private func call(
        _ channel: any RPCClientChannel,
        _ method: String,
        code: String = ""
    ) async throws -> (payload: Data, metadata: Metadata) {
        let response = try await channel.unary(
            service: Self.service,
            method: method,
            payload: code.isEmpty ? Data() : Self.string(1, code),
            options: .defaults
        )
        return (response.payload, response.metadata)
    }

    func testThePluginIsToldWhoTheVerifiedPersonIsAndWhereTheyMayCall() async throws {
        try await withInProcessHost { host in
            let places = try await world(host)
            let admin = A(host)
            // What a caller sends under the host's keys does not reach the plugin; its own entries do.
            let spoofed: Metadata = [
                CallerMetadataKey.person: "li-na", CallerMetadataKey.personPlaces: "*", "x-request-id": "r-1",
            ]
            _ = try await call(try admin.personChannel("hu-wei").addingMetadata(spoofed), "Area")
            _ = try await call(admin.actingFor("hu-wei"), "Area")
            _ = try await call(try admin.personChannel("li-na"), "Area")
            let calls = places.calls.metadata.withLock { $0 }
            XCTAssertEqual(calls.count, 3)

            let own = calls[0]
            XCTAssertEqual(own[CallerMetadataKey.caller], "person:hu-wei")
            XCTAssertEqual(own[CallerMetadataKey.callerKind], "person")
            XCTAssertEqual(own.values(for: CallerMetadataKey.person), ["hu-wei"])
            XCTAssertEqual(own[CallerMetadataKey.personName], "胡伟")
            XCTAssertEqual(own[CallerMetadataKey.personRoles], "spotter", "only the roles that allow the method")
            XCTAssertEqual(own.values(for: CallerMetadataKey.personPlaces), ["330199001001"])
            XCTAssertEqual(own[CallerMetadataKey.personPersonalDataPlaces], "330199001001")
            XCTAssertEqual(own[CallerMetadataKey.personalData], "true")
            XCTAssertNil(own[CallerMetadataKey.actingFor])
            XCTAssertEqual(own["x-request-id"], "r-1")
            XCTAssertNil(own[CallerMetadata.token], "the person's token stays with the host")

            let acting = calls[1]
            XCTAssertEqual(acting[CallerMetadataKey.caller], "\(A.principal) as person:hu-wei")
            XCTAssertEqual(acting[CallerMetadataKey.callerKind], "person")
            XCTAssertEqual(acting[CallerMetadataKey.person], "hu-wei")
            XCTAssertEqual(acting[CallerMetadataKey.actingFor], A.principal)
            XCTAssertNil(acting[CallerMetadataKey.actAs])

            let viewer = calls[2]
            XCTAssertEqual(viewer[CallerMetadataKey.person], "li-na")
            XCTAssertEqual(viewer[CallerMetadataKey.personRoles], "spot-viewer")
            XCTAssertEqual(viewer[CallerMetadataKey.personPlaces], "330199")
            XCTAssertEqual(viewer[CallerMetadataKey.personPersonalDataPlaces], "")
            XCTAssertEqual(viewer[CallerMetadataKey.personalData], "false")
        }
    }

    func testAnAnswerKeepsOnlyWhatLiesWithinThePersonsPlaces() async throws {
        try await withInProcessHost { host in
            _ = try await world(host)
            let admin = A(host)
            let whole = Self.area("330199001001", [Self.inside, Self.outside])

            // Administrators are not held to places.
            let administrator = try await call(host.adminChannel(), "Area")
            XCTAssertEqual(administrator.payload, whole)

            let huWei = try admin.personChannel("hu-wei")
            let liNa = try admin.personChannel("li-na")

            // 胡伟 holds the community: the second street's spot is removed; the rest shows personal data, audited.
            var start = host.auditSequence
            let own = try await call(huWei, "Area")
            XCTAssertEqual(own.payload, Self.area("330199001001", [Self.inside]))
            XCTAssertNil(own.metadata[AnswerPrivacy.redactedMetadataKey])
            var records = host.audit(after: start)
            XCTAssertEqual(records.map(\.outcome), ["personal-data"])
            XCTAssertEqual(records.map(\.principal), ["person:hu-wei"])
            XCTAssertEqual(
                records.first?.detail,
                "shown spots.phone in a placetest.v1.Area; shown by role spotter in 330199001001"
            )

            // 李娜 holds the district without personal data: everything, without the phones.
            start = host.auditSequence
            let viewer = try await call(liNa, "Area")
            XCTAssertEqual(
                viewer.payload,
                Self.area("330199001001", [Self.spot("330199001001001"), Self.spot("330199002001001")])
            )
            XCTAssertEqual(viewer.metadata[AnswerPrivacy.redactedMetadataKey], "spots.phone")
            XCTAssertEqual(host.audit(after: start), [])

            // An answer that itself lies outside is refused, and the refusal audited.
            start = host.auditSequence
            let inside = try await call(huWei, "Spot", code: "330199001001002")
            XCTAssertEqual(inside.payload, Self.spot("330199001001002"))
            let refused = await expectRefusal(.permissionDenied) {
                _ = try await self.call(huWei, "Spot", code: "330199002001001")
            }
            let message =
                "the answer of placetest.v1.Places/Spot lies in 330199002001001, outside the places where person "
                + "hu-wei's roles (spotter) allow it (330199001001)"
            XCTAssertEqual(refused?.message, message)
            records = host.audit(after: start)
            XCTAssertEqual(records.map(\.outcome), ["denied"])
            XCTAssertEqual(records.map(\.target), ["plugin:places"])
            XCTAssertEqual(records.map(\.detail), [message])
            // An answer with no place lies outside anyone's places but a district's.
            await expectRefusal(.permissionDenied) { _ = try await self.call(huWei, "Spot") }
            let noPlace = try await call(liNa, "Spot")
            XCTAssertEqual(noPlace.payload, Data())
        }
    }

    func testAPersonCallsOnlyTheMethodsTheirRolesAllow() async throws {
        try await withInProcessHost { host in
            _ = try await world(host)
            let admin = A(host)
            try await admin.person("wang-fang", "王芳")
            try await admin.bind("wang-fang", "viewer", "330199")
            let wangFang = try admin.personChannel("wang-fang")
            let start = host.auditSequence
            let refused = await expectRefusal(.permissionDenied) { _ = try await self.call(wangFang, "Area") }
            let message =
                "person wang-fang may not call placetest.v1.Places/Area: none of their roles allows it (they hold: "
                + "只读 (viewer) in 330199); an administrator binds them to a role that does"
            XCTAssertEqual(refused?.message, message)
            let records = host.audit(after: start)
            XCTAssertEqual(records.map(\.principal), ["person:wang-fang"])
            XCTAssertEqual(records.map(\.action), ["placetest.v1.Places/Area"])
            XCTAssertEqual(records.map(\.detail), [message])
        }
    }
}
