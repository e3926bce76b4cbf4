import CGongzhiMalloc

/// The C library allocator's settings for a process that serves or makes calls: `gongzhi-host`, every plugin (the
/// Swift SDK's `Plugin.main` and the C SDK's `gz_server_new` set them), and the echo benchmark's server and client.
///
/// Connections reuse their frame buffers, but a call still allocates its decoded messages, and a large payload
/// takes as much memory as it is long. With glibc's defaults, memory freed at the top of the heap beyond 128 KiB
/// is handed back to the kernel after every such call (an `madvise` or `brk`), and an allocation of 128 KiB or
/// more gets a mapping of its own that is unmapped when freed; either way the next call faults the same pages in
/// again, one by one (`Benchmarks/README.md`, run E1: a C plugin took 481 minor faults per 1 MiB call with glibc's
/// defaults and 1.5 with these settings). Set once at start, in code rather than through `GLIBC_TUNABLES`, so that
/// every deployment runs with them.
public enum MallocSettings {
    /// Allocations smaller than this come from the heap: frames are at most 4 MiB, and their buffers round up to
    /// the next power of two.
    public static let mmapThreshold: Int32 = 16 << 20
    /// Free memory at the top of a heap is given back to the kernel only beyond this: enough for the payloads of
    /// 64 calls of 1 MiB in flight. The price is that a process keeps up to this much free memory after a burst.
    public static let trimThreshold: Int32 = 64 << 20

    /// Sets both thresholds; true when the C library took them (glibc; elsewhere it does nothing and answers false).
    @discardableResult
    public static func apply() -> Bool {
        gz_set_malloc_thresholds(mmapThreshold, trimThreshold) == 1
    }
}
