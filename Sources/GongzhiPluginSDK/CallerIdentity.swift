import GongzhiRPC

/// Who called, as the host established it: the host sets these on every call it routes to a plugin and
/// removes any the caller tried to set itself.
extension ServerCallContext {
    /// The caller as the host names it: `admin:uid=0`, `plugin:grid`, `client:<token id>`; nil when the call
    /// did not come through the host.
    public var caller: String? { requestMetadata["gongzhi-caller"] }

    /// True when the caller holds `gongzhi.host.v1.PersonalData/Read`. The host already removes the fields its
    /// schema marks sensitive from the plugin's answers for callers without it; this is for what a plugin does
    /// beyond its answers with personal data it reads (exports, files, messages to other systems).
    public var callerSeesPersonalData: Bool { requestMetadata["gongzhi-caller-personal-data"] == "true" }
}
