import GongzhiRPC

/// Who called, as the host established it: the host sets these on every call it routes to a plugin and
/// removes any the caller tried to set itself.
extension ServerCallContext {
    /// The caller as the host names it: `admin:uid=0`, `plugin:grid`, `client:<token id>`; nil when the call
    /// did not come through the host.
    public var caller: String? { requestMetadata["gongzhi-caller"] }

    /// True when the caller holds `gongzhi.host.v1.PersonalData/Read`. A plugin that holds that grant itself
    /// (and so reads sensitive fields from the host) must pass them on only to callers for whom this is true.
    public var callerSeesPersonalData: Bool { requestMetadata["gongzhi-caller-personal-data"] == "true" }
}
