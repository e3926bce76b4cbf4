/*
 * The floor of the echo benchmark: the least a request/response exchange over a Unix-domain socket can
 * cost. Each message is a 4-byte big-endian length followed by that many bytes; the server writes every
 * message back unchanged.
 *
 *   pingpong serve --socket PATH
 *   pingpong bench-client --socket PATH --payload BYTES --calls N --concurrency C --warmup W
 *
 * The client keeps C requests in flight on one connection by pipelining: it writes a batch of C requests
 * and reads their C responses, then starts the next batch. It prints one JSON line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HEADER_SIZE 4
#define READ_CHUNK (256 * 1024)
#define MAX_MESSAGE (64 * 1024 * 1024)

static const char *socket_path;

static void die(const char *what) {
    fprintf(stderr, "pingpong: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *what) {
    fprintf(stderr, "pingpong: %s\n", what);
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t load_be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void *checked_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) fail("out of memory");
    return p;
}

/* A growable byte buffer whose unread bytes are data[start, end). */
struct buffer {
    unsigned char *data;
    size_t start, end, capacity;
};

static void buffer_reserve(struct buffer *b, size_t extra) {
    if (b->start > 0 && b->capacity - b->end < extra) {
        memmove(b->data, b->data + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
    }
    if (b->capacity - b->end < extra) {
        size_t capacity = b->capacity ? b->capacity : READ_CHUNK;
        while (capacity - b->end < extra) capacity *= 2;
        b->data = realloc(b->data, capacity);
        if (!b->data) fail("out of memory");
        b->capacity = capacity;
    }
}

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- server */

/* Reads whatever has arrived, answers every complete message in it with one write, and repeats. */
static void *serve_connection(void *arg) {
    int fd = (int)(intptr_t)arg;
    struct buffer in = {0}, out = {0};
    for (;;) {
        buffer_reserve(&in, READ_CHUNK);
        ssize_t r = read(fd, in.data + in.end, in.capacity - in.end);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        in.end += (size_t)r;
        out.start = out.end = 0;
        for (;;) {
            size_t available = in.end - in.start;
            if (available < HEADER_SIZE) break;
            uint32_t length = load_be32(in.data + in.start);
            if (length > MAX_MESSAGE) goto done;
            size_t frame = HEADER_SIZE + (size_t)length;
            if (available < frame) {
                buffer_reserve(&in, frame - available);
                break;
            }
            buffer_reserve(&out, frame);
            memcpy(out.data + out.end, in.data + in.start, frame);
            out.end += frame;
            in.start += frame;
        }
        if (in.start == in.end) in.start = in.end = 0;
        if (out.end > 0 && write_all(fd, out.data, out.end) < 0) break;
    }
done:
    close(fd);
    free(in.data);
    free(out.data);
    return NULL;
}

static void on_sigterm(int sig) {
    (void)sig;
    unlink(socket_path);
    _exit(0);
}

static _Noreturn void serve(void) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) fail("socket path too long");
    strcpy(addr.sun_path, socket_path);

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_sigterm);
    signal(SIGINT, on_sigterm);

    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) die("socket");
    unlink(socket_path);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 128) < 0) die("listen");
    printf("READY\n");
    fflush(stdout);

    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            die("accept");
        }
        pthread_t thread;
        if (pthread_create(&thread, NULL, serve_connection, (void *)(intptr_t)fd) != 0) fail("pthread_create");
        pthread_detach(thread);
    }
}

/* ---------------------------------------------------------------------------------------------- client */

struct client {
    int fd;
    size_t payload;
    unsigned char *requests; /* `concurrency` request frames back to back */
    size_t frame;            /* bytes in one frame */
    struct buffer in;
};

/* Reads until one whole response frame is buffered, then consumes and checks it. */
static void read_response(struct client *c) {
    while (c->in.end - c->in.start < c->frame) {
        buffer_reserve(&c->in, READ_CHUNK);
        ssize_t r = read(c->fd, c->in.data + c->in.end, c->in.capacity - c->in.end);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("read");
        if (r == 0) fail("server closed the connection");
        c->in.end += (size_t)r;
    }
    if (load_be32(c->in.data + c->in.start) != c->payload) fail("echo has the wrong length");
    c->in.start += c->frame;
    if (c->in.start == c->in.end) c->in.start = c->in.end = 0;
}

/* One request written, its response read: `count` times, recording each round trip if asked. */
static void sequential(struct client *c, size_t count, uint64_t *latencies) {
    for (size_t i = 0; i < count; i++) {
        uint64_t start = now_ns();
        if (write_all(c->fd, c->requests, c->frame) < 0) die("write");
        read_response(c);
        if (latencies) latencies[i] = now_ns() - start;
    }
}

/*
 * `count` requests in batches of `concurrency`: a batch is written whole while the responses that come
 * back meanwhile are read, so that large batches cannot deadlock on full socket buffers. A call's latency
 * runs from the moment its request started to be written to the moment its response was complete.
 */
static void pipelined(struct client *c, size_t count, size_t concurrency, uint64_t *latencies, uint64_t *sent) {
    for (size_t done = 0; done < count;) {
        size_t batch = count - done < concurrency ? count - done : concurrency;
        size_t total = batch * c->frame, written = 0, received = 0;
        while (received < batch) {
            size_t next_request = (written + c->frame - 1) / c->frame;
            if (written < total) {
                struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLOUT};
                if (poll(&p, 1, -1) < 0) {
                    if (errno == EINTR) continue;
                    die("poll");
                }
                if (p.revents & POLLOUT) {
                    uint64_t t = now_ns();
                    ssize_t w = send(c->fd, c->requests + written, total - written, MSG_DONTWAIT);
                    if (w < 0 && errno != EAGAIN && errno != EINTR) die("write");
                    if (w > 0) {
                        for (size_t k = next_request; k * c->frame < written + (size_t)w && k < batch; k++)
                            if (sent) sent[k] = t;
                        written += (size_t)w;
                    }
                }
                if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
                ssize_t r;
                buffer_reserve(&c->in, READ_CHUNK);
                r = recv(c->fd, c->in.data + c->in.end, c->in.capacity - c->in.end, MSG_DONTWAIT);
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (r < 0) die("read");
                if (r == 0) fail("server closed the connection");
                c->in.end += (size_t)r;
                while (received < batch && c->in.end - c->in.start >= c->frame) {
                    if (load_be32(c->in.data + c->in.start) != c->payload) fail("echo has the wrong length");
                    c->in.start += c->frame;
                    if (latencies) latencies[done + received] = now_ns() - sent[received];
                    received++;
                }
                if (c->in.start == c->in.end) c->in.start = c->in.end = 0;
            } else {
                read_response(c);
                if (latencies) latencies[done + received] = now_ns() - sent[received];
                received++;
            }
        }
        done += batch;
    }
}

/* User and system CPU time in a getrusage result, in seconds. */
static double cpu_seconds(const struct rusage *usage) {
    return (double)usage->ru_utime.tv_sec + (double)usage->ru_utime.tv_usec / 1e6 + (double)usage->ru_stime.tv_sec +
           (double)usage->ru_stime.tv_usec / 1e6;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_us(const uint64_t *sorted, size_t n, double fraction) {
    size_t rank = (size_t)((double)n * fraction + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

static void run(struct client *c, size_t count, size_t concurrency, uint64_t *latencies, uint64_t *sent) {
    if (concurrency == 1)
        sequential(c, count, latencies);
    else
        pipelined(c, count, concurrency, latencies, sent);
}

static int bench_client(size_t payload, size_t calls, size_t concurrency, size_t warmup) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) fail("socket path too long");
    strcpy(addr.sun_path, socket_path);
    signal(SIGPIPE, SIG_IGN);

    struct client c = {.payload = payload, .frame = HEADER_SIZE + payload};
    c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) die("socket");
    if (connect(c.fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");

    c.requests = checked_malloc(c.frame * concurrency);
    for (size_t i = 0; i < concurrency; i++) {
        unsigned char *frame = c.requests + i * c.frame;
        store_be32(frame, (uint32_t)payload);
        memset(frame + HEADER_SIZE, 0x5A, payload);
    }
    uint64_t *latencies = checked_malloc(calls * sizeof *latencies);
    uint64_t *sent = checked_malloc(concurrency * sizeof *sent);

    run(&c, warmup, concurrency, NULL, sent);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    uint64_t start = now_ns();
    run(&c, calls, concurrency, latencies, sent);
    uint64_t elapsed = now_ns() - start;
    getrusage(RUSAGE_SELF, &after);

    qsort(latencies, calls, sizeof *latencies, compare_u64);
    printf("{\"impl\":\"c-pingpong\",\"payload\":%zu,\"concurrency\":%zu,\"calls\":%zu,"
           "\"p50_us\":%.2f,\"p99_us\":%.2f,\"calls_per_sec\":%.1f,"
           "\"client_cpu_seconds\":%.6f,\"client_minor_faults\":%ld}\n",
           payload, concurrency, calls, percentile_us(latencies, calls, 0.50),
           percentile_us(latencies, calls, 0.99), (double)calls * 1e9 / (double)(elapsed ? elapsed : 1),
           cpu_seconds(&after) - cpu_seconds(&before), after.ru_minflt - before.ru_minflt);
    fflush(stdout);
    close(c.fd);
    free(c.requests);
    free(c.in.data);
    free(latencies);
    free(sent);
    return 0;
}

/* ------------------------------------------------------------------------------------------------ main */

static void usage(void) {
    fprintf(stderr,
            "usage: pingpong serve --socket PATH\n"
            "       pingpong bench-client --socket PATH [--payload BYTES] [--calls N] [--concurrency C]"
            " [--warmup W]\n");
    exit(2);
}

static size_t parse_size(const char *name, const char *text, size_t min) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || text[0] == '-' || v < min || v > MAX_MESSAGE * 16ULL) {
        fprintf(stderr, "pingpong: bad value for %s: %s\n", name, text);
        exit(2);
    }
    return (size_t)v;
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    int is_server = strcmp(argv[1], "serve") == 0;
    if (!is_server && strcmp(argv[1], "bench-client") != 0) usage();

    size_t payload = 100, calls = 20000, concurrency = 1, warmup = 2000;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) usage();
        const char *name = argv[i], *value = argv[i + 1];
        if (strcmp(name, "--socket") == 0)
            socket_path = value;
        else if (is_server)
            usage();
        else if (strcmp(name, "--payload") == 0)
            payload = parse_size(name, value, 0);
        else if (strcmp(name, "--calls") == 0)
            calls = parse_size(name, value, 1);
        else if (strcmp(name, "--concurrency") == 0)
            concurrency = parse_size(name, value, 1);
        else if (strcmp(name, "--warmup") == 0)
            warmup = parse_size(name, value, 0);
        else
            usage();
    }
    if (!socket_path) usage();
    if (payload > MAX_MESSAGE) fail("payload too large");
    if (is_server) serve();
    return bench_client(payload, calls, concurrency, warmup);
}
