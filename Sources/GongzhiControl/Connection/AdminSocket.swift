/// Where the host's admin socket is.
public enum AdminSocket {
    /// The production path, where the host's systemd unit puts it.
    public static let defaultPath = "/run/gongzhi/admin.sock"
    /// The environment variable that names another path.
    public static let environmentVariable = "GONGZHI_ADMIN_SOCKET"

    /// `--socket PATH` if given, else `GONGZHI_ADMIN_SOCKET` if set and not empty, else `/run/gongzhi/admin.sock`.
    public static func resolve(option: String?, environment: (String) -> String?) -> String {
        if let option, !option.isEmpty { return option }
        if let variable = environment(environmentVariable), !variable.isEmpty { return variable }
        return defaultPath
    }
}
