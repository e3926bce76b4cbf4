#ifndef GONGZHI_CONCURRENCY_HOOK_H
#define GONGZHI_CONCURRENCY_HOOK_H

/// Runs a job of Swift concurrency's global executor (the job is the runtime's, passed through).
typedef void (*gz_global_job_handler)(void *job);

/// Makes `handler` receive every job enqueued on Swift concurrency's global executor, by setting the
/// runtime's `swift_task_enqueueGlobal_hook` directly. Returns 1 when installed, 0 when another hook
/// was already there. Call once, before tasks are started on the global executor.
int gz_install_global_job_handler(gz_global_job_handler handler);

#endif
