/* Threshold tables: the built-in one, and reading one from a file. */
#include "thresholds.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values a district starts from; a file named by SENSORS_THRESHOLDS replaces the whole table. */
static const sensor_threshold default_thresholds[] = {
    /* kind           unit       below warning critical min  max */
    {"battery", "%", 1, 20, 5, 0, 100},
    {"gas", "%LEL", 0, 20, 50, 0, 100},
    {"manhole_tilt", "deg", 0, 10, 30, 0, 180},
    {"noise", "dB(A)", 0, 60, 70, 0, 140},
    {"pm25", "ug/m3", 0, 75, 150, 0, 2000},
    {"smoke", "%obs/m", 0, 1.5, 4, 0, 100},
    {"water_level", "cm", 0, 15, 30, 0, 500},
};

static int compare_kinds(const void *a, const void *b) {
    return strcmp(((const sensor_threshold *)a)->kind, ((const sensor_threshold *)b)->kind);
}

int sensor_thresholds_defaults(sensor_thresholds *table) {
    size_t count = sizeof default_thresholds / sizeof default_thresholds[0];
    table->items = malloc(sizeof default_thresholds);
    if (table->items == NULL) {
        table->count = 0;
        return -1;
    }
    memcpy(table->items, default_thresholds, sizeof default_thresholds);
    table->count = count;
    qsort(table->items, count, sizeof table->items[0], compare_kinds);
    return 0;
}

/* Writes "origin:line: message" into error. */
static void line_error(char *error, size_t size, const char *origin, size_t line, const char *format, ...) {
    if (error == NULL || size == 0) {
        return;
    }
    int written = snprintf(error, size, "%s:%zu: ", origin, line);
    if (written < 0 || (size_t)written >= size) {
        return;
    }
    va_list args;
    va_start(args, format);
    vsnprintf(error + written, size - (size_t)written, format, args);
    va_end(args);
}

static int valid_kind(const char *kind) {
    size_t length = strlen(kind);
    if (length == 0 || length > SENSOR_KIND_MAX) {
        return 0;
    }
    for (size_t i = 0; i < length; i++) {
        char c = kind[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Parses a whole field as a finite number. */
static int parse_number(const char *field, double *value) {
    char *end = NULL;
    errno = 0;
    double parsed = strtod(field, &end);
    if (errno != 0 || end == field || *end != '\0' || !isfinite(parsed)) {
        return -1;
    }
    *value = parsed;
    return 0;
}

/* Checks and adds one line's seven fields. Returns 0, or -1 with the error written. */
static int add_line(sensor_thresholds *table, size_t capacity, char *fields[7], const char *origin, size_t line,
                    char *error, size_t error_size) {
    static const char *const number_names[4] = {"warning", "critical", "min", "max"};
    sensor_threshold threshold;
    memset(&threshold, 0, sizeof threshold);
    if (!valid_kind(fields[0])) {
        line_error(error, error_size, origin, line,
                   "kind \"%s\" must be 1 to %d characters of a-z, 0-9 and _", fields[0], SENSOR_KIND_MAX);
        return -1;
    }
    if (sensor_thresholds_find(table, fields[0]) != NULL) {
        line_error(error, error_size, origin, line, "kind %s is listed twice", fields[0]);
        return -1;
    }
    if (strlen(fields[1]) > SENSOR_UNIT_MAX) {
        line_error(error, error_size, origin, line, "unit \"%s\" is longer than %d characters", fields[1],
                   SENSOR_UNIT_MAX);
        return -1;
    }
    if (strcmp(fields[2], "above") == 0) {
        threshold.below = 0;
    } else if (strcmp(fields[2], "below") == 0) {
        threshold.below = 1;
    } else {
        line_error(error, error_size, origin, line, "direction \"%s\" must be above or below", fields[2]);
        return -1;
    }
    double numbers[4];
    for (int i = 0; i < 4; i++) {
        if (parse_number(fields[3 + i], &numbers[i]) != 0) {
            line_error(error, error_size, origin, line, "%s \"%s\" is not a number", number_names[i],
                       fields[3 + i]);
            return -1;
        }
    }
    threshold.warning = numbers[0];
    threshold.critical = numbers[1];
    threshold.plausible_min = numbers[2];
    threshold.plausible_max = numbers[3];
    if (!(threshold.plausible_min < threshold.plausible_max)) {
        line_error(error, error_size, origin, line, "min %g must be below max %g", threshold.plausible_min,
                   threshold.plausible_max);
        return -1;
    }
    if (threshold.below ? threshold.critical > threshold.warning : threshold.critical < threshold.warning) {
        line_error(error, error_size, origin, line, "critical %g must be %s warning %g for direction %s",
                   threshold.critical, threshold.below ? "at or below" : "at or above", threshold.warning,
                   fields[2]);
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        if (numbers[i] < threshold.plausible_min || numbers[i] > threshold.plausible_max) {
            line_error(error, error_size, origin, line, "%s %g is outside min %g and max %g", number_names[i],
                       numbers[i], threshold.plausible_min, threshold.plausible_max);
            return -1;
        }
    }
    if (table->count == capacity) {
        line_error(error, error_size, origin, line, "too many kinds");
        return -1;
    }
    memcpy(threshold.kind, fields[0], strlen(fields[0]) + 1);
    memcpy(threshold.unit, fields[1], strlen(fields[1]) + 1);
    /* Kept sorted as it grows, so that lookups (and the duplicate check) can search it. */
    size_t at = table->count;
    while (at > 0 && strcmp(table->items[at - 1].kind, threshold.kind) > 0) {
        table->items[at] = table->items[at - 1];
        at--;
    }
    table->items[at] = threshold;
    table->count++;
    return 0;
}

/* Splits a line in place at spaces, tabs and carriage returns; stores up to `max` fields and returns
 * how many there are in all. */
static int split_fields(char *line, char **fields, int max) {
    int count = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r') {
            p++;
        }
        if (*p == '\0') {
            return count;
        }
        if (count < max) {
            fields[count] = p;
        }
        count++;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r') {
            p++;
        }
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
}

int sensor_thresholds_parse(const char *text, const char *origin, sensor_thresholds *table, char *error,
                            size_t error_size) {
    table->items = NULL;
    table->count = 0;
    /* At most one kind per line. */
    size_t capacity = 1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            capacity++;
        }
    }
    char *copy = malloc(strlen(text) + 1);
    table->items = calloc(capacity, sizeof table->items[0]);
    if (copy == NULL || table->items == NULL) {
        free(copy);
        sensor_thresholds_free(table);
        line_error(error, error_size, origin, 0, "out of memory");
        return -1;
    }
    memcpy(copy, text, strlen(text) + 1);

    int status = 0;
    size_t line = 0;
    char *cursor = copy;
    while (cursor != NULL && status == 0) {
        line++;
        char *next = strchr(cursor, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        char *comment = strchr(cursor, '#');
        if (comment != NULL) {
            *comment = '\0';
        }
        char *fields[7];
        int count = split_fields(cursor, fields, 7);
        if (count != 0 && count != 7) {
            line_error(error, error_size, origin, line,
                       "expected 7 fields (kind unit above|below warning critical min max), found %d", count);
            status = -1;
        } else if (count == 7) {
            status = add_line(table, capacity, fields, origin, line, error, error_size);
        }
        cursor = next;
    }
    free(copy);
    if (status == 0 && table->count == 0) {
        line_error(error, error_size, origin, line, "no thresholds: the file lists no kind");
        status = -1;
    }
    if (status != 0) {
        sensor_thresholds_free(table);
    }
    return status;
}

int sensor_thresholds_load(const char *path, sensor_thresholds *table, char *error, size_t error_size) {
    table->items = NULL;
    table->count = 0;
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        snprintf(error, error_size, "cannot open the thresholds file %s: %s", path, strerror(errno));
        return -1;
    }
    const size_t limit = 1u << 20;
    char *text = malloc(limit + 1);
    if (text == NULL) {
        fclose(file);
        snprintf(error, error_size, "out of memory reading %s", path);
        return -1;
    }
    size_t length = fread(text, 1, limit + 1, file);
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        free(text);
        snprintf(error, error_size, "cannot read the thresholds file %s", path);
        return -1;
    }
    if (length > limit) {
        free(text);
        snprintf(error, error_size, "the thresholds file %s is over 1 MiB", path);
        return -1;
    }
    text[length] = '\0';
    if (strlen(text) != length) {
        free(text);
        snprintf(error, error_size, "the thresholds file %s contains a NUL byte", path);
        return -1;
    }
    int status = sensor_thresholds_parse(text, path, table, error, error_size);
    free(text);
    return status;
}

const sensor_threshold *sensor_thresholds_find(const sensor_thresholds *table, const char *kind) {
    size_t low = 0;
    size_t high = table->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp(table->items[middle].kind, kind);
        if (order == 0) {
            return &table->items[middle];
        }
        if (order < 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return NULL;
}

void sensor_thresholds_kinds(const sensor_thresholds *table, char *out, size_t size) {
    if (size == 0) {
        return;
    }
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < table->count && used < size; i++) {
        int written = snprintf(out + used, size - used, "%s%s", i == 0 ? "" : ", ", table->items[i].kind);
        if (written < 0) {
            return;
        }
        used += (size_t)written;
    }
}

void sensor_thresholds_free(sensor_thresholds *table) {
    free(table->items);
    table->items = NULL;
    table->count = 0;
}
