/*
 * gongzhi-c-echo-plugin: the plugin-language benchmark's C plugin. It serves gongzhi.test.v1.Echo/Unary
 * (Schemas/gongzhi/test/v1/echo.proto) with the C plugin SDK and does what the Swift test plugin's Unary
 * does (Sources/GongzhiEcho/EchoService.swift): the response carries the request's payload and text,
 * sequence 1, and the caller; a request with fail_code set is failed with that status and fail_message.
 * Two things of the Swift plugin's are left out, and the benchmark uses neither: delay_ms (the SDK runs
 * handlers one at a time on its one thread) and the x-echo metadata (the SDK sends no response metadata).
 *
 * Only Unary is registered (the C SDK serves unary methods only). The host starts it like any plugin;
 * see the Makefile and c-echo.plugin.toml beside this file.
 */
#if !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif
#include <signal.h>
#include <string.h>

#include "gongzhi/test/v1/echo.pb-c.h"
#include "gongzhi_plugin.h"

/* As in c-echo.plugin.toml and the manifests the benchmark writes. */
#define ECHO_VERSION "1.0.0"
#define ECHO_SERVICE "gongzhi.test.v1.Echo"

/* The server that SIGTERM and SIGINT stop gracefully. */
static gz_server *volatile signalled_server = NULL;

static void stop_on_signal(int signal_number) {
    (void)signal_number;
    if (signalled_server != NULL) {
        gz_server_stop(signalled_server);
    }
}

static void handle_unary(gz_call *call, const ProtobufCMessage *message, void *user_data) {
    (void)user_data;
    const Gongzhi__Test__V1__EchoRequest *request = (const Gongzhi__Test__V1__EchoRequest *)message;
    if (request->fail_code != 0) {
        gz_call_fail(call, (gz_status_code)request->fail_code, "%s",
                     request->fail_message != NULL ? request->fail_message : "");
        return;
    }
    const char *caller = gz_call_caller(call);
    Gongzhi__Test__V1__EchoResponse response = GONGZHI__TEST__V1__ECHO_RESPONSE__INIT;
    /* The response only borrows the request's fields: gz_call_reply packs it before the request is freed. */
    response.payload = request->payload;
    response.text = request->text;
    response.sequence = 1;
    response.peer = (char *)(caller != NULL ? caller : "");
    gz_call_reply(call, &response.base);
}

int main(void) {
    char error[512];
    gz_server_options options;
    memset(&options, 0, sizeof options);
    options.version = ECHO_VERSION;
    gz_server *server = gz_server_new(&options, error, sizeof error);
    if (server == NULL) {
        gz_log(NULL, GZ_LOG_CRITICAL, "cannot start: %s", error);
        return 2;
    }
    if (gz_server_add_unary(server, ECHO_SERVICE, "Unary", &gongzhi__test__v1__echo_request__descriptor,
                            handle_unary, NULL) != 0) {
        gz_log(server, GZ_LOG_CRITICAL, "cannot start: adding %s/Unary failed", ECHO_SERVICE);
        gz_server_free(server);
        return 1;
    }
    signalled_server = server;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = stop_on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    int status = gz_server_run(server);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signalled_server = NULL;
    gz_server_free(server);
    return status;
}
