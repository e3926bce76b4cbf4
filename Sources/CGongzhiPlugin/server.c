/* The server: its settings, the plugin's socket, connections, and the poll loop that drives them all. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct ucred */
#endif
#include <errno.h>
#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

/* More connections than this at once are refused. */
#define GZ_MAX_CONNECTIONS 1024u

static const char gz_by_hand[] =
    ": this is a Gongzhi plugin, which gongzhi-host starts; to attach it by hand set GONGZHI_PLUGIN_NAME, "
    "GONGZHI_PLUGIN_SOCKET, GONGZHI_HOST_SOCKET and GONGZHI_PLUGIN_TOKEN (see Docs/plugin-protocol.md, "
    "\"External plugins\")";

/* Monotonic time now. */
struct timespec gz_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now;
}

/* The longest deadline kept as given (about 100 years); longer ones mean "no deadline to speak of", and
 * clamping them keeps the arithmetic below far from overflow. */
#define GZ_LONGEST_TIMEOUT_NS ((int64_t)100 * 365 * 24 * 3600 * 1000000000)

/* The time `ns` nanoseconds (at most GZ_LONGEST_TIMEOUT_NS) after `when`. */
static struct timespec plus_ns(struct timespec when, int64_t ns) {
    if (ns > GZ_LONGEST_TIMEOUT_NS) {
        ns = GZ_LONGEST_TIMEOUT_NS;
    }
    when.tv_sec += (time_t)(ns / 1000000000);
    when.tv_nsec += (long)(ns % 1000000000);
    if (when.tv_nsec >= 1000000000L) {
        when.tv_sec += 1;
        when.tv_nsec -= 1000000000L;
    }
    return when;
}

/* The monotonic time `ns` nanoseconds from now. */
struct timespec gz_after_ns(int64_t ns) {
    return plus_ns(gz_now(), ns);
}

/* Nanoseconds from `now` until `when`; negative once it has passed. */
static int64_t ns_from(struct timespec now, struct timespec when) {
    int64_t seconds = (int64_t)when.tv_sec - (int64_t)now.tv_sec;
    /* Deadlines are at most GZ_LONGEST_TIMEOUT_NS away; saturate anything further. */
    if (seconds > INT64_MAX / 1000000000 - 1) {
        return INT64_MAX;
    }
    if (seconds < INT64_MIN / 1000000000 + 1) {
        return INT64_MIN;
    }
    return seconds * 1000000000 + (int64_t)(when.tv_nsec - now.tv_nsec);
}

/* Nanoseconds from now until `when`; negative once it has passed. */
int64_t gz_ns_until(struct timespec when) {
    return ns_from(gz_now(), when);
}

/* Writes "level: message" to stderr in one write when the level is at or above the server's. */
void gz_log(const gz_server *server, gz_log_level level, const char *format, ...) {
    static const char *const names[] = {"debug", "info", "notice", "warning", "error", "critical"};
    char line[4096];
    va_list arguments;
    int prefix, length;
    int threshold = server != NULL ? server->log_level : GZ_LOG_INFO;
    if ((int)level < threshold || (int)level < 0 || (int)level > GZ_LOG_CRITICAL) {
        return;
    }
    prefix = snprintf(line, sizeof line, "%s: ", names[level]);
    va_start(arguments, format);
    length = vsnprintf(line + prefix, sizeof line - (size_t)prefix - 1, format, arguments);
    va_end(arguments);
    if (length < 0) {
        length = 0;
    }
    length += prefix;
    if ((size_t)length > sizeof line - 2) {
        length = (int)sizeof line - 2;
    }
    line[length++] = '\n';
    if (write(2, line, (size_t)length) < 0) {
        /* Nothing to do: stderr is gone. */
    }
}

/* Parses a log level's name; -1 when it is not one. */
static int parse_level(const char *text) {
    static const struct { const char *name; int level; } levels[] = {
        {"trace", GZ_LOG_DEBUG}, {"debug", GZ_LOG_DEBUG},    {"info", GZ_LOG_INFO},
        {"notice", GZ_LOG_NOTICE}, {"warning", GZ_LOG_WARNING}, {"warn", GZ_LOG_WARNING},
        {"error", GZ_LOG_ERROR}, {"err", GZ_LOG_ERROR},      {"critical", GZ_LOG_CRITICAL},
        {"crit", GZ_LOG_CRITICAL},
    };
    size_t i;
    for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcasecmp(text, levels[i].name) == 0) {
            return levels[i].level;
        }
    }
    return -1;
}

/* The option's value, or the environment variable's when the option is NULL or empty; NULL when neither. */
static const char *setting(const char *option, const char *variable) {
    const char *value = option;
    if (value == NULL || value[0] == '\0') {
        value = getenv(variable);
    }
    return value != NULL && value[0] != '\0' ? value : NULL;
}

/* Copies a string into *out (NULL stays NULL); -1 when memory runs out. */
static int copy_string(const char *text, char **out) {
    *out = NULL;
    if (text == NULL) {
        return 0;
    }
    *out = malloc(strlen(text) + 1);
    if (*out == NULL) {
        return -1;
    }
    strcpy(*out, text);
    return 0;
}

/* Copies `length` bytes into *out (none when `bytes` is NULL or `length` is 0: *out stays NULL); -1 when memory
 * runs out. */
static int copy_bytes(const uint8_t *bytes, size_t length, uint8_t **out, size_t *out_length) {
    *out = NULL;
    *out_length = 0;
    if (bytes == NULL || length == 0) {
        return 0;
    }
    *out = malloc(length);
    if (*out == NULL) {
        return -1;
    }
    memcpy(*out, bytes, length);
    *out_length = length;
    return 0;
}

/* Sets a descriptor non-blocking and close-on-exec. */
int gz_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        return -1;
    }
    return 0;
}

/* Makes a server from the options and the environment. */
gz_server *gz_server_new(const gz_server_options *options, char *error, size_t error_size) {
    char unused[1];
    const char *name, *socket_path, *host_socket, *token, *level_text, *pid_text;
    gz_server *server;
    int bad_level = 0;
    long host_pid = 0;

    if (error == NULL || error_size == 0) {
        error = unused;
        error_size = sizeof unused;
    }
    error[0] = '\0';
    if (options == NULL || options->version == NULL || options->version[0] == '\0') {
        snprintf(error, error_size, "the plugin's version is required (gz_server_options.version)");
        return NULL;
    }
    name = setting(options->name, "GONGZHI_PLUGIN_NAME");
    socket_path = setting(options->socket_path, "GONGZHI_PLUGIN_SOCKET");
    host_socket = setting(options->host_socket, "GONGZHI_HOST_SOCKET");
    token = setting(options->token, "GONGZHI_PLUGIN_TOKEN");
    level_text = setting(options->log_level, "GONGZHI_LOG_LEVEL");
    if (socket_path == NULL) {
        snprintf(error, error_size, "GONGZHI_PLUGIN_SOCKET is not set%s", gz_by_hand);
        return NULL;
    }
    if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(error, error_size, "the socket path %s is too long for a Unix-domain socket", socket_path);
        return NULL;
    }
    if (host_socket != NULL && name == NULL) {
        snprintf(error, error_size, "GONGZHI_PLUGIN_NAME is not set%s", gz_by_hand);
        return NULL;
    }
    if (host_socket != NULL && token == NULL) {
        snprintf(error, error_size, "GONGZHI_PLUGIN_TOKEN is not set%s", gz_by_hand);
        return NULL;
    }
    if (host_socket != NULL && strlen(host_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(error, error_size, "the host socket path %s is too long for a Unix-domain socket", host_socket);
        return NULL;
    }
    host_pid = options->host_pid;
    pid_text = getenv("GONGZHI_HOST_PID");
    if (host_pid == 0 && pid_text != NULL && pid_text[0] != '\0') {
        char *end = NULL;
        errno = 0;
        host_pid = strtol(pid_text, &end, 10);
        if (errno != 0 || end == NULL || *end != '\0' || host_pid <= 0 || host_pid > 0x7fffffffL) {
            snprintf(error, error_size, "GONGZHI_HOST_PID must be the host's process id, not %s", pid_text);
            return NULL;
        }
    }
    if (host_pid < 0) {
        snprintf(error, error_size, "host_pid must be a process id, not %ld", host_pid);
        return NULL;
    }
    if (options->file_descriptor_set == NULL && options->file_descriptor_set_length > 0) {
        snprintf(error, error_size, "file_descriptor_set is NULL but file_descriptor_set_length is %zu",
                 options->file_descriptor_set_length);
        return NULL;
    }
    if (options->file_descriptor_set != NULL && options->file_descriptor_set_length > 0 &&
        gz_descriptor_set_check(options->file_descriptor_set, options->file_descriptor_set_length, error,
                                error_size) != 0) {
        return NULL;
    }

#if defined(__GLIBC__)
    /* The allocator keeps the memory one call frees for the next: with glibc's defaults, a call's large
     * allocations (a 1 MiB payload unpacked, then packed again) are each mapped and unmapped, and freed memory
     * at the top of the heap is handed back, so the next call faults every page in again. Frames are at most
     * 4 MiB; 64 MiB of free memory is kept. The same settings as MallocSettings in the Swift SDK. */
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
    server = calloc(1, sizeof *server);
    if (server == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    server->listen_fd = -1;
    server->stop_pipe[0] = server->stop_pipe[1] = -1;
    server->host_pid = host_pid;
    server->log_level = GZ_LOG_INFO;
    if (level_text != NULL) {
        int level = parse_level(level_text);
        if (level >= 0) {
            server->log_level = level;
        } else {
            bad_level = 1;
        }
    }
    server->max_data = options->max_data == 0 || options->max_data > GZ_FRAME_MAX_DATA ? GZ_FRAME_MAX_DATA
                                                                                       : options->max_data;
    server->stall_ns = (int64_t)(options->stalled_frame_timeout_ms != 0 ? options->stalled_frame_timeout_ms
                                                                         : GZ_DEFAULT_STALLED_FRAME_TIMEOUT_MS) *
                       1000000;
    server->health = options->health;
    server->health_user_data = options->health_user_data;
    if (copy_string(name != NULL ? name : "", &server->name) != 0 ||
        copy_string(options->version, &server->version) != 0 || copy_string(socket_path, &server->socket_path) != 0 ||
        copy_string(host_socket, &server->host_socket) != 0 || copy_string(token, &server->token) != 0 ||
        copy_bytes(options->file_descriptor_set, options->file_descriptor_set_length, &server->file_descriptor_set,
                   &server->file_descriptor_set_length) != 0 ||
        (server->read_buffer = malloc(GZ_READ_CHUNK)) == NULL || gz_lifecycle_add(server) != 0) {
        snprintf(error, error_size, "out of memory");
        gz_server_free(server);
        return NULL;
    }
    if (pipe(server->stop_pipe) != 0 || gz_set_nonblocking(server->stop_pipe[0]) != 0 ||
        gz_set_nonblocking(server->stop_pipe[1]) != 0) {
        snprintf(error, error_size, "cannot make the stop pipe: %s", strerror(errno));
        gz_server_free(server);
        return NULL;
    }
    if (bad_level) {
        gz_log(server, GZ_LOG_WARNING,
               "GONGZHI_LOG_LEVEL=%s is not a log level (trace, debug, info, notice, warning, error, critical); "
               "logging at info", level_text);
    }
    return server;
}

/* Adds a method to the table. */
int gz_server_add_method(gz_server *server, const char *service, const char *method,
                         const ProtobufCMessageDescriptor *input, gz_unary_handler handler, void *user_data) {
    gz_method *grown = realloc(server->methods, (server->method_count + 1) * sizeof *grown);
    gz_method *entry;
    if (grown == NULL) {
        return -1;
    }
    server->methods = grown;
    entry = &server->methods[server->method_count];
    if (copy_string(service, &entry->service) != 0) {
        return -1;
    }
    if (copy_string(method, &entry->method) != 0) {
        free(entry->service);
        return -1;
    }
    entry->input = input;
    entry->handler = handler;
    entry->user_data = user_data;
    server->method_count++;
    return 0;
}

/* Adds one of the plugin's unary methods. */
int gz_server_add_unary(gz_server *server, const char *service, const char *method,
                        const ProtobufCMessageDescriptor *input, gz_unary_handler handler, void *user_data) {
    size_t i;
    if (server == NULL || service == NULL || method == NULL || service[0] == '\0' || method[0] == '\0' ||
        handler == NULL || server->running || strcmp(service, GZ_LIFECYCLE_SERVICE) == 0) {
        return -1;
    }
    for (i = 0; i < server->method_count; i++) {
        if (strcmp(server->methods[i].service, service) == 0 && strcmp(server->methods[i].method, method) == 0) {
            return -1;
        }
    }
    return gz_server_add_method(server, service, method, input, handler, user_data);
}

/* Makes a connection. */
gz_conn *gz_conn_new(int fd, uint32_t max_data) {
    gz_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL) {
        return NULL;
    }
    conn->fd = fd;
    gz_frame_decoder_init(&conn->decoder, max_data);
    return conn;
}

/* Frees a connection and closes its socket. */
void gz_conn_free(gz_conn *conn) {
    if (conn == NULL) {
        return;
    }
    if (conn->fd >= 0) {
        close(conn->fd);
    }
    gz_frame_decoder_free(&conn->decoder);
    free(conn->out);
    free(conn);
}

/* Makes room for `length` more bytes of output and returns where they go; NULL (and the connection marked dead)
 * when memory runs out. The output buffer is the connection's own, kept from call to call. */
uint8_t *gz_conn_reserve(gz_conn *conn, size_t length) {
    if (conn->out_start > 0 && conn->out_capacity - conn->out_end < length) {
        memmove(conn->out, conn->out + conn->out_start, conn->out_end - conn->out_start);
        conn->out_end -= conn->out_start;
        conn->out_start = 0;
    }
    if (conn->out_capacity - conn->out_end < length) {
        size_t capacity = conn->out_capacity > 0 ? conn->out_capacity : 4096;
        uint8_t *grown;
        while (capacity - conn->out_end < length) {
            capacity *= 2;
        }
        grown = realloc(conn->out, capacity);
        if (grown == NULL) {
            conn->dead = 1;
            return NULL;
        }
        conn->out = grown;
        conn->out_capacity = capacity;
    }
    return conn->out + conn->out_end;
}

/* Queues bytes to send. */
int gz_conn_queue(gz_conn *conn, const uint8_t *bytes, size_t length) {
    uint8_t *room = gz_conn_reserve(conn, length);
    if (room == NULL) {
        return -1;
    }
    if (length > 0) {
        memcpy(room, bytes, length);
    }
    conn->out_end += length;
    return 0;
}

/* Queues a frame whose data are `message` packed (none when NULL), packing it straight into the output. */
int gz_conn_queue_frame(gz_conn *conn, uint32_t stream_id, uint8_t type, uint8_t flags,
                        const ProtobufCMessage *message) {
    size_t size = message != NULL ? protobuf_c_message_get_packed_size(message) : 0;
    gz_frame_header header;
    uint8_t *room;
    if (size > GZ_FRAME_MAX_DATA) {
        return -1;
    }
    room = gz_conn_reserve(conn, GZ_FRAME_HEADER_SIZE + size);
    if (room == NULL) {
        return -1;
    }
    header.length = (uint32_t)size;
    header.stream_id = stream_id;
    header.type = type;
    header.flags = flags;
    gz_frame_header_encode(&header, room);
    if (size > 0 && protobuf_c_message_pack(message, room + GZ_FRAME_HEADER_SIZE) != size) {
        return -1;
    }
    conn->out_end += GZ_FRAME_HEADER_SIZE + size;
    return 0;
}

/* Writes what the socket takes of a connection's output; marks it dead on a write error. */
static void flush_conn(gz_conn *conn) {
    while (conn->out_start < conn->out_end && !conn->dead) {
        ssize_t sent = send(conn->fd, conn->out + conn->out_start, conn->out_end - conn->out_start, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                conn->dead = 1;
            }
            return;
        }
        conn->out_start += (size_t)sent;
    }
    if (conn->out_start == conn->out_end) {
        conn->out_start = conn->out_end = 0;
    }
}

/* Reads what is there: returns the bytes read, 0 at the end of input, -1 when nothing is there now. Bytes read
 * start the stall timeout again. */
static ssize_t read_conn(gz_server *server, gz_conn *conn) {
    ssize_t got;
    do {
        got = recv(conn->fd, server->read_buffer, GZ_READ_CHUNK, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        conn->dead = 1;
    }
    if (got > 0) {
        conn->stall_deadline = gz_after_ns(server->stall_ns);
    }
    return got;
}

/* Begins a stop: the first one decides the exit status. */
void gz_server_begin_stop(gz_server *server, int status, int64_t grace_ms) {
    if (server->stopping) {
        return;
    }
    server->stopping = 1;
    server->exit_status = status;
    server->stop_deadline = gz_after_ns(grace_ms * 1000000);
    if (server->listen_fd >= 0) {
        close(server->listen_fd);
        server->listen_fd = -1;
    }
}

/* Binds and listens on the plugin's socket, replacing a stale socket file. */
static int listen_on_socket(gz_server *server) {
    struct sockaddr_un address;
    struct stat info;
    int fd;

    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strcpy(address.sun_path, server->socket_path);
    if (lstat(server->socket_path, &info) == 0) {
        int probe;
        if (!S_ISSOCK(info.st_mode)) {
            gz_log(server, GZ_LOG_CRITICAL, "cannot serve %s: the file exists and is not a socket", server->socket_path);
            return -1;
        }
        probe = socket(AF_UNIX, SOCK_STREAM, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&address, sizeof address) == 0) {
            close(probe);
            gz_log(server, GZ_LOG_CRITICAL, "cannot serve %s: another process is serving it", server->socket_path);
            return -1;
        }
        if (probe >= 0) {
            close(probe);
        }
        unlink(server->socket_path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || gz_set_nonblocking(fd) != 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        chmod(server->socket_path, 0600) != 0 || listen(fd, 128) != 0) {
        gz_log(server, GZ_LOG_CRITICAL, "cannot serve %s: %s", server->socket_path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    server->listen_fd = fd;
    return 0;
}

/* Accepts waiting connections and records each peer's credentials. */
static void accept_connections(gz_server *server) {
    for (;;) {
        struct ucred peer;
        socklen_t peer_size = sizeof peer;
        gz_conn **grown, *conn;
        int fd = accept(server->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                gz_log(server, GZ_LOG_WARNING, "accepting a connection failed: %s", strerror(errno));
            }
            return;
        }
        if (server->conn_count >= GZ_MAX_CONNECTIONS || gz_set_nonblocking(fd) != 0 ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_size) != 0) {
            gz_log(server, GZ_LOG_WARNING, "refusing a connection (%zu open)", server->conn_count);
            close(fd);
            continue;
        }
        grown = realloc(server->conns, (server->conn_count + 1) * sizeof *grown);
        if (grown != NULL) {
            server->conns = grown;
        }
        conn = grown != NULL ? gz_conn_new(fd, server->max_data) : NULL;
        if (conn == NULL) {
            gz_log(server, GZ_LOG_ERROR, "refusing a connection: out of memory");
            close(fd);
            continue;
        }
        conn->pid = peer.pid;
        conn->uid = peer.uid;
        server->conns[server->conn_count++] = conn;
    }
}

/* True when no connection has output waiting. */
static int all_flushed(const gz_server *server) {
    size_t i;
    for (i = 0; i < server->conn_count; i++) {
        if (server->conns[i]->out_end > server->conns[i]->out_start) {
            return 0;
        }
    }
    return 1;
}

/* Closes and forgets dead connections and finished ones whose output is written. */
static void reap_connections(gz_server *server) {
    size_t i = 0;
    while (i < server->conn_count) {
        gz_conn *conn = server->conns[i];
        if (conn->dead || (conn->read_closed && conn->out_end == conn->out_start)) {
            gz_conn_free(conn);
            server->conns[i] = server->conns[--server->conn_count];
        } else {
            i++;
        }
    }
}

/* True while the loop reads a caller's connection: not while stopping, nor once the caller has finished sending,
 * nor while more than GZ_OUTPUT_HIGH_WATER of its answers wait unread. */
static int reading_conn(const gz_server *server, const gz_conn *conn) {
    return !server->stopping && !conn->read_closed && conn->out_end - conn->out_start < GZ_OUTPUT_HIGH_WATER;
}

/* Runs a connection's stall clock for the coming poll, the loop reading it or not (`reading`), as of `now`: while
 * the loop does not read it or answers to it wait to be written, the peer is not the one holding things up, and
 * the clock starts again; otherwise, when the connection is in the middle of a frame, *earliest (negative: none
 * yet) keeps the nanoseconds left until the first stall deadline. */
static void run_stall_clock(const gz_server *server, gz_conn *conn, int reading, struct timespec now,
                            int64_t *earliest) {
    int64_t left;
    if (!reading || conn->out_end > conn->out_start) {
        conn->stall_deadline = plus_ns(now, server->stall_ns);
        return;
    }
    if (!gz_frame_decoder_mid_frame(&conn->decoder)) {
        return;
    }
    left = ns_from(now, conn->stall_deadline);
    if (left < 0) {
        left = 0;
    }
    if (*earliest < 0 || left < *earliest) {
        *earliest = left;
    }
}

/* Milliseconds for poll to wait `ns` nanoseconds, rounded up so that it wakes after the time, not just before. */
static int poll_timeout_ms(int64_t ns) {
    int64_t ms = ns / 1000000 + (ns % 1000000 > 0 ? 1 : 0);
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* True, with a warning, when a connection polled for input only (nothing of its to write) is in the middle of a
 * frame and nothing has come from it by its stall deadline, as of `now`: when poll returned without input on it. */
static int stalled(const gz_server *server, const gz_conn *conn, struct timespec now) {
    char timeout[32];
    if (server->stopping || !gz_frame_decoder_mid_frame(&conn->decoder) || ns_from(now, conn->stall_deadline) > 0) {
        return 0;
    }
    if (server->stall_ns % 1000000000 == 0) {
        snprintf(timeout, sizeof timeout, "%lld s", (long long)(server->stall_ns / 1000000000));
    } else {
        snprintf(timeout, sizeof timeout, "%lld ms", (long long)(server->stall_ns / 1000000));
    }
    if (conn == server->host) {
        gz_log(server, GZ_LOG_WARNING, "closing the connection to the host: it stopped sending in the middle of a "
               "frame for %s", timeout);
    } else {
        gz_log(server, GZ_LOG_WARNING, "closing the connection of pid %ld (uid %ld): it stopped sending in the "
               "middle of a frame for %s", (long)conn->pid, (long)conn->uid, timeout);
    }
    return 1;
}

/* Serves the host connection's readiness (`events`, from the poll for `polled` that returned at `now`): output,
 * then input; closes it when it has stalled in the middle of a frame. */
static void serve_host(gz_server *server, short polled, short events, struct timespec now) {
    gz_conn *host = server->host;
    if (events & POLLOUT) {
        flush_conn(host);
    }
    if ((events & (POLLIN | POLLHUP | POLLERR)) && !host->dead) {
        ssize_t got = read_conn(server, host);
        if (got > 0) {
            gz_register_input(server, server->read_buffer, (size_t)got);
        } else if (got == 0) {
            host->dead = 1;
        }
    } else if (!host->dead && !(polled & POLLOUT) && stalled(server, host, now)) {
        host->dead = 1;
    }
    if (host->dead) {
        gz_register_closed(server);
        gz_conn_free(server->host);
        server->host = NULL;
    }
}

/* The poll loop: runs until a stop has begun and the output is written (or its grace period ends). */
static int serve(gz_server *server) {
    struct pollfd *fds = NULL;
    size_t capacity = 0;

    for (;;) {
        size_t count = 0, first_conn, conn_polled, i;
        int timeout = -1, ready;
        int64_t stall_wait = -1; /* nanoseconds until the first stall deadline; negative: none */
        struct timespec now = gz_now(), woke;

        if (server->stopping && (all_flushed(server) || gz_ns_until(server->stop_deadline) <= 0)) {
            break;
        }
        if (capacity < server->conn_count + 3) {
            struct pollfd *grown = realloc(fds, (server->conn_count + 3) * sizeof *grown);
            if (grown == NULL) {
                gz_log(server, GZ_LOG_CRITICAL, "out of memory while serving");
                free(fds);
                return 1;
            }
            fds = grown;
            capacity = server->conn_count + 3;
        }
        fds[count].fd = server->stop_pipe[0];
        fds[count++].events = POLLIN;
        fds[count].fd = server->listen_fd;
        fds[count++].events = POLLIN;
        fds[count].fd = server->host != NULL ? server->host->fd : -1;
        fds[count++].events = (short)(POLLIN | (server->host != NULL && server->host->out_end > server->host->out_start
                                                    ? POLLOUT : 0));
        if (server->host != NULL) {
            run_stall_clock(server, server->host, !server->stopping, now, &stall_wait);
        }
        first_conn = count;
        for (i = 0; i < server->conn_count; i++) {
            gz_conn *conn = server->conns[i];
            size_t pending = conn->out_end - conn->out_start;
            int reading = reading_conn(server, conn);
            fds[count].fd = conn->fd;
            fds[count++].events = (short)((reading ? POLLIN : 0) | (pending > 0 ? POLLOUT : 0));
            run_stall_clock(server, conn, reading, now, &stall_wait);
        }
        conn_polled = server->conn_count;
        if (server->stopping) {
            int64_t left = gz_ns_until(server->stop_deadline) / 1000000 + 1;
            timeout = left > 0x7fffffff ? 0x7fffffff : (int)left;
        } else if (stall_wait >= 0) {
            timeout = poll_timeout_ms(stall_wait);
        }
        for (i = 0; i < count; i++) {
            fds[i].revents = 0;
        }
        ready = poll(fds, (nfds_t)count, timeout);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            gz_log(server, GZ_LOG_CRITICAL, "poll failed: %s", strerror(errno));
            free(fds);
            return 1;
        }
        woke = gz_now();
        if (fds[0].revents & POLLIN) {
            char drained[64];
            while (read(server->stop_pipe[0], drained, sizeof drained) > 0) {
            }
            gz_log(server, GZ_LOG_INFO, "stopping");
            gz_server_begin_stop(server, 0, GZ_DEFAULT_GRACE_MS);
        }
        for (i = 0; i < conn_polled; i++) {
            gz_conn *conn = server->conns[i];
            short events = fds[first_conn + i].revents;
            if (events & POLLOUT) {
                flush_conn(conn);
            }
            if ((events & (POLLIN | POLLHUP | POLLERR)) && !conn->dead && !server->stopping) {
                ssize_t got = read_conn(server, conn);
                if (got > 0) {
                    gz_serve_input(server, conn, server->read_buffer, (size_t)got);
                } else if (got == 0) {
                    conn->read_closed = 1;
                }
            } else if ((events & (POLLHUP | POLLERR)) && !(events & POLLOUT)) {
                conn->dead = 1;
            } else if (fds[first_conn + i].events == POLLIN && !(events & POLLIN) && !conn->dead &&
                       stalled(server, conn, woke)) {
                conn->dead = 1;
            }
            if (!conn->dead) {
                flush_conn(conn);
            }
        }
        if (server->host != NULL) {
            serve_host(server, fds[2].events, fds[2].revents, woke);
        }
        reap_connections(server);
        if (server->listen_fd >= 0 && (fds[1].revents & POLLIN)) {
            accept_connections(server);
        }
    }
    free(fds);
    return server->exit_status;
}

/* Closes every connection and the listening socket, and removes the socket file. */
static void close_everything(gz_server *server) {
    size_t i;
    for (i = 0; i < server->conn_count; i++) {
        gz_conn_free(server->conns[i]);
    }
    server->conn_count = 0;
    gz_conn_free(server->host);
    server->host = NULL;
    if (server->listen_fd >= 0) {
        close(server->listen_fd);
        server->listen_fd = -1;
    }
    unlink(server->socket_path);
}

/* Serves until a shutdown, a stop, or the end of the host. */
int gz_server_run(gz_server *server) {
    int status;
    if (server == NULL || server->running) {
        return 1;
    }
    server->running = 1;
    if (server->host_pid > 0) {
        int problem = prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
        pid_t parent = getppid();
        if ((long)parent != server->host_pid) {
            gz_log(server, GZ_LOG_ERROR, "the host that started this plugin (pid %ld) is gone (the parent is now pid "
                   "%ld); exiting", server->host_pid, (long)parent);
            return 1;
        }
        if (problem != 0) {
            gz_log(server, GZ_LOG_WARNING, "cannot follow the host's life: prctl(PR_SET_PDEATHSIG) failed: %s",
                   strerror(errno));
        }
    }
    if (listen_on_socket(server) != 0) {
        return 1;
    }
    if (server->host_socket != NULL && gz_register_start(server) != 0) {
        close_everything(server);
        return 1;
    }
    status = serve(server);
    close_everything(server);
    gz_log(server, GZ_LOG_INFO, "stopped (status %d)", status);
    return status;
}

/* Asks a running server to stop: one byte into its pipe; safe in signal handlers. */
void gz_server_stop(gz_server *server) {
    int saved = errno;
    if (server != NULL && server->stop_pipe[1] >= 0) {
        if (write(server->stop_pipe[1], "s", 1) < 0) {
            /* The pipe is full: a stop is already waiting. */
        }
    }
    errno = saved;
}

/* Closes the server's sockets and frees it. */
void gz_server_free(gz_server *server) {
    size_t i;
    if (server == NULL) {
        return;
    }
    for (i = 0; i < server->conn_count; i++) {
        gz_conn_free(server->conns[i]);
    }
    free(server->conns);
    gz_conn_free(server->host);
    if (server->listen_fd >= 0) {
        close(server->listen_fd);
    }
    if (server->stop_pipe[0] >= 0) {
        close(server->stop_pipe[0]);
    }
    if (server->stop_pipe[1] >= 0) {
        close(server->stop_pipe[1]);
    }
    for (i = 0; i < server->method_count; i++) {
        free(server->methods[i].service);
        free(server->methods[i].method);
    }
    free(server->methods);
    free(server->read_buffer);
    free(server->name);
    free(server->version);
    free(server->socket_path);
    free(server->host_socket);
    free(server->token);
    free(server->file_descriptor_set);
    free(server);
}
