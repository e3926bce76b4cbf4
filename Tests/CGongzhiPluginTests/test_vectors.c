/*
 * The shared wire vectors of Tests/Vectors (listed in its README), checked from C.
 *
 * For every vector this builds the same message with protobuf-c (map entries as arrays sorted by key),
 * packs it — frames with the SDK's gz_frame_encode — and compares the bytes with the file. It then feeds
 * each frame file to the SDK's gz_frame_decoder in small pieces, checks the header, unpacks the file and
 * checks every field, map entries included. The Swift test WireVectorTests checks the same files, so the
 * C and Swift implementations agree byte for byte.
 *
 * Usage: test_vectors [VECTORS_DIR]; without an argument, the VECTORS_DIR the program was compiled with
 * (default "Tests/Vectors"). Prints one line per vector; exits 1 on any mismatch, 2 when a file cannot
 * be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongzhi_plugin.h"
#include "gongzhi/host/v1/registration.pb-c.h"
#include "gongzhi/rpc/v1/envelope.pb-c.h"
#include "gongzhi/sensors/v1/sensors.pb-c.h"

#ifndef VECTORS_DIR
#define VECTORS_DIR "Tests/Vectors"
#endif

/* Frames are fed to the decoder this many bytes at a time, so header and data both arrive split. */
#define PIECE 3u

/* ---------------------------------------------------------------------------------------------------
 * The values of the README.
 */
#define READING_TIME 1767225600000LL /* 2026-01-01T00:00:00Z, in ms */
#define LONGITUDE 116.397128
#define LATITUDE 39.916527
#define WL_DEVICE "WL-330199-0042"
#define WL_KIND "water_level"
#define WL_VALUE 32.5
#define SMOKE_DEVICE "SM-330199-0007"
#define SMOKE_KIND "smoke"
#define SMOKE_VALUE 0.12
#define ALERT_MESSAGE "water_level 32.5 cm at WL-330199-0042 reached the critical threshold 30 cm"
#define REJECTED_DEVICE "NS-330199-0311"
#define REJECTED_REASON "unknown kind \"noise_db\""
#define CHECK_SERVICE "gongzhi.sensors.v1.Sensors"
#define TRACEPARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define REGISTRATION_SERVICE "gongzhi.host.v1.Registration"
#define TOKEN "gzt-sensors-0f1e2d3c4b5a6978"
#define SOCKET_PATH "/run/gongzhi/plugins/sensors.sock"
#define PROTOCOL "gongzhi-plugin/1"
#define NOT_FOUND_MESSAGE "设备 WL-330199-0099 未登记 (device not registered)"

/* Key-sorted, as every map is in the vectors. */
static const char *const attribute_keys[3] = {"firmware", "unit", "vendor"};
static const char *const attribute_values[3] = {"2.4.1", "cm", "青岛水文仪器"};
static const char *const kind_keys[3] = {"battery", "smoke", "water_level"};
static const uint32_t kind_counts[3] = {3, 5, 11};
static const char *const grants[2] = {"gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/Watch"};

/* ---------------------------------------------------------------------------------------------------
 * Checks.
 */
static const char *current_vector = "";
static int vector_failed;

#define CHECK(condition)                                                                                   \
    do {                                                                                                   \
        if (!(condition)) {                                                                                \
            printf("FAIL %s: %s (line %d)\n", current_vector, #condition, __LINE__);                       \
            vector_failed = 1;                                                                             \
        }                                                                                                  \
    } while (0)

#define CHECK_STR(actual, expected) CHECK((actual) != NULL && strcmp((actual), (expected)) == 0)

/* Compares what C encoded with the file; names the first differing byte. */
static void compare_bytes(const uint8_t *encoded, size_t encoded_length, const uint8_t *file, size_t file_length) {
    size_t shorter = encoded_length < file_length ? encoded_length : file_length;
    size_t offset = 0;
    if (encoded_length == file_length && (shorter == 0 || memcmp(encoded, file, shorter) == 0)) {
        return;
    }
    while (offset < shorter && encoded[offset] == file[offset]) {
        offset++;
    }
    printf("FAIL %s: C's %zu bytes differ from the file's %zu at offset %zu\n", current_vector, encoded_length,
           file_length, offset);
    vector_failed = 1;
}

/* Packs a message into a new buffer (NULL when empty or out of memory). */
static uint8_t *pack(const ProtobufCMessage *message, size_t *length) {
    uint8_t *buffer;
    *length = protobuf_c_message_get_packed_size(message);
    buffer = malloc(*length > 0 ? *length : 1);
    if (buffer != NULL && protobuf_c_message_pack(message, buffer) != *length) {
        free(buffer);
        buffer = NULL;
    }
    return buffer;
}

/* Reads a whole file into a new buffer; exits when it cannot. */
static uint8_t *read_vector(const char *directory, const char *name, size_t *length) {
    char path[4096];
    FILE *file;
    uint8_t *bytes = NULL;
    size_t capacity = 0;
    size_t filled = 0;

    snprintf(path, sizeof path, "%s/%s", directory, name);
    file = fopen(path, "rb");
    if (file == NULL) {
        printf("FAIL %s: cannot open %s\n", name, path);
        exit(2);
    }
    for (;;) {
        size_t got;
        if (filled == capacity) {
            uint8_t *grown = realloc(bytes, capacity == 0 ? 1024 : capacity * 2);
            if (grown == NULL) {
                printf("FAIL %s: out of memory\n", name);
                exit(2);
            }
            bytes = grown;
            capacity = capacity == 0 ? 1024 : capacity * 2;
        }
        got = fread(bytes + filled, 1, capacity - filled, file);
        filled += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(file)) {
        printf("FAIL %s: cannot read %s\n", name, path);
        exit(2);
    }
    fclose(file);
    *length = filled;
    return bytes;
}

/*
 * Feeds a frame file to a new decoder PIECE bytes at a time. Expects exactly one frame and no bytes after
 * it; returns its data (a copy the caller frees, never NULL on success) and header, or NULL.
 */
static uint8_t *decode_frame(const uint8_t *bytes, size_t length, gz_frame_header *header) {
    gz_frame_decoder decoder;
    uint8_t *copy = NULL;
    size_t frames = 0;
    size_t offset = 0;

    gz_frame_decoder_init(&decoder, 0);
    while (offset < length) {
        size_t piece = length - offset < PIECE ? length - offset : PIECE;
        size_t used = 0;
        while (used < piece) {
            size_t consumed = 0;
            const uint8_t *data = NULL;
            const char *error = NULL;
            gz_frame_header seen;
            gz_decode_result result =
                gz_frame_decoder_feed(&decoder, bytes + offset + used, piece - used, &consumed, &seen, &data, &error);
            used += consumed;
            if (result == GZ_DECODE_FRAME) {
                frames++;
                if (frames == 1) {
                    *header = seen;
                    copy = malloc(seen.length > 0 ? seen.length : 1);
                    if (copy != NULL && seen.length > 0) {
                        memcpy(copy, data, seen.length);
                    }
                }
            } else if (result != GZ_DECODE_NEED_MORE) {
                printf("FAIL %s: the decoder answered %d at byte %zu (%s)\n", current_vector, (int)result,
                       offset + used, error != NULL ? error : "no message");
                vector_failed = 1;
                gz_frame_decoder_free(&decoder);
                free(copy);
                return NULL;
            } else if (consumed == 0) {
                break;
            }
        }
        offset += piece;
    }
    CHECK(frames == 1);
    CHECK(!gz_frame_decoder_mid_frame(&decoder));
    gz_frame_decoder_free(&decoder);
    if (frames != 1) {
        free(copy);
        return NULL;
    }
    return copy;
}

/* Checks a decoded frame's header against the README's. */
static void check_header(const gz_frame_header *header, size_t file_length, uint32_t stream_id, uint8_t type,
                         uint8_t flags) {
    CHECK(header->stream_id == stream_id);
    CHECK(header->type == type);
    CHECK(header->flags == flags);
    CHECK((size_t)header->length + GZ_FRAME_HEADER_SIZE == file_length);
}

/* Ends a vector: prints its line and counts it. */
static int finish_vector(size_t file_length) {
    if (!vector_failed) {
        printf("ok   %s (%zu bytes)\n", current_vector, file_length);
    }
    return vector_failed;
}

/* ---------------------------------------------------------------------------------------------------
 * Building the messages (all storage on the caller's stack or static).
 */
static Gongzhi__Sensors__V1__Location location = GONGZHI__SENSORS__V1__LOCATION__INIT;

static void init_location(void) {
    location.longitude = LONGITUDE;
    location.latitude = LATITUDE;
}

typedef struct check_request_storage {
    Gongzhi__Sensors__V1__Reading__AttributesEntry entries[3];
    Gongzhi__Sensors__V1__Reading__AttributesEntry *entry_pointers[3];
    Gongzhi__Sensors__V1__Reading readings[2];
    Gongzhi__Sensors__V1__Reading *reading_pointers[2];
    Gongzhi__Sensors__V1__CheckRequest request;
} check_request_storage;

static void build_check_request(check_request_storage *s) {
    size_t i;
    Gongzhi__Sensors__V1__CheckRequest request = GONGZHI__SENSORS__V1__CHECK_REQUEST__INIT;
    for (i = 0; i < 3; i++) {
        Gongzhi__Sensors__V1__Reading__AttributesEntry entry = GONGZHI__SENSORS__V1__READING__ATTRIBUTES_ENTRY__INIT;
        entry.key = (char *)attribute_keys[i];
        entry.value = (char *)attribute_values[i];
        s->entries[i] = entry;
        s->entry_pointers[i] = &s->entries[i];
    }
    for (i = 0; i < 2; i++) {
        Gongzhi__Sensors__V1__Reading reading = GONGZHI__SENSORS__V1__READING__INIT;
        s->readings[i] = reading;
        s->reading_pointers[i] = &s->readings[i];
    }
    s->readings[0].device_id = WL_DEVICE;
    s->readings[0].kind = WL_KIND;
    s->readings[0].value = WL_VALUE;
    s->readings[0].time_unix_ms = READING_TIME;
    s->readings[0].location = &location;
    s->readings[0].n_attributes = 3;
    s->readings[0].attributes = s->entry_pointers;
    s->readings[1].device_id = SMOKE_DEVICE;
    s->readings[1].kind = SMOKE_KIND;
    s->readings[1].value = SMOKE_VALUE;
    s->readings[1].time_unix_ms = READING_TIME + 1500;
    s->request = request;
    s->request.n_readings = 2;
    s->request.readings = s->reading_pointers;
}

typedef struct check_response_storage {
    Gongzhi__Sensors__V1__Alert__AttributesEntry entries[3];
    Gongzhi__Sensors__V1__Alert__AttributesEntry *entry_pointers[3];
    Gongzhi__Sensors__V1__Alert alert;
    Gongzhi__Sensors__V1__Alert *alert_pointer;
    Gongzhi__Sensors__V1__Rejection rejection;
    Gongzhi__Sensors__V1__Rejection *rejection_pointer;
    Gongzhi__Sensors__V1__CheckResponse__CheckedByKindEntry kinds[3];
    Gongzhi__Sensors__V1__CheckResponse__CheckedByKindEntry *kind_pointers[3];
    Gongzhi__Sensors__V1__CheckResponse response;
} check_response_storage;

static void build_check_response(check_response_storage *s) {
    size_t i;
    Gongzhi__Sensors__V1__Alert alert = GONGZHI__SENSORS__V1__ALERT__INIT;
    Gongzhi__Sensors__V1__Rejection rejection = GONGZHI__SENSORS__V1__REJECTION__INIT;
    Gongzhi__Sensors__V1__CheckResponse response = GONGZHI__SENSORS__V1__CHECK_RESPONSE__INIT;
    for (i = 0; i < 3; i++) {
        Gongzhi__Sensors__V1__Alert__AttributesEntry entry = GONGZHI__SENSORS__V1__ALERT__ATTRIBUTES_ENTRY__INIT;
        Gongzhi__Sensors__V1__CheckResponse__CheckedByKindEntry kind =
            GONGZHI__SENSORS__V1__CHECK_RESPONSE__CHECKED_BY_KIND_ENTRY__INIT;
        entry.key = (char *)attribute_keys[i];
        entry.value = (char *)attribute_values[i];
        s->entries[i] = entry;
        s->entry_pointers[i] = &s->entries[i];
        kind.key = (char *)kind_keys[i];
        kind.value = kind_counts[i];
        s->kinds[i] = kind;
        s->kind_pointers[i] = &s->kinds[i];
    }
    alert.index = 2;
    alert.device_id = WL_DEVICE;
    alert.kind = WL_KIND;
    alert.value = WL_VALUE;
    alert.severity = GONGZHI__SENSORS__V1__ALERT__SEVERITY__SEVERITY_CRITICAL;
    alert.limit = 30;
    alert.message = ALERT_MESSAGE;
    alert.time_unix_ms = READING_TIME;
    alert.location = &location;
    alert.n_attributes = 3;
    alert.attributes = s->entry_pointers;
    s->alert = alert;
    s->alert_pointer = &s->alert;
    rejection.index = 4;
    rejection.device_id = REJECTED_DEVICE;
    rejection.reason = REJECTED_REASON;
    s->rejection = rejection;
    s->rejection_pointer = &s->rejection;
    response.n_alerts = 1;
    response.alerts = &s->alert_pointer;
    response.n_rejections = 1;
    response.rejections = &s->rejection_pointer;
    response.n_checked_by_kind = 3;
    response.checked_by_kind = s->kind_pointers;
    response.checked = 19;
    s->response = response;
}

typedef struct register_request_storage {
    Gongzhi__Host__V1__MethodDescription methods[4];
    Gongzhi__Host__V1__MethodDescription *method_pointers[4];
    Gongzhi__Host__V1__ServiceDescription services[2];
    Gongzhi__Host__V1__ServiceDescription *service_pointers[2];
    Gongzhi__Host__V1__RegisterRequest request;
} register_request_storage;

static void build_register_request(register_request_storage *s) {
    static const char *const method_names[4] = {"Check", "ListThresholds", "Subscribe", "Upload"};
    static const Gongzhi__Host__V1__MethodDescription__Kind kinds[4] = {
        GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_UNARY,
        GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_UNARY,
        GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_SERVER_STREAMING,
        GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_CLIENT_STREAMING,
    };
    static const char *const service_names[2] = {CHECK_SERVICE, "gongzhi.sensors.v1.Feed"};
    Gongzhi__Host__V1__RegisterRequest request = GONGZHI__HOST__V1__REGISTER_REQUEST__INIT;
    size_t i;
    for (i = 0; i < 4; i++) {
        Gongzhi__Host__V1__MethodDescription method = GONGZHI__HOST__V1__METHOD_DESCRIPTION__INIT;
        method.name = (char *)method_names[i];
        method.kind = kinds[i];
        s->methods[i] = method;
        s->method_pointers[i] = &s->methods[i];
    }
    for (i = 0; i < 2; i++) {
        Gongzhi__Host__V1__ServiceDescription service = GONGZHI__HOST__V1__SERVICE_DESCRIPTION__INIT;
        service.name = (char *)service_names[i];
        service.n_methods = 2;
        service.methods = &s->method_pointers[2 * i];
        s->services[i] = service;
        s->service_pointers[i] = &s->services[i];
    }
    request.name = "sensors";
    request.version = "1.0.0";
    request.protocol_version = PROTOCOL;
    request.socket_path = SOCKET_PATH;
    request.n_services = 2;
    request.services = s->service_pointers;
    s->request = request;
}

/* ---------------------------------------------------------------------------------------------------
 * Field-by-field checks of decoded messages.
 */
static void check_location(const Gongzhi__Sensors__V1__Location *decoded) {
    CHECK(decoded != NULL);
    if (decoded != NULL) {
        CHECK(decoded->longitude == LONGITUDE);
        CHECK(decoded->latitude == LATITUDE);
    }
}

/* The vendor attributes map: 3 entries, looked up by key (the order is checked by the bytes). */
static void check_attributes(size_t count, Gongzhi__Sensors__V1__Reading__AttributesEntry *const *reading_entries,
                             Gongzhi__Sensors__V1__Alert__AttributesEntry *const *alert_entries) {
    size_t i, j;
    CHECK(count == 3);
    for (i = 0; i < 3; i++) {
        int found = 0;
        for (j = 0; j < count; j++) {
            const char *key = reading_entries != NULL ? reading_entries[j]->key : alert_entries[j]->key;
            const char *value = reading_entries != NULL ? reading_entries[j]->value : alert_entries[j]->value;
            if (strcmp(key, attribute_keys[i]) == 0) {
                found++;
                CHECK_STR(value, attribute_values[i]);
            }
        }
        CHECK(found == 1);
    }
}

static void check_check_request(const Gongzhi__Sensors__V1__CheckRequest *decoded) {
    const Gongzhi__Sensors__V1__Reading *reading;
    CHECK(decoded->n_readings == 2);
    if (decoded->n_readings != 2) {
        return;
    }
    reading = decoded->readings[0];
    CHECK_STR(reading->device_id, WL_DEVICE);
    CHECK_STR(reading->kind, WL_KIND);
    CHECK(reading->value == WL_VALUE);
    CHECK(reading->time_unix_ms == READING_TIME);
    check_location(reading->location);
    check_attributes(reading->n_attributes, reading->attributes, NULL);
    reading = decoded->readings[1];
    CHECK_STR(reading->device_id, SMOKE_DEVICE);
    CHECK_STR(reading->kind, SMOKE_KIND);
    CHECK(reading->value == SMOKE_VALUE);
    CHECK(reading->time_unix_ms == READING_TIME + 1500);
    CHECK(reading->location == NULL);
    CHECK(reading->n_attributes == 0);
}

static void check_check_response(const Gongzhi__Sensors__V1__CheckResponse *decoded) {
    const Gongzhi__Sensors__V1__Alert *alert;
    size_t i, j;
    CHECK(decoded->n_alerts == 1);
    CHECK(decoded->n_rejections == 1);
    if (decoded->n_alerts == 1) {
        alert = decoded->alerts[0];
        CHECK(alert->index == 2);
        CHECK_STR(alert->device_id, WL_DEVICE);
        CHECK_STR(alert->kind, WL_KIND);
        CHECK(alert->value == WL_VALUE);
        CHECK(alert->severity == GONGZHI__SENSORS__V1__ALERT__SEVERITY__SEVERITY_CRITICAL);
        CHECK(alert->limit == 30);
        CHECK_STR(alert->message, ALERT_MESSAGE);
        CHECK(alert->time_unix_ms == READING_TIME);
        check_location(alert->location);
        check_attributes(alert->n_attributes, NULL, alert->attributes);
    }
    if (decoded->n_rejections == 1) {
        CHECK(decoded->rejections[0]->index == 4);
        CHECK_STR(decoded->rejections[0]->device_id, REJECTED_DEVICE);
        CHECK_STR(decoded->rejections[0]->reason, REJECTED_REASON);
    }
    CHECK(decoded->n_checked_by_kind == 3);
    for (i = 0; i < 3; i++) {
        int found = 0;
        for (j = 0; j < decoded->n_checked_by_kind; j++) {
            if (strcmp(decoded->checked_by_kind[j]->key, kind_keys[i]) == 0) {
                found++;
                CHECK(decoded->checked_by_kind[j]->value == kind_counts[i]);
            }
        }
        CHECK(found == 1);
    }
    CHECK(decoded->checked == 19);
}

static void check_register_request(const Gongzhi__Host__V1__RegisterRequest *decoded) {
    CHECK_STR(decoded->name, "sensors");
    CHECK_STR(decoded->version, "1.0.0");
    CHECK_STR(decoded->protocol_version, PROTOCOL);
    CHECK_STR(decoded->socket_path, SOCKET_PATH);
    CHECK(decoded->n_services == 2);
    if (decoded->n_services != 2) {
        return;
    }
    CHECK_STR(decoded->services[0]->name, CHECK_SERVICE);
    CHECK(decoded->services[0]->n_methods == 2);
    if (decoded->services[0]->n_methods == 2) {
        CHECK_STR(decoded->services[0]->methods[0]->name, "Check");
        CHECK(decoded->services[0]->methods[0]->kind == GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_UNARY);
        CHECK_STR(decoded->services[0]->methods[1]->name, "ListThresholds");
        CHECK(decoded->services[0]->methods[1]->kind == GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_UNARY);
    }
    CHECK_STR(decoded->services[1]->name, "gongzhi.sensors.v1.Feed");
    CHECK(decoded->services[1]->n_methods == 2);
    if (decoded->services[1]->n_methods == 2) {
        CHECK_STR(decoded->services[1]->methods[0]->name, "Subscribe");
        CHECK(decoded->services[1]->methods[0]->kind ==
              GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_SERVER_STREAMING);
        CHECK_STR(decoded->services[1]->methods[1]->name, "Upload");
        CHECK(decoded->services[1]->methods[1]->kind ==
              GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_CLIENT_STREAMING);
    }
}

/* Unpacks `length` bytes as a CheckRequest and checks it. */
static void check_check_request_bytes(const uint8_t *bytes, size_t length) {
    Gongzhi__Sensors__V1__CheckRequest *decoded = gongzhi__sensors__v1__check_request__unpack(NULL, length, bytes);
    CHECK(decoded != NULL);
    if (decoded != NULL) {
        check_check_request(decoded);
        gongzhi__sensors__v1__check_request__free_unpacked(decoded, NULL);
    }
}

static void check_check_response_bytes(const uint8_t *bytes, size_t length) {
    Gongzhi__Sensors__V1__CheckResponse *decoded = gongzhi__sensors__v1__check_response__unpack(NULL, length, bytes);
    CHECK(decoded != NULL);
    if (decoded != NULL) {
        check_check_response(decoded);
        gongzhi__sensors__v1__check_response__free_unpacked(decoded, NULL);
    }
}

/* ---------------------------------------------------------------------------------------------------
 * The vectors.
 */
typedef struct vector_file {
    const char *name;
    uint8_t *bytes;
    size_t length;
} vector_file;

static void begin_vector(const char *directory, const char *name, vector_file *file) {
    current_vector = name;
    vector_failed = 0;
    file->name = name;
    file->bytes = read_vector(directory, name, &file->length);
}

/* Compares an encoded message (or frame) with the file and frees it. */
static void compare_and_free(uint8_t *encoded, size_t length, int encoded_ok, const vector_file *file) {
    CHECK(encoded_ok);
    if (encoded_ok) {
        compare_bytes(encoded, length, file->bytes, file->length);
    }
    free(encoded);
}

static int vector_check_request(const char *directory) {
    vector_file file;
    check_request_storage storage;
    size_t length = 0;
    uint8_t *encoded;
    begin_vector(directory, "check-request.pb", &file);
    build_check_request(&storage);
    encoded = pack(&storage.request.base, &length);
    compare_and_free(encoded, length, encoded != NULL, &file);
    check_check_request_bytes(file.bytes, file.length);
    free(file.bytes);
    return finish_vector(file.length);
}

static int vector_check_response(const char *directory) {
    vector_file file;
    check_response_storage storage;
    size_t length = 0;
    uint8_t *encoded;
    begin_vector(directory, "check-response.pb", &file);
    build_check_response(&storage);
    encoded = pack(&storage.response.base, &length);
    compare_and_free(encoded, length, encoded != NULL, &file);
    check_check_response_bytes(file.bytes, file.length);
    free(file.bytes);
    return finish_vector(file.length);
}

static int vector_unary_request(const char *directory) {
    vector_file file;
    check_request_storage storage;
    Gongzhi__Rpc__V1__Request request = GONGZHI__RPC__V1__REQUEST__INIT;
    Gongzhi__Rpc__V1__KeyValue caller = GONGZHI__RPC__V1__KEY_VALUE__INIT;
    Gongzhi__Rpc__V1__KeyValue trace = GONGZHI__RPC__V1__KEY_VALUE__INIT;
    Gongzhi__Rpc__V1__KeyValue *metadata[2];
    Gongzhi__Rpc__V1__Request *decoded;
    gz_frame_header header;
    uint8_t *payload, *encoded = NULL, *data;
    size_t payload_length = 0, length = 0;
    int encoded_ok;

    begin_vector(directory, "unary-request.frame", &file);
    build_check_request(&storage);
    payload = pack(&storage.request.base, &payload_length);
    caller.key = "gongzhi-caller";
    caller.value = "plugin:grid";
    trace.key = "traceparent";
    trace.value = TRACEPARENT;
    metadata[0] = &caller;
    metadata[1] = &trace;
    request.service = CHECK_SERVICE;
    request.method = "Check";
    request.payload.data = payload;
    request.payload.len = payload_length;
    request.timeout_nano = 5000000000LL;
    request.n_metadata = 2;
    request.metadata = metadata;
    encoded_ok = payload != NULL && gz_frame_encode(1, GZ_FRAME_REQUEST, 0, &request.base, &encoded, &length) == 0;
    compare_and_free(encoded, length, encoded_ok, &file);
    free(payload);

    data = decode_frame(file.bytes, file.length, &header);
    if (data != NULL) {
        check_header(&header, file.length, 1, GZ_FRAME_REQUEST, 0);
        decoded = gongzhi__rpc__v1__request__unpack(NULL, header.length, data);
        CHECK(decoded != NULL);
        if (decoded != NULL) {
            CHECK_STR(decoded->service, CHECK_SERVICE);
            CHECK_STR(decoded->method, "Check");
            CHECK(decoded->timeout_nano == 5000000000LL);
            CHECK(decoded->n_metadata == 2);
            if (decoded->n_metadata == 2) {
                CHECK_STR(decoded->metadata[0]->key, "gongzhi-caller");
                CHECK_STR(decoded->metadata[0]->value, "plugin:grid");
                CHECK_STR(decoded->metadata[1]->key, "traceparent");
                CHECK_STR(decoded->metadata[1]->value, TRACEPARENT);
            }
            check_check_request_bytes(decoded->payload.data, decoded->payload.len);
            gongzhi__rpc__v1__request__free_unpacked(decoded, NULL);
        }
        free(data);
    }
    free(file.bytes);
    return finish_vector(file.length);
}

static int vector_check_ok_response(const char *directory) {
    vector_file file;
    check_response_storage storage;
    Gongzhi__Rpc__V1__Response response = GONGZHI__RPC__V1__RESPONSE__INIT;
    Gongzhi__Rpc__V1__Status status = GONGZHI__RPC__V1__STATUS__INIT;
    Gongzhi__Rpc__V1__Response *decoded;
    gz_frame_header header;
    uint8_t *payload, *encoded = NULL, *data;
    size_t payload_length = 0, length = 0;
    int encoded_ok;

    begin_vector(directory, "check-ok-response.frame", &file);
    build_check_response(&storage);
    payload = pack(&storage.response.base, &payload_length);
    response.status = &status; /* OK is sent as an empty status, present */
    response.payload.data = payload;
    response.payload.len = payload_length;
    encoded_ok = payload != NULL && gz_frame_encode(1, GZ_FRAME_RESPONSE, 0, &response.base, &encoded, &length) == 0;
    compare_and_free(encoded, length, encoded_ok, &file);
    free(payload);

    data = decode_frame(file.bytes, file.length, &header);
    if (data != NULL) {
        check_header(&header, file.length, 1, GZ_FRAME_RESPONSE, 0);
        decoded = gongzhi__rpc__v1__response__unpack(NULL, header.length, data);
        CHECK(decoded != NULL);
        if (decoded != NULL) {
            CHECK(decoded->status != NULL);
            if (decoded->status != NULL) {
                CHECK(decoded->status->code == GZ_OK);
                CHECK_STR(decoded->status->message, "");
                CHECK(decoded->status->n_details == 0);
            }
            CHECK(decoded->n_metadata == 0);
            check_check_response_bytes(decoded->payload.data, decoded->payload.len);
            gongzhi__rpc__v1__response__free_unpacked(decoded, NULL);
        }
        free(data);
    }
    free(file.bytes);
    return finish_vector(file.length);
}

static int vector_register_request(const char *directory) {
    vector_file file;
    register_request_storage storage;
    Gongzhi__Rpc__V1__Request request = GONGZHI__RPC__V1__REQUEST__INIT;
    Gongzhi__Rpc__V1__KeyValue token = GONGZHI__RPC__V1__KEY_VALUE__INIT;
    Gongzhi__Rpc__V1__KeyValue *metadata[1];
    Gongzhi__Rpc__V1__Request *decoded;
    gz_frame_header header;
    uint8_t *payload, *encoded = NULL, *data;
    size_t payload_length = 0, length = 0;
    int encoded_ok;

    begin_vector(directory, "register-request.frame", &file);
    build_register_request(&storage);
    payload = pack(&storage.request.base, &payload_length);
    token.key = "gongzhi-token";
    token.value = TOKEN;
    metadata[0] = &token;
    request.service = REGISTRATION_SERVICE;
    request.method = "Register";
    request.payload.data = payload;
    request.payload.len = payload_length;
    request.n_metadata = 1;
    request.metadata = metadata;
    encoded_ok = payload != NULL &&
                 gz_frame_encode(3, GZ_FRAME_REQUEST, GZ_FLAG_REMOTE_CLOSED, &request.base, &encoded, &length) == 0;
    compare_and_free(encoded, length, encoded_ok, &file);
    free(payload);

    data = decode_frame(file.bytes, file.length, &header);
    if (data != NULL) {
        check_header(&header, file.length, 3, GZ_FRAME_REQUEST, GZ_FLAG_REMOTE_CLOSED);
        decoded = gongzhi__rpc__v1__request__unpack(NULL, header.length, data);
        CHECK(decoded != NULL);
        if (decoded != NULL) {
            Gongzhi__Host__V1__RegisterRequest *registration;
            CHECK_STR(decoded->service, REGISTRATION_SERVICE);
            CHECK_STR(decoded->method, "Register");
            CHECK(decoded->timeout_nano == 0);
            CHECK(decoded->n_metadata == 1);
            if (decoded->n_metadata == 1) {
                CHECK_STR(decoded->metadata[0]->key, "gongzhi-token");
                CHECK_STR(decoded->metadata[0]->value, TOKEN);
            }
            registration =
                gongzhi__host__v1__register_request__unpack(NULL, decoded->payload.len, decoded->payload.data);
            CHECK(registration != NULL);
            if (registration != NULL) {
                check_register_request(registration);
                gongzhi__host__v1__register_request__free_unpacked(registration, NULL);
            }
            gongzhi__rpc__v1__request__free_unpacked(decoded, NULL);
        }
        free(data);
    }
    free(file.bytes);
    return finish_vector(file.length);
}

static int vector_registration_accepted(const char *directory) {
    vector_file file;
    Gongzhi__Host__V1__RegistrationEvent event = GONGZHI__HOST__V1__REGISTRATION_EVENT__INIT;
    Gongzhi__Host__V1__Accepted accepted = GONGZHI__HOST__V1__ACCEPTED__INIT;
    Gongzhi__Host__V1__RegistrationEvent *decoded;
    char *grant_list[2];
    gz_frame_header header;
    uint8_t *encoded = NULL, *data;
    size_t length = 0;
    int encoded_ok;

    begin_vector(directory, "registration-accepted.frame", &file);
    grant_list[0] = (char *)grants[0];
    grant_list[1] = (char *)grants[1];
    accepted.n_grants = 2;
    accepted.grants = grant_list;
    accepted.protocol_version = PROTOCOL;
    accepted.host_version = "0.9.0";
    event.event_case = GONGZHI__HOST__V1__REGISTRATION_EVENT__EVENT_ACCEPTED;
    event.accepted = &accepted;
    encoded_ok = gz_frame_encode(3, GZ_FRAME_DATA, 0, &event.base, &encoded, &length) == 0;
    compare_and_free(encoded, length, encoded_ok, &file);

    data = decode_frame(file.bytes, file.length, &header);
    if (data != NULL) {
        check_header(&header, file.length, 3, GZ_FRAME_DATA, 0);
        decoded = gongzhi__host__v1__registration_event__unpack(NULL, header.length, data);
        CHECK(decoded != NULL);
        if (decoded != NULL) {
            CHECK(decoded->event_case == GONGZHI__HOST__V1__REGISTRATION_EVENT__EVENT_ACCEPTED);
            if (decoded->event_case == GONGZHI__HOST__V1__REGISTRATION_EVENT__EVENT_ACCEPTED) {
                CHECK(decoded->accepted->n_grants == 2);
                if (decoded->accepted->n_grants == 2) {
                    CHECK_STR(decoded->accepted->grants[0], grants[0]);
                    CHECK_STR(decoded->accepted->grants[1], grants[1]);
                }
                CHECK_STR(decoded->accepted->protocol_version, PROTOCOL);
                CHECK_STR(decoded->accepted->host_version, "0.9.0");
            }
            gongzhi__host__v1__registration_event__free_unpacked(decoded, NULL);
        }
        free(data);
    }
    free(file.bytes);
    return finish_vector(file.length);
}

static int vector_not_found_response(const char *directory) {
    vector_file file;
    Gongzhi__Rpc__V1__Response response = GONGZHI__RPC__V1__RESPONSE__INIT;
    Gongzhi__Rpc__V1__Status status = GONGZHI__RPC__V1__STATUS__INIT;
    Gongzhi__Rpc__V1__Response *decoded;
    gz_frame_header header;
    uint8_t *encoded = NULL, *data;
    size_t length = 0;
    int encoded_ok;

    begin_vector(directory, "not-found-response.frame", &file);
    status.code = GZ_NOT_FOUND;
    status.message = NOT_FOUND_MESSAGE;
    response.status = &status;
    encoded_ok = gz_frame_encode(5, GZ_FRAME_RESPONSE, 0, &response.base, &encoded, &length) == 0;
    compare_and_free(encoded, length, encoded_ok, &file);

    data = decode_frame(file.bytes, file.length, &header);
    if (data != NULL) {
        check_header(&header, file.length, 5, GZ_FRAME_RESPONSE, 0);
        decoded = gongzhi__rpc__v1__response__unpack(NULL, header.length, data);
        CHECK(decoded != NULL);
        if (decoded != NULL) {
            CHECK(decoded->status != NULL);
            if (decoded->status != NULL) {
                CHECK_STR(gz_status_name(decoded->status->code), "NOT_FOUND");
                CHECK_STR(decoded->status->message, NOT_FOUND_MESSAGE);
                CHECK(decoded->status->n_details == 0);
            }
            CHECK(decoded->payload.len == 0);
            CHECK(decoded->n_metadata == 0);
            gongzhi__rpc__v1__response__free_unpacked(decoded, NULL);
        }
        free(data);
    }
    free(file.bytes);
    return finish_vector(file.length);
}

static int vector_close_send(const char *directory) {
    vector_file file;
    gz_frame_header header;
    uint8_t *encoded = NULL, *data;
    size_t length = 0;
    int encoded_ok;

    begin_vector(directory, "close-send.frame", &file);
    encoded_ok =
        gz_frame_encode(7, GZ_FRAME_DATA, GZ_FLAG_REMOTE_CLOSED | GZ_FLAG_NO_DATA, NULL, &encoded, &length) == 0;
    compare_and_free(encoded, length, encoded_ok, &file);
    data = decode_frame(file.bytes, file.length, &header);
    if (data != NULL) {
        check_header(&header, file.length, 7, GZ_FRAME_DATA, GZ_FLAG_REMOTE_CLOSED | GZ_FLAG_NO_DATA);
        CHECK(header.length == 0);
        free(data);
    }
    free(file.bytes);
    return finish_vector(file.length);
}

/* All frame files back to back, fed one byte at a time: each frame comes out once, in order. */
static int frames_back_to_back(const char *directory) {
    static const char *const names[6] = {
        "unary-request.frame",         "check-ok-response.frame",  "register-request.frame",
        "registration-accepted.frame", "not-found-response.frame", "close-send.frame",
    };
    static const uint32_t streams[6] = {1, 1, 3, 3, 5, 7};
    static const uint8_t types[6] = {GZ_FRAME_REQUEST, GZ_FRAME_RESPONSE, GZ_FRAME_REQUEST,
                                     GZ_FRAME_DATA,    GZ_FRAME_RESPONSE, GZ_FRAME_DATA};
    static const uint8_t flags[6] = {0, 0, GZ_FLAG_REMOTE_CLOSED, 0, 0, GZ_FLAG_REMOTE_CLOSED | GZ_FLAG_NO_DATA};
    gz_frame_decoder decoder;
    size_t frames = 0;
    size_t i, total = 0;

    current_vector = "all frames back to back";
    vector_failed = 0;
    gz_frame_decoder_init(&decoder, 0);
    for (i = 0; i < 6; i++) {
        size_t length, offset;
        uint8_t *bytes = read_vector(directory, names[i], &length);
        total += length;
        for (offset = 0; offset < length; offset++) {
            size_t consumed = 0;
            gz_frame_header header;
            const uint8_t *data = NULL;
            gz_decode_result result =
                gz_frame_decoder_feed(&decoder, bytes + offset, 1, &consumed, &header, &data, NULL);
            CHECK(consumed == 1);
            if (result == GZ_DECODE_FRAME) {
                CHECK(frames == i && offset == length - 1);
                CHECK(header.stream_id == streams[i]);
                CHECK(header.type == types[i]);
                CHECK(header.flags == flags[i]);
                CHECK((size_t)header.length == length - GZ_FRAME_HEADER_SIZE);
                CHECK(header.length == 0 || memcmp(data, bytes + GZ_FRAME_HEADER_SIZE, header.length) == 0);
                frames++;
            } else {
                CHECK(result == GZ_DECODE_NEED_MORE);
            }
        }
        free(bytes);
    }
    CHECK(frames == 6);
    CHECK(!gz_frame_decoder_mid_frame(&decoder));
    gz_frame_decoder_free(&decoder);
    return finish_vector(total);
}

int main(int argc, char **argv) {
    const char *directory = argc > 1 ? argv[1] : VECTORS_DIR;
    int failed = 0;

    init_location();
    failed += vector_check_request(directory);
    failed += vector_check_response(directory);
    failed += vector_unary_request(directory);
    failed += vector_check_ok_response(directory);
    failed += vector_register_request(directory);
    failed += vector_registration_accepted(directory);
    failed += vector_not_found_response(directory);
    failed += vector_close_send(directory);
    failed += frames_back_to_back(directory);
    if (failed > 0) {
        printf("%d of 9 vector checks failed\n", failed);
        return 1;
    }
    printf("all 9 vector checks passed\n");
    return 0;
}
