import GongzhiRPC

/// The token the host gives a plugin process it starts (in `GONGZHI_PLUGIN_TOKEN`), as the host keeps
/// it: whose it is and which process it was given to. A ticket is good only in the hands of that process.
struct PluginTicket: Sendable, Equatable {
    var plugin: String
    /// The process the host started with this ticket; 0 until the host has recorded it.
    var pid: Int32

    /// Checks that the process presenting the ticket, `peer` (its pid as the kernel reports it), is the
    /// one the host gave it to; refuses with PERMISSION_DENIED, naming both processes, when it is not
    /// (or when the host has not yet recorded its process).
    func check(presentedBy peer: Int32) throws(RPCError) {
        guard pid != 0, pid == peer else {
            throw RPCError(
                code: .permissionDenied,
                message: "the token of plugin \(plugin) was presented by pid \(peer), "
                    + "but the host gave it to pid \(pid)"
            )
        }
    }
}
