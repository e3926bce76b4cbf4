import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A channel that names the person every call is made for (`gongzhi-act-as`, from `--as`), except
/// gongzhictl's own look-ups of the host's kinds and services, which it makes as the caller itself (they
/// tell gongzhictl how to read and write messages, and are no work done for the person).
struct ActingChannel: RPCClientChannel {
    /// The look-ups made without the person: `service/method`.
    static let lookups: Set<String> = [
        "\(Gongzhi_Host_V1_Objects.serviceName)/\(Gongzhi_Host_V1_Objects.Method.listKinds)",
        "\(Gongzhi_Host_V1_Admin.serviceName)/\(Gongzhi_Host_V1_Admin.Method.listServices)",
    ]

    let base: any RPCClientChannel
    /// The person's id.
    let person: String

    private func options(_ options: CallOptions, service: String, method: String) -> CallOptions {
        guard !Self.lookups.contains("\(service)/\(method)") else { return options }
        var options = options
        options.metadata[CallerMetadataKey.actAs] = person
        return options
    }

    func unary(service: String, method: String, payload: Data, options: CallOptions) async throws -> RawResponse {
        try await base.unary(
            service: service,
            method: method,
            payload: payload,
            options: self.options(options, service: service, method: method)
        )
    }

    func openStream(
        service: String,
        method: String,
        kind: RPCKind,
        payload: Data,
        options: CallOptions
    ) async throws -> any RPCClientStream {
        try await base.openStream(
            service: service,
            method: method,
            kind: kind,
            payload: payload,
            options: self.options(options, service: service, method: method)
        )
    }
}
