import GongzhiRPC

/// A method's call shape as the registration and admin messages carry it, and as the wire knows it.
extension Gongzhi_Host_V1_MethodDescription.Kind {
    public init(_ kind: RPCKind) {
        switch kind {
        case .unary: self = .unary
        case .clientStreaming: self = .clientStreaming
        case .serverStreaming: self = .serverStreaming
        case .bidirectionalStreaming: self = .bidirectionalStreaming
        }
    }

    /// The call shape on the wire; nil when the message does not say.
    public var rpcKind: RPCKind? {
        switch self {
        case .unary: .unary
        case .clientStreaming: .clientStreaming
        case .serverStreaming: .serverStreaming
        case .bidirectionalStreaming: .bidirectionalStreaming
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}
