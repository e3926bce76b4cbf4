#ifndef GONGZHI_SPAWN_H
#define GONGZHI_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/// What gz_spawn starts and how. Everything is prepared by the caller: the child only makes system calls that are
/// async-signal-safe, because it is a copy of a multi-threaded process.
typedef struct gz_spawn_request {
    /// The executable's absolute path, argv and envp (both NULL-terminated).
    const char *path;
    char *const *argv;
    char *const *envp;
    /// The descriptors that become the child's stdin, stdout and stderr (3 or above).
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// When non-zero, the child drops to uid/gid with exactly these supplementary groups before exec.
    int change_ids;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t group_count;
    /// The folder the child starts in, or NULL for the caller's.
    const char *working_directory;
} gz_spawn_request;

/// Starts `request->path` in a new process group of its own, with default signal handling and an empty signal mask.
/// Every descriptor of the caller other than the three given is closed on exec, so none leaks into the child.
///
/// Returns 0 and sets *pid once the child has reached execve. Otherwise returns an errno value, the child (if any)
/// has been reaped, and `failed_step` holds the step that failed: "pipe", "fork", "setpgid", "dup2",
/// "close_range", "setgroups", "setgid", "setuid", "verify ids", "chdir" or "execve".
int gz_spawn(const gz_spawn_request *request, pid_t *pid, char *failed_step, size_t failed_step_size);

#endif
