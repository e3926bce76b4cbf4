/*
 * The batch-then-acknowledge subscriber session on libmosquitto: see include/gongzhi_mqtt.h.
 */
#include "gongzhi_mqtt.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

/* Where a message's topic and payload start in the arena, resolved into pointers when the batch is done
 * (the arena may move while it grows). */
typedef struct arena_offsets {
    size_t topic;
    size_t payload;
} arena_offsets;

struct gz_mqtt_session {
    struct mosquitto *mosq;
    char *host;
    int port;
    int keepalive_s;
    uint32_t max_payload_bytes;
    char **filters;
    int filter_count;
    mosquitto_property *connect_properties;

    /* The batch being read or handed out. */
    gz_mqtt_message *messages;
    arena_offsets *offsets;
    int message_count;
    int message_capacity;
    uint8_t *arena;
    size_t arena_len;
    size_t arena_capacity;
    bool copy_failed;

    bool unacknowledged;
    bool aborted;
    bool connected;
    bool session_present;
    bool subscribed;
    unsigned connacks;
    int refused_filters;
    char refusal[160];
    char error[256];
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status = MOSQ_ERR_SUCCESS;

static void library_init(void) {
    library_status = mosquitto_lib_init();
}

static void set_error(gz_mqtt_session *session, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(session->error, sizeof session->error, format, arguments);
    va_end(arguments);
}

static void write_error(char *error, size_t error_len, const char *format, ...) {
    if (error == NULL || error_len == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, error_len, format, arguments);
    va_end(arguments);
}

static const char *mosquitto_reason(int rc) {
    return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

static int64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static char *copy_string(const char *text) {
    if (text == NULL) return NULL;
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy != NULL) memcpy(copy, text, length + 1);
    return copy;
}

int gz_mqtt_library_version(void) {
    int major = 0, minor = 0, revision = 0;
    mosquitto_lib_version(&major, &minor, &revision);
    return major * 1000000 + minor * 1000 + revision;
}

/* --- Callbacks: they run inside mosquitto_loop_read on the session's thread. ------------------------------ */

static void on_connect(struct mosquitto *mosq, void *context, int rc, int flags, const mosquitto_property *props) {
    (void)props;
    gz_mqtt_session *session = context;
    if (rc != 0) {
        snprintf(session->refusal, sizeof session->refusal, "the broker refused the connection: %s (reason %d)",
                 mosquitto_reason_string(rc), rc);
        return;
    }
    session->connected = true;
    session->session_present = (flags & 1) != 0;
    session->connacks += 1;
    session->refused_filters = 0;
    session->subscribed = false;
    /* Every CONNACK: a broker that lost the session lost its subscriptions too. Retained messages are sent
     * only for a subscription that is new. Queued here, written by the next flush. */
    int subscribed = mosquitto_subscribe_multiple(mosq, NULL, session->filter_count, session->filters, 1,
                                                  MQTT_SUB_OPT_SEND_RETAIN_NEW, NULL);
    if (subscribed != MOSQ_ERR_SUCCESS) {
        session->refused_filters = session->filter_count;
        set_error(session, "subscribing: %s", mosquitto_reason(subscribed));
    }
}

static void on_disconnect(struct mosquitto *mosq, void *context, int rc, const mosquitto_property *props) {
    (void)mosq;
    (void)props;
    gz_mqtt_session *session = context;
    session->connected = false;
    if (rc != 0 && session->refusal[0] == '\0') {
        set_error(session, "the connection ended: %s", mosquitto_reason(rc));
    }
}

static void on_subscribe(struct mosquitto *mosq, void *context, int mid, int count, const int *granted,
                         const mosquitto_property *props) {
    (void)mosq;
    (void)mid;
    (void)props;
    gz_mqtt_session *session = context;
    session->subscribed = true;
    for (int i = 0; i < count; i++) {
        if (granted[i] >= 0x80) {
            session->refused_filters += 1;
            const char *filter = i < session->filter_count ? session->filters[i] : "?";
            set_error(session, "the broker refused the subscription to '%s': %s (reason %d)", filter,
                      mosquitto_reason_string(granted[i]), granted[i]);
        }
    }
}

static bool reserve(gz_mqtt_session *session, size_t bytes) {
    if (session->arena_capacity - session->arena_len >= bytes) return true;
    size_t capacity = session->arena_capacity == 0 ? 4096 : session->arena_capacity;
    while (capacity - session->arena_len < bytes) {
        if (capacity > SIZE_MAX / 2) return false;
        capacity *= 2;
    }
    uint8_t *arena = realloc(session->arena, capacity);
    if (arena == NULL) return false;
    session->arena = arena;
    session->arena_capacity = capacity;
    return true;
}

static void on_message(struct mosquitto *mosq, void *context, const struct mosquitto_message *message,
                       const mosquitto_property *props) {
    (void)mosq;
    (void)props;
    gz_mqtt_session *session = context;
    if (session->copy_failed) return;
    if (session->message_count == session->message_capacity) {
        int capacity = session->message_capacity == 0 ? 64 : session->message_capacity * 2;
        gz_mqtt_message *messages = realloc(session->messages, (size_t)capacity * sizeof *messages);
        if (messages != NULL) session->messages = messages;
        arena_offsets *offsets = realloc(session->offsets, (size_t)capacity * sizeof *offsets);
        if (offsets != NULL) session->offsets = offsets;
        if (messages == NULL || offsets == NULL) {
            session->copy_failed = true;
            return;
        }
        session->message_capacity = capacity;
    }
    size_t topic_len = strlen(message->topic);
    uint32_t size = message->payloadlen > 0 ? (uint32_t)message->payloadlen : 0;
    uint32_t kept = session->max_payload_bytes > 0 && size > session->max_payload_bytes ? session->max_payload_bytes
                                                                                         : size;
    if (!reserve(session, topic_len + 1 + kept)) {
        session->copy_failed = true;
        return;
    }
    arena_offsets *offsets = &session->offsets[session->message_count];
    offsets->topic = session->arena_len;
    memcpy(session->arena + session->arena_len, message->topic, topic_len + 1);
    session->arena_len += topic_len + 1;
    offsets->payload = session->arena_len;
    if (kept > 0) memcpy(session->arena + session->arena_len, message->payload, kept);
    session->arena_len += kept;

    gz_mqtt_message *copy = &session->messages[session->message_count];
    copy->topic = NULL;
    copy->payload = NULL;
    copy->payload_len = kept;
    copy->payload_size = size;
    copy->mid = message->mid;
    copy->qos = message->qos;
    copy->retain = message->retain;
    session->message_count += 1;
}

/* --- The session ------------------------------------------------------------------------------------------ */

static void free_session(gz_mqtt_session *session) {
    if (session->mosq != NULL) mosquitto_destroy(session->mosq);
    mosquitto_property_free_all(&session->connect_properties);
    for (int i = 0; i < session->filter_count; i++) free(session->filters[i]);
    free(session->filters);
    free(session->host);
    free(session->messages);
    free(session->offsets);
    free(session->arena);
    free(session);
}

static bool check_options(const gz_mqtt_options *options, char *error, size_t error_len) {
    if (options == NULL) {
        write_error(error, error_len, "no options");
        return false;
    }
    if (options->host == NULL || options->host[0] == '\0') {
        write_error(error, error_len, "the broker's host (or Unix socket path) is empty");
        return false;
    }
    if (options->port < 0 || options->port > 65535) {
        write_error(error, error_len, "the broker's port %d is not 0 (a Unix socket) or 1..65535", options->port);
        return false;
    }
    if (options->client_id == NULL || options->client_id[0] == '\0' || strlen(options->client_id) > 65535 ||
        mosquitto_validate_utf8(options->client_id, (int)strlen(options->client_id)) != MOSQ_ERR_SUCCESS) {
        write_error(error, error_len, "the client id must be non-empty UTF-8 of at most 65535 bytes");
        return false;
    }
    if (options->password != NULL && options->username == NULL) {
        write_error(error, error_len, "a password was given without a username");
        return false;
    }
    if (options->filter_count < 1 || options->filters == NULL) {
        write_error(error, error_len, "no topic filter to subscribe to");
        return false;
    }
    for (int i = 0; i < options->filter_count; i++) {
        const char *filter = options->filters[i];
        if (filter == NULL || filter[0] == '\0' || strlen(filter) > 65535 ||
            mosquitto_validate_utf8(filter, (int)strlen(filter)) != MOSQ_ERR_SUCCESS ||
            mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS) {
            write_error(error, error_len,
                        "topic filter %d ('%s') is not a valid MQTT filter ('+' and '#' only as whole levels, "
                        "'#' last)",
                        i + 1, filter == NULL ? "" : filter);
            return false;
        }
    }
    if (options->keepalive_s < 5 || options->keepalive_s > 65535) {
        write_error(error, error_len, "the keepalive %d s is not within 5..65535", options->keepalive_s);
        return false;
    }
    if (options->receive_maximum < 1 || options->receive_maximum > 65535) {
        write_error(error, error_len, "the receive maximum %d is not within 1..65535", options->receive_maximum);
        return false;
    }
    return true;
}

gz_mqtt_session *gz_mqtt_open(const gz_mqtt_options *options, char *error, size_t error_len) {
    if (!check_options(options, error, error_len)) return NULL;
    pthread_once(&library_once, library_init);
    if (library_status != MOSQ_ERR_SUCCESS) {
        write_error(error, error_len, "libmosquitto did not initialise: %s", mosquitto_strerror(library_status));
        return NULL;
    }
    gz_mqtt_session *session = calloc(1, sizeof *session);
    if (session == NULL) {
        write_error(error, error_len, "out of memory");
        return NULL;
    }
    session->port = options->port;
    session->keepalive_s = options->keepalive_s;
    session->max_payload_bytes = options->max_payload_bytes;
    session->host = copy_string(options->host);
    session->filters = calloc((size_t)options->filter_count, sizeof *session->filters);
    if (session->host == NULL || session->filters == NULL) goto out_of_memory;
    for (int i = 0; i < options->filter_count; i++) {
        session->filters[i] = copy_string(options->filters[i]);
        if (session->filters[i] == NULL) goto out_of_memory;
        session->filter_count = i + 1;
    }
    if (mosquitto_property_add_int32(&session->connect_properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                     options->session_expiry_s) != MOSQ_ERR_SUCCESS) {
        goto out_of_memory;
    }
    /* clean_session false: with MQTT v5, clean start off. */
    session->mosq = mosquitto_new(options->client_id, false, session);
    if (session->mosq == NULL) {
        write_error(error, error_len, "mosquitto_new: %s", strerror(errno));
        free_session(session);
        return NULL;
    }
    int rc = mosquitto_threaded_set(session->mosq, true);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_int_option(session->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_int_option(session->mosq, MOSQ_OPT_RECEIVE_MAXIMUM, options->receive_maximum);
    }
    if (rc == MOSQ_ERR_SUCCESS && options->username != NULL) {
        rc = mosquitto_username_pw_set(session->mosq, options->username, options->password);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        write_error(error, error_len, "setting up the client: %s", mosquitto_reason(rc));
        free_session(session);
        return NULL;
    }
    mosquitto_connect_v5_callback_set(session->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(session->mosq, on_disconnect);
    mosquitto_subscribe_v5_callback_set(session->mosq, on_subscribe);
    mosquitto_message_v5_callback_set(session->mosq, on_message);
    return session;

out_of_memory:
    write_error(error, error_len, "out of memory");
    free_session(session);
    return NULL;
}

static bool socket_open(const gz_mqtt_session *session) {
    return mosquitto_socket(session->mosq) >= 0;
}

int gz_mqtt_connect(gz_mqtt_session *session, int wait_ms) {
    /* Whatever the old connection queued must not leave on the new one (libmosquitto drops it too). */
    if (session->unacknowledged && socket_open(session) && !session->aborted) gz_mqtt_abort(session);
    session->aborted = false;
    session->connected = false;
    session->unacknowledged = false;
    session->refusal[0] = '\0';
    session->error[0] = '\0';
    int rc = mosquitto_connect_bind_v5(session->mosq, session->host, session->port, session->keepalive_s, NULL,
                                       session->connect_properties);
    if (rc != MOSQ_ERR_SUCCESS) {
        if (session->port == 0) {
            set_error(session, "connecting to the Unix socket %s: %s", session->host, mosquitto_reason(rc));
        } else {
            set_error(session, "connecting to %s:%d: %s", session->host, session->port, mosquitto_reason(rc));
        }
        return -1;
    }
    return gz_mqtt_flush(session, wait_ms);
}

static void resolve_batch(gz_mqtt_session *session) {
    for (int i = 0; i < session->message_count; i++) {
        session->messages[i].topic = (const char *)(session->arena + session->offsets[i].topic);
        session->messages[i].payload = session->arena + session->offsets[i].payload;
    }
}

static int fail_batch(gz_mqtt_session *session) {
    session->message_count = 0;
    session->arena_len = 0;
    session->connected = false;
    return -1;
}

int gz_mqtt_read_batch(gz_mqtt_session *session, int max, int wait_ms, const gz_mqtt_message **messages,
                       int *count) {
    *messages = NULL;
    *count = 0;
    session->message_count = 0;
    session->arena_len = 0;
    session->copy_failed = false;
    if (session->aborted || !socket_open(session)) {
        if (session->error[0] == '\0') set_error(session, "not connected");
        return fail_batch(session);
    }
    if (max < 1) max = 1;
    int timeout = wait_ms < 0 ? 0 : wait_ms;
    while (session->message_count < max) {
        struct pollfd readable = {.fd = mosquitto_socket(session->mosq), .events = POLLIN};
        int ready = poll(&readable, 1, timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            set_error(session, "poll: %s", strerror(errno));
            gz_mqtt_abort(session);
            return fail_batch(session);
        }
        if (ready == 0) break;
        timeout = 0;
        int rc = mosquitto_loop_read(session->mosq, 1);
        if (session->copy_failed) {
            /* The PUBACK of a message that could not be copied is queued: it must never be written. */
            gz_mqtt_abort(session);
            set_error(session, "out of memory copying a message: the connection was aborted unacknowledged");
            return fail_batch(session);
        }
        if (session->refusal[0] != '\0') {
            set_error(session, "%s", session->refusal);
            if (socket_open(session)) gz_mqtt_abort(session);
            return fail_batch(session);
        }
        if (rc != MOSQ_ERR_SUCCESS || !socket_open(session)) {
            if (rc != MOSQ_ERR_SUCCESS) {
                set_error(session, "the connection ended: %s", mosquitto_reason(rc));
            } else if (session->error[0] == '\0') {
                set_error(session, "the connection ended");
            }
            return fail_batch(session);
        }
    }
    resolve_batch(session);
    if (session->message_count > 0) session->unacknowledged = true;
    *messages = session->messages;
    *count = session->message_count;
    return 0;
}

int gz_mqtt_flush(gz_mqtt_session *session, int wait_ms) {
    if (session->aborted || !socket_open(session)) {
        if (session->error[0] == '\0') set_error(session, "not connected");
        return -1;
    }
    int64_t deadline = now_ms() + (wait_ms < 0 ? 0 : wait_ms);
    while (mosquitto_want_write(session->mosq)) {
        int rc = mosquitto_loop_write(session->mosq, 1);
        if (!socket_open(session)) {
            if (session->error[0] == '\0') set_error(session, "the connection ended while writing");
            session->connected = false;
            return -1;
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            set_error(session, "writing: %s", mosquitto_reason(rc));
            gz_mqtt_abort(session);
            return -1;
        }
        if (!mosquitto_want_write(session->mosq)) break;
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            set_error(session, "the broker did not take what was queued within %d ms", wait_ms);
            return -1;
        }
        struct pollfd writable = {.fd = mosquitto_socket(session->mosq), .events = POLLOUT};
        if (poll(&writable, 1, (int)left) < 0 && errno != EINTR) {
            set_error(session, "poll: %s", strerror(errno));
            return -1;
        }
    }
    session->unacknowledged = false;
    return 0;
}

int gz_mqtt_misc(gz_mqtt_session *session) {
    if (session->aborted || !socket_open(session)) {
        if (session->error[0] == '\0') set_error(session, "not connected");
        return -1;
    }
    int rc = mosquitto_loop_misc(session->mosq);
    if (rc != MOSQ_ERR_SUCCESS || !socket_open(session)) {
        if (rc != MOSQ_ERR_SUCCESS) set_error(session, "keepalive: %s", mosquitto_reason(rc));
        session->connected = false;
        return -1;
    }
    return 0;
}

void gz_mqtt_abort(gz_mqtt_session *session) {
    int fd = mosquitto_socket(session->mosq);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
    session->aborted = true;
    session->connected = false;
    /* What was queued can never leave now: gz_mqtt_connect and mosquitto_destroy drop it unwritten. */
    session->unacknowledged = false;
}

int gz_mqtt_disconnect(gz_mqtt_session *session, int wait_ms) {
    if (session->aborted || !socket_open(session)) {
        session->connected = false;
        return 0;
    }
    if (session->unacknowledged) {
        gz_mqtt_abort(session);
        set_error(session, "a batch was read and not flushed: the connection was aborted so that it stays "
                           "unacknowledged");
        return -1;
    }
    if (gz_mqtt_flush(session, wait_ms) != 0) {
        gz_mqtt_abort(session);
        return -1;
    }
    /* Not mosquitto_disconnect: libmosquitto closes the socket as soon as the DISCONNECT is written, and a
     * broker that then fails to write to it (a SUBACK, a PUBLISH) drops the connection without reading the
     * PUBACKs before it. Half-closing and waiting for the broker to close means that it read and handled
     * everything written. The session stays for its expiry interval either way. */
    int fd = mosquitto_socket(session->mosq);
    shutdown(fd, SHUT_WR);
    int64_t deadline = now_ms() + (wait_ms < 0 ? 0 : wait_ms);
    int result = 0;
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd readable = {.fd = fd, .events = POLLIN};
        int ready = left > 0 ? poll(&readable, 1, (int)left) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            set_error(session, "the broker did not close the connection within %d ms", wait_ms);
            result = -1;
            break;
        }
        /* What the broker sent meanwhile is dropped unread: unacknowledged, it is delivered again. */
        char discarded[4096];
        ssize_t got = recv(fd, discarded, sizeof discarded, 0);
        if (got == 0) break;
        if (got < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) break;
    }
    gz_mqtt_abort(session);
    return result;
}

void gz_mqtt_get_status(const gz_mqtt_session *session, gz_mqtt_status *status) {
    status->connected = session->connected && !session->aborted && socket_open(session);
    status->session_present = session->session_present;
    status->subscribed = session->subscribed;
    status->connacks = session->connacks;
    status->refused_filters = session->refused_filters;
}

bool gz_mqtt_unacknowledged(const gz_mqtt_session *session) {
    return session->unacknowledged;
}

const char *gz_mqtt_last_error(const gz_mqtt_session *session) {
    return session->error;
}

void gz_mqtt_close(gz_mqtt_session *session) {
    if (session == NULL) return;
    gz_mqtt_disconnect(session, 1000);
    free_session(session);
}
