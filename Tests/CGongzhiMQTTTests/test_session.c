/*
 * The shim against a real mosquitto: a batch read and not flushed is delivered again after an abort, a
 * flushed batch is not; the session outlives a disconnect; a broker that lost the session is noticed and
 * subscribed to again; Unix socket and TCP; cut payloads; refused options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "gongzhi_mqtt.h"

#define MAX_COLLECTED 64

typedef struct collected {
    char payloads[MAX_COLLECTED][64];
    char topics[MAX_COLLECTED][64];
    int count;
} collected;

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static gz_mqtt_options options_for(const test_broker *broker, const char *client_id, const char *const *filters,
                                   int filter_count) {
    gz_mqtt_options options = {
        .host = broker->socket_path,
        .port = 0,
        .client_id = client_id,
        .filters = filters,
        .filter_count = filter_count,
        .keepalive_s = 60,
        .receive_maximum = 1000,
        .session_expiry_s = 3600,
        .max_payload_bytes = 0,
    };
    return options;
}

static gz_mqtt_session *open_session(const gz_mqtt_options *options) {
    char error[256];
    gz_mqtt_session *session = gz_mqtt_open(options, error, sizeof error);
    if (session == NULL) {
        fprintf(stderr, "gz_mqtt_open: %s\n", error);
        exit(1);
    }
    return session;
}

/* Connects, reads the CONNACK, writes the SUBSCRIBE and reads the SUBACK; no message may come meanwhile. */
static void connect_and_subscribe(gz_mqtt_session *session) {
    if (gz_mqtt_connect(session, 2000) != 0) {
        fprintf(stderr, "gz_mqtt_connect: %s\n", gz_mqtt_last_error(session));
        exit(1);
    }
    long long deadline = now_ms() + 5000;
    gz_mqtt_status status;
    do {
        const gz_mqtt_message *messages;
        int count;
        if (gz_mqtt_read_batch(session, 100, 50, &messages, &count) != 0) {
            fprintf(stderr, "gz_mqtt_read_batch: %s\n", gz_mqtt_last_error(session));
            exit(1);
        }
        CHECK(count == 0);
        CHECK(gz_mqtt_flush(session, 2000) == 0);
        gz_mqtt_get_status(session, &status);
        CHECK(now_ms() < deadline);
    } while (!status.subscribed);
    CHECK(status.connected);
    CHECK(status.refused_filters == 0);
}

/* Reads batches, without flushing, until `want` messages came or `timeout_ms` passed. */
static void collect(gz_mqtt_session *session, int want, int timeout_ms, collected *into) {
    into->count = 0;
    long long deadline = now_ms() + timeout_ms;
    while (into->count < want && now_ms() < deadline) {
        const gz_mqtt_message *messages;
        int count;
        if (gz_mqtt_read_batch(session, 1000, 20, &messages, &count) != 0) {
            fprintf(stderr, "gz_mqtt_read_batch: %s\n", gz_mqtt_last_error(session));
            exit(1);
        }
        for (int i = 0; i < count && into->count < MAX_COLLECTED; i++) {
            CHECK(messages[i].payload_len < 64);
            memcpy(into->payloads[into->count], messages[i].payload, messages[i].payload_len);
            into->payloads[into->count][messages[i].payload_len] = '\0';
            snprintf(into->topics[into->count], 64, "%s", messages[i].topic);
            CHECK(messages[i].qos == 1);
            into->count += 1;
        }
    }
}

static void check_payloads(const collected *got, const char *first, const char *second, const char *third) {
    CHECK(got->count == 3);
    CHECK(strcmp(got->payloads[0], first) == 0);
    CHECK(strcmp(got->payloads[1], second) == 0);
    CHECK(strcmp(got->payloads[2], third) == 0);
}

/* The experiment of the design (§1.1), as a test. */
static void test_abort_before_flush_redelivers_and_flush_acknowledges(void) {
    test_broker broker;
    broker_start(&broker, false);
    const char *filters[] = {"t/#"};
    gz_mqtt_options options = options_for(&broker, "gz-test-redeliver", filters, 1);
    gz_mqtt_session *session = open_session(&options);
    connect_and_subscribe(session);
    gz_mqtt_status status;
    gz_mqtt_get_status(session, &status);
    CHECK(!status.session_present);
    CHECK(status.connacks == 1);
    CHECK(gz_mqtt_disconnect(session, 2000) == 0);

    broker_publish(&broker, "t/a", "msg-1");
    broker_publish(&broker, "t/b", "msg-2");
    broker_publish(&broker, "t/a", "msg-3");

    /* Read while away: the session kept them. Read, and abort before the flush. */
    CHECK(gz_mqtt_connect(session, 2000) == 0);
    collected got;
    collect(session, 3, 5000, &got);
    check_payloads(&got, "msg-1", "msg-2", "msg-3");
    CHECK(strcmp(got.topics[1], "t/b") == 0);
    gz_mqtt_get_status(session, &status);
    CHECK(status.session_present);
    CHECK(status.connacks == 2);
    CHECK(gz_mqtt_unacknowledged(session));
    gz_mqtt_abort(session);
    CHECK(!gz_mqtt_unacknowledged(session));
    const gz_mqtt_message *messages;
    int count;
    CHECK(gz_mqtt_read_batch(session, 10, 0, &messages, &count) == -1);
    CHECK(gz_mqtt_flush(session, 100) == -1);

    /* The same messages again; this time flushed. */
    CHECK(gz_mqtt_connect(session, 2000) == 0);
    collect(session, 3, 5000, &got);
    check_payloads(&got, "msg-1", "msg-2", "msg-3");
    CHECK(gz_mqtt_flush(session, 2000) == 0);
    CHECK(!gz_mqtt_unacknowledged(session));
    CHECK(gz_mqtt_disconnect(session, 2000) == 0);

    /* Acknowledged: nothing comes back, and a new message still does. */
    CHECK(gz_mqtt_connect(session, 2000) == 0);
    collect(session, 1, 600, &got);
    CHECK(got.count == 0);
    CHECK(gz_mqtt_flush(session, 2000) == 0);
    broker_publish(&broker, "t/a", "msg-4");
    collect(session, 1, 5000, &got);
    CHECK(got.count == 1);
    CHECK(strcmp(got.payloads[0], "msg-4") == 0);
    CHECK(gz_mqtt_flush(session, 2000) == 0);
    gz_mqtt_close(session);
    broker_remove(&broker);
    printf("ok: a batch aborted before its flush is delivered again; a flushed one is not\n");
}

static void test_disconnect_with_unflushed_batch_aborts(void) {
    test_broker broker;
    broker_start(&broker, false);
    const char *filters[] = {"t/#"};
    gz_mqtt_options options = options_for(&broker, "gz-test-unflushed", filters, 1);
    gz_mqtt_session *session = open_session(&options);
    connect_and_subscribe(session);
    broker_publish(&broker, "t/x", "only");
    collected got;
    collect(session, 1, 5000, &got);
    CHECK(got.count == 1);
    CHECK(gz_mqtt_disconnect(session, 2000) == -1);
    CHECK(strstr(gz_mqtt_last_error(session), "not flushed") != NULL);
    gz_mqtt_close(session);

    /* A new process with the same client id gets it again. */
    session = open_session(&options);
    CHECK(gz_mqtt_connect(session, 2000) == 0);
    collect(session, 1, 5000, &got);
    CHECK(got.count == 1);
    CHECK(strcmp(got.payloads[0], "only") == 0);
    CHECK(gz_mqtt_flush(session, 2000) == 0);
    gz_mqtt_close(session);
    broker_remove(&broker);
    printf("ok: a clean disconnect with an unflushed batch aborts instead\n");
}

static void test_broker_restart(void) {
    const char *filters[] = {"a/+", "b/#"};
    collected got;
    /* With persistence, a restart (SIGTERM) keeps the session and what was queued. */
    test_broker broker;
    broker_start(&broker, true);
    gz_mqtt_options options = options_for(&broker, "gz-test-restart", filters, 2);
    gz_mqtt_session *session = open_session(&options);
    connect_and_subscribe(session);
    CHECK(gz_mqtt_disconnect(session, 2000) == 0);
    broker_publish(&broker, "a/1", "kept-1");
    broker_publish(&broker, "b/2/3", "kept-2");
    broker_restart(&broker);
    CHECK(gz_mqtt_connect(session, 2000) == 0);
    collect(session, 2, 5000, &got);
    CHECK(got.count == 2);
    CHECK(strcmp(got.payloads[0], "kept-1") == 0);
    CHECK(strcmp(got.payloads[1], "kept-2") == 0);
    CHECK(gz_mqtt_flush(session, 2000) == 0);
    gz_mqtt_status status;
    gz_mqtt_get_status(session, &status);
    CHECK(status.session_present);
    /* A clean disconnect returns once the broker has read the PUBACKs: they are not delivered again. */
    CHECK(gz_mqtt_disconnect(session, 2000) == 0);
    connect_and_subscribe(session);

    /* Stopped under a connected session: reading fails, and connecting again works. */
    broker_restart(&broker);
    const gz_mqtt_message *messages;
    int count;
    long long deadline = now_ms() + 5000;
    while (gz_mqtt_read_batch(session, 10, 50, &messages, &count) == 0) CHECK(now_ms() < deadline);
    CHECK(gz_mqtt_last_error(session)[0] != '\0');
    gz_mqtt_get_status(session, &status);
    CHECK(!status.connected);
    connect_and_subscribe(session);
    gz_mqtt_close(session);
    broker_remove(&broker);

    /* Without persistence the restarted broker has no session: session-present is false, and the session
     * subscribes again by itself. */
    broker_start(&broker, false);
    options = options_for(&broker, "gz-test-lost", filters, 2);
    session = open_session(&options);
    connect_and_subscribe(session);
    CHECK(gz_mqtt_disconnect(session, 2000) == 0);
    broker_restart(&broker);
    connect_and_subscribe(session);
    gz_mqtt_get_status(session, &status);
    CHECK(!status.session_present);
    CHECK(status.connacks == 2);
    broker_publish(&broker, "a/9", "after-loss");
    collect(session, 1, 5000, &got);
    CHECK(got.count == 1);
    CHECK(strcmp(got.payloads[0], "after-loss") == 0);
    CHECK(gz_mqtt_flush(session, 2000) == 0);
    gz_mqtt_close(session);
    broker_remove(&broker);
    printf("ok: a restarted broker keeps the session with persistence; without it, it is noticed and renewed\n");
}

static void test_tcp_and_cut_payloads(void) {
    test_broker broker;
    broker_start(&broker, false);
    const char *filters[] = {"big/#"};
    gz_mqtt_options options = options_for(&broker, "gz-test-tcp", filters, 1);
    options.host = "127.0.0.1";
    options.port = broker.tcp_port;
    options.max_payload_bytes = 8;
    gz_mqtt_session *session = open_session(&options);
    connect_and_subscribe(session);
    broker_publish(&broker, "big/1", "0123456789abcdefghij");
    broker_publish(&broker, "big/2", "short");
    const gz_mqtt_message *messages;
    int count = 0;
    long long deadline = now_ms() + 5000;
    const gz_mqtt_message *first = NULL;
    while (first == NULL) {
        CHECK(now_ms() < deadline);
        CHECK(gz_mqtt_read_batch(session, 1, 50, &messages, &count) == 0);
        CHECK(count <= 1);
        if (count == 1) first = &messages[0];
    }
    CHECK(first->payload_len == 8);
    CHECK(first->payload_size == 20);
    CHECK(memcmp(first->payload, "01234567", 8) == 0);
    CHECK(strcmp(first->topic, "big/1") == 0);
    collected got;
    collect(session, 1, 5000, &got);
    CHECK(got.count == 1);
    CHECK(strcmp(got.payloads[0], "short") == 0);
    CHECK(gz_mqtt_flush(session, 2000) == 0);
    gz_mqtt_close(session);
    broker_remove(&broker);
    printf("ok: over TCP; a payload over the limit is delivered cut, with its size\n");
}

static void expect_refused(gz_mqtt_options options, const char *words) {
    char error[256] = "";
    gz_mqtt_session *session = gz_mqtt_open(&options, error, sizeof error);
    CHECK(session == NULL);
    if (strstr(error, words) == NULL) {
        fprintf(stderr, "expected an error with '%s', got '%s'\n", words, error);
        exit(1);
    }
}

static void test_refused_options_and_no_broker(void) {
    test_broker nowhere = {.socket_path = "/tmp/gz-mqtt-no-such-dir/mqtt.sock"};
    const char *filters[] = {"ok/+"};
    const char *bad_filters[] = {"ok/+", "a/#/b"};
    gz_mqtt_options options = options_for(&nowhere, "gz-test-options", filters, 1);

    gz_mqtt_options bad = options;
    bad.filters = bad_filters;
    bad.filter_count = 2;
    expect_refused(bad, "topic filter 2 ('a/#/b')");
    bad = options;
    bad.filter_count = 0;
    expect_refused(bad, "no topic filter");
    bad = options;
    bad.client_id = "";
    expect_refused(bad, "client id");
    bad = options;
    bad.keepalive_s = 1;
    expect_refused(bad, "keepalive 1");
    bad = options;
    bad.receive_maximum = 0;
    expect_refused(bad, "receive maximum 0");
    bad = options;
    bad.password = "secret";
    expect_refused(bad, "without a username");
    bad = options;
    bad.port = 70000;
    expect_refused(bad, "port 70000");

    gz_mqtt_session *session = open_session(&options);
    CHECK(gz_mqtt_connect(session, 500) == -1);
    CHECK(strstr(gz_mqtt_last_error(session), nowhere.socket_path) != NULL);
    const gz_mqtt_message *messages;
    int count;
    CHECK(gz_mqtt_read_batch(session, 1, 0, &messages, &count) == -1);
    CHECK(gz_mqtt_misc(session) == -1);
    gz_mqtt_close(session);
    printf("ok: bad options are refused with the reason; no broker is an error that names the socket\n");
}

int main(void) {
    int version = gz_mqtt_library_version();
    printf("libmosquitto %d.%d.%d\n", version / 1000000, version / 1000 % 1000, version % 1000);
    CHECK(version >= 2000000);
    test_refused_options_and_no_broker();
    test_abort_before_flush_redelivers_and_flush_acknowledges();
    test_disconnect_with_unflushed_batch_aborts();
    test_broker_restart();
    test_tcp_and_cut_payloads();
    return 0;
}
