/*
 * A real mosquitto for the shim's tests: started on a Unix socket (and a loopback TCP port) in a temporary
 * folder, stopped, restarted on the same socket, with persistence on or off.
 */
#ifndef GZ_MQTT_TEST_BROKER_H
#define GZ_MQTT_TEST_BROKER_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct test_broker {
    char dir[64];
    char socket_path[128];
    int tcp_port;
    bool persistence;
    pid_t pid;
} test_broker;

/* Creates the folder and starts the broker; exits the test on failure. */
void broker_start(test_broker *broker, bool persistence);
/* Starts it again in the same folder, on the same socket and port. */
void broker_restart(test_broker *broker);
/* SIGTERM (a clean stop: persistence is saved) and wait. */
void broker_stop(test_broker *broker);
/* Stops it and removes the folder. */
void broker_remove(test_broker *broker);
/* Publishes one message at QoS 1 through mosquitto_pub over the Unix socket; exits the test on failure. */
void broker_publish(const test_broker *broker, const char *topic, const char *payload);

#define CHECK(condition)                                                                                      \
    do {                                                                                                      \
        if (!(condition)) {                                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);                    \
            exit(1);                                                                                          \
        }                                                                                                     \
    } while (0)

#endif
