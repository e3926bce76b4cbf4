#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gongzhi_spawn.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// What the child writes to the error pipe when a step fails; nothing at all when execve succeeds.
struct child_failure {
    int error;
    char step[24];
};

static void copy_step(char *target, size_t size, const char *step) {
    size_t index = 0;
    while (step[index] != '\0' && index + 1 < size) {
        target[index] = step[index];
        index++;
    }
    target[index] = '\0';
}

/// Reports a failed step to the parent and ends the child. Only async-signal-safe calls.
__attribute__((noreturn)) static void fail(int pipe_fd, const char *step, int error) {
    struct child_failure failure;
    memset(&failure, 0, sizeof failure);
    failure.error = error;
    copy_step(failure.step, sizeof failure.step, step);
    ssize_t written;
    do {
        written = write(pipe_fd, &failure, sizeof failure);
    } while (written < 0 && errno == EINTR);
    _exit(127);
}

/// Marks every descriptor from 3 up close-on-exec (not closed: the error pipe must stay usable until execve).
static int mark_close_on_exec(int keep, long max_fd) {
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
        return 0;
    }
    if (errno != ENOSYS && errno != EINVAL) {
        return -1;
    }
    // Kernels before 5.11: one descriptor at a time, up to the limit the parent read.
    for (long fd = 3; fd < max_fd; fd++) {
        if (fd == keep) {
            continue;
        }
        int flags = fcntl((int)fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) {
            (void)fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
    return 0;
}

/// The child: from fork to execve, async-signal-safe calls only.
__attribute__((noreturn)) static void run_child(const gz_spawn_request *request, int pipe_fd, long max_fd) {
    // Default handlers first, then an empty mask: no handler of the host may run in the child.
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        (void)sigaction(signal_number, &default_action, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    (void)sigprocmask(SIG_SETMASK, &empty, NULL);

    if (setpgid(0, 0) != 0) {
        fail(pipe_fd, "setpgid", errno);
    }
    if (dup2(request->stdin_fd, 0) < 0 || dup2(request->stdout_fd, 1) < 0 || dup2(request->stderr_fd, 2) < 0) {
        fail(pipe_fd, "dup2", errno);
    }
    if (mark_close_on_exec(pipe_fd, max_fd) != 0) {
        fail(pipe_fd, "close_range", errno);
    }
    if (request->change_ids) {
        // Groups, then the group, then the user: once the user is dropped, groups can no longer change.
        if (setgroups(request->group_count, request->groups) != 0) {
            fail(pipe_fd, "setgroups", errno);
        }
        if (setgid(request->gid) != 0) {
            fail(pipe_fd, "setgid", errno);
        }
        if (setuid(request->uid) != 0) {
            fail(pipe_fd, "setuid", errno);
        }
        if (getuid() != request->uid || geteuid() != request->uid || getgid() != request->gid
            || getegid() != request->gid) {
            fail(pipe_fd, "verify ids", EPERM);
        }
        // The drop must be final: a process that can become root again is not isolated.
        if (request->uid != 0 && setuid(0) == 0) {
            fail(pipe_fd, "verify ids", EPERM);
        }
    }
    if (request->working_directory != NULL && chdir(request->working_directory) != 0) {
        fail(pipe_fd, "chdir", errno);
    }
    execve(request->path, request->argv, request->envp);
    fail(pipe_fd, "execve", errno);
}

int gz_spawn(const gz_spawn_request *request, pid_t *pid, char *failed_step, size_t failed_step_size) {
    copy_step(failed_step, failed_step_size, "");
    int error_pipe[2];
    if (pipe2(error_pipe, O_CLOEXEC) != 0) {
        int error = errno;
        copy_step(failed_step, failed_step_size, "pipe");
        return error;
    }
    struct rlimit files;
    long max_fd = 65536;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
        max_fd = (long)files.rlim_cur;
    }

    // No signal handler may run in the child before it has reset them: block everything across fork.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t child = fork();
    if (child == 0) {
        close(error_pipe[0]);
        run_child(request, error_pipe[1], max_fd);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(error_pipe[1]);
    if (child < 0) {
        close(error_pipe[0]);
        copy_step(failed_step, failed_step_size, "fork");
        return fork_error;
    }

    struct child_failure failure;
    size_t received = 0;
    while (received < sizeof failure) {
        ssize_t count = read(error_pipe[0], (char *)&failure + received, sizeof failure - received);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            break;
        }
        received += (size_t)count;
    }
    close(error_pipe[0]);
    if (received == 0) {
        // End of file without a word: execve closed the pipe, the child runs the executable.
        *pid = child;
        return 0;
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (received < sizeof failure) {
        copy_step(failed_step, failed_step_size, "execve");
        return EIO;
    }
    failure.step[sizeof failure.step - 1] = '\0';
    copy_step(failed_step, failed_step_size, failure.step);
    return failure.error != 0 ? failure.error : EIO;
}
