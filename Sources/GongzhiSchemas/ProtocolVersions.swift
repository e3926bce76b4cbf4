/// The versions of the plugin protocol that this build speaks.
///
/// A plugin names the versions it speaks in its manifest and in `Plugin.Describe`; a host starts
/// only plugins that share one with it. The version names the framing (ttrpc 1.2 with streaming) and
/// the `gongzhi.plugin.v1` lifecycle service.
public enum ProtocolVersions {
    /// The version this build prefers.
    public static let current = "gongzhi.plugin.v1+ttrpc/1.2"
    /// Every version this build can speak, newest first.
    public static let supported: [String] = [current]
}
