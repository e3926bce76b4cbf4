/*
 * The peer of the object-store benchmark: plain SQLite doing the naive design. Every create is its own
 * transaction (an INSERT in autocommit mode), in WAL mode with synchronous=FULL, so each one waits for its own
 * fsync of the log. Each writer thread has its own connection with a busy timeout; SQLite lets one writer in at
 * a time and the others wait in its busy handler.
 *
 *   sqlite-naive --db PATH --threads N --seconds S --warmup W --data-bytes B [--store-rows --batch K]
 *
 * The rows are those of the Gongzhi store's `objects` table: kind, id, revision, parent, owner, labels (a JSON
 * object, three labels), timestamps and B bytes of data. Creates completed during the first W seconds are not
 * counted; then for S seconds every completed create is. Prints one JSON line.
 *
 * With --store-rows and --batch K the program is instead the ceiling of the store's own design on this disk: one
 * thread writes K creates per transaction (group commit, synchronous=FULL), and each create writes every row the
 * store writes for it, in the store's tables (schema v2): the object, its three label index rows and its history
 * row, and each transaction moves the revision in `meta`. The ids are those of 64 writers taking turns, as the
 * store's benchmark makes them. As in the store, a second thread and connection copies the log into the database
 * (a passive checkpoint at most every 50 ms), and the writer copies the rest itself between two transactions once
 * the log is 4,000 pages long, so that the log starts again from its beginning. No RPC, no checks, no answers:
 * SQLite's part of a durable create alone.
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
static int store_rows = 0;
static int batch = 1;
/* The store-rows mode's checkpoints: the log's length at the last one, and whether the writer is done. */
static atomic_int log_frames;
static atomic_int writing_done;
enum { restart_frames = 4000 };
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

/* One create's values: a fresh random payload, its id, parent and labels. */
struct create {
    unsigned char *data;
    uint64_t seed;
    int grid;
    int registered;
    char id[64], parent[64], labels[160];
};

static void next_create(struct create *c, int writer, long n) {
    for (int i = 0; i < data_bytes; i++) {
        c->seed = c->seed * 6364136223846793005ull + 1442695040888963407ull;
        c->data[i] = (unsigned char)(c->seed >> 56);
    }
    c->grid = (int)((c->seed >> 20) % 100) + 100;
    c->registered = (int)((c->seed >> 40) & 1);
    snprintf(c->id, sizeof c->id, "n-%d-%ld", writer, n);
    snprintf(c->parent, sizeof c->parent, "hh-%04d-%04ld", c->grid, n % 10000);
    snprintf(c->labels, sizeof c->labels, "{\"community\":\"C-%02d\",\"grid\":\"G-%04d\",\"registered\":\"%s\"}",
             c->grid / 10, c->grid, c->registered ? "yes" : "no");
}

static void record(struct worker *self, uint64_t started, uint64_t finished) {
    if (finished >= measure_from && finished < measure_until) {
        if (self->count == self->capacity) {
            self->capacity = self->capacity ? self->capacity * 2 : 4096;
            self->latencies = realloc(self->latencies, self->capacity * sizeof(uint64_t));
            if (!self->latencies) fail("latencies", NULL);
        }
        self->latencies[self->count++] = finished - started;
    }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) fail(sql, db);
    return statement;
}

static void step_done(sqlite3 *db, sqlite3_stmt *statement) {
    if (sqlite3_step(statement) != SQLITE_DONE) fail("step", db);
    sqlite3_reset(statement);
}

/*
 * A passive checkpoint on `db`. The background thread records the log's length after each of its checkpoints;
 * the writer, whose checkpoint between two transactions copies what is left so that the next one starts the log
 * again, records 0 once all of it is copied (as the store's Checkpointer and its restartIfLong do).
 */
static void checkpoint(sqlite3 *db, int by_writer) {
    int frames = 0, copied = 0;
    if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied) == SQLITE_OK) {
        atomic_store(&log_frames, by_writer && frames == copied ? 0 : frames);
    }
}

static void *run_checkpointer(void *argument) {
    (void)argument;
    sqlite3 *db = open_connection();
    exec(db, "PRAGMA wal_autocheckpoint = 0");
    while (!atomic_load(&writing_done)) {
        checkpoint(db, 0);
        usleep(50000);
    }
    sqlite3_close(db);
    return NULL;
}

/* The store's rows, K creates per transaction, on one connection (see the top of the file). */
static void *run_store_rows(void *argument) {
    struct worker *self = argument;
    sqlite3 *db = open_connection();
    exec(db, "PRAGMA wal_autocheckpoint = 16000");
    pthread_t checkpointer;
    if (pthread_create(&checkpointer, NULL, run_checkpointer, NULL) != 0) fail("pthread_create", NULL);
    sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *commit = prepare(db, "COMMIT");
    sqlite3_stmt *object = prepare(db, "INSERT INTO objects (kind, id, revision, parent, owner, labels, created_at,"
                                       " updated_at, data) VALUES ('Resident', ?1, ?2, ?3, 'host', ?4, ?5, ?5, ?6)"
                                       " ON CONFLICT (kind, id) DO NOTHING");
    sqlite3_stmt *label = prepare(db, "INSERT INTO labels (kind, key, value, id) VALUES ('Resident', ?, ?, ?)");
    sqlite3_stmt *history = prepare(db, "INSERT INTO history (revision, position, type, kind, id, parent, owner,"
                                        " labels, created_at, updated_at, data, committed_at) VALUES"
                                        " (?1, 0, 1, 'Resident', ?2, ?3, 'host', ?4, ?5, ?5, ?6, ?5)");
    sqlite3_stmt *meta = prepare(db, "UPDATE meta SET revision = ?");
    unsigned char *data = malloc((size_t)data_bytes);
    if (!data) fail("data", NULL);
    struct create create = {.data = data, .seed = 0x9E3779B97F4A7C15ull};
    char value[16];
    long revision = 0;
    for (long n = 0;;) {
        uint64_t started = now_ns();
        if (started >= measure_until) break;
        step_done(db, begin);
        int64_t now = wall_ms();
        for (int k = 0; k < batch; k++, n++) {
            next_create(&create, (int)(n % 64), n / 64);
            revision++;
            sqlite3_bind_text(object, 1, create.id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(object, 2, revision);
            sqlite3_bind_text(object, 3, create.parent, -1, SQLITE_STATIC);
            sqlite3_bind_text(object, 4, create.labels, -1, SQLITE_STATIC);
            sqlite3_bind_int64(object, 5, now);
            sqlite3_bind_blob(object, 6, data, data_bytes, SQLITE_STATIC);
            step_done(db, object);
            const char *keys[3] = {"community", "grid", "registered"};
            for (int l = 0; l < 3; l++) {
                if (l == 0) snprintf(value, sizeof value, "C-%02d", create.grid / 10);
                if (l == 1) snprintf(value, sizeof value, "G-%04d", create.grid);
                if (l == 2) snprintf(value, sizeof value, "%s", create.registered ? "yes" : "no");
                sqlite3_bind_text(label, 1, keys[l], -1, SQLITE_STATIC);
                sqlite3_bind_text(label, 2, value, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(label, 3, create.id, -1, SQLITE_STATIC);
                step_done(db, label);
            }
            sqlite3_bind_int64(history, 1, revision);
            sqlite3_bind_text(history, 2, create.id, -1, SQLITE_STATIC);
            sqlite3_bind_text(history, 3, create.parent, -1, SQLITE_STATIC);
            sqlite3_bind_text(history, 4, create.labels, -1, SQLITE_STATIC);
            sqlite3_bind_int64(history, 5, now);
            sqlite3_bind_blob(history, 6, data, data_bytes, SQLITE_STATIC);
            step_done(db, history);
        }
        sqlite3_bind_int64(meta, 1, revision);
        step_done(db, meta);
        step_done(db, commit);
        uint64_t finished = now_ns();
        for (int k = 0; k < batch; k++) record(self, started, finished);
        if (atomic_load(&log_frames) >= restart_frames) checkpoint(db, 1);
    }
    atomic_store(&writing_done, 1);
    pthread_join(checkpointer, NULL);
    free(data);
    sqlite3_stmt *statements[] = {begin, commit, object, label, history, meta};
    for (size_t i = 0; i < sizeof statements / sizeof *statements; i++) sqlite3_finalize(statements[i]);
    sqlite3_close(db);
    return NULL;
}

static void *run_worker(void *argument) {
    struct worker *self = argument;
    sqlite3 *db = open_connection();
    sqlite3_stmt *insert = prepare(db, "INSERT INTO objects (kind, id, revision, parent, owner, labels, created_at,"
                                       " updated_at, data) VALUES ('Resident', ?, ?, ?, 'host', ?, ?, ?, ?)");
    unsigned char *data = malloc((size_t)data_bytes);
    if (!data) fail("data", NULL);
    struct create create = {.data = data, .seed = 0x9E3779B97F4A7C15ull * (uint64_t)(self->index + 1)};
    const char *id = create.id, *parent = create.parent, *labels = create.labels;
    for (long n = 0;; n++) {
        uint64_t started = now_ns();
        if (started >= measure_until) break;
        next_create(&create, self->index, n);
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
        record(self, started, now_ns());
    }
    free(data);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: sqlite-naive --db PATH [--threads N] [--seconds S] [--warmup W] [--data-bytes B]\n"
                    "       sqlite-naive --db PATH --store-rows --batch K [--seconds S] [--warmup W] [--data-bytes B]\n"
                    "PATH is emptied first: its objects table, and with --store-rows all the store's tables.\n");
    exit(2);
}

int main(int argc, char **argv) {
    int threads = 64, threads_given = 0;
    double seconds = 10, warmup = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--store-rows")) {
            store_rows = 1;
            continue;
        }
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--batch")) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--db")) db_path = argv[++i];
        else if (!strcmp(argv[i], "--threads")) {
            threads = atoi(argv[++i]);
            threads_given = 1;
        }
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atof(argv[++i]);
        else if (!strcmp(argv[i], "--data-bytes")) data_bytes = atoi(argv[++i]);
        else usage();
    }
    if (!db_path || threads < 1 || seconds <= 0 || warmup < 0 || data_bytes < 0 || batch < 1) usage();
    /* --store-rows writes from one thread; --batch is for it alone. */
    if ((batch > 1 && !store_rows) || (store_rows && threads_given)) usage();
    if (store_rows) threads = 1;

    sqlite3 *setup = open_connection();
    exec(setup, "PRAGMA journal_mode = WAL");
    if (store_rows) {
        /* The store's schema v2 (Sources/GongzhiStore/SQLite/SQLiteSchema.swift). */
        exec(setup,
             "DROP TABLE IF EXISTS objects; DROP TABLE IF EXISTS labels; DROP TABLE IF EXISTS history;"
             " DROP TABLE IF EXISTS meta;"
             "CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL,"
             " parent TEXT NOT NULL, owner TEXT NOT NULL, labels TEXT NOT NULL, created_at INTEGER NOT NULL,"
             " updated_at INTEGER NOT NULL, data BLOB, PRIMARY KEY (kind, id)) STRICT, WITHOUT ROWID;"
             "CREATE INDEX objects_by_parent ON objects (kind, parent, id);"
             "CREATE TABLE labels (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL,"
             " PRIMARY KEY (kind, key, value, id)) STRICT, WITHOUT ROWID;"
             "CREATE TABLE history (revision INTEGER NOT NULL, position INTEGER NOT NULL, type INTEGER NOT NULL,"
             " kind TEXT NOT NULL, id TEXT NOT NULL, parent TEXT NOT NULL, owner TEXT NOT NULL,"
             " labels TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, data BLOB,"
             " committed_at INTEGER NOT NULL, PRIMARY KEY (revision, position)) STRICT, WITHOUT ROWID;"
             "CREATE INDEX history_by_kind ON history (kind, revision, position);"
             "CREATE TABLE meta (singleton INTEGER PRIMARY KEY CHECK (singleton = 0),"
             " revision INTEGER NOT NULL, compacted_before INTEGER NOT NULL) STRICT;"
             "INSERT INTO meta (singleton, revision, compacted_before) VALUES (0, 0, 1);");
    } else {
        exec(setup,
             "CREATE TABLE IF NOT EXISTS objects ("
             " kind TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, parent TEXT NOT NULL,"
             " owner TEXT NOT NULL, labels TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
             " data BLOB, PRIMARY KEY (kind, id)) STRICT");
        exec(setup, "DELETE FROM objects");
    }

    uint64_t start = now_ns();
    measure_from = start + (uint64_t)(warmup * 1e9);
    measure_until = measure_from + (uint64_t)(seconds * 1e9);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!workers) fail("workers", NULL);
    for (int i = 0; i < threads; i++) {
        workers[i].index = i;
        if (pthread_create(&workers[i].thread, NULL, store_rows ? run_store_rows : run_worker, &workers[i]) != 0)
            fail("pthread_create", NULL);
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
    printf("{\"phase\":\"%s\",\"batch\":%d,\"connections\":%d,\"calls\":%zu,\"seconds\":%.3f,\"per_sec\":%.1f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"failures\":%ld,"
           "\"busy_retries\":%ld,\"data_bytes_avg\":%d,\"client_cpu_seconds\":%.3f}\n",
           store_rows ? "store-rows" : "naive", batch, threads, total, seconds, (double)total / seconds,
           percentile(all, total, 0.50) / 1e3, percentile(all, total, 0.99) / 1e3, percentile(all, total, 0.999) / 1e3,
           total ? all[total - 1] / 1e3 : 0.0, failures, busy, data_bytes, cpu);
    free(all);
    free(workers);
    return 0;
}
