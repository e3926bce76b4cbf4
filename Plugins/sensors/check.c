/* Checking readings against thresholds. */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for one alert's message or one rejection's reason. */
#define TEXT_SIZE 256

/* Writes a reading's message or reason into its slot of the result's text. */
static char *write_text(sensor_check_result *result, size_t slot, const char *format, ...) {
    char *text = result->text + slot * TEXT_SIZE;
    va_list args;
    va_start(args, format);
    vsnprintf(text, TEXT_SIZE, format, args);
    va_end(args);
    return text;
}

/* Why a reading cannot be checked, written into its slot, or NULL when it can be. */
static const char *rejection_reason(const sensor_thresholds *table, const Gongzhi__Sensors__V1__Reading *reading,
                                    const sensor_threshold *threshold, sensor_check_result *result, size_t slot) {
    if (reading->device_id == NULL || reading->device_id[0] == '\0') {
        return write_text(result, slot, "device_id is missing");
    }
    if (reading->kind == NULL || reading->kind[0] == '\0') {
        return write_text(result, slot, "kind is missing");
    }
    if (threshold == NULL) {
        char kinds[160];
        sensor_thresholds_kinds(table, kinds, sizeof kinds);
        return write_text(result, slot, "unknown kind \"%.64s\"; known kinds: %s", reading->kind, kinds);
    }
    if (!isfinite(reading->value)) {
        return write_text(result, slot, "value is not a finite number");
    }
    if (reading->value < threshold->plausible_min || reading->value > threshold->plausible_max) {
        return write_text(result, slot, "value %g %s is outside the plausible range %g to %g %s of %s",
                          reading->value, threshold->unit, threshold->plausible_min, threshold->plausible_max,
                          threshold->unit, threshold->kind);
    }
    if (reading->time_unix_ms <= 0) {
        return write_text(result, slot, "time_unix_ms is missing");
    }
    const Gongzhi__Sensors__V1__Location *location = reading->location;
    if (location != NULL &&
        !(isfinite(location->longitude) && isfinite(location->latitude) && fabs(location->longitude) <= 180 &&
          fabs(location->latitude) <= 90)) {
        return write_text(result, slot, "location (%g, %g) is not a WGS-84 longitude and latitude",
                          location->longitude, location->latitude);
    }
    return NULL;
}

/* The severity a checked reading reaches, and the limit it reached. */
static Gongzhi__Sensors__V1__Alert__Severity severity_of(const sensor_threshold *threshold, double value,
                                                        double *limit) {
    int critical = threshold->below ? value <= threshold->critical : value >= threshold->critical;
    int warning = threshold->below ? value <= threshold->warning : value >= threshold->warning;
    if (critical) {
        *limit = threshold->critical;
        return GONGZHI__SENSORS__V1__ALERT__SEVERITY__SEVERITY_CRITICAL;
    }
    if (warning) {
        *limit = threshold->warning;
        return GONGZHI__SENSORS__V1__ALERT__SEVERITY__SEVERITY_WARNING;
    }
    return GONGZHI__SENSORS__V1__ALERT__SEVERITY__SEVERITY_UNSPECIFIED;
}

int sensor_check(const sensor_thresholds *table, const Gongzhi__Sensors__V1__CheckRequest *request,
                 sensor_check_result *result) {
    memset(result, 0, sizeof *result);
    gongzhi__sensors__v1__check_response__init(&result->response);
    size_t count = request->n_readings;
    size_t attribute_count = 0;
    for (size_t i = 0; i < count; i++) {
        attribute_count += request->readings[i]->n_attributes;
    }
    size_t kinds = table->count;
    /* calloc(0, …) may answer NULL; one spare element keeps a NULL meaning "out of memory". */
    result->alerts = calloc(count + 1, sizeof result->alerts[0]);
    result->alert_pointers = calloc(count + 1, sizeof result->alert_pointers[0]);
    result->attributes = calloc(attribute_count + 1, sizeof result->attributes[0]);
    result->attribute_pointers = calloc(attribute_count + 1, sizeof result->attribute_pointers[0]);
    result->rejections = calloc(count + 1, sizeof result->rejections[0]);
    result->rejection_pointers = calloc(count + 1, sizeof result->rejection_pointers[0]);
    result->counts = calloc(kinds + 1, sizeof result->counts[0]);
    result->count_pointers = calloc(kinds + 1, sizeof result->count_pointers[0]);
    result->text = calloc(count + 1, TEXT_SIZE);
    uint32_t *checked_by_kind = calloc(kinds + 1, sizeof checked_by_kind[0]);
    if (result->alerts == NULL || result->alert_pointers == NULL || result->attributes == NULL ||
        result->attribute_pointers == NULL || result->rejections == NULL || result->rejection_pointers == NULL ||
        result->counts == NULL || result->count_pointers == NULL || result->text == NULL ||
        checked_by_kind == NULL) {
        free(checked_by_kind);
        sensor_check_result_free(result);
        return -1;
    }

    Gongzhi__Sensors__V1__CheckResponse *response = &result->response;
    size_t attributes_used = 0;
    for (size_t i = 0; i < count; i++) {
        const Gongzhi__Sensors__V1__Reading *reading = request->readings[i];
        const sensor_threshold *threshold =
            reading->kind != NULL ? sensor_thresholds_find(table, reading->kind) : NULL;
        const char *reason = rejection_reason(table, reading, threshold, result, i);
        if (reason != NULL) {
            Gongzhi__Sensors__V1__Rejection *rejection = &result->rejections[response->n_rejections];
            gongzhi__sensors__v1__rejection__init(rejection);
            rejection->index = (uint32_t)i;
            rejection->device_id = reading->device_id;
            rejection->reason = (char *)reason;
            result->rejection_pointers[response->n_rejections++] = rejection;
            continue;
        }
        response->checked++;
        checked_by_kind[threshold - table->items]++;

        double limit = 0;
        Gongzhi__Sensors__V1__Alert__Severity severity = severity_of(threshold, reading->value, &limit);
        if (severity == GONGZHI__SENSORS__V1__ALERT__SEVERITY__SEVERITY_UNSPECIFIED) {
            continue;
        }
        int critical = severity == GONGZHI__SENSORS__V1__ALERT__SEVERITY__SEVERITY_CRITICAL;
        Gongzhi__Sensors__V1__Alert *alert = &result->alerts[response->n_alerts];
        gongzhi__sensors__v1__alert__init(alert);
        alert->index = (uint32_t)i;
        alert->device_id = reading->device_id;
        alert->kind = reading->kind;
        alert->value = reading->value;
        alert->severity = severity;
        alert->limit = limit;
        alert->time_unix_ms = reading->time_unix_ms;
        alert->location = reading->location;
        alert->message = write_text(result, i, "%s %g %s at %.64s %s the %s threshold %g %s", threshold->kind,
                                    reading->value, threshold->unit, reading->device_id,
                                    threshold->below ? "fell to" : "reached", critical ? "critical" : "warning",
                                    limit, threshold->unit);
        alert->n_attributes = reading->n_attributes;
        alert->attributes = result->attribute_pointers + attributes_used;
        for (size_t a = 0; a < reading->n_attributes; a++) {
            Gongzhi__Sensors__V1__Alert__AttributesEntry *entry = &result->attributes[attributes_used];
            gongzhi__sensors__v1__alert__attributes_entry__init(entry);
            entry->key = reading->attributes[a]->key;
            entry->value = reading->attributes[a]->value;
            result->attribute_pointers[attributes_used++] = entry;
        }
        result->alert_pointers[response->n_alerts++] = alert;
    }
    /* The table is sorted by kind, so the map's entries come out sorted by key. */
    for (size_t k = 0; k < kinds; k++) {
        if (checked_by_kind[k] == 0) {
            continue;
        }
        Gongzhi__Sensors__V1__CheckResponse__CheckedByKindEntry *entry = &result->counts[response->n_checked_by_kind];
        gongzhi__sensors__v1__check_response__checked_by_kind_entry__init(entry);
        entry->key = table->items[k].kind;
        entry->value = checked_by_kind[k];
        result->count_pointers[response->n_checked_by_kind++] = entry;
    }
    free(checked_by_kind);
    response->alerts = result->alert_pointers;
    response->rejections = result->rejection_pointers;
    response->checked_by_kind = result->count_pointers;
    return 0;
}

void sensor_check_result_free(sensor_check_result *result) {
    free(result->alerts);
    free(result->alert_pointers);
    free(result->attributes);
    free(result->attribute_pointers);
    free(result->rejections);
    free(result->rejection_pointers);
    free(result->counts);
    free(result->count_pointers);
    free(result->text);
    memset(result, 0, sizeof *result);
}
