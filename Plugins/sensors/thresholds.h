/*
 * The thresholds the sensor adapter checks readings against: one per kind of reading, with a unit,
 * a direction (alert at or above the limits, or at or below them), a warning and a critical limit, and
 * the range of values a working device can report at all.
 */
#ifndef SENSORS_THRESHOLDS_H
#define SENSORS_THRESHOLDS_H

#include <stddef.h>

#define SENSOR_KIND_MAX 63
#define SENSOR_UNIT_MAX 15

typedef struct sensor_threshold {
    char kind[SENSOR_KIND_MAX + 1];
    char unit[SENSOR_UNIT_MAX + 1];
    int below; /* 1: alert when the value falls to the limits; 0: when it rises to them */
    double warning;
    double critical;
    double plausible_min;
    double plausible_max;
} sensor_threshold;

/* A table of thresholds, sorted by kind. */
typedef struct sensor_thresholds {
    sensor_threshold *items;
    size_t count;
} sensor_thresholds;

/* The built-in table. Returns 0, or -1 when memory runs out. */
int sensor_thresholds_defaults(sensor_thresholds *table);

/*
 * Reads a table from text: one kind per line, `kind unit above|below warning critical min max`,
 * separated by spaces or tabs; `#` starts a comment. Returns 0, or -1 with a message naming `origin`
 * and the line in `error` (e.g. "thresholds.conf:4: …"); on failure *table is left empty.
 */
int sensor_thresholds_parse(const char *text, const char *origin, sensor_thresholds *table, char *error,
                            size_t error_size);

/* Reads a table from a file, as sensor_thresholds_parse does. */
int sensor_thresholds_load(const char *path, sensor_thresholds *table, char *error, size_t error_size);

/* The threshold of `kind`, or NULL. */
const sensor_threshold *sensor_thresholds_find(const sensor_thresholds *table, const char *kind);

/* Writes the known kinds, comma-separated, into `out` (truncated to `size`). */
void sensor_thresholds_kinds(const sensor_thresholds *table, char *out, size_t size);

void sensor_thresholds_free(sensor_thresholds *table);

#endif
