/* Helpers shared by the C SDK's tests. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

/* Makes a fresh temporary folder. */
void make_temp_dir(char *out, size_t size) {
    char pattern[] = "/tmp/gz-c-test-XXXXXX";
    CHECK(mkdtemp(pattern) != NULL);
    CHECK(chmod(pattern, 0711) == 0);
    CHECK(strlen(pattern) < size);
    strcpy(out, pattern);
}

/* Removes the folder (its sockets are removed by the servers). */
void remove_temp_dir(const char *dir) {
    rmdir(dir);
}

/* The thread that runs a server. */
static void *server_thread(void *argument) {
    test_server *running = argument;
    running->status = gz_server_run(running->server);
    return NULL;
}

/* Starts gz_server_run on a thread. */
void start_server(test_server *running, gz_server *server) {
    running->server = server;
    running->status = -1;
    CHECK(pthread_create(&running->thread, NULL, server_thread, running) == 0);
}

/* Waits for gz_server_run to return. */
int join_server(test_server *running) {
    CHECK(pthread_join(running->thread, NULL) == 0);
    return running->status;
}

/* Sleeps for `ms` milliseconds. */
void sleep_ms(long ms) {
    struct timespec pause;
    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
}

/* Connects to a Unix socket, waiting for it to appear. */
int connect_socket(const char *path) {
    struct sockaddr_un address;
    int attempt;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof address.sun_path);
    strcpy(address.sun_path, path);
    for (attempt = 0; attempt < 500; attempt++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK(fd >= 0);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
            return fd;
        }
        close(fd);
        sleep_ms(10);
    }
    fprintf(stderr, "cannot connect to %s\n", path);
    exit(1);
}

/* Writes every byte. */
void write_all(int fd, const void *bytes, size_t length) {
    const uint8_t *next = bytes;
    while (length > 0) {
        ssize_t wrote = send(fd, next, length, MSG_NOSIGNAL);
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        CHECK(wrote > 0);
        next += wrote;
        length -= (size_t)wrote;
    }
}

/* Writes one frame. */
void send_frame(int fd, uint32_t stream_id, uint8_t type, uint8_t flags, const void *data, size_t length) {
    gz_frame_header header;
    uint8_t bytes[GZ_FRAME_HEADER_SIZE];
    header.length = (uint32_t)length;
    header.stream_id = stream_id;
    header.type = type;
    header.flags = flags;
    gz_frame_header_encode(&header, bytes);
    write_all(fd, bytes, sizeof bytes);
    if (length > 0) {
        write_all(fd, data, length);
    }
}

/* Packs a message into a new buffer. */
uint8_t *pack_message(const ProtobufCMessage *message, size_t *length) {
    uint8_t *bytes;
    *length = protobuf_c_message_get_packed_size(message);
    bytes = malloc(*length + 1);
    CHECK(bytes != NULL);
    protobuf_c_message_pack(message, bytes);
    return bytes;
}

/* Encodes a Request envelope. */
void encode_request(const char *service, const char *method, const void *payload, size_t payload_length,
                    int64_t timeout_nano, const char *metadata_key, const char *metadata_value, uint8_t **out,
                    size_t *out_length) {
    Gongzhi__Rpc__V1__Request request = GONGZHI__RPC__V1__REQUEST__INIT;
    Gongzhi__Rpc__V1__KeyValue entry = GONGZHI__RPC__V1__KEY_VALUE__INIT;
    Gongzhi__Rpc__V1__KeyValue *metadata[1] = {&entry};
    request.service = (char *)service;
    request.method = (char *)method;
    request.payload.data = (uint8_t *)payload;
    request.payload.len = payload_length;
    request.timeout_nano = timeout_nano;
    if (metadata_key != NULL) {
        entry.key = (char *)metadata_key;
        entry.value = (char *)metadata_value;
        request.n_metadata = 1;
        request.metadata = metadata;
    }
    *out = pack_message(&request.base, out_length);
}

/* Sends a request frame. */
void send_request(int fd, uint32_t stream_id, uint8_t flags, const char *service, const char *method,
                  const void *payload, size_t payload_length, int64_t timeout_nano) {
    uint8_t *envelope;
    size_t length;
    encode_request(service, method, payload, payload_length, timeout_nano, NULL, NULL, &envelope, &length);
    send_frame(fd, stream_id, GZ_FRAME_REQUEST, flags, envelope, length);
    free(envelope);
}

/* Reads exactly `length` bytes within 10 s; 0 at the end of input. */
static int read_exactly(int fd, uint8_t *out, size_t length) {
    size_t filled = 0;
    while (filled < length) {
        struct pollfd ready = {fd, POLLIN, 0};
        ssize_t got;
        int polled = poll(&ready, 1, 10000);
        CHECK(polled >= 0 || errno == EINTR);
        if (polled == 0) {
            fprintf(stderr, "timed out waiting for the server\n");
            exit(1);
        }
        got = recv(fd, out + filled, length - filled, 0);
        if (got == 0 || (got < 0 && errno == ECONNRESET)) {
            return 0;
        }
        if (got < 0 && errno == EINTR) {
            continue;
        }
        CHECK(got > 0);
        filled += (size_t)got;
    }
    return 1;
}

/* Reads one frame. */
int read_frame(int fd, gz_frame_header *header, uint8_t **data) {
    uint8_t bytes[GZ_FRAME_HEADER_SIZE];
    *data = NULL;
    if (!read_exactly(fd, bytes, sizeof bytes)) {
        return 0;
    }
    gz_frame_header_decode(bytes, header);
    CHECK(header->length <= GZ_FRAME_MAX_DATA);
    *data = malloc(header->length + 1);
    CHECK(*data != NULL);
    CHECK(read_exactly(fd, *data, header->length));
    return 1;
}

/* Reads and decodes a response frame on `stream_id`. */
Gongzhi__Rpc__V1__Response *read_response(int fd, uint32_t stream_id) {
    gz_frame_header header;
    uint8_t *data;
    Gongzhi__Rpc__V1__Response *response;
    CHECK(read_frame(fd, &header, &data) == 1);
    CHECK(header.type == GZ_FRAME_RESPONSE);
    CHECK(header.stream_id == stream_id);
    response = gongzhi__rpc__v1__response__unpack(NULL, header.length, data);
    free(data);
    CHECK(response != NULL);
    return response;
}

/* The response's status code. */
int response_code(const Gongzhi__Rpc__V1__Response *response) {
    return response->status != NULL ? response->status->code : 0;
}

/* The response's status message. */
const char *response_message(const Gongzhi__Rpc__V1__Response *response) {
    return response->status != NULL && response->status->message != NULL ? response->status->message : "";
}

/* Sends a request and reads its answer. */
Gongzhi__Rpc__V1__Response *call(int fd, uint32_t stream_id, const char *service, const char *method,
                                 const void *payload, size_t payload_length, int64_t timeout_nano) {
    send_request(fd, stream_id, 0, service, method, payload, payload_length, timeout_nano);
    return read_response(fd, stream_id);
}

/* True when the peer closed the connection. */
int peer_closed(int fd) {
    uint8_t byte;
    struct pollfd ready = {fd, POLLIN, 0};
    ssize_t got;
    if (poll(&ready, 1, 5000) <= 0) {
        return 0;
    }
    got = recv(fd, &byte, 1, 0);
    return got == 0 || (got < 0 && errno == ECONNRESET);
}
