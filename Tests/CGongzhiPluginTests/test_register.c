/* Tests of registration with a fake host: a socket listener in the test that plays the host's part. */
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "support.h"
#include "gongzhi/host/v1/registration.pb-c.h"
#include "gongzhi/plugin/v1/plugin.pb-c.h"

static char folder[128];

/* What the fake host does after it has read and checked the Register request. */
typedef enum host_ending {
    ACCEPT_THEN_END_OK,  /* accept, then end the stream with an OK response: run returns 0 */
    ACCEPT_THEN_CLOSE,   /* accept, then close the connection: run returns 1 */
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

/* Reads the Register request and checks its envelope and payload. */
static void check_register_request(int fd, const char *plugin_socket) {
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

/* Runs a plugin against a fake host that ends as `ending` says, and returns gz_server_run's status. */
static int register_with(host_ending ending) {
    char plugin_socket[256], host_socket[256], error[256];
    gz_server_options options;
    gz_server *server;
    test_server running;
    int listener, fd, status;

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
    server = gz_server_new(&options, error, sizeof error);
    CHECK(server != NULL);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Sample", "Zeta", NULL, answer_empty, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Other", "Only", NULL, answer_empty, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Sample", "Alpha", NULL, answer_empty, NULL) == 0);
    CHECK(gz_server_add_unary(server, "gongzhi.test.v1.Sample", "Beta", NULL, answer_empty, NULL) == 0);
    start_server(&running, server);

    fd = accept(listener, NULL, NULL);
    CHECK(fd >= 0);
    check_register_request(fd, plugin_socket);
    if (ending == REFUSE) {
        end_stream(fd, GZ_UNAUTHENTICATED, "no such token");
    } else {
        check_plugin_health(plugin_socket);
        accept_registration(fd);
        /* The plugin goes on serving while registered. */
        check_plugin_health(plugin_socket);
        if (ending == ACCEPT_THEN_END_OK) {
            end_stream(fd, GZ_OK, "");
        }
    }
    if (ending == ACCEPT_THEN_END_OK || ending == REFUSE) {
        CHECK(peer_closed(fd));
    }
    close(fd);
    status = join_server(&running);
    gz_server_free(server);
    close(listener);
    unlink(host_socket);
    return status;
}

/* Accepted, then let go with an OK status: exit status 0. */
static void accepted_then_released(void) {
    CHECK(register_with(ACCEPT_THEN_END_OK) == 0);
}

/* Accepted, then the host vanished: exit status 1. */
static void accepted_then_lost(void) {
    CHECK(register_with(ACCEPT_THEN_CLOSE) == 1);
}

/* Refused with UNAUTHENTICATED: exit status 1. */
static void refused(void) {
    CHECK(register_with(REFUSE) == 1);
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
    RUN(refused);
    RUN(host_unreachable);
    remove_temp_dir(folder);
    fprintf(stderr, "test_register: all passed\n");
    return 0;
}
