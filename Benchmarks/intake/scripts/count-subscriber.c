// The pass-through baseline of the intake benchmark: a bare subscriber on Debian's libmosquitto, set up as intake's
// MQTT source is (MQTT v5, clean start off, a Session Expiry Interval, Receive Maximum 1000, QoS 1 subscriptions),
// that only counts. libmosquitto's own threaded loop acknowledges each message as it arrives.
//
// usage: count-subscriber SOCKET CLIENT_ID COUNT TIMEOUT_SECONDS TOPIC...
// Prints READY on standard error once subscribed; when COUNT messages have arrived (or at the timeout) it ends its
// session (Session Expiry Interval 0 on DISCONNECT, so that the broker queues nothing more for it) and prints one
// JSON line: the messages received and the last arrival, in seconds since the epoch.
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_long received;
static atomic_int subscribed;
static long target;
static double last_arrival;
static int topic_count;
static char **topics;

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *mosq, void *context, int rc, int flags, const mosquitto_property *props) {
    (void)context, (void)flags, (void)props;
    if (rc != 0) {
        fprintf(stderr, "count-subscriber: connection refused: %s\n", mosquitto_reason_string(rc));
        return;
    }
    for (int i = 0; i < topic_count; i++) mosquitto_subscribe_v5(mosq, NULL, topics[i], 1, 0, NULL);
}

static void on_subscribe(struct mosquitto *mosq, void *context, int mid, int count, const int *granted,
                         const mosquitto_property *props) {
    (void)mosq, (void)context, (void)mid, (void)count, (void)granted, (void)props;
    if (atomic_fetch_add(&subscribed, 1) + 1 == topic_count) fprintf(stderr, "READY\n");
}

static void on_message(struct mosquitto *mosq, void *context, const struct mosquitto_message *message,
                       const mosquitto_property *props) {
    (void)mosq, (void)context, (void)message, (void)props;
    long count = atomic_fetch_add(&received, 1) + 1;
    if (count == target) last_arrival = now_seconds();
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: count-subscriber SOCKET CLIENT_ID COUNT TIMEOUT_SECONDS TOPIC...\n");
        return 2;
    }
    target = atol(argv[3]);
    double timeout = atof(argv[4]);
    topics = argv + 5;
    topic_count = argc - 5;
    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(argv[2], false, NULL);
    if (mosq == NULL) return 1;
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 1000);
    mosquitto_connect_v5_callback_set(mosq, on_connect);
    mosquitto_subscribe_v5_callback_set(mosq, on_subscribe);
    mosquitto_message_v5_callback_set(mosq, on_message);
    mosquitto_property *connect_props = NULL;
    mosquitto_property_add_int32(&connect_props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 3600);
    int rc = mosquitto_connect_bind_v5(mosq, argv[1], 0, 60, NULL, connect_props);
    mosquitto_property_free_all(&connect_props);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "count-subscriber: cannot connect to %s: %s\n", argv[1], mosquitto_strerror(rc));
        return 1;
    }
    mosquitto_loop_start(mosq);
    double deadline = now_seconds() + timeout;
    while (atomic_load(&received) < target && now_seconds() < deadline) usleep(1000);
    mosquitto_property *disconnect_props = NULL;
    mosquitto_property_add_int32(&disconnect_props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0);
    mosquitto_disconnect_v5(mosq, 0, disconnect_props);
    mosquitto_property_free_all(&disconnect_props);
    mosquitto_loop_stop(mosq, false);
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    printf("{\"received\":%ld,\"last_arrival\":%.6f}\n", atomic_load(&received), last_arrival);
    return atomic_load(&received) >= target ? 0 : 1;
}
