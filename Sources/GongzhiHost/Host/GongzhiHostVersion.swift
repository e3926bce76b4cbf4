/// The version of this host, reported by `gongzhi-host --version`, `gongzhictl status` and registrations.
public enum GongzhiHostVersion {
    public static let current = "0.3.0"
}
