/* Tests of registration with a fake host: a socket listener in the test that plays the host's part. */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "support.h"
#include "gongzhi/host/v1/registration.pb-c.h"
#include "gongzhi/plugin/v1/plugin.pb-c.h"
/* A real descriptor set, as protoc writes it: the sensor plugin's (Schemas/c-descriptors.sh). */
#include "sensors_descriptors.h"

static char folder[128];

/* What the fake host does after it has read and checked the Register request. */
typedef enum host_ending {
    ACCEPT_THEN_END_OK,  /* accept, then end the stream with an OK response: run returns 0 */
    ACCEPT_THEN_CLOSE,   /* accept, then close the connection: run returns 1 */
    ACCEPT_THEN_STALL,   /* accept, then stop in the middle of a frame: the plugin closes the connection and run
                          * returns 1 */
    REFUSE               /* answer UNAUTHENTICATED at once: run returns 1 */
} host_ending;

/* Answers every call with an empty OK payload. */
static void answer_empty(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    (void)request;
    (void)user_data;
    gz_call_reply_bytes(call, NULL, 0);
}

/* Listens on a Unix socket. */
static int listen_on(const char *path) {
    struct sockaddr_un address;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strcpy(address.sun_path, path);
    unlink(path);
    CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
    CHECK(listen(fd, 4) == 0);
    return fd;
}

/* Reads the Register request and checks its envelope and payload, whose file_descriptor_set must be the
 * `descriptors_length` bytes at `descriptors` (none when 0). */
static void check_register_request(int fd, const char *plugin_socket, const uint8_t *descriptors,
                                   size_t descriptors_length) {
    gz_frame_header header;
    uint8_t *data;
    Gongzhi__Rpc__V1__Request *request;
    Gongzhi__Host__V1__RegisterRequest *registration;
    const Gongzhi__Host__V1__ServiceDescription *service;

    CHECK(read_frame(fd, &header, &data) == 1);
    CHECK(header.type == GZ_FRAME_REQUEST && header.stream_id == 1 && header.flags == GZ_FLAG_REMOTE_CLOSED);
    request = gongzhi__rpc__v1__request__unpack(NULL, header.length, data);
    free(data);
    CHECK(request != NULL);
    CHECK(strcmp(request->service, "gongzhi.host.v1.Registration") == 0);
    CHECK(strcmp(request->method, "Register") == 0);
    CHECK(request->n_metadata == 1 && strcmp(request->metadata[0]->key, "gongzhi-token") == 0);
    CHECK(strcmp(request->metadata[0]->value, "secret-token") == 0);
    registration = gongzhi__host__v1__register_request__unpack(NULL, request->payload.len, request->payload.data);
    CHECK(registration != NULL);
    CHECK(strcmp(registration->name, "fakeplug") == 0 && strcmp(registration->version, "1.2.3") == 0);
    CHECK(strcmp(registration->protocol_version, "gongzhi-plugin/1") == 0);
    CHECK(strcmp(registration->socket_path, plugin_socket) == 0);
    CHECK(registration->n_services == 2);
    service = registration->services[0];
    CHECK(strcmp(service->name, "gongzhi.test.v1.Sample") == 0 && service->n_methods == 3);
    CHECK(strcmp(service->methods[0]->name, "Alpha") == 0 && strcmp(service->methods[1]->name, "Beta") == 0);
    CHECK(strcmp(service->methods[2]->name, "Zeta") == 0);
    CHECK(service->methods[0]->kind == GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_UNARY);
    service = registration->services[1];
    CHECK(strcmp(service->name, "gongzhi.test.v1.Other") == 0 && service->n_methods == 1);
    CHECK(registration->file_descriptor_set.len == descriptors_length);
    CHECK(descriptors_length == 0 ||
          memcmp(registration->file_descriptor_set.data, descriptors, descriptors_length) == 0);
    gongzhi__host__v1__register_request__free_unpacked(registration, NULL);
    gongzhi__rpc__v1__request__free_unpacked(request, NULL);
}

/* Calls Health on the plugin's socket, as the host does before accepting. */
static void check_plugin_health(const char *plugin_socket) {
    int fd = connect_socket(plugin_socket);
    Gongzhi__Rpc__V1__Response *response = call(fd, 1, GZ_LIFECYCLE_SERVICE, "Health", NULL, 0, 0);
    Gongzhi__Plugin__V1__HealthResponse *health;
    CHECK(response_code(response) == GZ_OK);
    health = gongzhi__plugin__v1__health_response__unpack(NULL, response->payload.len, response->payload.data);
    CHECK(health != NULL && (int)health->status == (int)GZ_HEALTH_SERVING);
    gongzhi__plugin__v1__health_response__free_unpacked(health, NULL);
    gongzhi__rpc__v1__response__free_unpacked(response, NULL);
    close(fd);
}

/* Sends a response frame with a status on the Register stream. */
static void end_stream(int fd, int code, const char *message) {
    Gongzhi__Rpc__V1__Response response = GONGZHI__RPC__V1__RESPONSE__INIT;
    Gongzhi__Rpc__V1__Status status = GONGZHI__RPC__V1__STATUS__INIT;
    uint8_t *bytes;
    size_t length;
    status.code = code;
    status.message = (char *)message;
    response.status = &status;
    bytes = pack_message(&response.base, &length);
    send_frame(fd, 1, GZ_FRAME_RESPONSE, 0, bytes, length);
    free(bytes);
}

/* Sends the accepted event. */
static void accept_registration(int fd) {
    Gongzhi__Host__V1__RegistrationEvent event = GONGZHI__HOST__V1__REGISTRATION_EVENT__INIT;
    Gongzhi__Host__V1__Accepted accepted = GONGZHI__HOST__V1__ACCEPTED__INIT;
    char *grants[2] = {(char *)"gongzhi.test.v1.Echo/Unary", (char *)"gongzhi.host.v1.PersonalData/Read"};
    uint8_t *bytes;
    size_t length;
    accepted.n_grants = 2;
    accepted.grants = grants;
    accepted.protocol_version = (char *)"gongzhi-plugin/1";
    accepted.host_version = (char *)"0.9.0";
    event.event_case = GONGZHI__HOST__V1__REGISTRATION_EVENT__EVENT_ACCEPTED;
    event.accepted = &accepted;
    bytes = pack_message(&event.base, &length);
    send_frame(fd, 1, GZ_FRAME_DATA, 0, bytes, length);
    free(bytes);
}

/* Runs a plugin against a fake host that ends as `ending` says, and returns gz_server_run's status. The
 * plugin sends `descriptors` (NULL: none) from a buffer that is wiped and freed once the server is made.
 * The fake host does not read the descriptors; the real one does (CPluginEndToEndTests). */
static int register_with(host_ending ending, const uint8_t *descriptors, size_t descriptors_length) {
    char plugin_socket[256], host_socket[256], error[256];
    gz_server_options options;
    gz_server *server;
    test_server running;
    int listener, fd, status;
    uint8_t *given = NULL;

    snprintf(plugin_socket, sizeof plugin_socket, "%s/plugin.sock", folder);
    snprintf(host_socket, sizeof host_socket, "%s/host.sock", folder);
    listener = listen_on(host_socket);
    memset(&options, 0, sizeof options);
    options.name = "fakeplug";
    options.version = "1.2.3";
    options.socket_path = plugin_socket;
    options.host_socket = host_socket;
    options.token = "secret-token";
    options.log_level = getenv("GZ_TEST_VERBOSE") != NULL ? "debug" : "critical";
    options.stalled_frame_timeout_ms = 1000;
    if (descriptors != NULL) {
        given = malloc(descriptors_length + 1);
        CHECK(given != NULL);
        memcpy(given, descriptors, descriptors_length);
        options.file_descriptor_set = given;
        options.file_descriptor_set_length = descriptors_length;
    }
    server = gz_server_new(&options, error, sizeof error);
    CHECK(server != NULL);
    if (given != NULL) {
        memset(given, 0, descriptors_length);
        free(given);
    }
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Sample", "Zeta", NULL, answer_empty, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Other", "Only", NULL, answer_empty, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Sample", "Alpha", NULL, answer_empty, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Sample", "Beta", NULL, answer_empty, NULL) == 0);
    start_server(&running, server);

    fd = accept(listener, NULL, NULL);
    CHECK(fd >= 0);
    check_register_request(fd, plugin_socket, descriptors, descriptors != NULL ? descriptors_length : 0);
    if (ending == REFUSE) {
        end_stream(fd, GZ_UNAUTHENTICATED, "no such token");
    } else {
        check_plugin_health(plugin_socket);
        accept_registration(fd);
        /* The plugin goes on serving while registered. */
        check_plugin_health(plugin_socket);
        if (ending == ACCEPT_THEN_END_OK) {
            end_stream(fd, GZ_OK, "");
        } else if (ending == ACCEPT_THEN_STALL) {
            static const uint8_t half_header[5] = {0, 0, 0, 9, 0};
            write_all(fd, half_header, sizeof half_header);
        }
    }
    if (ending == ACCEPT_THEN_END_OK || ending == REFUSE || ending == ACCEPT_THEN_STALL) {
        CHECK(peer_closed(fd));
    }
    close(fd);
    status = join_server(&running);
    gz_server_free(server);
    close(listener);
    unlink(host_socket);
    return status;
}

/* Accepted, then let go with an OK status: exit status 0. The registration carries the descriptors, as
 * they were given (the SDK keeps its own copy). */
static void accepted_then_released(void) {
    CHECK(register_with(ACCEPT_THEN_END_OK, sensors_file_descriptor_set, sensors_file_descriptor_set_length) == 0);
}

/* Accepted, then the host vanished: exit status 1. Without descriptors, the registration has none. */
static void accepted_then_lost(void) {
    CHECK(register_with(ACCEPT_THEN_CLOSE, NULL, 0) == 1);
}

/* Accepted, then the host stopped in the middle of a frame: after the stall timeout (1 s here) the plugin closes
 * the connection, the host is lost, and the exit status is 1. */
static void accepted_then_stalled(void) {
    CHECK(register_with(ACCEPT_THEN_STALL, NULL, 0) == 1);
}

/* Refused with UNAUTHENTICATED: exit status 1. Descriptors of length 0 are none. */
static void refused(void) {
    CHECK(register_with(REFUSE, sensors_file_descriptor_set, 0) == 1);
}

/* Options for gz_server_new with `descriptors`, and nothing from the environment that matters. */
static gz_server_options descriptor_options(const uint8_t *descriptors, size_t length) {
    gz_server_options options;
    memset(&options, 0, sizeof options);
    options.name = "fakeplug";
    options.version = "1.2.3";
    options.socket_path = "/tmp/gz-c-test-unused.sock";
    options.log_level = "critical";
    options.file_descriptor_set = descriptors;
    options.file_descriptor_set_length = length;
    return options;
}

/* gz_server_new's error for `descriptors`, which must be refused. */
static const char *refusal(const uint8_t *descriptors, size_t length) {
    static char error[512];
    gz_server_options options = descriptor_options(descriptors, length);
    CHECK(gz_server_new(&options, error, sizeof error) == NULL);
    return error;
}

/* Bytes that cannot be a FileDescriptorSet are refused when the server is made, saying why; sets with
 * files (and fields a newer protobuf may add) are taken. */
static void descriptor_sets_checked(void) {
    static const char base64[] = "CrIQCiBnb25nemhpL3NlbnNvcnMvdjEvc2Vuc29ycy5wcm90bw==";
    static const uint8_t varint_file[] = {0x08, 0x01};
    static const uint8_t no_files[] = {0x10, 0x01, 0x1d, 0x00, 0x00, 0x80, 0x3f};
    static const uint8_t cut_tag[] = {0x0a, 0x00, 0x80};
    static const uint8_t group[] = {0x0a, 0x00, 0x0b, 0x0c};
    static const uint8_t empty_file_and_more[] = {0x0a, 0x00, 0x10, 0x96, 0x01, 0x19, 1, 2, 3, 4, 5, 6, 7, 8,
                                                  0x22, 0x01, 0x00, 0x2d, 1, 2, 3, 4};
    const char *error;
    gz_server_options options;
    gz_server *server;

    error = refusal(NULL, 12);
    CHECK_CONTAINS(error, "file_descriptor_set is NULL but file_descriptor_set_length is 12");
    error = refusal((const uint8_t *)base64, sizeof base64 - 1);
    CHECK_CONTAINS(error, "file_descriptor_set is not a serialized google.protobuf.FileDescriptorSet");
    CHECK_CONTAINS(error, "at byte 0 there is field 8 with wire type 3");
    CHECK_CONTAINS(error, "protoc --include_imports --descriptor_set_out");
    error = refusal(sensors_file_descriptor_set, sensors_file_descriptor_set_length - 1);
    CHECK_CONTAINS(error, "the field at byte 0 runs past the end");
    error = refusal(varint_file, sizeof varint_file);
    CHECK_CONTAINS(error, "at byte 0 there is field 1 with wire type 0");
    error = refusal(no_files, sizeof no_files);
    CHECK_CONTAINS(error, "it holds no files");
    error = refusal(cut_tag, sizeof cut_tag);
    CHECK_CONTAINS(error, "it ends inside a field's tag at byte 2");
    error = refusal(group, sizeof group);
    CHECK_CONTAINS(error, "at byte 2 there is field 1 with wire type 3");

    options = descriptor_options(empty_file_and_more, sizeof empty_file_and_more);
    server = gz_server_new(&options, NULL, 0);
    CHECK(server != NULL);
    gz_server_free(server);
    options = descriptor_options(sensors_file_descriptor_set, sensors_file_descriptor_set_length);
    server = gz_server_new(&options, NULL, 0);
    CHECK(server != NULL);
    gz_server_free(server);
}

/* A registration too big for a frame is not sent: the plugin says why and exits with status 1. */
static void registration_over_the_frame_limit(void) {
    char plugin_socket[256], host_socket[256], log_path[256], log_text[1024];
    size_t length = 5 + ((size_t)4 << 20);
    uint8_t *descriptors = calloc(1, length);
    gz_server_options options;
    gz_server *server;
    gz_frame_header header;
    uint8_t *data = NULL;
    int listener, fd, saved_stderr, log_fd;
    ssize_t got;

    /* One file of 4 MiB: a well-formed set, too big to send. */
    CHECK(descriptors != NULL);
    descriptors[0] = 0x0a;
    descriptors[1] = 0x80;
    descriptors[2] = 0x80;
    descriptors[3] = 0x80;
    descriptors[4] = 0x02;
    snprintf(plugin_socket, sizeof plugin_socket, "%s/plugin.sock", folder);
    snprintf(host_socket, sizeof host_socket, "%s/host.sock", folder);
    snprintf(log_path, sizeof log_path, "%s/plugin.log", folder);
    listener = listen_on(host_socket);
    options = descriptor_options(descriptors, length);
    options.socket_path = plugin_socket;
    options.host_socket = host_socket;
    options.token = "secret-token";
    options.log_level = "error";
    server = gz_server_new(&options, NULL, 0);
    free(descriptors);
    CHECK(server != NULL);

    /* The plugin's log goes to stderr: catch it in a file while it runs. */
    fflush(stderr);
    saved_stderr = dup(2);
    log_fd = open(log_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(saved_stderr >= 0 && log_fd >= 0 && dup2(log_fd, 2) == 2);
    CHECK(gz_server_run(server) == 1);
    CHECK(dup2(saved_stderr, 2) == 2);
    close(saved_stderr);
    got = pread(log_fd, log_text, sizeof log_text - 1, 0);
    close(log_fd);
    unlink(log_path);
    CHECK(got > 0);
    log_text[got] = '\0';
    CHECK_CONTAINS(log_text, "cannot register: the registration is ");
    CHECK_CONTAINS(log_text, "over the 4194304-byte frame limit (its file_descriptor_set is 4194309 bytes");

    /* The host saw a connection and nothing on it. */
    fd = accept(listener, NULL, NULL);
    CHECK(fd >= 0);
    CHECK(read_frame(fd, &header, &data) == 0);
    close(fd);
    gz_server_free(server);
    close(listener);
    unlink(host_socket);
}

/* No host listening: exit status 1 at once, and the plugin's socket is gone again. */
static void host_unreachable(void) {
    char plugin_socket[256], host_socket[256], error[256];
    gz_server_options options;
    gz_server *server;
    snprintf(plugin_socket, sizeof plugin_socket, "%s/plugin.sock", folder);
    snprintf(host_socket, sizeof host_socket, "%s/nobody.sock", folder);
    memset(&options, 0, sizeof options);
    options.name = "fakeplug";
    options.version = "1.2.3";
    options.socket_path = plugin_socket;
    options.host_socket = host_socket;
    options.token = "secret-token";
    options.log_level = "critical";
    server = gz_server_new(&options, error, sizeof error);
    CHECK(server != NULL);
    CHECK(gz_server_run(server) == 1);
    CHECK(access(plugin_socket, F_OK) != 0);
    gz_server_free(server);
}

int main(void) {
    make_temp_dir(folder, sizeof folder);
    RUN(accepted_then_released);
    RUN(accepted_then_lost);
    RUN(accepted_then_stalled);
    RUN(refused);
    RUN(host_unreachable);
    RUN(descriptor_sets_checked);
    RUN(registration_over_the_frame_limit);
    remove_temp_dir(folder);
    fprintf(stderr, "test_register: all passed\n");
    return 0;
}
