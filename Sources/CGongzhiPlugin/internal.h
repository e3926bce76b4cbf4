/* The SDK's private types and functions, shared by its source files. */
#ifndef GONGZHI_PLUGIN_INTERNAL_H
#define GONGZHI_PLUGIN_INTERNAL_H

#include <sys/types.h>
#include <time.h>

#include "gongzhi_plugin.h"
#include "gongzhi/rpc/v1/envelope.pb-c.h"

/* How much memory decoding one call (envelope and payload) may take. */
#define GZ_CALL_MEMORY_BUDGET ((size_t)64 << 20)
/* A connection with more output than this waiting is not read until it drains. */
#define GZ_OUTPUT_HIGH_WATER ((size_t)8 << 20)
/* How long in-flight work may take to finish on a stop without a grace period of its own. */
#define GZ_DEFAULT_GRACE_MS 5000
/* How much is read from a socket at a time. */
#define GZ_READ_CHUNK ((size_t)64 << 10)
/* How long a peer may stop sending in the middle of a frame before its connection is closed, unless the options
 * say otherwise: the Swift side's stalledFrameTimeout. */
#define GZ_DEFAULT_STALLED_FRAME_TIMEOUT_MS 10000u

/* A method served: the plugin's own or the lifecycle service's. */
typedef struct gz_method {
    char *service;
    char *method;
    const ProtobufCMessageDescriptor *input;
    gz_unary_handler handler;
    void *user_data;
} gz_method;

/* One connection: a caller on the plugin's socket, or the plugin's own connection to the host. */
typedef struct gz_conn {
    int fd;
    int is_host;
    pid_t pid;
    uid_t uid;
    gz_frame_decoder decoder;
    uint8_t *out;
    size_t out_start;
    size_t out_end;
    size_t out_capacity;
    int read_closed; /* the peer finished sending: close once the output is written */
    int dead;        /* close now */
    /* When the connection counts as stalled if it is in the middle of a frame and nothing more has come: the
     * stall timeout after the last bytes read, or after the last time the server held off reading it. */
    struct timespec stall_deadline;
} gz_conn;

/* An allocator for protobuf-c that refuses to hand out more than a budget in total. */
typedef struct gz_budget {
    size_t used;
    size_t limit;
    int exceeded;
} gz_budget;

struct gz_server {
    char *name;
    char *version;
    char *socket_path;
    char *host_socket;
    char *token;
    long host_pid;
    int log_level;
    uint32_t max_data;
    int64_t stall_ns; /* the stalled-frame timeout */
    gz_health_fn health;
    void *health_user_data;
    uint8_t *file_descriptor_set; /* a copy of the option's bytes; NULL when none */
    size_t file_descriptor_set_length;

    gz_method *methods;
    size_t method_count;
    int running;

    int listen_fd;
    int stop_pipe[2];
    gz_conn **conns;
    size_t conn_count;
    gz_conn *host;
    uint8_t *read_buffer;

    int stopping;          /* stop accepting and reading; finish writing, then return */
    int exit_status;       /* what gz_server_run returns once stopped */
    struct timespec stop_deadline;
    int accepted;          /* the host accepted the registration */
    int registration_over; /* the Register stream has ended, one way or another */
};

struct gz_call {
    gz_server *server;
    gz_conn *conn;
    const Gongzhi__Rpc__V1__Request *request;
    int has_deadline;
    struct timespec deadline;
    int answered;
    int code;
    char *message;
    uint8_t *payload;
    size_t payload_length;
};

/* Monotonic time: now, `ns` nanoseconds from now, and the nanoseconds until `when` (negative once passed). */
struct timespec gz_now(void);
struct timespec gz_after_ns(int64_t ns);
int64_t gz_ns_until(struct timespec when);

/* A protobuf-c allocator drawing on `budget`. */
ProtobufCAllocator gz_budget_allocator(gz_budget *budget);

/* Sets a descriptor non-blocking and close-on-exec; -1 on failure. */
int gz_set_nonblocking(int fd);
/* Makes a connection for `fd` (which may be -1 for an in-memory connection). */
gz_conn *gz_conn_new(int fd, uint32_t max_data);
/* Frees a connection and closes its socket. */
void gz_conn_free(gz_conn *conn);
/* Makes room for `length` more bytes of output and returns where they go (the caller then adds `length` to
 * `out_end`); NULL (and the connection marked dead) when memory runs out. */
uint8_t *gz_conn_reserve(gz_conn *conn, size_t length);
/* Queues bytes to send; -1 (and the connection marked dead) when memory runs out. */
int gz_conn_queue(gz_conn *conn, const uint8_t *bytes, size_t length);
/* Queues a frame of `message` packed straight into the output (no data when NULL); -1 when it is over the
 * protocol's limit or memory runs out. */
int gz_conn_queue_frame(gz_conn *conn, uint32_t stream_id, uint8_t type, uint8_t flags,
                        const ProtobufCMessage *message);
/* Queues a response frame with a status and an optional payload. */
void gz_conn_respond(gz_server *server, gz_conn *conn, uint32_t stream_id, int code, const char *message,
                     const uint8_t *payload, size_t payload_length);

/* Decodes bytes from a caller and answers each whole request. */
void gz_serve_input(gz_server *server, gz_conn *conn, const uint8_t *bytes, size_t length);
/* Adds a method without the checks gz_server_add_unary makes for plugin methods. */
int gz_server_add_method(gz_server *server, const char *service, const char *method,
                         const ProtobufCMessageDescriptor *input, gz_unary_handler handler, void *user_data);
/* Adds the lifecycle service's methods. */
int gz_lifecycle_add(gz_server *server);
/* Begins a stop: no more calls are taken; output is written within `grace_ms`; then run returns `status`. */
void gz_server_begin_stop(gz_server *server, int status, int64_t grace_ms);

/* 0 when `bytes` have the shape of a serialized google.protobuf.FileDescriptorSet (nothing but files, each
 * whole); otherwise -1, with the reason for people in `error`. */
int gz_descriptor_set_check(const uint8_t *bytes, size_t length, char *error, size_t error_size);
/* Connects to the host and queues the Register call; -1 when the host cannot be reached. */
int gz_register_start(gz_server *server);
/* Handles bytes from the host: registration events, and the end of the registration. */
void gz_register_input(gz_server *server, const uint8_t *bytes, size_t length);
/* Handles the end of the host connection. */
void gz_register_closed(gz_server *server);

#endif
