/* Helpers shared by the C SDK's tests: checks, raw ttrpc clients, and servers run on threads. */
#ifndef GZ_TEST_SUPPORT_H
#define GZ_TEST_SUPPORT_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongzhi_plugin.h"
#include "gongzhi/rpc/v1/envelope.pb-c.h"

/* Fails the run, naming the file and line, when `condition` is false. */
#define CHECK(condition)                                                                                    \
    do {                                                                                                    \
        if (!(condition)) {                                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);                   \
            exit(1);                                                                                        \
        }                                                                                                   \
    } while (0)

/* Fails the run unless `text` contains `part`. */
#define CHECK_CONTAINS(text, part)                                                                          \
    do {                                                                                                    \
        const char *checked_text_ = (text);                                                                 \
        if (checked_text_ == NULL || strstr(checked_text_, (part)) == NULL) {                               \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,                  \
                    checked_text_ != NULL ? checked_text_ : "(null)", (part));                              \
            exit(1);                                                                                        \
        }                                                                                                   \
    } while (0)

/* Runs one named test function and says so. */
#define RUN(test)                                                                                           \
    do {                                                                                                    \
        fprintf(stderr, "-- %s\n", #test);                                                                  \
        test();                                                                                             \
    } while (0)

/* A server running gz_server_run on its own thread. */
typedef struct test_server {
    gz_server *server;
    pthread_t thread;
    int status;
} test_server;

/* Makes a fresh temporary folder (mode 0711) and writes its path into `out`. */
void make_temp_dir(char *out, size_t size);
/* Removes the files named and the folder. */
void remove_temp_dir(const char *dir);
/* Starts gz_server_run on a thread. */
void start_server(test_server *running, gz_server *server);
/* Waits for gz_server_run to return and gives its status. */
int join_server(test_server *running);

/* Connects to a Unix socket, waiting up to 5 s for it to appear; fails the run otherwise. */
int connect_socket(const char *path);
/* Writes every byte or fails the run. */
void write_all(int fd, const void *bytes, size_t length);
/* Writes one frame. */
void send_frame(int fd, uint32_t stream_id, uint8_t type, uint8_t flags, const void *data, size_t length);
/* Encodes a Request envelope; the caller frees *out. */
void encode_request(const char *service, const char *method, const void *payload, size_t payload_length,
                    int64_t timeout_nano, const char *metadata_key, const char *metadata_value, uint8_t **out,
                    size_t *out_length);
/* Sends a request frame with the envelope. */
void send_request(int fd, uint32_t stream_id, uint8_t flags, const char *service, const char *method,
                  const void *payload, size_t payload_length, int64_t timeout_nano);
/* Packs a message into a new buffer. */
uint8_t *pack_message(const ProtobufCMessage *message, size_t *length);
/* Reads one frame (data in a new buffer, freed by the caller); 1 for a frame, 0 at the end of input. */
int read_frame(int fd, gz_frame_header *header, uint8_t **data);
/* Reads a response frame on `stream_id` and decodes it; fails the run otherwise. */
Gongzhi__Rpc__V1__Response *read_response(int fd, uint32_t stream_id);
/* The response's status code (0 without a status) and message. */
int response_code(const Gongzhi__Rpc__V1__Response *response);
const char *response_message(const Gongzhi__Rpc__V1__Response *response);
/* Sends a request and reads its answer. */
Gongzhi__Rpc__V1__Response *call(int fd, uint32_t stream_id, const char *service, const char *method,
                                 const void *payload, size_t payload_length, int64_t timeout_nano);
/* True when the peer closed the connection (read sees the end within 5 s). */
int peer_closed(int fd);
/* Sleeps for `ms` milliseconds. */
void sleep_ms(long ms);

#endif
