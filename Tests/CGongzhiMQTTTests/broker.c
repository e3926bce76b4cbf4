#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The broker running now, stopped when a failed check exits the test. */
static pid_t running_broker = 0;

static void stop_running_broker(void) {
    if (running_broker > 0) kill(running_broker, SIGKILL);
}

static void fail(const char *what) {
    fprintf(stderr, "broker: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void sleep_ms(int ms) {
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* A loopback port that was free a moment ago. */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("bind");
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) fail("getsockname");
    close(fd);
    return ntohs(address.sin_port);
}

static bool accepts(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(path);
    if (length >= sizeof address.sun_path) {
        close(fd);
        return false;
    }
    memcpy(address.sun_path, path, length + 1);
    bool connected = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return connected;
}

static void launch(test_broker *broker) {
    char config_path[128], log_path[128];
    snprintf(config_path, sizeof config_path, "%s/mosquitto.conf", broker->dir);
    snprintf(log_path, sizeof log_path, "%s/mosquitto.log", broker->dir);
    FILE *config = fopen(config_path, "w");
    if (config == NULL) fail("writing mosquitto.conf");
    fprintf(config, "listener 0 %s\nlistener %d 127.0.0.1\nallow_anonymous true\n", broker->socket_path,
            broker->tcp_port);
    fprintf(config, "persistence %s\npersistence_location %s/\n", broker->persistence ? "true" : "false",
            broker->dir);
    fprintf(config, "max_queued_messages 100000\nlog_type all\nlog_dest file %s\n", log_path);
    /* Run as root, mosquitto drops to user mosquitto, who cannot bind in our folder. */
    if (geteuid() == 0) fprintf(config, "user root\n");
    fclose(config);
    unlink(broker->socket_path);
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("mosquitto", "mosquitto", "-c", config_path, (char *)NULL);
        _exit(127);
    }
    broker->pid = pid;
    static bool registered = false;
    if (!registered) registered = atexit(stop_running_broker) == 0;
    running_broker = pid;
    for (int i = 0; i < 500; i++) {
        if (accepts(broker->socket_path)) return;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "broker: mosquitto exited (status %d); see %s\n", status, log_path);
            exit(1);
        }
        sleep_ms(10);
    }
    fprintf(stderr, "broker: mosquitto did not accept on %s within 5 s\n", broker->socket_path);
    exit(1);
}

void broker_start(test_broker *broker, bool persistence) {
    memset(broker, 0, sizeof *broker);
    snprintf(broker->dir, sizeof broker->dir, "/tmp/gz-mqtt-XXXXXX");
    if (mkdtemp(broker->dir) == NULL) fail("mkdtemp");
    snprintf(broker->socket_path, sizeof broker->socket_path, "%s/mqtt.sock", broker->dir);
    broker->tcp_port = free_port();
    broker->persistence = persistence;
    launch(broker);
}

void broker_restart(test_broker *broker) {
    broker_stop(broker);
    launch(broker);
}

void broker_stop(test_broker *broker) {
    if (broker->pid <= 0) return;
    kill(broker->pid, SIGTERM);
    int status;
    while (waitpid(broker->pid, &status, 0) < 0 && errno == EINTR) {
    }
    broker->pid = 0;
    running_broker = 0;
}

void broker_remove(test_broker *broker) {
    broker_stop(broker);
    char command[160];
    snprintf(command, sizeof command, "rm -rf '%s'", broker->dir);
    if (system(command) != 0) fprintf(stderr, "broker: could not remove %s\n", broker->dir);
}

void broker_publish(const test_broker *broker, const char *topic, const char *payload) {
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        execlp("mosquitto_pub", "mosquitto_pub", "--unix", broker->socket_path, "-q", "1", "-t", topic, "-m",
               payload, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) fail("waitpid");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "broker: mosquitto_pub -t %s failed (status %d)\n", topic, status);
        exit(1);
    }
}
