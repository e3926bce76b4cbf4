/*
 * The Gongzhi plugin SDK for C: everything a plugin written in C needs to live under gongzhi-host.
 *
 * It speaks the protocol of Docs/plugin-protocol.md (`gongzhi-plugin/1`): ttrpc 1.2 framing on a
 * Unix-domain socket, the request/response envelope of Schemas/gongzhi/rpc/v1/envelope.proto, the
 * Registration call to the host, and the gongzhi.plugin.v1.Plugin lifecycle service (Health, Describe,
 * Shutdown), which the SDK serves by itself. Plugins add unary methods of their own services and the SDK
 * dispatches calls to them by service and method.
 *
 * Plain C99 with libprotobuf-c and nothing else. A gz_server holds all of its state: two servers in one
 * process do not share anything. A server is driven by one thread (the one that calls gz_server_run);
 * handlers run on that thread, one at a time.
 *
 * Errors: functions that can fail return 0 on success and -1 on failure; constructors return NULL and
 * write the reason into a caller's buffer.
 */
#ifndef GONGZHI_PLUGIN_H
#define GONGZHI_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plugin protocol version this SDK speaks. */
#define GZ_PROTOCOL_VERSION "gongzhi-plugin/1"
/* The lifecycle service every plugin serves (through the SDK). */
#define GZ_LIFECYCLE_SERVICE "gongzhi.plugin.v1.Plugin"

/* ---------------------------------------------------------------------------------------------------
 * Status codes: gRPC's, as carried in a ttrpc response.
 */
typedef enum gz_status_code {
    GZ_OK = 0,
    GZ_CANCELLED = 1,
    GZ_UNKNOWN = 2,
    GZ_INVALID_ARGUMENT = 3,
    GZ_DEADLINE_EXCEEDED = 4,
    GZ_NOT_FOUND = 5,
    GZ_ALREADY_EXISTS = 6,
    GZ_PERMISSION_DENIED = 7,
    GZ_RESOURCE_EXHAUSTED = 8,
    GZ_FAILED_PRECONDITION = 9,
    GZ_ABORTED = 10,
    GZ_OUT_OF_RANGE = 11,
    GZ_UNIMPLEMENTED = 12,
    GZ_INTERNAL = 13,
    GZ_UNAVAILABLE = 14,
    GZ_DATA_LOSS = 15,
    GZ_UNAUTHENTICATED = 16
} gz_status_code;

/* The code's name as gRPC spells it ("INVALID_ARGUMENT"), or "UNKNOWN_CODE" for others. */
const char *gz_status_name(int code);

/* ---------------------------------------------------------------------------------------------------
 * Frames: a 10-byte big-endian header (data length, stream id, type, flags) and at most 4 MiB of data.
 */
#define GZ_FRAME_HEADER_SIZE 10u
#define GZ_FRAME_MAX_DATA (4u << 20)

#define GZ_FRAME_REQUEST 0x01u
#define GZ_FRAME_RESPONSE 0x02u
#define GZ_FRAME_DATA 0x03u

#define GZ_FLAG_REMOTE_CLOSED 0x01u
#define GZ_FLAG_REMOTE_OPEN 0x02u
#define GZ_FLAG_NO_DATA 0x04u

typedef struct gz_frame_header {
    uint32_t length;
    uint32_t stream_id;
    uint8_t type;
    uint8_t flags;
} gz_frame_header;

/* Writes the header's 10 bytes to `out`. */
void gz_frame_header_encode(const gz_frame_header *header, uint8_t out[GZ_FRAME_HEADER_SIZE]);
/* Reads 10 bytes into a header. */
void gz_frame_header_decode(const uint8_t in[GZ_FRAME_HEADER_SIZE], gz_frame_header *header);

/*
 * Encodes a whole frame — header, then `message` packed — into a new buffer of *out_length bytes that
 * the caller frees with free(). `message` may be NULL for a frame without data. Fails (-1) when the
 * packed message is larger than GZ_FRAME_MAX_DATA or memory runs out.
 */
int gz_frame_encode(uint32_t stream_id, uint8_t type, uint8_t flags, const ProtobufCMessage *message,
                    uint8_t **out, size_t *out_length);

/*
 * An incremental frame decoder: feed it bytes as they arrive, in pieces of any size, and it hands out
 * whole frames. A frame whose declared length is over the limit is reported as oversized at once, from
 * its header, and its data are skipped as they arrive without ever being stored. Bytes that cannot be
 * ttrpc framing (a declared length of 16 MiB or more: the first header byte must be zero) are an error
 * after which the decoder accepts nothing more. The struct's fields are private.
 */
typedef struct gz_frame_decoder {
    uint32_t max_data;
    uint8_t header_bytes[GZ_FRAME_HEADER_SIZE];
    size_t header_filled;
    gz_frame_header header;
    uint8_t *data;
    size_t data_filled;
    size_t data_capacity;
    uint64_t skip_remaining;
    int failed;
} gz_frame_decoder;

typedef enum gz_decode_result {
    GZ_DECODE_NEED_MORE = 0,  /* every byte given was consumed; feed more */
    GZ_DECODE_FRAME = 1,      /* `frame_header` and `frame_data` describe a whole frame */
    GZ_DECODE_OVERSIZED = 2,  /* `frame_header` is of a frame over the limit; its data will be skipped */
    GZ_DECODE_ERROR = 3,      /* not ttrpc framing; `error` says why; the connection should be closed */
    GZ_DECODE_NO_MEMORY = 4   /* allocating a frame's data failed; as after an error, nothing more is accepted */
} gz_decode_result;

/* Prepares a decoder; `max_data` of 0 means GZ_FRAME_MAX_DATA. */
void gz_frame_decoder_init(gz_frame_decoder *decoder, uint32_t max_data);
/* Frees what the decoder holds. */
void gz_frame_decoder_free(gz_frame_decoder *decoder);
/*
 * Consumes bytes from `input` until a frame is whole, an oversized header is seen, an error, or the
 * input ends; *consumed says how many were used (call again with the rest). On GZ_DECODE_FRAME,
 * *frame_data points to frame_header->length bytes owned by the decoder, valid until the next call.
 * On GZ_DECODE_ERROR, *error (if not NULL) is a static message for people.
 */
gz_decode_result gz_frame_decoder_feed(gz_frame_decoder *decoder, const uint8_t *input, size_t length,
                                       size_t *consumed, gz_frame_header *frame_header,
                                       const uint8_t **frame_data, const char **error);
/* True while the decoder holds part of a frame or is skipping an oversized one. */
int gz_frame_decoder_mid_frame(const gz_frame_decoder *decoder);

/* ---------------------------------------------------------------------------------------------------
 * The server: serves the plugin's socket, registers with the host, dispatches calls.
 */
typedef struct gz_server gz_server;
typedef struct gz_call gz_call;

typedef enum gz_log_level {
    GZ_LOG_DEBUG = 0,
    GZ_LOG_INFO = 1,
    GZ_LOG_NOTICE = 2,
    GZ_LOG_WARNING = 3,
    GZ_LOG_ERROR = 4,
    GZ_LOG_CRITICAL = 5
} gz_log_level;

/* What a Health call answers; values as gongzhi.plugin.v1.HealthResponse.ServingStatus. */
typedef enum gz_health {
    GZ_HEALTH_SERVING = 1,
    GZ_HEALTH_DEGRADED = 2,
    GZ_HEALTH_NOT_SERVING = 3
} gz_health;

/* Answers a Health call; may write a message for people into `message` (at most `message_size` bytes). */
typedef gz_health (*gz_health_fn)(void *user_data, char *message, size_t message_size);

/*
 * A unary method's handler. `request` is the call's payload decoded with the descriptor given to
 * gz_server_add_unary (NULL when that descriptor was NULL: read the bytes with gz_call_payload), and
 * belongs to the SDK: it is freed when the handler returns. The handler answers exactly once, with
 * gz_call_reply or gz_call_fail, before it returns; a handler that does not answer is answered INTERNAL.
 */
typedef void (*gz_unary_handler)(gz_call *call, const ProtobufCMessage *request, void *user_data);

typedef struct gz_server_options {
    /* The plugin's version, as in its manifest. Required. */
    const char *version;
    /* Each of these is read from the environment the host sets when NULL (or 0):
     *   name          GONGZHI_PLUGIN_NAME
     *   socket_path   GONGZHI_PLUGIN_SOCKET   (required, from here or the environment)
     *   host_socket   GONGZHI_HOST_SOCKET     (unset: serve without registering, for tests)
     *   token         GONGZHI_PLUGIN_TOKEN
     *   host_pid      GONGZHI_HOST_PID        (set: serve the host's process only, not even root's;
     *                                          unset: serve any process of this user)
     *   log_level     GONGZHI_LOG_LEVEL       (trace|debug|info|notice|warning|error|critical; default info)
     */
    const char *name;
    const char *socket_path;
    const char *host_socket;
    const char *token;
    long host_pid;
    const char *log_level;
    /* Largest frame accepted; 0 means GZ_FRAME_MAX_DATA. */
    uint32_t max_data;
    /* Answers Health; NULL answers SERVING. */
    gz_health_fn health;
    void *health_user_data;
    /* The plugin's schema, sent with the registration: a serialized google.protobuf.FileDescriptorSet
     * defining the plugin's services and every message their methods use, at any depth, as
     * `protoc --include_imports --descriptor_set_out` writes it (Schemas/generate.sh writes one as a C
     * array; see Docs/c-plugin-guide.md, "Descriptors"). With it the host removes the fields marked
     * sensitive from the plugin's answers to callers without the personal-data grant, audits answers
     * that show them, and lets `gongzhictl call` encode requests; the host refuses the registration
     * (INVALID_ARGUMENT) when it does not define every service and method added with the same shape.
     * Optional: NULL (and 0) sends none, and the host passes the plugin's answers as they are. The bytes
     * are copied. */
    const uint8_t *file_descriptor_set;
    size_t file_descriptor_set_length;
    /* How long a peer may stop sending in the middle of a frame before its connection is closed (with a
     * warning naming its pid and uid), in milliseconds; 0 means 10000, the same as the Swift SDK and the
     * host. Any byte that arrives starts the time again, so a slow sender is not cut off; a connection
     * between frames is never closed for this; and time during which answers to the peer wait to be
     * written (it is not reading them) does not count. It applies to the plugin's connection to the host
     * too. */
    uint32_t stalled_frame_timeout_ms;
} gz_server_options;

/*
 * Makes a server from the options and the environment. Returns NULL, with the reason in `error` (at
 * most `error_size` bytes, may be NULL), when a required setting is missing, file_descriptor_set is not
 * a serialized FileDescriptorSet (or is NULL with a length), or memory runs out.
 *
 * With glibc it also sets the process's allocator thresholds (mallopt): allocations under 16 MiB come
 * from the heap and up to 64 MiB of freed memory is kept for reuse, so that calls with large payloads do
 * not fault their memory in again on every call (the Swift SDK sets the same, see MallocSettings).
 */
gz_server *gz_server_new(const gz_server_options *options, char *error, size_t error_size);

/*
 * Adds a unary method. `input` is the descriptor of its request message (e.g.
 * &gongzhi__sensors__v1__check_request__descriptor) or NULL for raw bytes. Fails when the service is
 * the lifecycle service, the method is already there, the names are empty, or after gz_server_run began.
 */
int gz_server_add_unary(gz_server *server, const char *service, const char *method,
                        const ProtobufCMessageDescriptor *input, gz_unary_handler handler, void *user_data);

/*
 * Listens on the socket (mode 0600; a stale socket file is replaced), registers with the host when
 * there is one, and serves until the host calls Shutdown (in-flight calls are finished first), the
 * host goes away (the registration ends, or the parent-death signal), or gz_server_stop. Returns the
 * process's exit status: 0 after a shutdown or stop, 1 when serving or the registration failed or the
 * host was lost.
 */
int gz_server_run(gz_server *server);

/* Asks a running server to stop; safe to call from a signal handler and from other threads, as long as
 * none can call it any more once gz_server_free begins (clear the pointer a signal handler uses first). */
void gz_server_stop(gz_server *server);

/* Closes the server's sockets and frees it. */
void gz_server_free(gz_server *server);

/* Writes "level: message" to stderr, where the host keeps it with its level; below the server's log
 * level it writes nothing. `server` may be NULL (then info and above are written). */
void gz_log(const gz_server *server, gz_log_level level, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---------------------------------------------------------------------------------------------------
 * Inside a handler.
 */

/* Answers OK with `response` packed. Fails (-1) if the call was answered already or the packed
 * response does not fit a frame (the call is then answered RESOURCE_EXHAUSTED). */
int gz_call_reply(gz_call *call, const ProtobufCMessage *response);
/* Answers OK with raw bytes. */
int gz_call_reply_bytes(gz_call *call, const uint8_t *bytes, size_t length);
/* Answers with an error status and a message for people (printf format). Fails if answered already. */
int gz_call_fail(gz_call *call, gz_status_code code, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The call's raw payload. */
const uint8_t *gz_call_payload(const gz_call *call, size_t *length);
const char *gz_call_service(const gz_call *call);
const char *gz_call_method(const gz_call *call);
/* The first metadata value under `key`, or NULL. The host adds gongzhi-caller, gongzhi-caller-kind,
 * gongzhi-caller-uid, gongzhi-caller-pid and gongzhi-caller-personal-data to every routed call. */
const char *gz_call_metadata(const gz_call *call, const char *key);
/* gongzhi-caller: who called, as the host verified it ("admin:uid=1000", "plugin:grid", "client:…"). */
const char *gz_call_caller(const gz_call *call);
/* Milliseconds left before the caller's deadline (0 when it has passed), or -1 without a deadline. */
int64_t gz_call_remaining_ms(const gz_call *call);
/* The server the call came to (for gz_log). */
const gz_server *gz_call_server(const gz_call *call);

#ifdef __cplusplus
}
#endif

#endif /* GONGZHI_PLUGIN_H */
