/* Serving calls: requests decoded from frames, dispatched to handlers, and answered. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Each allocation carries its size in front, aligned for any type. */
#define GZ_BUDGET_HEADER 16u
/* Payloads at least this large are read where they arrived rather than copied out of the envelope. */
#define GZ_SHARED_PAYLOAD_MIN ((size_t)16 << 10)

/* Allocates from a budget; NULL (and the budget marked exceeded) when it would go over. */
static void *budget_alloc(void *data, size_t size) {
    gz_budget *budget = data;
    uint8_t *block;
    if (size > budget->limit - budget->used || budget->limit - budget->used - size < GZ_BUDGET_HEADER) {
        budget->exceeded = 1;
        return NULL;
    }
    block = malloc(size + GZ_BUDGET_HEADER);
    if (block == NULL) {
        budget->exceeded = 1;
        return NULL;
    }
    memcpy(block, &size, sizeof size);
    budget->used += size + GZ_BUDGET_HEADER;
    return block + GZ_BUDGET_HEADER;
}

/* Gives an allocation back to its budget. */
static void budget_free(void *data, void *pointer) {
    gz_budget *budget = data;
    uint8_t *block;
    size_t size;
    if (pointer == NULL) {
        return;
    }
    block = (uint8_t *)pointer - GZ_BUDGET_HEADER;
    memcpy(&size, block, sizeof size);
    budget->used -= size + GZ_BUDGET_HEADER;
    free(block);
}

/* A protobuf-c allocator drawing on `budget`. */
ProtobufCAllocator gz_budget_allocator(gz_budget *budget) {
    ProtobufCAllocator allocator;
    allocator.alloc = budget_alloc;
    allocator.free = budget_free;
    allocator.allocator_data = budget;
    return allocator;
}

/* Formats into a new string; NULL when memory runs out. */
static char *format_message(const char *format, va_list arguments) {
    va_list copy;
    int length;
    char *text;
    va_copy(copy, arguments);
    length = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (length < 0) {
        return NULL;
    }
    text = malloc((size_t)length + 1);
    if (text != NULL) {
        vsnprintf(text, (size_t)length + 1, format, arguments);
    }
    return text;
}

/* Formats into a new string (printf style). */
static char *format_text(const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static char *format_text(const char *format, ...) {
    va_list arguments;
    char *text;
    va_start(arguments, format);
    text = format_message(format, arguments);
    va_end(arguments);
    return text;
}

/* Queues a response frame: the status, and the payload when the status is OK. */
void gz_conn_respond(gz_server *server, gz_conn *conn, uint32_t stream_id, int code, const char *message,
                     const uint8_t *payload, size_t payload_length) {
    Gongzhi__Rpc__V1__Response response = GONGZHI__RPC__V1__RESPONSE__INIT;
    Gongzhi__Rpc__V1__Status status = GONGZHI__RPC__V1__STATUS__INIT;
    int queued;
    size_t size;

    status.code = code;
    status.message = (char *)(message != NULL ? message : "");
    response.status = &status;
    if (code == GZ_OK && payload_length > 0) {
        response.payload.data = (uint8_t *)payload;
        response.payload.len = payload_length;
    }
    size = protobuf_c_message_get_packed_size(&response.base);
    if (size > server->max_data) {
        char text[160];
        snprintf(text, sizeof text, "the response with its metadata is %zu bytes, over the %u-byte frame limit",
                 size, (unsigned)server->max_data);
        response.payload.data = NULL;
        response.payload.len = 0;
        status.code = GZ_RESOURCE_EXHAUSTED;
        status.message = text;
        queued = gz_conn_queue_frame(conn, stream_id, GZ_FRAME_RESPONSE, 0, &response.base);
    } else {
        /* Packed straight into the connection's output: the payload is copied once, there. */
        queued = gz_conn_queue_frame(conn, stream_id, GZ_FRAME_RESPONSE, 0, &response.base);
    }
    if (queued != 0) {
        gz_log(server, GZ_LOG_ERROR, "cannot encode a response on stream %u: out of memory; closing the connection",
               (unsigned)stream_id);
        conn->dead = 1;
    }
}

/* Answers a call with an error whose message is formatted here. */
static void respond_error(gz_server *server, gz_conn *conn, uint32_t stream_id, int code, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static void respond_error(gz_server *server, gz_conn *conn, uint32_t stream_id, int code, const char *format, ...) {
    va_list arguments;
    char *message;
    va_start(arguments, format);
    message = format_message(format, arguments);
    va_end(arguments);
    gz_log(server, GZ_LOG_DEBUG, "refusing the call on stream %u: %s: %s", (unsigned)stream_id,
           gz_status_name(code), message != NULL ? message : "(out of memory)");
    gz_conn_respond(server, conn, stream_id, code, message != NULL ? message : gz_status_name(code), NULL, 0);
    free(message);
}

/* Appends `text` to a growing list separated by ", "; returns the new list or NULL. */
static char *append_name(char *list, const char *text) {
    size_t old_length = list != NULL ? strlen(list) : 0;
    size_t add = strlen(text);
    char *grown = realloc(list, old_length + add + 3);
    if (grown == NULL) {
        free(list);
        return NULL;
    }
    if (old_length > 0) {
        memcpy(grown + old_length, ", ", 2);
        old_length += 2;
    }
    memcpy(grown + old_length, text, add + 1);
    return grown;
}

/* Compares strings for qsort. */
static int compare_names(const void *left, const void *right) {
    return strcmp(*(const char *const *)left, *(const char *const *)right);
}

/* The sorted, comma-separated names of the services served, or of one service's methods; NULL on no memory. */
static char *served_names(const gz_server *server, const char *service) {
    const char **names = malloc((server->method_count + 1) * sizeof *names);
    size_t count = 0, i;
    char *list = NULL;
    if (names == NULL) {
        return NULL;
    }
    for (i = 0; i < server->method_count; i++) {
        const char *name = service != NULL ? server->methods[i].method : server->methods[i].service;
        size_t j;
        int seen = 0;
        if (service != NULL && strcmp(server->methods[i].service, service) != 0) {
            continue;
        }
        for (j = 0; j < count; j++) {
            seen |= strcmp(names[j], name) == 0;
        }
        if (!seen) {
            names[count++] = name;
        }
    }
    qsort(names, count, sizeof *names, compare_names);
    list = append_name(NULL, "");
    for (i = 0; i < count && list != NULL; i++) {
        list = append_name(list, names[i]);
    }
    free(names);
    return list;
}

/* Finds a method; sets *service_known when the service exists. */
static const gz_method *find_method(const gz_server *server, const char *service, const char *method,
                                    int *service_known) {
    size_t i;
    *service_known = 0;
    for (i = 0; i < server->method_count; i++) {
        if (strcmp(server->methods[i].service, service) == 0) {
            *service_known = 1;
            if (strcmp(server->methods[i].method, method) == 0) {
                return &server->methods[i];
            }
        }
    }
    return NULL;
}

/* Refuses a call to a service or method not served, naming what is. */
static void respond_unimplemented(gz_server *server, gz_conn *conn, uint32_t stream_id, const char *service,
                                  const char *method, int service_known) {
    char *served = served_names(server, service_known ? service : NULL);
    const char *list = served != NULL ? served : "";
    if (!service_known) {
        respond_error(server, conn, stream_id, GZ_UNIMPLEMENTED, "service %s is not served here%s%s%s",
                      service[0] ? service : "(empty name)", list[0] ? " (served: " : "", list, list[0] ? ")" : "");
    } else {
        respond_error(server, conn, stream_id, GZ_UNIMPLEMENTED, "%s has no method %s (it has: %s)", service,
                      method[0] ? method : "(empty name)", list);
    }
    free(served);
}

/* True (with the refusal in `message`) for a caller that is not the host's process, root's included, or without a
 * host pid not of this user. The plugin trusts the caller metadata the host adds, so nothing may reach it around the
 * host. */
static int peer_refused(const gz_server *server, const gz_conn *conn, char *message, size_t size) {
    if (conn->fd < 0) {
        return 0;
    }
    if (server->host_pid > 0) {
        if ((long)conn->pid == server->host_pid) {
            return 0;
        }
        snprintf(message, size, "this plugin serves its host (pid %ld) only; call it through the host's host.sock",
                 server->host_pid);
        return 1;
    }
    if (conn->uid == getuid()) {
        return 0;
    }
    snprintf(message, size, "this plugin serves processes of its own user (uid %ld) only; call it through the host",
             (long)getuid());
    return 1;
}

/* Runs one decoded request: checks, payload decoding, the handler, and the answer. */
static void serve_request(gz_server *server, gz_conn *conn, uint32_t stream_id, uint8_t flags,
                          const Gongzhi__Rpc__V1__Request *request, gz_budget *budget) {
    ProtobufCAllocator allocator = gz_budget_allocator(budget);
    const char *service = request->service != NULL ? request->service : "";
    const char *method_name = request->method != NULL ? request->method : "";
    const gz_method *method;
    ProtobufCMessage *input = NULL;
    gz_call call;
    char refusal[200];
    int service_known;

    if (server->stopping) {
        respond_error(server, conn, stream_id, GZ_UNAVAILABLE, "the server is shutting down; retry on a new connection");
        return;
    }
    if (peer_refused(server, conn, refusal, sizeof refusal)) {
        respond_error(server, conn, stream_id, GZ_PERMISSION_DENIED, "%s", refusal);
        return;
    }
    method = find_method(server, service, method_name, &service_known);
    if (method == NULL) {
        respond_unimplemented(server, conn, stream_id, service, method_name, service_known);
        return;
    }
    if ((flags & GZ_FLAG_REMOTE_OPEN) && (flags & GZ_FLAG_REMOTE_CLOSED)) {
        respond_error(server, conn, stream_id, GZ_INVALID_ARGUMENT,
                      "a request cannot be both remote-open and remote-closed");
        return;
    }
    if (flags & GZ_FLAG_REMOTE_OPEN) {
        respond_error(server, conn, stream_id, GZ_INVALID_ARGUMENT,
                      "%s/%s is a unary method, but the request announced a stream of requests", service, method_name);
        return;
    }
    memset(&call, 0, sizeof call);
    call.server = server;
    call.conn = conn;
    call.request = request;
    if (request->timeout_nano > 0) {
        call.has_deadline = 1;
        call.deadline = gz_after_ns(request->timeout_nano);
    }
    if (method->input != NULL) {
        input = protobuf_c_message_unpack(method->input, &allocator, request->payload.len, request->payload.data);
        if (input == NULL) {
            if (budget->exceeded) {
                respond_error(server, conn, stream_id, GZ_RESOURCE_EXHAUSTED,
                              "decoding the payload as %s (%zu bytes) needs more than the %zu MiB a call may use",
                              method->input->name, request->payload.len, GZ_CALL_MEMORY_BUDGET >> 20);
            } else {
                respond_error(server, conn, stream_id, GZ_INVALID_ARGUMENT, "the payload is not a valid %s (%zu bytes)",
                              method->input->name, request->payload.len);
            }
            return;
        }
    }
    if (call.has_deadline && gz_ns_until(call.deadline) <= 0) {
        respond_error(server, conn, stream_id, GZ_DEADLINE_EXCEEDED,
                      "%s/%s was not started: the caller's deadline had passed", service, method_name);
    } else {
        method->handler(&call, input, method->user_data);
        if (call.has_deadline && gz_ns_until(call.deadline) < 0) {
            respond_error(server, conn, stream_id, GZ_DEADLINE_EXCEEDED,
                          "%s/%s took longer than the caller's deadline", service, method_name);
        } else if (!call.answered) {
            gz_log(server, GZ_LOG_ERROR, "the handler of %s/%s returned without answering", service, method_name);
            respond_error(server, conn, stream_id, GZ_INTERNAL, "the handler of %s/%s returned without answering",
                          service, method_name);
        } else {
            gz_conn_respond(server, conn, stream_id, call.code, call.message, call.payload, call.payload_length);
        }
    }
    if (input != NULL) {
        protobuf_c_message_free_unpacked(input, &allocator);
    }
    free(call.message);
    free(call.payload);
}

/* Reads a varint of at most ten bytes at `*offset`, advancing it; -1 when it runs past `length` or is too long. */
static int read_varint(const uint8_t *data, size_t length, size_t *offset, uint64_t *value) {
    uint64_t result = 0;
    unsigned shift = 0;
    size_t index = *offset;
    while (index < length && shift < 64) {
        uint8_t byte = data[index++];
        result |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *offset = index;
            *value = result;
            return 0;
        }
        shift += 7;
    }
    return -1;
}

/* Finds the payload (field 3) of a serialized Request, to take it out of the envelope without a copy: its last
 * occurrence, from its key (`*field_start`) and its bytes (`*value_start`) to `*end`. -1 when there is none, and also
 * when the envelope is anything but a plain run of well-formed fields of wire types 0, 1, 2 and 5 or holds field 3
 * with another wire type: protobuf-c then decodes the whole envelope, and says what is wrong with it. */
static int find_payload(const uint8_t *data, size_t length, size_t *field_start, size_t *value_start, size_t *end) {
    size_t offset = 0;
    int found = 0;
    while (offset < length) {
        size_t start = offset;
        uint64_t key, skip;
        if (read_varint(data, length, &offset, &key) != 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) {
            return -1;
        }
        switch (key & 7) {
        case 0:
            if ((key >> 3) == 3 || read_varint(data, length, &offset, &skip) != 0) {
                return -1;
            }
            break;
        case 1:
        case 5:
            skip = (key & 7) == 1 ? 8 : 4;
            if ((key >> 3) == 3 || length - offset < skip) {
                return -1;
            }
            offset += (size_t)skip;
            break;
        case 2:
            if (read_varint(data, length, &offset, &skip) != 0 || skip > length - offset) {
                return -1;
            }
            if ((key >> 3) == 3) {
                *field_start = start;
                *value_start = offset;
                *end = offset + (size_t)skip;
                found = 1;
            }
            offset += (size_t)skip;
            break;
        default:
            return -1;
        }
    }
    return found ? 0 : -1;
}

/* Decodes a request envelope. A payload of GZ_SHARED_PAYLOAD_MIN bytes or more is not copied: the rest of the
 * envelope is decoded on its own (a few bytes copied aside), and the payload points into `data`, which outlives
 * the call. `*shared` tells free_request to leave it alone. */
static Gongzhi__Rpc__V1__Request *decode_request(ProtobufCAllocator *allocator, const uint8_t *data, size_t length,
                                                 int *shared) {
    Gongzhi__Rpc__V1__Request *request;
    size_t field_start, value_start, end, rest;
    uint8_t *others;

    *shared = 0;
    if (length < GZ_SHARED_PAYLOAD_MIN || find_payload(data, length, &field_start, &value_start, &end) != 0 ||
        end - value_start < GZ_SHARED_PAYLOAD_MIN) {
        return gongzhi__rpc__v1__request__unpack(allocator, length, data);
    }
    rest = length - (end - field_start);
    others = malloc(rest > 0 ? rest : 1);
    if (others == NULL) {
        return gongzhi__rpc__v1__request__unpack(allocator, length, data);
    }
    memcpy(others, data, field_start);
    memcpy(others + field_start, data + end, length - end);
    /* protobuf-c copies every field it keeps, so the bytes aside can go at once. */
    request = gongzhi__rpc__v1__request__unpack(allocator, rest, others);
    free(others);
    if (request == NULL) {
        return NULL;
    }
    if (request->payload.data != NULL) {
        /* An earlier occurrence of the payload, which the last one replaces. */
        allocator->free(allocator->allocator_data, request->payload.data);
    }
    request->payload.data = (uint8_t *)data + value_start;
    request->payload.len = end - value_start;
    *shared = 1;
    return request;
}

/* Frees a request from decode_request. */
static void free_request(ProtobufCAllocator *allocator, Gongzhi__Rpc__V1__Request *request, int shared) {
    if (shared) {
        request->payload.data = NULL;
        request->payload.len = 0;
    }
    gongzhi__rpc__v1__request__free_unpacked(request, allocator);
}

/* Handles one whole request frame. */
static void serve_request_frame(gz_server *server, gz_conn *conn, const gz_frame_header *header, const uint8_t *data) {
    gz_budget budget = {0, GZ_CALL_MEMORY_BUDGET, 0};
    ProtobufCAllocator allocator = gz_budget_allocator(&budget);
    Gongzhi__Rpc__V1__Request *request;
    int shared;

    if (header->stream_id % 2 == 0) {
        respond_error(server, conn, header->stream_id, GZ_INVALID_ARGUMENT,
                      "stream id %u is even; clients must use odd stream ids", (unsigned)header->stream_id);
        return;
    }
    request = decode_request(&allocator, data, header->length, &shared);
    if (request == NULL) {
        if (budget.exceeded) {
            respond_error(server, conn, header->stream_id, GZ_RESOURCE_EXHAUSTED,
                          "decoding the ttrpc Request envelope (%u bytes) needs more than the %zu MiB a call may use",
                          (unsigned)header->length, GZ_CALL_MEMORY_BUDGET >> 20);
        } else {
            respond_error(server, conn, header->stream_id, GZ_INVALID_ARGUMENT,
                          "the request frame does not hold a valid ttrpc Request envelope (%u bytes)",
                          (unsigned)header->length);
        }
        return;
    }
    serve_request(server, conn, header->stream_id, header->flags, request, &budget);
    free_request(&allocator, request, shared);
}

/* The name of a frame type, as the Swift side spells it. */
static const char *frame_type_name(uint8_t type, char *buffer, size_t size) {
    switch (type) {
    case GZ_FRAME_REQUEST: return "request";
    case GZ_FRAME_RESPONSE: return "response";
    case GZ_FRAME_DATA: return "data";
    default: snprintf(buffer, size, "unknown(%u)", (unsigned)type); return buffer;
    }
}

/* Decodes bytes from a caller and answers each whole request. */
void gz_serve_input(gz_server *server, gz_conn *conn, const uint8_t *bytes, size_t length) {
    while (length > 0 && !conn->dead) {
        gz_frame_header header;
        const uint8_t *data = NULL;
        const char *error = NULL;
        size_t consumed = 0;
        char type_name[24];
        gz_decode_result result =
            gz_frame_decoder_feed(&conn->decoder, bytes, length, &consumed, &header, &data, &error);
        bytes += consumed;
        length -= consumed;
        switch (result) {
        case GZ_DECODE_NEED_MORE:
            return;
        case GZ_DECODE_ERROR:
            gz_log(server, GZ_LOG_WARNING, "closing connection: %s", error != NULL ? error : "bad framing");
            conn->dead = 1;
            return;
        case GZ_DECODE_NO_MEMORY:
            gz_log(server, GZ_LOG_ERROR, "closing connection: no memory for a frame of %u bytes",
                   (unsigned)conn->decoder.header.length);
            conn->dead = 1;
            return;
        case GZ_DECODE_OVERSIZED:
            gz_log(server, GZ_LOG_WARNING, "a %s frame of %u bytes is over the %u-byte limit; its data were discarded",
                   frame_type_name(header.type, type_name, sizeof type_name), (unsigned)header.length,
                   (unsigned)conn->decoder.max_data);
            if (header.type == GZ_FRAME_REQUEST && header.stream_id % 2 == 1) {
                respond_error(server, conn, header.stream_id, GZ_RESOURCE_EXHAUSTED,
                              "a request frame of %u bytes is over the %u-byte limit; its data were discarded",
                              (unsigned)header.length, (unsigned)conn->decoder.max_data);
            }
            break;
        case GZ_DECODE_FRAME:
            if (header.type == GZ_FRAME_REQUEST) {
                serve_request_frame(server, conn, &header, data);
            } else if (header.type == GZ_FRAME_DATA) {
                /* Every call is unary and already answered: late data are dropped. */
            } else if (header.stream_id % 2 == 1 && header.type != GZ_FRAME_RESPONSE) {
                respond_error(server, conn, header.stream_id, GZ_INVALID_ARGUMENT,
                              "unknown frame type %s; a server accepts request and data frames",
                              frame_type_name(header.type, type_name, sizeof type_name));
            }
            break;
        }
    }
}

/* Records an answer; -1 when the call was answered already. */
static int answer(gz_call *call, int code, char *message, uint8_t *payload, size_t payload_length) {
    if (call->answered) {
        free(message);
        free(payload);
        return -1;
    }
    call->answered = 1;
    call->code = code;
    call->message = message;
    call->payload = payload;
    call->payload_length = payload_length;
    return 0;
}

/* Answers OK with raw bytes, or RESOURCE_EXHAUSTED when they do not fit a frame. */
int gz_call_reply_bytes(gz_call *call, const uint8_t *bytes, size_t length) {
    uint8_t *copy;
    if (call->answered) {
        return -1;
    }
    if (length > call->server->max_data) {
        answer(call, GZ_RESOURCE_EXHAUSTED,
               format_text("a response message of %zu bytes is over the %u-byte frame limit", length,
                           (unsigned)call->server->max_data),
               NULL, 0);
        return -1;
    }
    copy = malloc(length > 0 ? length : 1);
    if (copy == NULL) {
        answer(call, GZ_RESOURCE_EXHAUSTED, format_text("no memory for a response of %zu bytes", length), NULL, 0);
        return -1;
    }
    if (length > 0) {
        memcpy(copy, bytes, length);
    }
    return answer(call, GZ_OK, NULL, copy, length);
}

/* Answers OK with a packed message. */
int gz_call_reply(gz_call *call, const ProtobufCMessage *response) {
    size_t size;
    uint8_t *packed;
    if (call->answered) {
        return -1;
    }
    size = response != NULL ? protobuf_c_message_get_packed_size(response) : 0;
    if (size > call->server->max_data) {
        return gz_call_reply_bytes(call, NULL, size);
    }
    packed = malloc(size > 0 ? size : 1);
    if (packed == NULL) {
        answer(call, GZ_RESOURCE_EXHAUSTED, format_text("no memory for a response of %zu bytes", size), NULL, 0);
        return -1;
    }
    if (size > 0) {
        protobuf_c_message_pack(response, packed);
    }
    return answer(call, GZ_OK, NULL, packed, size);
}

/* Answers with an error status and a formatted message. */
int gz_call_fail(gz_call *call, gz_status_code code, const char *format, ...) {
    va_list arguments;
    char *message;
    if (call->answered) {
        return -1;
    }
    va_start(arguments, format);
    message = format_message(format, arguments);
    va_end(arguments);
    if (code == GZ_OK) {
        code = GZ_UNKNOWN;
    }
    return answer(call, code, message, NULL, 0);
}

/* The call's raw payload. */
const uint8_t *gz_call_payload(const gz_call *call, size_t *length) {
    if (length != NULL) {
        *length = call->request->payload.len;
    }
    return call->request->payload.data;
}

/* The called service. */
const char *gz_call_service(const gz_call *call) { return call->request->service; }

/* The called method. */
const char *gz_call_method(const gz_call *call) { return call->request->method; }

/* The first metadata value under `key`. */
const char *gz_call_metadata(const gz_call *call, const char *key) {
    size_t i;
    for (i = 0; i < call->request->n_metadata; i++) {
        const Gongzhi__Rpc__V1__KeyValue *entry = call->request->metadata[i];
        if (entry->key != NULL && strcmp(entry->key, key) == 0) {
            return entry->value != NULL ? entry->value : "";
        }
    }
    return NULL;
}

/* Who called, as the host verified it. */
const char *gz_call_caller(const gz_call *call) { return gz_call_metadata(call, "gongzhi-caller"); }

/* Milliseconds left before the deadline, 0 once passed, -1 without one. */
int64_t gz_call_remaining_ms(const gz_call *call) {
    int64_t left;
    if (!call->has_deadline) {
        return -1;
    }
    left = gz_ns_until(call->deadline) / 1000000;
    return left > 0 ? left : 0;
}

/* The server the call came to. */
const gz_server *gz_call_server(const gz_call *call) { return call->server; }
