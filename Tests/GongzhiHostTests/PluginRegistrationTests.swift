import GongzhiRPC
import GongzhiSchemas
import XCTest

@testable import GongzhiHost

/// A plugin's registration: read from the wire, checked on its own, and checked against a manifest.
final class PluginRegistrationTests: XCTestCase {
    private let socket = "/run/gongzhi/plugins/grid.sock"

    private func registration(
        version: String = "1.2.0",
        protocolVersion: String = PluginProtocol.current,
        socketPath: String? = nil,
        services: [String: [String: RPCKind]] = [
            "gongzhi.grid.v1.GridService": ["Locate": .unary, "WatchCases": .serverStreaming]
        ]
    ) -> PluginRegistration {
        PluginRegistration(
            name: "grid",
            version: version,
            protocolVersion: protocolVersion,
            socketPath: socketPath ?? socket,
            services: services.sorted { $0.key < $1.key }.map { service in
                PluginRegistration.Service(
                    name: service.key,
                    methods: service.value.mapValues { PluginRegistration.Method(kind: $0) }
                )
            }
        )
    }

    private let manifest = PluginManifest(
        path: "/opt/gongzhi/plugins/grid.plugin.toml",
        name: "grid",
        version: "1.2.0",
        description: "grid management",
        executable: "/opt/gongzhi/plugins/bin/gongzhi-grid",
        sha256: String(repeating: "ab", count: 32),
        protocolVersions: [PluginProtocol.current],
        services: ["gongzhi.grid.v1.GridService"],
        requestedGrants: []
    )

    /// The error `body` throws, if any.
    private func error(_ body: () throws -> Void) -> RPCError? {
        do {
            try body()
            return nil
        } catch let error as RPCError {
            return error
        } catch {
            XCTFail("\(error) is not an RPCError")
            return nil
        }
    }

    // MARK: From the wire

    func testTheWireRequestBecomesServicesWithTheirCallShapes() throws {
        var request = Gongzhi_Host_V1_RegisterRequest()
        request.name = "grid"
        request.version = "1.2.0"
        request.protocolVersion = PluginProtocol.current
        request.socketPath = socket
        var service = Gongzhi_Host_V1_ServiceDescription()
        service.name = "gongzhi.grid.v1.GridService"
        let shapes: [(String, Gongzhi_Host_V1_MethodDescription.Kind)] = [
            ("Locate", .unary), ("Upload", .clientStreaming), ("WatchCases", .serverStreaming),
            ("Chat", .bidirectionalStreaming),
        ]
        for (name, kind) in shapes {
            var method = Gongzhi_Host_V1_MethodDescription()
            method.name = name
            method.kind = kind
            service.methods.append(method)
        }
        request.services = [service]

        let converted = try PluginRegistration(request)
        XCTAssertEqual(
            converted,
            registration(services: [
                "gongzhi.grid.v1.GridService": [
                    "Locate": .unary, "Upload": .clientStreaming, "WatchCases": .serverStreaming,
                    "Chat": .bidirectionalStreaming,
                ]
            ])
        )
    }

    func testDescriptorsBecomeEachServicesSchemaAndTheirAbsenceIsNoted() throws {
        let described = RPCFileDescriptorSet(base64: Gongzhi_Host_V1_Admin.fileDescriptorSetBase64)!.bytes
        var request = Gongzhi_Host_V1_RegisterRequest()
        request.name = "grid"
        var service = Gongzhi_Host_V1_ServiceDescription()
        service.name = "gongzhi.host.v1.Admin"
        var method = Gongzhi_Host_V1_MethodDescription()
        method.name = "Status"
        method.kind = .unary
        service.methods = [method]
        request.services = [service]

        let bare = try PluginRegistration(request)
        XCTAssertNil(bare.services.first?.schema)
        XCTAssertEqual(
            bare.descriptorsNote,
            "; no descriptors for gongzhi.host.v1.Admin: their answers are not checked for personal data"
        )

        request.fileDescriptorSet = described
        let full = try PluginRegistration(request)
        XCTAssertEqual(full.services.first?.schema?.methods["Status"]?.outputType, "gongzhi.host.v1.HostStatus")
        XCTAssertEqual(full.descriptorsNote, "")

        // Descriptors that contradict the registration are refused, naming the plugin.
        method.kind = .serverStreaming
        request.services[0].methods = [method]
        let refusal = error { _ = try PluginRegistration(request) }
        XCTAssertEqual(refusal?.code, .invalidArgument)
        XCTAssertEqual(
            refusal?.message,
            "plugin grid's registration: gongzhi.host.v1.Admin/Status is registered as serverStreaming but its "
                + "descriptor says unary"
        )
    }

    func testAMethodWithoutACallShapeIsRefused() {
        var request = Gongzhi_Host_V1_RegisterRequest()
        request.name = "grid"
        var service = Gongzhi_Host_V1_ServiceDescription()
        service.name = "gongzhi.grid.v1.GridService"
        var method = Gongzhi_Host_V1_MethodDescription()
        method.name = "Locate"
        service.methods = [method]
        request.services = [service]

        let refusal = error { _ = try PluginRegistration(request) }
        XCTAssertEqual(refusal?.code, .invalidArgument)
        XCTAssertEqual(refusal?.message, "gongzhi.grid.v1.GridService/Locate has no call shape (kind); set it")
    }

    // MARK: On its own

    func testWellFormedServicesPass() {
        XCTAssertNil(error { try registration().checkServices() })
    }

    func testServicesMustBeQualifiedListMethodsAndNotBeTheHosts() {
        let cases: [(services: [String: [String: RPCKind]], message: String)] = [
            (["GridService": ["Locate": .unary]], "\"GridService\" is not a fully qualified service name"),
            (["": ["Locate": .unary]], "\"\" is not a fully qualified service name"),
            (["gongzhi.grid.v1.GridService": [:]], "service gongzhi.grid.v1.GridService lists no methods"),
            (
                ["gongzhi.host.v1.Objects": ["Get": .unary]],
                "gongzhi.host.v1.Objects is in gongzhi.host.*, which belongs to the host; a plugin cannot serve it"
            ),
            (
                ["gongzhi.plugin.v1.Plugin": ["Health": .unary]],
                "gongzhi.plugin.v1.Plugin is in gongzhi.plugin.*, which belongs to the host; a plugin cannot serve it"
            ),
        ]
        for (services, message) in cases {
            let refusal = error { try registration(services: services).checkServices() }
            XCTAssertEqual(refusal?.code, .invalidArgument, message)
            XCTAssertEqual(refusal?.message, message)
        }
    }

    // MARK: Against the manifest

    func testARegistrationThatMatchesItsManifestPasses() {
        XCTAssertNil(error { try registration().check(against: manifest, socketPath: socket) })
    }

    func testEveryDifferenceFromTheManifestIsNamed() throws {
        let mismatched = registration(
            version: "1.3.0",
            protocolVersion: "gongzhi-plugin/9",
            socketPath: "/tmp/elsewhere.sock",
            services: ["gongzhi.grid.v1.GridAdmin": ["Reload": .unary]]
        )
        let refusal = try XCTUnwrap(error { try mismatched.check(against: manifest, socketPath: socket) })
        XCTAssertEqual(refusal.code, .failedPrecondition)
        let problems = [
            "version 1.3.0 differs from the manifest's 1.2.0",
            "protocol gongzhi-plugin/9 is not one both speak (manifest: gongzhi-plugin/1; host: gongzhi-plugin/1)",
            "it serves /tmp/elsewhere.sock, not the socket the host gave it (\(socket))",
            "its services differ from the manifest's; missing: gongzhi.grid.v1.GridService; "
                + "not in the manifest: gongzhi.grid.v1.GridAdmin",
        ]
        XCTAssertEqual(
            refusal.message,
            "registration of plugin grid does not match its manifest /opt/gongzhi/plugins/grid.plugin.toml: "
                + problems.joined(separator: "; ")
        )
    }

    func testAProtocolTheManifestListsButTheHostDoesNotSpeakIsRefused() throws {
        var newer = manifest
        newer.protocolVersions = [PluginProtocol.current, "gongzhi-plugin/2"]
        let refusal = try XCTUnwrap(
            error { try registration(protocolVersion: "gongzhi-plugin/2").check(against: newer, socketPath: socket) }
        )
        XCTAssertTrue(refusal.message.contains("protocol gongzhi-plugin/2 is not one both speak"), refusal.message)
    }
}
