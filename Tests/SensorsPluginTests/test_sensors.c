/*
 * Unit tests of the sensor adapter's logic (Plugins/sensors): threshold tables, built in and read from
 * text, and checking batches of readings. No sockets; the plugin end to end is in the Swift end-to-end
 * tests (CPluginEndToEndTests).
 *
 *   test-sensors [EXAMPLE_CONF]    (make -C Plugins/sensors test passes thresholds.example.conf)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "thresholds.h"

static int failures = 0;

#define EXPECT(condition)                                                                   \
    do {                                                                                    \
        if (!(condition)) {                                                                 \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #condition);        \
            failures++;                                                                     \
        }                                                                                   \
    } while (0)

#define EXPECT_CONTAINS(text, part)                                                         \
    do {                                                                                    \
        if (strstr((text), (part)) == NULL) {                                               \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
                    (text), (part));                                                        \
            failures++;                                                                     \
        }                                                                                   \
    } while (0)

static void test_defaults(void) {
    sensor_thresholds table;
    EXPECT(sensor_thresholds_defaults(&table) == 0);
    EXPECT(table.count == 7);
    for (size_t i = 1; i < table.count; i++) {
        EXPECT(strcmp(table.items[i - 1].kind, table.items[i].kind) < 0);
    }
    const sensor_threshold *water = sensor_thresholds_find(&table, "water_level");
    EXPECT(water != NULL && water->below == 0 && water->warning == 15 && water->critical == 30);
    const sensor_threshold *battery = sensor_thresholds_find(&table, "battery");
    EXPECT(battery != NULL && battery->below == 1);
    EXPECT(sensor_thresholds_find(&table, "humidity") == NULL);
    EXPECT(sensor_thresholds_find(&table, "") == NULL);
    char kinds[256];
    sensor_thresholds_kinds(&table, kinds, sizeof kinds);
    EXPECT(strcmp(kinds, "battery, gas, manhole_tilt, noise, pm25, smoke, water_level") == 0);
    sensor_thresholds_free(&table);
}

static void test_example_file(const char *path) {
    sensor_thresholds file;
    sensor_thresholds defaults;
    char error[256] = "";
    EXPECT(sensor_thresholds_load(path, &file, error, sizeof error) == 0);
    EXPECT(sensor_thresholds_defaults(&defaults) == 0);
    EXPECT(file.count == defaults.count);
    for (size_t i = 0; i < file.count && i < defaults.count; i++) {
        EXPECT(memcmp(&file.items[i], &defaults.items[i], sizeof file.items[i]) == 0 ||
               (strcmp(file.items[i].kind, defaults.items[i].kind) == 0 &&
                strcmp(file.items[i].unit, defaults.items[i].unit) == 0 &&
                file.items[i].below == defaults.items[i].below &&
                file.items[i].warning == defaults.items[i].warning &&
                file.items[i].critical == defaults.items[i].critical &&
                file.items[i].plausible_min == defaults.items[i].plausible_min &&
                file.items[i].plausible_max == defaults.items[i].plausible_max));
    }
    sensor_thresholds_free(&file);
    sensor_thresholds_free(&defaults);
}

/* Parsing `text` fails with an error that contains `expected`. */
static void expect_parse_error(const char *text, const char *expected) {
    sensor_thresholds table;
    char error[256] = "";
    int status = sensor_thresholds_parse(text, "t.conf", &table, error, sizeof error);
    EXPECT(status == -1);
    EXPECT(table.items == NULL && table.count == 0);
    EXPECT_CONTAINS(error, expected);
}

static void test_parse(void) {
    sensor_thresholds table;
    char error[256] = "";
    const char *text = "# comment\n\n  water_level cm above 15 30 0 500  # trailing\r\n"
                       "battery % below 20 5 0 100\n";
    EXPECT(sensor_thresholds_parse(text, "t.conf", &table, error, sizeof error) == 0);
    EXPECT(table.count == 2);
    EXPECT(table.count == 2 && strcmp(table.items[0].kind, "battery") == 0);
    EXPECT(sensor_thresholds_find(&table, "water_level") != NULL);
    sensor_thresholds_free(&table);

    expect_parse_error("water_level cm above 15 30 0\n", "t.conf:1: expected 7 fields");
    expect_parse_error("# a\nwater_level cm sideways 15 30 0 500\n", "t.conf:2: direction \"sideways\"");
    expect_parse_error("a cm above 1 2 0 9\na cm above 1 2 0 9\n", "t.conf:2: kind a is listed twice");
    expect_parse_error("a cm above 5 2 0 9\n", "t.conf:1: critical 2 must be at or above warning 5");
    expect_parse_error("a cm below 2 5 0 9\n", "t.conf:1: critical 5 must be at or below warning 2");
    expect_parse_error("a cm above x 2 0 9\n", "t.conf:1: warning \"x\" is not a number");
    expect_parse_error("a cm above 1 2 0 nan\n", "t.conf:1: max \"nan\" is not a number");
    expect_parse_error("a cm above 1 2 9 9\n", "t.conf:1: min 9 must be below max 9");
    expect_parse_error("a cm above 1 20 0 9\n", "t.conf:1: critical 20 is outside min 0 and max 9");
    expect_parse_error("Water cm above 1 2 0 9\n", "t.conf:1: kind \"Water\" must be");
    expect_parse_error("a cm-but-far-too-long above 1 2 0 9\n", "t.conf:1: unit");
    expect_parse_error("# nothing\n", "no thresholds");

    EXPECT(sensor_thresholds_load("/nonexistent/t.conf", &table, error, sizeof error) == -1);
    EXPECT_CONTAINS(error, "cannot open the thresholds file /nonexistent/t.conf");
}

/* A reading for the check tests; strings are borrowed. */
static Gongzhi__Sensors__V1__Reading make_reading(const char *device, const char *kind, double value,
                                                  int64_t time) {
    Gongzhi__Sensors__V1__Reading reading = GONGZHI__SENSORS__V1__READING__INIT;
    reading.device_id = (char *)device;
    reading.kind = (char *)kind;
    reading.value = value;
    reading.time_unix_ms = time;
    return reading;
}

static void test_check(void) {
    sensor_thresholds table;
    EXPECT(sensor_thresholds_defaults(&table) == 0);
    const int64_t t = 1763800000000;
    Gongzhi__Sensors__V1__Reading readings[13];
    readings[0] = make_reading("WL-1", "water_level", 10, t);   /* checked, no alert */
    readings[1] = make_reading("WL-2", "water_level", 15, t);   /* warning at the limit */
    readings[2] = make_reading("WL-3", "water_level", 32, t);   /* critical */
    readings[3] = make_reading("BT-1", "battery", 4, t);        /* below: critical */
    readings[4] = make_reading("BT-2", "battery", 50, t);       /* below: fine */
    readings[5] = make_reading("X-1", "humidity", 50, t);       /* unknown kind */
    readings[6] = make_reading("", "noise", 50, t);             /* no device */
    readings[7] = make_reading("N-1", "noise", 50, 0);          /* no time */
    readings[8] = make_reading("N-2", "noise", 500, t);         /* implausible */
    readings[9] = make_reading("N-3", "noise", NAN, t);         /* not a number */
    readings[10] = make_reading("N-4", "noise", 61, t);         /* warning */
    readings[11] = make_reading("G-1", "gas", 55, t);           /* critical, with attributes and location */
    readings[12] = make_reading("N-5", "noise", 30, t);         /* a place that is not on Earth */
    Gongzhi__Sensors__V1__Location bad_place = GONGZHI__SENSORS__V1__LOCATION__INIT;
    bad_place.longitude = 120.1;
    bad_place.latitude = 95;
    readings[12].location = &bad_place;
    Gongzhi__Sensors__V1__Location place = GONGZHI__SENSORS__V1__LOCATION__INIT;
    place.longitude = 120.16;
    place.latitude = 30.27;
    readings[11].location = &place;
    Gongzhi__Sensors__V1__Reading__AttributesEntry vendor = GONGZHI__SENSORS__V1__READING__ATTRIBUTES_ENTRY__INIT;
    vendor.key = "vendor";
    vendor.value = "hz-iot";
    Gongzhi__Sensors__V1__Reading__AttributesEntry firmware = GONGZHI__SENSORS__V1__READING__ATTRIBUTES_ENTRY__INIT;
    firmware.key = "firmware";
    firmware.value = "2.4.1";
    Gongzhi__Sensors__V1__Reading__AttributesEntry *attributes[2] = {&firmware, &vendor};
    readings[11].n_attributes = 2;
    readings[11].attributes = attributes;

    Gongzhi__Sensors__V1__Reading *pointers[13];
    for (size_t i = 0; i < 13; i++) {
        pointers[i] = &readings[i];
    }
    Gongzhi__Sensors__V1__CheckRequest request = GONGZHI__SENSORS__V1__CHECK_REQUEST__INIT;
    request.n_readings = 13;
    request.readings = pointers;

    sensor_check_result result;
    EXPECT(sensor_check(&table, &request, &result) == 0);
    const Gongzhi__Sensors__V1__CheckResponse *response = &result.response;
    EXPECT(response->checked == 7);
    EXPECT(response->n_alerts == 5);
    if (response->n_alerts == 5) {
        const uint32_t indexes[5] = {1, 2, 3, 10, 11};
        const int severities[5] = {1, 2, 2, 1, 2};
        const double limits[5] = {15, 30, 5, 60, 50};
        for (size_t i = 0; i < 5; i++) {
            EXPECT(response->alerts[i]->index == indexes[i]);
            EXPECT((int)response->alerts[i]->severity == severities[i]);
            EXPECT(response->alerts[i]->limit == limits[i]);
            EXPECT(response->alerts[i]->time_unix_ms == t);
        }
        EXPECT(strcmp(response->alerts[1]->message, "water_level 32 cm at WL-3 reached the critical threshold 30 cm") ==
               0);
        EXPECT(strcmp(response->alerts[2]->message, "battery 4 % at BT-1 fell to the critical threshold 5 %") == 0);
        EXPECT(response->alerts[4]->n_attributes == 2 &&
               strcmp(response->alerts[4]->attributes[1]->value, "hz-iot") == 0);
        EXPECT(response->alerts[4]->location != NULL && response->alerts[4]->location->latitude == 30.27);
    }
    EXPECT(response->n_rejections == 6);
    if (response->n_rejections == 6) {
        EXPECT(response->rejections[0]->index == 5);
        EXPECT_CONTAINS(response->rejections[0]->reason, "unknown kind \"humidity\"; known kinds: battery, gas");
        EXPECT_CONTAINS(response->rejections[1]->reason, "device_id is missing");
        EXPECT_CONTAINS(response->rejections[2]->reason, "time_unix_ms is missing");
        EXPECT_CONTAINS(response->rejections[3]->reason, "value 500 dB(A) is outside the plausible range 0 to 140");
        EXPECT_CONTAINS(response->rejections[4]->reason, "not a finite number");
        EXPECT(response->rejections[5]->index == 12 && strcmp(response->rejections[5]->device_id, "N-5") == 0);
        EXPECT_CONTAINS(response->rejections[5]->reason, "location (120.1, 95) is not a WGS-84");
    }
    EXPECT(response->n_checked_by_kind == 4);
    if (response->n_checked_by_kind == 4) {
        const char *keys[4] = {"battery", "gas", "noise", "water_level"};
        const uint32_t counts[4] = {2, 1, 1, 3};
        for (size_t i = 0; i < 4; i++) {
            EXPECT(strcmp(response->checked_by_kind[i]->key, keys[i]) == 0);
            EXPECT(response->checked_by_kind[i]->value == counts[i]);
        }
    }

    /* The answer is a valid message: it packs, and unpacks to the same counts. */
    size_t size = gongzhi__sensors__v1__check_response__get_packed_size(response);
    uint8_t *bytes = malloc(size + 1);
    EXPECT(bytes != NULL);
    if (bytes != NULL) {
        EXPECT(gongzhi__sensors__v1__check_response__pack(response, bytes) == size);
        Gongzhi__Sensors__V1__CheckResponse *decoded = gongzhi__sensors__v1__check_response__unpack(NULL, size, bytes);
        EXPECT(decoded != NULL);
        if (decoded != NULL) {
            EXPECT(decoded->n_alerts == response->n_alerts && decoded->checked == response->checked);
            EXPECT(decoded->n_checked_by_kind == response->n_checked_by_kind);
            gongzhi__sensors__v1__check_response__free_unpacked(decoded, NULL);
        }
        free(bytes);
    }
    sensor_check_result_free(&result);

    /* An empty batch is checked and answers nothing. */
    Gongzhi__Sensors__V1__CheckRequest empty = GONGZHI__SENSORS__V1__CHECK_REQUEST__INIT;
    EXPECT(sensor_check(&table, &empty, &result) == 0);
    EXPECT(result.response.checked == 0 && result.response.n_alerts == 0 && result.response.n_rejections == 0);
    EXPECT(gongzhi__sensors__v1__check_response__get_packed_size(&result.response) == 0);
    sensor_check_result_free(&result);
    sensor_thresholds_free(&table);
}

int main(int argc, char **argv) {
    test_defaults();
    test_parse();
    test_check();
    if (argc > 1) {
        test_example_file(argv[1]);
    }
    if (failures > 0) {
        fprintf(stderr, "test-sensors: %d failed\n", failures);
        return 1;
    }
    printf("test-sensors: all passed\n");
    return 0;
}
