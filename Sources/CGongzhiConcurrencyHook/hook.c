// Swift concurrency's runtime hands every job of its global executor to `swift_task_enqueueGlobal_hook`
// when one is set. SwiftNIO sets it to run jobs on its event loops, but finds the variable with dlsym,
// which fails when the Swift runtime is linked statically (the variable is hidden then). The linker
// still resolves a direct reference to it, in static and dynamic builds alike.
#include "gongzhi_concurrency_hook.h"

#include <stddef.h>

typedef void (*gz_original_enqueue)(void *job);
typedef void (*gz_enqueue_hook)(void *job, gz_original_enqueue original);

extern gz_enqueue_hook swift_task_enqueueGlobal_hook;

static gz_global_job_handler installed_handler;

static void enqueue_with_handler(void *job, gz_original_enqueue original) {
    (void)original;
    installed_handler(job);
}

int gz_install_global_job_handler(gz_global_job_handler handler) {
    if (handler == NULL || swift_task_enqueueGlobal_hook != NULL) {
        return 0;
    }
    installed_handler = handler;
    swift_task_enqueueGlobal_hook = enqueue_with_handler;
    return 1;
}
