import GongzhiDocuments
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Invocation {
    /// Calls the host's Objects service with one client for the whole command (a command that lists the
    /// kinds and then reads, or applies thousands of objects, shares one connection), closed afterwards, on
    /// the command's socket (``socketPath``). Any failure becomes a `ControlError`.
    public func withObjects<Result: Sendable>(
        _ body: (Gongzhi_Host_V1_ObjectsClient) async throws -> Result
    ) async throws -> Result {
        try await connected(try route.get(), reading: .objects) { channel in
            try await body(Gongzhi_Host_V1_ObjectsClient(channel: channel))
        }
    }

    /// Options of a call that is answered at once.
    public var callOptions: CallOptions { CallOptions(timeout: Invocation.callTimeout) }

    /// Creates `message` as the object `kind`/`id` and prints what the host stored: `human` for people, the
    /// object's document for -o json and yaml (what `people add`, `people bind` and `roles add` do).
    func create(
        _ message: some SwiftProtobuf.Message,
        as kind: ObjectKind,
        id: String,
        human: @escaping () -> String
    ) async throws {
        let object = Gongzhi_Host_V1_Object.with {
            $0.kind = kind.name
            $0.id = id
            $0.data = (try? message.serializedBytes()) ?? Data()
        }
        let created = try await withObjects { objects in
            try await objects.create(.with { $0.object = object }, options: callOptions)
        }
        printObjects(human: { _ in human() }, document: { ObjectDocument.json(created, kind: kind) })
    }

    /// Prints objects' documents, or their human view.
    public func printObjects(human: (TimeStyle) -> String, document: () -> JSONValue) {
        switch format {
        case .table: context.writeOutput(human(context.time()))
        case .json: context.writeOutput(JSONText.pretty(document()) + "\n")
        case .yaml: context.writeOutput(YAMLText.document(document()))
        }
    }
}

extension ControlError {
    /// The one line and exit status for a failed call of the Objects service.
    ///
    /// As for the Admin service, except that PERMISSION_DENIED is not only the admin_uids check: the host
    /// also refuses writes of a kind a plugin owns, so its message is shown as it is.
    public init(
        objectCall socketPath: String,
        failedWith error: any Error,
        uid: UInt32 = getuid(),
        probe: (String) -> SocketProbe = SocketProbe.probe
    ) {
        if let error = error as? ControlError {
            self = error
            return
        }
        let rpc = RPCError(wrapping: error)
        switch rpc.code {
        case .permissionDenied, .unauthenticated:
            self.init(
                "permission denied: \(rpc.message.isEmpty ? "the host answered \(rpc.code)" : rpc.message)",
                exitCode: ControlExitCode.permissionDenied
            )
        default:
            self.init(calling: socketPath, failedWith: error, uid: uid, probe: probe)
        }
    }

    /// A host refusal about one object or document, with its place first; an unreachable host stays as it is.
    public func at(_ place: String) -> ControlError {
        guard exitCode != ControlExitCode.unreachable else { return self }
        return ControlError("\(place): \(message)", exitCode: exitCode)
    }
}
