/*
 * The peer of the object-store benchmark: plain SQLite doing the naive design. Every create is its own
 * transaction (an INSERT in autocommit mode), in WAL mode with synchronous=FULL, so each one waits for its own
 * fsync of the log. Each writer thread has its own connection with a busy timeout; SQLite lets one writer in at
 * a time and the others wait in its busy handler.
 *
 *   sqlite-naive --db PATH --threads N --seconds S --warmup W --data-bytes B
 *
 * The rows are those of the Gongzhi store's `objects` table: kind, id, revision, parent, owner, labels (a JSON
 * object, three labels), timestamps and B bytes of data. Creates completed during the first W seconds are not
 * counted; then for S seconds every completed create is. Prints one JSON line.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *db_path;
static int data_bytes = 190;
static uint64_t measure_from;
static uint64_t measure_until;
static atomic_llong next_revision = 1;

struct worker {
    pthread_t thread;
    int index;
    uint64_t *latencies;
    size_t count;
    size_t capacity;
    long busy_retries;
    long failures;
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(const char *what, sqlite3 *db) {
    fprintf(stderr, "sqlite-naive: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "sqlite-naive: %s: %s\n", sql, message ? message : "?");
        exit(1);
    }
}

static sqlite3 *open_connection(void) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fail("open", db);
    }
    sqlite3_busy_timeout(db, 5000);
    exec(db, "PRAGMA synchronous = FULL");
    return db;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of an ascending array. */
static uint64_t percentile(const uint64_t *sorted, size_t count, double fraction) {
    if (count == 0) return 0;
    size_t rank = (size_t)((double)count * fraction + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > count) rank = count;
    return sorted[rank - 1];
}

static void *run_worker(void *argument) {
    struct worker *self = argument;
    sqlite3 *db = open_connection();
    sqlite3_stmt *insert = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO objects (kind, id, revision, parent, owner, labels, created_at, updated_at,"
                           " data) VALUES ('Resident', ?, ?, ?, 'host', ?, ?, ?, ?)",
                           -1, &insert, NULL) != SQLITE_OK) {
        fail("prepare", db);
    }
    unsigned char *data = malloc((size_t)data_bytes);
    if (!data) fail("data", NULL);
    uint64_t seed = 0x9E3779B97F4A7C15ull * (uint64_t)(self->index + 1);
    char id[64], parent[64], labels[160];
    for (long n = 0;; n++) {
        uint64_t started = now_ns();
        if (started >= measure_until) break;
        for (int i = 0; i < data_bytes; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            data[i] = (unsigned char)(seed >> 56);
        }
        int grid = (int)((seed >> 20) % 100) + 100;
        snprintf(id, sizeof id, "n-%d-%ld", self->index, n);
        snprintf(parent, sizeof parent, "hh-%04d-%04ld", grid, n % 10000);
        snprintf(labels, sizeof labels, "{\"community\":\"C-%02d\",\"grid\":\"G-%04d\",\"registered\":\"%s\"}",
                 grid / 10, grid, (seed >> 40) & 1 ? "yes" : "no");
        int64_t now = wall_ms();
        sqlite3_bind_text(insert, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(insert, 2, atomic_fetch_add(&next_revision, 1));
        sqlite3_bind_text(insert, 3, parent, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 4, labels, -1, SQLITE_STATIC);
        sqlite3_bind_int64(insert, 5, now);
        sqlite3_bind_int64(insert, 6, now);
        sqlite3_bind_blob(insert, 7, data, data_bytes, SQLITE_STATIC);
        int rc;
        /* A busy timeout that ran out: try again, as a caller of a naive store would. */
        while ((rc = sqlite3_step(insert)) == SQLITE_BUSY) {
            self->busy_retries++;
            sqlite3_reset(insert);
        }
        sqlite3_reset(insert);
        if (rc != SQLITE_DONE) {
            self->failures++;
            fprintf(stderr, "sqlite-naive: insert: %s\n", sqlite3_errmsg(db));
            continue;
        }
        uint64_t finished = now_ns();
        if (finished >= measure_from && finished < measure_until) {
            if (self->count == self->capacity) {
                self->capacity = self->capacity ? self->capacity * 2 : 4096;
                self->latencies = realloc(self->latencies, self->capacity * sizeof(uint64_t));
                if (!self->latencies) fail("latencies", NULL);
            }
            self->latencies[self->count++] = finished - started;
        }
    }
    free(data);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: sqlite-naive --db PATH [--threads N] [--seconds S] [--warmup W] [--data-bytes B]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int threads = 64;
    double seconds = 10, warmup = 2;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--db")) db_path = argv[++i];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atof(argv[++i]);
        else if (!strcmp(argv[i], "--data-bytes")) data_bytes = atoi(argv[++i]);
        else usage();
    }
    if (!db_path || threads < 1 || seconds <= 0 || warmup < 0 || data_bytes < 0) usage();

    sqlite3 *setup = open_connection();
    exec(setup, "PRAGMA journal_mode = WAL");
    exec(setup,
         "CREATE TABLE IF NOT EXISTS objects ("
         " kind TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, parent TEXT NOT NULL,"
         " owner TEXT NOT NULL, labels TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
         " data BLOB, PRIMARY KEY (kind, id)) STRICT");
    exec(setup, "DELETE FROM objects");

    uint64_t start = now_ns();
    measure_from = start + (uint64_t)(warmup * 1e9);
    measure_until = measure_from + (uint64_t)(seconds * 1e9);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!workers) fail("workers", NULL);
    for (int i = 0; i < threads; i++) {
        workers[i].index = i;
        if (pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]) != 0) fail("pthread_create", NULL);
    }
    size_t total = 0;
    long busy = 0, failures = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].count;
        busy += workers[i].busy_retries;
        failures += workers[i].failures;
    }
    uint64_t *all = malloc((total ? total : 1) * sizeof(uint64_t));
    if (!all) fail("latencies", NULL);
    size_t at = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + at, workers[i].latencies, workers[i].count * sizeof(uint64_t));
        at += workers[i].count;
        free(workers[i].latencies);
    }
    qsort(all, total, sizeof(uint64_t), compare_u64);
    sqlite3_close(setup);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    printf("{\"phase\":\"naive\",\"connections\":%d,\"calls\":%zu,\"seconds\":%.3f,\"per_sec\":%.1f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"failures\":%ld,"
           "\"busy_retries\":%ld,\"data_bytes_avg\":%d,\"client_cpu_seconds\":%.3f}\n",
           threads, total, seconds, (double)total / seconds, percentile(all, total, 0.50) / 1e3,
           percentile(all, total, 0.99) / 1e3, percentile(all, total, 0.999) / 1e3,
           total ? all[total - 1] / 1e3 : 0.0, failures, busy, data_bytes, cpu);
    free(all);
    free(workers);
    return 0;
}
