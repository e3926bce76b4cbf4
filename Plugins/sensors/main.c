/*
 * gongzhi-sensors: the smart-city sensor adapter (城市感知设备接入), a Gongzhi plugin written in C.
 *
 * It serves gongzhi.sensors.v1.Sensors (Schemas/gongzhi/sensors/v1/sensors.proto): Check takes a batch
 * of readings and answers with the alerts and the rejected readings; ListThresholds shows the table it
 * checks against. The table is built in, or read from the file named by SENSORS_THRESHOLDS (set it in
 * the host's config: [plugins.sensors] env = { SENSORS_THRESHOLDS = "/etc/gongzhi/thresholds.conf" }).
 */
#if !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* sigaction */
#endif
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gongzhi_plugin.h"
#include "sensors_descriptors.h"
#include "thresholds.h"

/* As in sensors.plugin.toml. */
#define SENSORS_VERSION "1.0.0"
#define SENSORS_SERVICE "gongzhi.sensors.v1.Sensors"

/* The server that SIGTERM and SIGINT stop gracefully (Ctrl-C when run by hand as an external plugin). */
static gz_server *volatile signalled_server = NULL;

static void stop_on_signal(int signal_number) {
    (void)signal_number;
    if (signalled_server != NULL) {
        gz_server_stop(signalled_server);
    }
}

static void handle_check(gz_call *call, const ProtobufCMessage *message, void *user_data) {
    const sensor_thresholds *table = user_data;
    const Gongzhi__Sensors__V1__CheckRequest *request = (const Gongzhi__Sensors__V1__CheckRequest *)message;
    if (request->n_readings > SENSOR_BATCH_MAX) {
        gz_call_fail(call, GZ_INVALID_ARGUMENT, "a batch holds at most %u readings and this one has %zu; split it",
                     SENSOR_BATCH_MAX, request->n_readings);
        return;
    }
    sensor_check_result result;
    if (sensor_check(table, request, &result) != 0) {
        gz_call_fail(call, GZ_RESOURCE_EXHAUSTED, "out of memory checking %zu readings", request->n_readings);
        return;
    }
    /* Alerts repeat their readings' attributes and add a message: a full batch can answer more than one
     * frame holds. Say so, rather than lose every alert to a refusal of the answer. */
    size_t answer = gongzhi__sensors__v1__check_response__get_packed_size(&result.response);
    if (answer > GZ_FRAME_MAX_DATA - 1024) {
        gz_call_fail(call, GZ_INVALID_ARGUMENT,
                     "the answer to these %zu readings would be %zu bytes, over the %u-byte frame limit; send "
                     "smaller batches",
                     request->n_readings, answer, GZ_FRAME_MAX_DATA);
        sensor_check_result_free(&result);
        return;
    }
    if (result.response.n_alerts > 0 || result.response.n_rejections > 0) {
        gz_log(gz_call_server(call), GZ_LOG_DEBUG, "checked %u readings from %s: %zu alerts, %zu rejected",
               result.response.checked, gz_call_caller(call) ? gz_call_caller(call) : "an unknown caller",
               result.response.n_alerts, result.response.n_rejections);
    }
    gz_call_reply(call, &result.response.base);
    sensor_check_result_free(&result);
}

static void handle_list_thresholds(gz_call *call, const ProtobufCMessage *message, void *user_data) {
    (void)message;
    const sensor_thresholds *table = user_data;
    Gongzhi__Sensors__V1__Threshold *thresholds = calloc(table->count + 1, sizeof thresholds[0]);
    Gongzhi__Sensors__V1__Threshold **pointers = calloc(table->count + 1, sizeof pointers[0]);
    if (thresholds == NULL || pointers == NULL) {
        free(thresholds);
        free(pointers);
        gz_call_fail(call, GZ_RESOURCE_EXHAUSTED, "out of memory listing thresholds");
        return;
    }
    for (size_t i = 0; i < table->count; i++) {
        const sensor_threshold *item = &table->items[i];
        gongzhi__sensors__v1__threshold__init(&thresholds[i]);
        thresholds[i].kind = (char *)item->kind;
        thresholds[i].unit = (char *)item->unit;
        thresholds[i].direction = item->below ? GONGZHI__SENSORS__V1__THRESHOLD__DIRECTION__DIRECTION_BELOW
                                              : GONGZHI__SENSORS__V1__THRESHOLD__DIRECTION__DIRECTION_ABOVE;
        thresholds[i].warning = item->warning;
        thresholds[i].critical = item->critical;
        thresholds[i].plausible_min = item->plausible_min;
        thresholds[i].plausible_max = item->plausible_max;
        pointers[i] = &thresholds[i];
    }
    Gongzhi__Sensors__V1__ListThresholdsResponse response = GONGZHI__SENSORS__V1__LIST_THRESHOLDS_RESPONSE__INIT;
    response.n_thresholds = table->count;
    response.thresholds = pointers;
    gz_call_reply(call, &response.base);
    free(thresholds);
    free(pointers);
}

int main(void) {
    char error[512];
    sensor_thresholds table;
    const char *path = getenv("SENSORS_THRESHOLDS");
    if (path != NULL && path[0] != '\0') {
        if (sensor_thresholds_load(path, &table, error, sizeof error) != 0) {
            gz_log(NULL, GZ_LOG_CRITICAL, "cannot start: %s", error);
            return 1;
        }
    } else if (sensor_thresholds_defaults(&table) != 0) {
        gz_log(NULL, GZ_LOG_CRITICAL, "cannot start: out of memory");
        return 1;
    }

    gz_server_options options;
    memset(&options, 0, sizeof options);
    options.version = SENSORS_VERSION;
    /* The service's schema, for the host to know the messages' types and where personal data is. */
    options.file_descriptor_set = sensors_file_descriptor_set;
    options.file_descriptor_set_length = sensors_file_descriptor_set_length;
    gz_server *server = gz_server_new(&options, error, sizeof error);
    if (server == NULL) {
        /* A setting is missing: as with the Swift SDK, that is a usage error (status 2). */
        gz_log(NULL, GZ_LOG_CRITICAL, "cannot start: %s", error);
        sensor_thresholds_free(&table);
        return 2;
    }
    if (gz_server_add_unary(server, SENSORS_SERVICE, "Check", &gongzhi__sensors__v1__check_request__descriptor,
                            handle_check, &table) != 0 ||
        gz_server_add_unary(server, SENSORS_SERVICE, "ListThresholds",
                            &gongzhi__sensors__v1__list_thresholds_request__descriptor, handle_list_thresholds,
                            &table) != 0) {
        gz_log(server, GZ_LOG_CRITICAL, "cannot start: adding the service's methods failed");
        gz_server_free(server);
        sensor_thresholds_free(&table);
        return 1;
    }
    char kinds[256];
    sensor_thresholds_kinds(&table, kinds, sizeof kinds);
    gz_log(server, GZ_LOG_INFO, "checking readings of %s against %s", kinds,
           path != NULL && path[0] != '\0' ? path : "the built-in thresholds");
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
    sensor_thresholds_free(&table);
    return status;
}
