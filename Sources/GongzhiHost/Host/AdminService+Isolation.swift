import GongzhiSchemas

#if canImport(Glibc)
import Glibc
#endif

extension AdminService {
    /// The plugin's status with the user its process runs as: its own when plugins are isolated, the host's
    /// otherwise. External plugins run as whoever started them, which the host does not track.
    func withUser(_ status: Gongzhi_Host_V1_PluginStatus) -> Gongzhi_Host_V1_PluginStatus {
        guard status.managed else { return status }
        var status = status
        if let account = credentials.pluginAccounts()[status.name] {
            status.user = account.user
            status.uid = account.uid
        } else {
            status.uid = getuid()
            status.user = userName(of: getuid()) ?? "uid \(getuid())"
        }
        return status
    }
}
