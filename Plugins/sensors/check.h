/*
 * Checking a batch of readings against a threshold table: a pure function from a CheckRequest to a
 * CheckResponse, tested without sockets (Tests/SensorsPluginTests).
 */
#ifndef SENSORS_CHECK_H
#define SENSORS_CHECK_H

#include "gongzhi/sensors/v1/sensors.pb-c.h"
#include "thresholds.h"

/* The most readings one Check call takes. */
#define SENSOR_BATCH_MAX 10000u

/* A CheckResponse and the memory behind it. The response borrows strings from the request: the
 * request must outlive it. */
typedef struct sensor_check_result {
    Gongzhi__Sensors__V1__CheckResponse response;
    Gongzhi__Sensors__V1__Alert *alerts;
    Gongzhi__Sensors__V1__Alert **alert_pointers;
    Gongzhi__Sensors__V1__Alert__AttributesEntry *attributes;
    Gongzhi__Sensors__V1__Alert__AttributesEntry **attribute_pointers;
    Gongzhi__Sensors__V1__Rejection *rejections;
    Gongzhi__Sensors__V1__Rejection **rejection_pointers;
    Gongzhi__Sensors__V1__CheckResponse__CheckedByKindEntry *counts;
    Gongzhi__Sensors__V1__CheckResponse__CheckedByKindEntry **count_pointers;
    char *text; /* the alerts' messages and the rejections' reasons */
} sensor_check_result;

/*
 * Checks every reading of `request` (at most SENSOR_BATCH_MAX: the caller refuses bigger batches) and
 * fills `result`. Returns 0, or -1 when memory runs out (then `result` holds nothing).
 */
int sensor_check(const sensor_thresholds *table, const Gongzhi__Sensors__V1__CheckRequest *request,
                 sensor_check_result *result);

void sensor_check_result_free(sensor_check_result *result);

#endif
