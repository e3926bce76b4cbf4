/* libFuzzer target: bytes from a caller go through the frame decoder, the envelope, and dispatch on an
 * in-memory connection; every answer written back must be a well-formed response frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "gongzhi/plugin/v1/plugin.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Echo: answers the raw payload. */
static void fuzz_echo(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    size_t length;
    const uint8_t *payload = gz_call_payload(call, &length);
    (void)request;
    (void)user_data;
    if (gz_call_metadata(call, "fail") != NULL) {
        gz_call_fail(call, GZ_NOT_FOUND, "failing as asked by %s", gz_call_caller(call) ? "a caller" : "nobody");
        return;
    }
    gz_call_reply_bytes(call, payload, length);
}

/* Typed: answers its decoded request packed again. */
static void fuzz_typed(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    (void)user_data;
    if (gz_call_remaining_ms(call) != 0) {
        gz_call_reply(call, request);
    }
}

/* The server the inputs are served by: made once, never listening. */
static gz_server *fuzz_server(void) {
    static gz_server *server;
    if (server == NULL) {
        gz_server_options options;
        char error[256];
        memset(&options, 0, sizeof options);
        options.name = "fuzz";
        options.version = "0.0.0";
        options.socket_path = "/tmp/gongzhi-fuzz-unused.sock";
        options.log_level = "critical";
        options.max_data = 4096;
        server = gz_server_new(&options, error, sizeof error);
        if (server == NULL || gz_server_add_unary(server, "f.v1.F", "Echo", NULL, fuzz_echo, NULL) != 0 ||
            gz_server_add_unary(server, "f.v1.F", "Typed", &gongzhi__plugin__v1__shutdown_request__descriptor,
                                fuzz_typed, NULL) != 0) {
            abort();
        }
    }
    return server;
}

/* Checks that the connection's output is whole response frames, each a valid Response envelope. */
static void check_output(const gz_conn *conn) {
    size_t offset = conn->out_start;
    while (offset < conn->out_end) {
        gz_frame_header header;
        Gongzhi__Rpc__V1__Response *response;
        if (conn->out_end - offset < GZ_FRAME_HEADER_SIZE) {
            abort();
        }
        gz_frame_header_decode(conn->out + offset, &header);
        offset += GZ_FRAME_HEADER_SIZE;
        if (header.type != GZ_FRAME_RESPONSE || header.length > 4096 || conn->out_end - offset < header.length) {
            abort();
        }
        response = gongzhi__rpc__v1__response__unpack(NULL, header.length, conn->out + offset);
        if (response == NULL) {
            abort();
        }
        gongzhi__rpc__v1__response__free_unpacked(response, NULL);
        offset += header.length;
    }
}

/* Feeds one input in pieces (their size from the first byte) to a fresh connection. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gz_server *server = fuzz_server();
    gz_conn *conn;
    size_t piece, offset = 0;
    if (size == 0) {
        return 0;
    }
    piece = 1 + data[0] % 64;
    if (data[0] >= 128) {
        piece = size;
    }
    data++;
    size--;
    conn = gz_conn_new(-1, server->max_data);
    if (conn == NULL) {
        return 0;
    }
    conn->uid = getuid();
    while (offset < size && !conn->dead) {
        size_t length = size - offset < piece ? size - offset : piece;
        gz_serve_input(server, conn, data + offset, length);
        offset += length;
    }
    if (!conn->dead) {
        check_output(conn);
    }
    gz_conn_free(conn);
    server->stopping = 0; /* a Shutdown in the input stops nothing here */
    return 0;
}
