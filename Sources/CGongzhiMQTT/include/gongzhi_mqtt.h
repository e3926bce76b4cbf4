/*
 * An MQTT v5 subscriber session on libmosquitto that acknowledges a batch of QoS 1 messages only when the
 * caller says so.
 *
 * libmosquitto has no manual acknowledgement. In threaded mode (mosquitto_threaded_set(true)) it only
 * queues the PUBACK it makes for a received message, and the PUBACK reaches the socket on the next
 * mosquitto_loop_write. This session runs its own loop on that order: gz_mqtt_read_batch reads messages
 * (their PUBACKs are queued), the caller commits them, and only gz_mqtt_flush writes the PUBACKs. If the
 * caller cannot commit, gz_mqtt_abort shuts the socket down without writing anything queued, and the broker
 * delivers the messages again to the next connection with the same client id.
 *
 * The session connects with MQTT v5, clean start off, the Session Expiry Interval and Receive Maximum of its
 * options, and subscribes to every filter at QoS 1 after every accepted CONNACK.
 *
 * Threading: a session is driven by one thread at a time; it never calls mosquitto_loop,
 * mosquitto_loop_forever or mosquitto_loop_start, and libmosquitto starts no thread for it.
 *
 * Errors: functions that can fail return 0 on success and -1 on failure, with the reason in
 * gz_mqtt_last_error; gz_mqtt_open returns NULL and writes the reason into the caller's buffer.
 */
#ifndef GONGZHI_MQTT_H
#define GONGZHI_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One message of a batch. Its topic and payload stay valid until the next gz_mqtt_read_batch or
 * gz_mqtt_close. */
typedef struct gz_mqtt_message {
    const char *topic;
    const uint8_t *payload;
    /* The bytes at payload: the whole payload, or its first max_payload_bytes when it is larger. */
    uint32_t payload_len;
    /* The payload's size as sent, larger than payload_len when the payload was cut. */
    uint32_t payload_size;
    /* The packet identifier the broker gave (0 for QoS 0). A redelivery of an unacknowledged message in
     * the same session carries the same identifier. */
    int mid;
    int qos;
    bool retain;
} gz_mqtt_message;

typedef struct gz_mqtt_options {
    /* A host name or address with port 1..65535, or with port 0 the path of the broker's Unix socket. */
    const char *host;
    int port;
    /* Stable for a source: the broker keeps the session, and its queue, under this id. */
    const char *client_id;
    /* Both NULL, or a username with an optional password. */
    const char *username;
    const char *password;
    const char *const *filters;
    int filter_count;
    /* Seconds, 5..65535. */
    int keepalive_s;
    /* The most unacknowledged QoS 1 messages the broker sends at once, 1..65535. */
    int receive_maximum;
    /* How long the broker keeps the session and its queue after a disconnect. */
    uint32_t session_expiry_s;
    /* Payloads larger than this are cut to it in the batch (payload_size says how large they were);
     * 0: no limit. */
    uint32_t max_payload_bytes;
} gz_mqtt_options;

/* What the session knows of its connection. */
typedef struct gz_mqtt_status {
    /* The broker accepted the connection and the socket is open. */
    bool connected;
    /* The last CONNACK's session-present flag: false when the broker had no session (the first connect,
     * or a broker that lost its state). */
    bool session_present;
    /* Accepted CONNACKs since gz_mqtt_open: a change means a new connection, each subscribed again. */
    unsigned connacks;
    /* The broker answered this connection's SUBSCRIBE. */
    bool subscribed;
    /* Filters the broker refused since the last CONNACK (a SUBACK reason code of 0x80 or more). */
    int refused_filters;
} gz_mqtt_status;

/* The libmosquitto version the process runs with, as major * 1000000 + minor * 1000 + revision. */
int gz_mqtt_library_version(void);

/* Checks the options and creates a session; does not connect. */
typedef struct gz_mqtt_session gz_mqtt_session;
gz_mqtt_session *gz_mqtt_open(const gz_mqtt_options *options, char *error, size_t error_len);

/* Connects (or connects again, dropping whatever was queued for the old connection) and writes the CONNECT.
 * The CONNACK is read by gz_mqtt_read_batch. */
int gz_mqtt_connect(gz_mqtt_session *session, int wait_ms);

/* Waits up to wait_ms for the socket to become readable, then reads packets while there are any, until
 * `max` messages were read. Their PUBACKs are queued, not written. On failure (the connection is lost or
 * was refused) nothing of the batch is returned: the broker delivers it again after a reconnect. */
int gz_mqtt_read_batch(gz_mqtt_session *session, int max, int wait_ms, const gz_mqtt_message **messages,
                       int *count);

/* Writes everything queued — the PUBACKs of the batches read so far, SUBSCRIBE, PINGREQ — waiting up to
 * wait_ms for the socket to take it. Call it only after the batches read were committed. */
int gz_mqtt_flush(gz_mqtt_session *session, int wait_ms);

/* Keepalive: queues a PINGREQ when one is due (gz_mqtt_flush writes it), and drops the connection when the
 * broker did not answer the last one within the keepalive. */
int gz_mqtt_misc(gz_mqtt_session *session);

/* Shuts the socket down without writing anything queued: no PUBACK of an unflushed batch leaves. The broker
 * sees the connection end and keeps the session; gz_mqtt_connect connects again. */
void gz_mqtt_abort(gz_mqtt_session *session);

/* Disconnects cleanly (DISCONNECT, the session kept for session_expiry_s). When a batch was read and not
 * flushed, it aborts instead, so that nothing unflushed is acknowledged, and returns -1. */
int gz_mqtt_disconnect(gz_mqtt_session *session, int wait_ms);

void gz_mqtt_get_status(const gz_mqtt_session *session, gz_mqtt_status *status);

/* Whether a batch was read since the last successful flush (its PUBACKs are queued, not written). */
bool gz_mqtt_unacknowledged(const gz_mqtt_session *session);

/* The reason of the last failure, or "" . */
const char *gz_mqtt_last_error(const gz_mqtt_session *session);

/* Disconnects as gz_mqtt_disconnect does (aborting when a batch is unflushed) and frees the session. */
void gz_mqtt_close(gz_mqtt_session *session);

#ifdef __cplusplus
}
#endif

#endif
