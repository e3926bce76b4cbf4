/* The gongzhi.plugin.v1.Plugin lifecycle service, which the SDK serves for every plugin. */
#include <string.h>
#include <stdlib.h>

#include "internal.h"
#include "gongzhi/plugin/v1/plugin.pb-c.h"

/* Health: the plugin's health callback's answer, or SERVING. */
static void serve_health(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    gz_server *server = user_data;
    Gongzhi__Plugin__V1__HealthResponse response = GONGZHI__PLUGIN__V1__HEALTH_RESPONSE__INIT;
    char message[512] = "";
    gz_health health = GZ_HEALTH_SERVING;
    (void)request;
    if (server->health != NULL) {
        health = server->health(server->health_user_data, message, sizeof message);
        message[sizeof message - 1] = '\0';
    }
    response.status = (Gongzhi__Plugin__V1__HealthResponse__ServingStatus)health;
    response.message = message;
    gz_call_reply(call, &response.base);
}

/* Describe: the plugin's name, version, protocol and services. */
static void serve_describe(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    gz_server *server = user_data;
    Gongzhi__Plugin__V1__DescribeResponse response = GONGZHI__PLUGIN__V1__DESCRIBE_RESPONSE__INIT;
    char *protocols[1] = {(char *)GZ_PROTOCOL_VERSION};
    char **services = malloc((server->method_count + 1) * sizeof *services);
    size_t count = 0, i, j;
    (void)request;
    if (services == NULL) {
        gz_call_fail(call, GZ_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (i = 0; i < server->method_count; i++) {
        int seen = strcmp(server->methods[i].service, GZ_LIFECYCLE_SERVICE) == 0;
        for (j = 0; j < count && !seen; j++) {
            seen = strcmp(services[j], server->methods[i].service) == 0;
        }
        if (!seen) {
            services[count++] = server->methods[i].service;
        }
    }
    response.name = server->name;
    response.version = server->version;
    response.n_protocol_versions = 1;
    response.protocol_versions = protocols;
    response.n_services = count;
    response.services = services;
    gz_call_reply(call, &response.base);
    free(services);
}

/* Shutdown: answers, then stops taking calls and returns from gz_server_run once the answers are written. */
static void serve_shutdown(gz_call *call, const ProtobufCMessage *request, void *user_data) {
    gz_server *server = user_data;
    const Gongzhi__Plugin__V1__ShutdownRequest *shutdown = (const Gongzhi__Plugin__V1__ShutdownRequest *)request;
    Gongzhi__Plugin__V1__ShutdownResponse response = GONGZHI__PLUGIN__V1__SHUTDOWN_RESPONSE__INIT;
    const char *reason = shutdown->reason != NULL && shutdown->reason[0] != '\0'
                             ? shutdown->reason : "the host asked the plugin to shut down";
    gz_call_reply(call, &response.base);
    gz_log(server, GZ_LOG_INFO, "stopping: Shutdown: %s", reason);
    gz_server_begin_stop(server, 0, shutdown->grace_period_ms > 0 ? (int64_t)shutdown->grace_period_ms
                                                                  : GZ_DEFAULT_GRACE_MS);
}

/* Adds the lifecycle service's methods. */
int gz_lifecycle_add(gz_server *server) {
    if (gz_server_add_method(server, GZ_LIFECYCLE_SERVICE, "Health", &gongzhi__plugin__v1__health_request__descriptor,
                             serve_health, server) != 0 ||
        gz_server_add_method(server, GZ_LIFECYCLE_SERVICE, "Describe",
                             &gongzhi__plugin__v1__describe_request__descriptor, serve_describe, server) != 0 ||
        gz_server_add_method(server, GZ_LIFECYCLE_SERVICE, "Shutdown",
                             &gongzhi__plugin__v1__shutdown_request__descriptor, serve_shutdown, server) != 0) {
        return -1;
    }
    return 0;
}
