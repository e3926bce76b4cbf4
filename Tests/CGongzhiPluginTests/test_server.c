/* Tests of gz_server: real sockets, raw frames, one server (or two) on threads. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"
#include "gongzhi/host/v1/registration.pb-c.h"
#include "gongzhi/plugin/v1/plugin.pb-c.h"

#define SERVICE "gongzhi.test.v1.Sample"
#define LIMIT 65536u

static char folder[128];

/* Echo: answers the raw payload. */
static void echo(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    size_t length;
    const uint8_t *payload = gz_call_payload(call, &length);
    CHECK(request == NULL && user_data == NULL);
    CHECK(strcmp(gz_call_service(call), SERVICE) == 0 && strcmp(gz_call_method(call), "Echo") == 0);
    CHECK(gz_call_remaining_ms(call) == -1 || gz_call_remaining_ms(call) >= 0);
    CHECK(gz_call_reply_bytes(call, payload, length) == 0);
    CHECK(gz_call_fail(call, GZ_INTERNAL, "second answer") == -1);
}

/* Typed: decodes a ShutdownRequest and answers its reason in a HealthResponse; counts its calls. */
static void typed(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    const Gongzhi__Plugin__V1__ShutdownRequest *input = (const Gongzhi__Plugin__V1__ShutdownRequest *)request;
    Gongzhi__Plugin__V1__HealthResponse response = GONGZHI__PLUGIN__V1__HEALTH_RESPONSE__INIT;
    CHECK(request != NULL && request->descriptor == &gongzhi__plugin__v1__shutdown_request__descriptor);
    (*(int *)user_data)++;
    response.message = input->reason;
    response.status = GONGZHI__PLUGIN__V1__HEALTH_RESPONSE__SERVING_STATUS__SERVING_STATUS_DEGRADED;
    gz_call_reply(call, &response.base);
}

/* Count: counts its calls and answers nothing. */
static void count(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    CHECK(request != NULL && request->descriptor == &gongzhi__host__v1__register_request__descriptor);
    (*(int *)user_data)++;
    gz_call_reply(call, NULL);
}

/* Slow: reads its remaining time, sleeps 300 ms, answers. */
static void slow(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    int64_t left = gz_call_remaining_ms(call);
    (void)request;
    (void)user_data;
    CHECK(left >= 0 && left <= 100);
    sleep_ms(300);
    gz_call_reply_bytes(call, (const uint8_t *)"late", 4);
}

/* Silent: returns without answering. */
static void silent(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    (void)call;
    (void)request;
    (void)user_data;
}

/* Caller: answers gongzhi-caller, and fails when it is missing. */
static void caller(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    const char *who = gz_call_caller(call);
    (void)request;
    (void)user_data;
    if (who == NULL) {
        gz_call_fail(call, GZ_PERMISSION_DENIED, "no caller in %s", gz_call_method(call));
        return;
    }
    gz_call_reply_bytes(call, (const uint8_t *)who, strlen(who));
}

/* Big: answers more than a frame holds. */
static void big(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    uint8_t *bytes = calloc(1, LIMIT + 1);
    (void)request;
    (void)user_data;
    CHECK(bytes != NULL);
    CHECK(gz_call_reply_bytes(call, bytes, LIMIT + 1) == -1);
    free(bytes);
}

/* Health callback: degraded, with a message. */
static gz_health degraded(void *user_data, char *message, size_t size) {
    snprintf(message, size, "%s", (const char *)user_data);
    return GZ_HEALTH_DEGRADED;
}

/* Makes a server on `folder/<file>` with the test methods, logging at `log_level` (unless GZ_TEST_VERBOSE) and
 * closing connections stalled in the middle of a frame after `stalled_ms` (0: the default). */
static gz_server *make_server_with(const char *file, const char *name, int *typed_calls, uint32_t max_data,
                                   const char *log_level, uint32_t stalled_ms) {
    char path[256], error[256];
    gz_server_options options;
    gz_server *server;
    memset(&options, 0, sizeof options);
    snprintf(path, sizeof path, "%s/%s", folder, file);
    options.name = name;
    options.version = "0.1.0";
    options.socket_path = path;
    options.max_data = max_data;
    options.log_level = getenv("GZ_TEST_VERBOSE") != NULL ? "debug" : log_level;
    options.stalled_frame_timeout_ms = stalled_ms;
    server = gz_server_new(&options, error, sizeof error);
    if (server == NULL) {
        fprintf(stderr, "gz_server_new: %s\n", error);
    }
    CHECK(server != NULL);
    CHECK(gz_server_add_unary(server, SERVICE, "Echo", NULL, echo, NULL) == 0);
    CHECK(gz_server_add_unary(server, SERVICE, "Typed", &gongzhi__plugin__v1__shutdown_request__descriptor, typed,
                              typed_calls) == 0);
    CHECK(gz_server_add_unary(server, SERVICE, "Budget", &gongzhi__host__v1__register_request__descriptor, count,
                              typed_calls) == 0);
    CHECK(gz_server_add_unary(server, SERVICE, "Slow", NULL, slow, NULL) == 0);
    CHECK(gz_server_add_unary(server, SERVICE, "Silent", NULL, silent, NULL) == 0);
    CHECK(gz_server_add_unary(server, SERVICE, "Caller", NULL, caller, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Other", "Big", NULL, big, NULL) == 0);
    CHECK(gz_server_add_unary(server, SERVICE, "Echo", NULL, echo, NULL) == -1);
    CHECK(gz_server_add_unary(server, GZ_LIFECYCLE_SERVICE, "Extra", NULL, echo, NULL) == -1);
    CHECK(gz_server_add_unary(server, "", "X", NULL, echo, NULL) == -1);
    return server;
}

/* Makes a server on `folder/<file>` with the test methods, logging critical messages only. */
static gz_server *make_server(const char *file, const char *name, int *typed_calls, uint32_t max_data) {
    return make_server_with(file, name, typed_calls, max_data, "critical", 0);
}

/* The path of a socket in the folder. */
static const char *socket_in_folder(const char *file) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", folder, file);
    return path;
}

/* Checks a response's status and frees it. */
static void expect(Gongzhi__Rpc__V1__Response *response, int code, const char *part) {
    if (response_code(response) != code) {
        fprintf(stderr, "expected %s, got %s: %s\n", gz_status_name(code), gz_status_name(response_code(response)),
                response_message(response));
    }
    CHECK(response_code(response) == code);
    if (part != NULL) {
        CHECK_CONTAINS(response_message(response), part);
    }
    gongzhi__rpc__v1__response__free_unpacked(response, NULL);
}

/* Calls Echo and checks the answer. */
static void expect_echo(int fd, uint32_t stream_id, const char *text) {
    Gongzhi__Rpc__V1__Response *response = call(fd, stream_id, SERVICE, "Echo", text, strlen(text), 0);
    CHECK(response_code(response) == GZ_OK);
    CHECK(response->payload.len == strlen(text));
    CHECK(strlen(text) == 0 || memcmp(response->payload.data, text, strlen(text)) == 0);
    gongzhi__rpc__v1__response__free_unpacked(response, NULL);
}

/* Calls Shutdown and checks that gz_server_run returns 0. */
static void shut_down(test_server *running, int fd) {
    Gongzhi__Plugin__V1__ShutdownRequest request = GONGZHI__PLUGIN__V1__SHUTDOWN_REQUEST__INIT;
    size_t length;
    uint8_t *payload;
    request.reason = (char *)"test over";
    request.grace_period_ms = 2000;
    payload = pack_message(&request.base, &length);
    expect(call(fd, 1001, GZ_LIFECYCLE_SERVICE, "Shutdown", payload, length, 0), GZ_OK, NULL);
    free(payload);
    CHECK(join_server(running) == 0);
    CHECK(peer_closed(fd));
    close(fd);
}

/* Calls, refusals and framing errors on one server. */
static void calls_and_refusals(void) {
    int typed_calls = 0;
    test_server running;
    gz_server *server = make_server("one.sock", "sample", &typed_calls, LIMIT);
    Gongzhi__Plugin__V1__ShutdownRequest typed_request = GONGZHI__PLUGIN__V1__SHUTDOWN_REQUEST__INIT;
    Gongzhi__Plugin__V1__HealthResponse *health;
    Gongzhi__Rpc__V1__Response *response;
    uint8_t *payload, *huge;
    size_t length, i;
    struct stat info;
    int fd;

    start_server(&running, server);
    fd = connect_socket(socket_in_folder("one.sock"));
    CHECK(stat(socket_in_folder("one.sock"), &info) == 0 && (info.st_mode & 0777) == 0600);
    expect_echo(fd, 1, "hello");
    expect_echo(fd, 3, "");

    /* A typed payload is decoded for the handler. */
    typed_request.reason = (char *)"typed reason";
    payload = pack_message(&typed_request.base, &length);
    response = call(fd, 5, SERVICE, "Typed", payload, length, 0);
    free(payload);
    CHECK(response_code(response) == GZ_OK);
    health = gongzhi__plugin__v1__health_response__unpack(NULL, response->payload.len, response->payload.data);
    CHECK(health != NULL && strcmp(health->message, "typed reason") == 0);
    gongzhi__plugin__v1__health_response__free_unpacked(health, NULL);
    gongzhi__rpc__v1__response__free_unpacked(response, NULL);
    CHECK(typed_calls == 1);

    /* Unknown service and method. */
    expect(call(fd, 7, "gongzhi.nope.v1.Missing", "Get", NULL, 0, 0), GZ_UNIMPLEMENTED,
           "service gongzhi.nope.v1.Missing is not served here (served: gongzhi.plugin.v1.Plugin, "
           "gongzhi.test.v1.Other, gongzhi.test.v1.Sample)");
    expect(call(fd, 9, SERVICE, "Missing", NULL, 0, 0), GZ_UNIMPLEMENTED,
           "gongzhi.test.v1.Sample has no method Missing (it has: Budget, Caller, Echo, Silent, Slow, Typed)");

    /* A malformed envelope and a malformed payload: the handler is not called. */
    send_frame(fd, 11, GZ_FRAME_REQUEST, 0, "\x0a\x7f" "abc", 5);
    expect(read_response(fd, 11), GZ_INVALID_ARGUMENT, "not hold a valid ttrpc Request envelope");
    expect(call(fd, 13, SERVICE, "Typed", "\x0a\x09" "xy", 4, 0), GZ_INVALID_ARGUMENT,
           "not a valid gongzhi.plugin.v1.ShutdownRequest");
    CHECK(typed_calls == 1);

    /* Tiny repeated submessages are decoded within the call's memory budget. */
    length = 1000;
    huge = malloc(length);
    CHECK(huge != NULL);
    for (i = 0; i + 1 < length; i += 2) {
        huge[i] = 0x2a; /* RegisterRequest.services, an empty ServiceDescription */
        huge[i + 1] = 0x00;
    }
    expect(call(fd, 15, SERVICE, "Budget", huge, length, 0), GZ_OK, NULL);
    CHECK(typed_calls == 2);
    free(huge);

    /* An oversized request frame: RESOURCE_EXHAUSTED, and the connection goes on. */
    huge = calloc(1, LIMIT + 100);
    CHECK(huge != NULL);
    send_frame(fd, 17, GZ_FRAME_REQUEST, 0, huge, LIMIT + 100);
    free(huge);
    expect(read_response(fd, 17), GZ_RESOURCE_EXHAUSTED, "request frame of 65636 bytes is over the 65536-byte limit");
    expect_echo(fd, 19, "still here");

    /* Even stream ids, flags, and frame types the server does not take. */
    send_request(fd, 20, 0, SERVICE, "Echo", "x", 1, 0);
    expect(read_response(fd, 20), GZ_INVALID_ARGUMENT, "stream id 20 is even");
    send_request(fd, 21, GZ_FLAG_REMOTE_OPEN, SERVICE, "Echo", "x", 1, 0);
    expect(read_response(fd, 21), GZ_INVALID_ARGUMENT,
           "gongzhi.test.v1.Sample/Echo is a unary method, but the request announced a stream of requests");
    send_request(fd, 23, GZ_FLAG_REMOTE_CLOSED, SERVICE, "Echo", "x", 1, 0);
    expect(read_response(fd, 23), GZ_OK, NULL);
    send_frame(fd, 25, GZ_FRAME_DATA, 0, "late", 4);
    send_frame(fd, 27, 9, 0, NULL, 0);
    expect(read_response(fd, 27), GZ_INVALID_ARGUMENT, "unknown frame type");

    /* Deadlines: passed before the call starts, and passed while the handler runs. */
    expect(call(fd, 29, SERVICE, "Echo", "x", 1, 1), GZ_DEADLINE_EXCEEDED, "deadline had passed");
    expect(call(fd, 31, SERVICE, "Slow", NULL, 0, 100 * 1000000LL), GZ_DEADLINE_EXCEEDED,
           "Slow took longer than the caller's deadline");
    expect(call(fd, 33, SERVICE, "Echo", "x", 1, 10LL * 1000000000LL), GZ_OK, NULL);
    /* The largest timeout a client can send (a Swift caller's saturated Duration): no deadline to speak of,
     * and no overflow in the arithmetic (the asan build aborts on signed overflow). */
    expect(call(fd, 201, SERVICE, "Echo", "x", 1, INT64_MAX), GZ_OK, NULL);

    /* A handler that does not answer, metadata, and an answer over the frame limit. */
    expect(call(fd, 35, SERVICE, "Silent", NULL, 0, 0), GZ_INTERNAL,
           "the handler of gongzhi.test.v1.Sample/Silent returned without answering");
    expect(call(fd, 37, SERVICE, "Caller", NULL, 0, 0), GZ_PERMISSION_DENIED, "no caller in Caller");
    {
        uint8_t *envelope;
        encode_request(SERVICE, "Caller", NULL, 0, 0, "gongzhi-caller", "admin:uid=1000", &envelope, &length);
        send_frame(fd, 39, GZ_FRAME_REQUEST, 0, envelope, length);
        free(envelope);
        response = read_response(fd, 39);
        CHECK(response_code(response) == GZ_OK && response->payload.len == 14);
        CHECK(memcmp(response->payload.data, "admin:uid=1000", 14) == 0);
        gongzhi__rpc__v1__response__free_unpacked(response, NULL);
    }
    expect(call(fd, 41, "gongzhi.test.v1.Other", "Big", NULL, 0, 0), GZ_RESOURCE_EXHAUSTED,
           "over the 65536-byte frame limit");
    expect_echo(fd, 43, "after all that");

    /* Bytes that are not ttrpc close that connection only. */
    {
        int other = connect_socket(socket_in_folder("one.sock"));
        write_all(other, "GET / HTTP/1.1\r\n\r\n", 18);
        CHECK(peer_closed(other));
        close(other);
    }
    expect_echo(fd, 45, "the first connection is fine");
    shut_down(&running, fd);
    CHECK(stat(socket_in_folder("one.sock"), &info) != 0);
    gz_server_free(server);
}

/* A 4 MiB payload of tiny repeated submessages would take gigabytes to decode: refused, the handler not called. */
static void memory_budget(void) {
    int counted = 0;
    test_server running;
    gz_server *server = make_server("budget.sock", "budget", &counted, 0);
    size_t length = GZ_FRAME_MAX_DATA - 200, i;
    uint8_t *huge = malloc(length);
    int fd;
    CHECK(huge != NULL);
    for (i = 0; i + 1 < length; i += 2) {
        huge[i] = 0x2a;
        huge[i + 1] = 0x00;
    }
    start_server(&running, server);
    fd = connect_socket(socket_in_folder("budget.sock"));
    expect(call(fd, 1, SERVICE, "Budget", huge, length, 0), GZ_RESOURCE_EXHAUSTED,
           "gongzhi.host.v1.RegisterRequest");
    CHECK(counted == 0);
    free(huge);
    expect_echo(fd, 3, "fine");
    shut_down(&running, fd);
    gz_server_free(server);
}

/* Health and Describe, with a health callback. */
static void lifecycle(void) {
    char path[256], error[256];
    gz_server_options options;
    gz_server *server;
    test_server running;
    Gongzhi__Rpc__V1__Response *response;
    Gongzhi__Plugin__V1__HealthResponse *health;
    Gongzhi__Plugin__V1__DescribeResponse *describe;
    int fd;

    memset(&options, 0, sizeof options);
    snprintf(path, sizeof path, "%s/life.sock", folder);
    options.name = "lively";
    options.version = "2.0.0";
    options.socket_path = path;
    options.log_level = "critical";
    options.health = degraded;
    options.health_user_data = (void *)"warming up";
    server = gz_server_new(&options, error, sizeof error);
    CHECK(server != NULL);
    CHECK(gz_server_add_unary(server, "gongzhi.b.v1.Second", "M", NULL, echo, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.a.v1.First", "M", NULL, echo, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.b.v1.Second", "N", NULL, echo, NULL) == 0);
    start_server(&running, server);
    fd = connect_socket(path);

    response = call(fd, 1, GZ_LIFECYCLE_SERVICE, "Health", NULL, 0, 0);
    CHECK(response_code(response) == GZ_OK);
    health = gongzhi__plugin__v1__health_response__unpack(NULL, response->payload.len, response->payload.data);
    CHECK(health != NULL && (int)health->status == (int)GZ_HEALTH_DEGRADED && strcmp(health->message, "warming up") == 0);
    gongzhi__plugin__v1__health_response__free_unpacked(health, NULL);
    gongzhi__rpc__v1__response__free_unpacked(response, NULL);

    response = call(fd, 3, GZ_LIFECYCLE_SERVICE, "Describe", NULL, 0, 0);
    CHECK(response_code(response) == GZ_OK);
    describe = gongzhi__plugin__v1__describe_response__unpack(NULL, response->payload.len, response->payload.data);
    CHECK(describe != NULL && strcmp(describe->name, "lively") == 0 && strcmp(describe->version, "2.0.0") == 0);
    CHECK(describe->n_protocol_versions == 1 && strcmp(describe->protocol_versions[0], "gongzhi-plugin/1") == 0);
    CHECK(describe->n_services == 2 && strcmp(describe->services[0], "gongzhi.b.v1.Second") == 0);
    CHECK(strcmp(describe->services[1], "gongzhi.a.v1.First") == 0);
    gongzhi__plugin__v1__describe_response__free_unpacked(describe, NULL);
    gongzhi__rpc__v1__response__free_unpacked(response, NULL);
    expect(call(fd, 5, GZ_LIFECYCLE_SERVICE, "Restart", NULL, 0, 0), GZ_UNIMPLEMENTED,
           "has no method Restart (it has: Describe, Health, Shutdown)");

    /* gz_server_stop from this thread: run returns 0. */
    gz_server_stop(server);
    CHECK(join_server(&running) == 0);
    CHECK(peer_closed(fd));
    close(fd);
    gz_server_free(server);
}

/* Many calls written at once on one connection, over several connections at once. */
static void pipelined_calls(void) {
    enum { CONNECTIONS = 4, CALLS = 300 };
    test_server running;
    gz_server *server = make_server("many.sock", "many", NULL, LIMIT);
    int fds[CONNECTIONS], c, n;
    start_server(&running, server);
    for (c = 0; c < CONNECTIONS; c++) {
        uint8_t *batch = malloc((size_t)CALLS * 64);
        size_t used = 0;
        CHECK(batch != NULL);
        fds[c] = connect_socket(socket_in_folder("many.sock"));
        for (n = 0; n < CALLS; n++) {
            char text[32];
            uint8_t *envelope;
            size_t length;
            gz_frame_header header;
            snprintf(text, sizeof text, "c%d-n%d", c, n);
            encode_request(SERVICE, "Echo", text, strlen(text), 0, NULL, NULL, &envelope, &length);
            CHECK(used + GZ_FRAME_HEADER_SIZE + length <= (size_t)CALLS * 64);
            header.length = (uint32_t)length;
            header.stream_id = (uint32_t)(2 * n + 1);
            header.type = GZ_FRAME_REQUEST;
            header.flags = 0;
            gz_frame_header_encode(&header, batch + used);
            memcpy(batch + used + GZ_FRAME_HEADER_SIZE, envelope, length);
            used += GZ_FRAME_HEADER_SIZE + length;
            free(envelope);
        }
        write_all(fds[c], batch, used);
        free(batch);
    }
    for (n = 0; n < CALLS; n++) {
        for (c = 0; c < CONNECTIONS; c++) {
            char text[32];
            Gongzhi__Rpc__V1__Response *response = read_response(fds[c], (uint32_t)(2 * n + 1));
            snprintf(text, sizeof text, "c%d-n%d", c, n);
            CHECK(response_code(response) == GZ_OK && response->payload.len == strlen(text));
            CHECK(memcmp(response->payload.data, text, strlen(text)) == 0);
            gongzhi__rpc__v1__response__free_unpacked(response, NULL);
        }
    }
    for (c = 1; c < CONNECTIONS; c++) {
        close(fds[c]);
    }
    shut_down(&running, fds[0]);
    gz_server_free(server);
}

/* Fills `bytes` with a pattern drawn from `seed`. */
static void fill_pattern(uint8_t *bytes, size_t length, unsigned seed) {
    size_t i;
    for (i = 0; i < length; i++) {
        bytes[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 9));
    }
}

/* Large payloads, which the SDK reads where they arrived instead of copying them out of the envelope, reach the
 * handler exactly, one after another on one connection, small after large; and an envelope holding its payload
 * twice, with fields the SDK does not know around it, gives the handler the last one. */
static void large_payloads(void) {
    static const size_t sizes[] = {300000, 10, 70000, 16384, 9, 1 << 20, 20000, 3};
    test_server running;
    int typed_calls = 0;
    gz_server *server = make_server("large.sock", "large", &typed_calls, 4u << 20);
    int fd;
    size_t i;
    start_server(&running, server);
    fd = connect_socket(socket_in_folder("large.sock"));
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *payload = malloc(sizes[i]);
        Gongzhi__Rpc__V1__Response *response;
        CHECK(payload != NULL);
        fill_pattern(payload, sizes[i], (unsigned)i);
        response = call(fd, (uint32_t)(2 * i + 1), SERVICE, "Echo", payload, sizes[i], 0);
        CHECK(response_code(response) == GZ_OK && response->payload.len == sizes[i]);
        CHECK(memcmp(response->payload.data, payload, sizes[i]) == 0);
        gongzhi__rpc__v1__response__free_unpacked(response, NULL);
        free(payload);
    }

    {
        /* A typed method decodes its message from the payload in place. */
        Gongzhi__Plugin__V1__ShutdownRequest shutdown = GONGZHI__PLUGIN__V1__SHUTDOWN_REQUEST__INIT;
        Gongzhi__Plugin__V1__HealthResponse *health;
        Gongzhi__Rpc__V1__Response *response;
        char *reason = malloc(40000);
        uint8_t *packed;
        size_t packed_length;
        CHECK(reason != NULL);
        memset(reason, 'r', 39999);
        reason[39999] = '\0';
        shutdown.reason = reason;
        packed = pack_message(&shutdown.base, &packed_length);
        response = call(fd, 101, SERVICE, "Typed", packed, packed_length, 0);
        CHECK(response_code(response) == GZ_OK);
        health = gongzhi__plugin__v1__health_response__unpack(NULL, response->payload.len, response->payload.data);
        CHECK(health != NULL && strcmp(health->message, reason) == 0);
        gongzhi__plugin__v1__health_response__free_unpacked(health, NULL);
        gongzhi__rpc__v1__response__free_unpacked(response, NULL);
        free(packed);
        free(reason);
    }

    {
        /* service, an unknown varint (field 15), payload A, method, payload B, an unknown string (field 14). */
        enum { A = 20000, B = 30000 };
        size_t length = 0;
        uint8_t *envelope = malloc(A + B + 200);
        Gongzhi__Rpc__V1__Response *response;
        uint8_t *expected = malloc(B);
        CHECK(envelope != NULL && expected != NULL);
        envelope[length++] = 0x0a;
        envelope[length++] = (uint8_t)strlen(SERVICE);
        memcpy(envelope + length, SERVICE, strlen(SERVICE));
        length += strlen(SERVICE);
        envelope[length++] = 0x78;
        envelope[length++] = 0x05;
        envelope[length++] = 0x1a;
        envelope[length++] = (uint8_t)(0x80 | (A & 0x7f));
        envelope[length++] = (uint8_t)(0x80 | ((A >> 7) & 0x7f));
        envelope[length++] = (uint8_t)(A >> 14);
        fill_pattern(envelope + length, A, 40);
        length += A;
        envelope[length++] = 0x12;
        envelope[length++] = 4;
        memcpy(envelope + length, "Echo", 4);
        length += 4;
        envelope[length++] = 0x1a;
        envelope[length++] = (uint8_t)(0x80 | (B & 0x7f));
        envelope[length++] = (uint8_t)(0x80 | ((B >> 7) & 0x7f));
        envelope[length++] = (uint8_t)(B >> 14);
        fill_pattern(envelope + length, B, 41);
        fill_pattern(expected, B, 41);
        length += B;
        envelope[length++] = 0x72;
        envelope[length++] = 2;
        envelope[length++] = 'x';
        envelope[length++] = 'y';
        send_frame(fd, 201, GZ_FRAME_REQUEST, 0, envelope, length);
        response = read_response(fd, 201);
        CHECK(response_code(response) == GZ_OK && response->payload.len == B);
        CHECK(memcmp(response->payload.data, expected, B) == 0);
        gongzhi__rpc__v1__response__free_unpacked(response, NULL);
        free(envelope);
        free(expected);
    }
    shut_down(&running, fd);
    gz_server_free(server);
}

/* Two servers in one process serve independently; stopping one leaves the other serving. */
static void two_servers(void) {
    test_server first, second;
    gz_server *a = make_server("a.sock", "alpha", NULL, LIMIT);
    gz_server *b = make_server("b.sock", "beta", NULL, LIMIT);
    int fa, fb;
    Gongzhi__Rpc__V1__Response *response;
    Gongzhi__Plugin__V1__DescribeResponse *describe;

    start_server(&first, a);
    start_server(&second, b);
    fa = connect_socket(socket_in_folder("a.sock"));
    fb = connect_socket(socket_in_folder("b.sock"));
    response = call(fb, 1, GZ_LIFECYCLE_SERVICE, "Describe", NULL, 0, 0);
    describe = gongzhi__plugin__v1__describe_response__unpack(NULL, response->payload.len, response->payload.data);
    CHECK(describe != NULL && strcmp(describe->name, "beta") == 0);
    gongzhi__plugin__v1__describe_response__free_unpacked(describe, NULL);
    gongzhi__rpc__v1__response__free_unpacked(response, NULL);
    expect_echo(fa, 1, "to a");
    gz_server_stop(a);
    CHECK(join_server(&first) == 0);
    CHECK(peer_closed(fa));
    close(fa);
    expect_echo(fb, 3, "b goes on");
    shut_down(&second, fb);
    gz_server_free(a);
    gz_server_free(b);
}

/* Milliseconds since `start` on the monotonic clock. */
static long ms_since(struct timespec start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
}

/* True when the peer has closed the connection by now; nothing is waiting to be read on it. */
static int closed_by_now(int fd) {
    struct pollfd ready = {fd, POLLIN, 0};
    uint8_t byte;
    ssize_t got;
    if (poll(&ready, 1, 0) <= 0) {
        return 0;
    }
    got = recv(fd, &byte, 1, 0);
    CHECK(got <= 0);
    return got == 0 || errno == ECONNRESET;
}

/* Sends what this process writes to stderr into the file at `path` from now on; returns the old stderr. */
static int capture_stderr(const char *path) {
    int saved, file;
    fflush(stderr);
    saved = dup(2);
    file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(saved >= 0 && file >= 0 && dup2(file, 2) == 2);
    close(file);
    return saved;
}

/* Gives stderr back and returns what was written to the file at `path` (removed), in a buffer the caller frees. */
static char *release_stderr(int saved, const char *path) {
    FILE *file;
    char *text = calloc(1, 65536);
    size_t got;
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    CHECK(text != NULL);
    file = fopen(path, "r");
    CHECK(file != NULL);
    got = fread(text, 1, 65535, file);
    text[got] = '\0';
    fclose(file);
    unlink(path);
    return text;
}

/* A whole request frame for SERVICE/`method` with `payload`, in a buffer the caller frees. */
static uint8_t *request_frame(uint32_t stream_id, const char *method, const void *payload, size_t payload_length,
                              size_t *length) {
    gz_frame_header header;
    uint8_t *envelope, *frame;
    size_t envelope_length;
    encode_request(SERVICE, method, payload, payload_length, 0, NULL, NULL, &envelope, &envelope_length);
    frame = malloc(GZ_FRAME_HEADER_SIZE + envelope_length);
    CHECK(frame != NULL);
    header.length = (uint32_t)envelope_length;
    header.stream_id = stream_id;
    header.type = GZ_FRAME_REQUEST;
    header.flags = 0;
    gz_frame_header_encode(&header, frame);
    memcpy(frame + GZ_FRAME_HEADER_SIZE, envelope, envelope_length);
    free(envelope);
    *length = GZ_FRAME_HEADER_SIZE + envelope_length;
    return frame;
}

/* A caller that stops sending in the middle of a frame is disconnected once the stall timeout (1 s here) passes
 * without a byte from it: inside a frame's header, inside its data, and while an oversized frame's data are being
 * skipped; the warning names its pid and uid. Callers that have sent nothing, that are between calls, that trickle
 * a frame a byte at a time, or whose answers wait unread with part of a frame sent stay connected; the last is
 * disconnected once it has read its answers. */
static void stalled_frames(void) {
    enum { STALL_MS = 1000, TRICKLE_MS = 300, TRICKLED = 12, BIG = 4000000, BIGS = 3 };
    char log_path[256], expected[128];
    const char *path = socket_in_folder("stall.sock");
    test_server running;
    gz_server *server;
    int stalled[3], idle, between, trickle, unread, saved_stderr, i;
    long closed_at[3] = {-1, -1, -1};
    uint8_t *frame, *big, *batch, oversized[GZ_FRAME_HEADER_SIZE + 100];
    size_t frame_length, big_length, used = 0;
    gz_frame_header header;
    struct timespec start;
    char *log_text;

    snprintf(log_path, sizeof log_path, "%s/stall.log", folder);
    saved_stderr = capture_stderr(log_path);
    server = make_server_with("stall.sock", "stall", NULL, 0, "warning", STALL_MS);
    start_server(&running, server);
    idle = connect_socket(path);
    between = connect_socket(path);
    expect_echo(between, 1, "one call");

    /* Three answers of 4 MB left unread are more than the server keeps before it stops reading the connection;
     * the first bytes of a fourth request follow them. */
    unread = connect_socket(path);
    big = calloc(1, BIG);
    CHECK(big != NULL);
    free(request_frame(1, "Echo", big, BIG, &big_length));
    batch = malloc(BIGS * big_length + 5);
    CHECK(batch != NULL);
    for (i = 0; i < BIGS; i++) {
        uint8_t *one;
        fill_pattern(big, BIG, (unsigned)i);
        one = request_frame((uint32_t)(2 * i + 1), "Echo", big, BIG, &big_length);
        memcpy(batch + used, one, big_length);
        used += big_length;
        free(one);
    }
    frame = request_frame(7, "Echo", "trickled", 8, &frame_length);
    memcpy(batch + used, frame, 5);
    write_all(unread, batch, used + 5);
    free(batch);

    for (i = 0; i < 3; i++) {
        stalled[i] = connect_socket(path);
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    write_all(stalled[0], frame, 5);
    write_all(stalled[1], frame, GZ_FRAME_HEADER_SIZE + 3);
    header.length = GZ_FRAME_MAX_DATA + 1;
    header.stream_id = 1;
    header.type = GZ_FRAME_REQUEST;
    header.flags = 0;
    gz_frame_header_encode(&header, oversized);
    memset(oversized + GZ_FRAME_HEADER_SIZE, 0, sizeof oversized - GZ_FRAME_HEADER_SIZE);
    write_all(stalled[2], oversized, sizeof oversized);
    expect(read_response(stalled[2], 1), GZ_RESOURCE_EXHAUSTED, "over the 4194304-byte limit");

    trickle = connect_socket(path);
    for (i = 0; i < TRICKLED; i++) {
        int s;
        write_all(trickle, frame + i, 1);
        sleep_ms(TRICKLE_MS);
        for (s = 0; s < 3; s++) {
            if (closed_at[s] < 0 && closed_by_now(stalled[s])) {
                closed_at[s] = ms_since(start);
            }
        }
    }
    log_text = release_stderr(saved_stderr, log_path);
    for (i = 0; i < 3; i++) {
        if (closed_at[i] < STALL_MS - 100 || closed_at[i] > 3 * STALL_MS) {
            fprintf(stderr, "stalled connection %d: closed after %ld ms (-1: not at all)\n", i, closed_at[i]);
        }
        CHECK(closed_at[i] >= STALL_MS - 100 && closed_at[i] <= 3 * STALL_MS);
        close(stalled[i]);
    }
    snprintf(expected, sizeof expected, "warning: closing the connection of pid %ld (uid %ld): it stopped sending "
             "in the middle of a frame for 1 s", (long)getpid(), (long)getuid());
    CHECK_CONTAINS(log_text, expected);
    free(log_text);

    /* The trickled call is answered; the idle connection and the one between calls still serve. */
    write_all(trickle, frame + TRICKLED, frame_length - TRICKLED);
    expect(read_response(trickle, 7), GZ_OK, NULL);
    expect_echo(idle, 1, "idle all along");
    expect_echo(between, 3, "a second call");

    /* The unread answers were kept, whole; once they are all written the stall timeout runs for the fourth request,
     * cut short, and the connection is closed. */
    for (i = 0; i < BIGS; i++) {
        Gongzhi__Rpc__V1__Response *response = read_response(unread, (uint32_t)(2 * i + 1));
        fill_pattern(big, BIG, (unsigned)i);
        CHECK(response_code(response) == GZ_OK && response->payload.len == BIG);
        CHECK(memcmp(response->payload.data, big, BIG) == 0);
        gongzhi__rpc__v1__response__free_unpacked(response, NULL);
    }
    CHECK(peer_closed(unread));
    close(unread);
    free(big);
    free(frame);
    close(trickle);
    close(idle);
    shut_down(&running, between);
    gz_server_free(server);
}

/* Serves Echo on `path` as a plugin that this process's parent started (its host pid is the parent's), in a child
 * process; exits with gz_server_run's status. */
static void serve_as_plugin(const char *path) {
    char error[256];
    gz_server_options options;
    gz_server *server;
    int status;
    memset(&options, 0, sizeof options);
    options.name = "guarded";
    options.version = "1.0.0";
    options.socket_path = path;
    options.log_level = "critical";
    options.host_pid = (long)getppid();
    server = gz_server_new(&options, error, sizeof error);
    if (server == NULL || gz_server_add_unary(server, SERVICE, "Echo", NULL, echo, NULL) != 0) {
        _exit(5);
    }
    status = gz_server_run(server);
    gz_server_free(server);
    _exit(status);
}

/* Calls Echo on `path` from a child process, as `uid` (unless it is -1), and gives the child's exit status: 0 when
 * the call was refused with PERMISSION_DENIED and a message holding `refusal`. */
static int call_refused_from_child(const char *path, long uid, const char *refusal) {
    pid_t child = fork();
    int status;
    CHECK(child >= 0);
    if (child == 0) {
        Gongzhi__Rpc__V1__Response *response;
        int fd;
        if (uid >= 0 && (setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)) {
            _exit(3);
        }
        fd = connect_socket(path);
        response = call(fd, 1, SERVICE, "Echo", "x", 1, 0);
        if (response_code(response) != GZ_PERMISSION_DENIED || strstr(response_message(response), refusal) == NULL) {
            fprintf(stderr, "a call from pid %ld (uid %ld) was answered %s: %s\n", (long)getpid(), (long)getuid(),
                    gz_status_name(response_code(response)), response_message(response));
            _exit(4);
        }
        _exit(0);
    }
    CHECK(waitpid(child, &status, 0) == child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* With a host pid, a plugin serves its host's process only: any other process is refused each call, one of the
 * same user and root included (a plugin trusts the caller metadata the host adds, so nothing may reach it around
 * the host), and so is one of another user. */
static void peer_check(void) {
    char path[256], error[256], refusal[200];
    Gongzhi__Plugin__V1__ShutdownRequest shutdown = GONGZHI__PLUGIN__V1__SHUTDOWN_REQUEST__INIT;
    gz_server_options options;
    gz_server *server;
    pid_t plugin;
    uint8_t *payload;
    size_t length;
    int status, fd;

    snprintf(path, sizeof path, "%s/peer.sock", folder);
    snprintf(refusal, sizeof refusal,
             "this plugin serves its host (pid %ld) only; call it through the host's host.sock", (long)getpid());
    /* The plugin is a child of this process, which plays its host. No thread runs here, so forking is safe. */
    plugin = fork();
    CHECK(plugin >= 0);
    if (plugin == 0) {
        serve_as_plugin(path);
    }
    fd = connect_socket(path);
    expect_echo(fd, 1, "from the host");
    /* Another process of the same user: root (another pid) when the tests run as root, as they do in CI. */
    CHECK(call_refused_from_child(path, -1, refusal) == 0);
    if (getuid() == 0) {
        CHECK(chmod(path, 0666) == 0);
        CHECK(call_refused_from_child(path, 65534, refusal) == 0);
    }
    expect_echo(fd, 3, "still the host");
    shutdown.reason = (char *)"test over";
    payload = pack_message(&shutdown.base, &length);
    expect(call(fd, 5, GZ_LIFECYCLE_SERVICE, "Shutdown", payload, length, 0), GZ_OK, NULL);
    free(payload);
    CHECK(waitpid(plugin, &status, 0) == plugin && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(peer_closed(fd));
    close(fd);

    memset(&options, 0, sizeof options);
    options.name = "guarded";
    options.version = "1.0.0";
    options.socket_path = path;
    options.log_level = "critical";
    /* A host pid that is not the parent: run returns 1 at once. */
    options.host_pid = 1;
    server = gz_server_new(&options, error, sizeof error);
    CHECK(server != NULL);
    CHECK(gz_server_run(server) == 1);
    gz_server_free(server);
}

/* Settings come from options or the environment, and missing ones are named. */
static void settings(void) {
    gz_server_options options;
    char error[512];
    gz_server *server;
    memset(&options, 0, sizeof options);
    unsetenv("GONGZHI_PLUGIN_SOCKET");
    unsetenv("GONGZHI_HOST_SOCKET");
    unsetenv("GONGZHI_HOST_PID");
    CHECK(gz_server_new(&options, error, sizeof error) == NULL);
    CHECK_CONTAINS(error, "version");
    options.version = "1.0.0";
    CHECK(gz_server_new(&options, error, sizeof error) == NULL);
    CHECK_CONTAINS(error, "GONGZHI_PLUGIN_SOCKET is not set");
    setenv("GONGZHI_PLUGIN_SOCKET", socket_in_folder("env.sock"), 1);
    setenv("GONGZHI_HOST_SOCKET", socket_in_folder("host.sock"), 1);
    setenv("GONGZHI_PLUGIN_NAME", "envy", 1);
    unsetenv("GONGZHI_PLUGIN_TOKEN");
    CHECK(gz_server_new(&options, error, sizeof error) == NULL);
    CHECK_CONTAINS(error, "GONGZHI_PLUGIN_TOKEN is not set");
    unsetenv("GONGZHI_HOST_SOCKET");
    setenv("GONGZHI_HOST_PID", "12x", 1);
    CHECK(gz_server_new(&options, error, sizeof error) == NULL);
    CHECK_CONTAINS(error, "GONGZHI_HOST_PID must be the host's process id, not 12x");
    unsetenv("GONGZHI_HOST_PID");
    server = gz_server_new(&options, error, sizeof error);
    CHECK(server != NULL);
    gz_server_stop(server); /* a stop before run: run returns at once */
    CHECK(gz_server_run(server) == 0);
    gz_server_free(server);
    unsetenv("GONGZHI_PLUGIN_SOCKET");
    unsetenv("GONGZHI_PLUGIN_NAME");
}

int main(void) {
    signal(SIGPIPE, SIG_DFL); /* the SDK must not need SIGPIPE ignored */
    make_temp_dir(folder, sizeof folder);
    RUN(calls_and_refusals);
    RUN(memory_budget);
    RUN(lifecycle);
    RUN(pipelined_calls);
    RUN(large_payloads);
    RUN(two_servers);
    RUN(stalled_frames);
    RUN(peer_check);
    RUN(settings);
    remove_temp_dir(folder);
    fprintf(stderr, "test_server: all passed\n");
    return 0;
}
