/// Where the host's socket for people and API clients (`host.sock`) is.
public enum HostSocket {
    /// The environment variable that names it.
    public static let environmentVariable = "GONGZHI_HOST_SOCKET"
    /// Its name in the host's runtime folder, beside `admin.sock`.
    public static let fileName = "host.sock"

    /// `--host-socket PATH` if given, else `$GONGZHI_HOST_SOCKET` if set and not empty, else the socket of
    /// your login (`stored`), else `host.sock` in the admin socket's folder.
    public static func resolve(
        option: String?,
        environment: (String) -> String?,
        stored: String?,
        adminSocket: String
    ) -> String {
        if let option, !option.isEmpty { return option }
        if let variable = environment(environmentVariable), !variable.isEmpty { return variable }
        if let stored, !stored.isEmpty { return stored }
        return beside(adminSocket: adminSocket)
    }

    /// `host.sock` in the folder of the admin socket: `/run/gongzhi/admin.sock` → `/run/gongzhi/host.sock`.
    public static func beside(adminSocket path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return fileName }
        return String(path[...slash]) + fileName
    }
}
