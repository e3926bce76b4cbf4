/* Registration with the host: the Register call, its events, and its end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "gongzhi/host/v1/registration.pb-c.h"

/* The stream the Register call uses: the first a client opens. */
#define GZ_REGISTER_STREAM 1u

/* Reads a protobuf varint at bytes[*at] (at most 10 bytes, not past `length`); -1 when it does not end. */
static int read_varint(const uint8_t *bytes, size_t length, size_t *at, uint64_t *value) {
    unsigned shift;
    *value = 0;
    for (shift = 0; shift < 64 && *at < length; shift += 7) {
        uint8_t byte = bytes[(*at)++];
        *value |= (uint64_t)(byte & 0x7fu) << shift;
        if ((byte & 0x80u) == 0) {
            return 0;
        }
    }
    return -1;
}

/* Checks the outer shape of a FileDescriptorSet (`repeated FileDescriptorProto file = 1`): whole fields of
 * the wire types protobuf has, at least one of them a file, and files length-delimited. */
int gz_descriptor_set_check(const uint8_t *bytes, size_t length, char *error, size_t error_size) {
    static const char what[] = "file_descriptor_set is not a serialized google.protobuf.FileDescriptorSet";
    static const char fix[] = "give the bytes that protoc --include_imports --descriptor_set_out writes";
    size_t at = 0, files = 0;
    while (at < length) {
        size_t start = at;
        uint64_t tag, value;
        unsigned wire_type;
        if (read_varint(bytes, length, &at, &tag) != 0) {
            snprintf(error, error_size, "%s: it ends inside a field's tag at byte %zu; %s", what, start, fix);
            return -1;
        }
        wire_type = (unsigned)(tag & 7u);
        if ((tag >> 3) == 0 || (wire_type != 0 && wire_type != 1 && wire_type != 2 && wire_type != 5) ||
            ((tag >> 3) == 1 && wire_type != 2)) {
            snprintf(error, error_size, "%s: at byte %zu there is field %llu with wire type %u; %s", what, start,
                     (unsigned long long)(tag >> 3), wire_type, fix);
            return -1;
        }
        if (wire_type == 0) {
            if (read_varint(bytes, length, &at, &value) != 0) {
                snprintf(error, error_size, "%s: the field at byte %zu runs past the end (%zu bytes); %s", what,
                         start, length, fix);
                return -1;
            }
            continue;
        }
        if (wire_type == 2) {
            if (read_varint(bytes, length, &at, &value) != 0) {
                value = UINT64_MAX;
            }
        } else {
            value = wire_type == 1 ? 8u : 4u;
        }
        if (value > length - at) {
            snprintf(error, error_size, "%s: the field at byte %zu runs past the end (%zu bytes); %s", what, start,
                     length, fix);
            return -1;
        }
        at += (size_t)value;
        files += (tag >> 3) == 1;
    }
    if (files == 0) {
        snprintf(error, error_size, "%s: it holds no files; %s", what, fix);
        return -1;
    }
    return 0;
}

/* Orders methods by name for qsort. */
static int compare_methods(const void *left, const void *right) {
    const Gongzhi__Host__V1__MethodDescription *const *a = left;
    const Gongzhi__Host__V1__MethodDescription *const *b = right;
    return strcmp((*a)->name, (*b)->name);
}

/* Packs the RegisterRequest: the plugin, its socket, and its services with their methods sorted by name. */
static int pack_register_request(const gz_server *server, uint8_t **out, size_t *out_length) {
    Gongzhi__Host__V1__RegisterRequest request = GONGZHI__HOST__V1__REGISTER_REQUEST__INIT;
    size_t count = server->method_count, services = 0, i, j;
    Gongzhi__Host__V1__ServiceDescription *service_items = calloc(count + 1, sizeof *service_items);
    Gongzhi__Host__V1__ServiceDescription **service_list = calloc(count + 1, sizeof *service_list);
    Gongzhi__Host__V1__MethodDescription *method_items = calloc(count + 1, sizeof *method_items);
    Gongzhi__Host__V1__MethodDescription **method_list = calloc(count + 1, sizeof *method_list);
    size_t used_methods = 0;
    int result = -1;

    *out = NULL;
    if (service_items == NULL || service_list == NULL || method_items == NULL || method_list == NULL) {
        goto done;
    }
    for (i = 0; i < count; i++) {
        const char *name = server->methods[i].service;
        int seen = strcmp(name, GZ_LIFECYCLE_SERVICE) == 0;
        Gongzhi__Host__V1__ServiceDescription *service;
        for (j = 0; j < services && !seen; j++) {
            seen = strcmp(service_list[j]->name, name) == 0;
        }
        if (seen) {
            continue;
        }
        service = &service_items[services];
        gongzhi__host__v1__service_description__init(service);
        service->name = (char *)name;
        service->methods = &method_list[used_methods];
        for (j = i; j < count; j++) {
            if (strcmp(server->methods[j].service, name) == 0) {
                Gongzhi__Host__V1__MethodDescription *method = &method_items[used_methods];
                gongzhi__host__v1__method_description__init(method);
                method->name = server->methods[j].method;
                method->kind = GONGZHI__HOST__V1__METHOD_DESCRIPTION__KIND__KIND_UNARY;
                method_list[used_methods++] = method;
                service->n_methods++;
            }
        }
        qsort(service->methods, service->n_methods, sizeof *service->methods, compare_methods);
        service_list[services++] = service;
    }
    request.name = server->name;
    request.version = server->version;
    request.protocol_version = (char *)GZ_PROTOCOL_VERSION;
    request.socket_path = server->socket_path;
    request.n_services = services;
    request.services = service_list;
    request.file_descriptor_set.data = server->file_descriptor_set;
    request.file_descriptor_set.len = server->file_descriptor_set_length;
    *out_length = protobuf_c_message_get_packed_size(&request.base);
    *out = malloc(*out_length + 1);
    if (*out != NULL) {
        protobuf_c_message_pack(&request.base, *out);
        result = 0;
    }
done:
    free(service_items);
    free(service_list);
    free(method_items);
    free(method_list);
    return result;
}

/* Queues the Register call on the host connection. */
static int queue_register_call(gz_server *server) {
    Gongzhi__Rpc__V1__Request envelope = GONGZHI__RPC__V1__REQUEST__INIT;
    Gongzhi__Rpc__V1__KeyValue token = GONGZHI__RPC__V1__KEY_VALUE__INIT;
    Gongzhi__Rpc__V1__KeyValue *metadata[1] = {&token};
    uint8_t *payload = NULL, *frame = NULL;
    size_t payload_length = 0, frame_length = 0, envelope_length;
    int result = -1;

    if (pack_register_request(server, &payload, &payload_length) != 0) {
        gz_log(server, GZ_LOG_ERROR, "cannot register: out of memory");
        return -1;
    }
    token.key = (char *)"gongzhi-token";
    token.value = server->token;
    envelope.service = (char *)"gongzhi.host.v1.Registration";
    envelope.method = (char *)"Register";
    envelope.payload.data = payload;
    envelope.payload.len = payload_length;
    envelope.n_metadata = 1;
    envelope.metadata = metadata;
    envelope_length = protobuf_c_message_get_packed_size(&envelope.base);
    if (envelope_length > GZ_FRAME_MAX_DATA) {
        gz_log(server, GZ_LOG_ERROR,
               "cannot register: the registration is %zu bytes, over the %u-byte frame limit (its "
               "file_descriptor_set is %zu bytes)",
               envelope_length, GZ_FRAME_MAX_DATA, server->file_descriptor_set_length);
    } else if (gz_frame_encode(GZ_REGISTER_STREAM, GZ_FRAME_REQUEST, GZ_FLAG_REMOTE_CLOSED, &envelope.base, &frame,
                               &frame_length) != 0 ||
               gz_conn_queue(server->host, frame, frame_length) != 0) {
        gz_log(server, GZ_LOG_ERROR, "cannot register: out of memory");
    } else {
        result = 0;
    }
    free(frame);
    free(payload);
    return result;
}

/* Connects to the host and queues the Register call. */
int gz_register_start(gz_server *server) {
    struct sockaddr_un address;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strcpy(address.sun_path, server->host_socket);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        gz_log(server, GZ_LOG_ERROR, "cannot register: the host at %s is unreachable: %s", server->host_socket,
               strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    server->host = gz_conn_new(fd, 0);
    if (server->host == NULL) {
        close(fd);
        gz_log(server, GZ_LOG_ERROR, "cannot register: out of memory");
        return -1;
    }
    if (gz_set_nonblocking(fd) != 0) {
        gz_log(server, GZ_LOG_ERROR, "cannot register: the host connection cannot be made non-blocking: %s",
               strerror(errno));
        return -1;
    }
    if (queue_register_call(server) != 0) {
        return -1;
    }
    return 0;
}

/* Logs an accepted registration with its grants. */
static void registration_accepted(gz_server *server, const Gongzhi__Host__V1__Accepted *accepted) {
    char grants[2048] = "";
    size_t used = 0, i;
    for (i = 0; i < accepted->n_grants && used < sizeof grants - 1; i++) {
        int wrote = snprintf(grants + used, sizeof grants - used, "%s%s", i > 0 ? "," : "", accepted->grants[i]);
        if (wrote < 0) {
            break;
        }
        used += (size_t)wrote;
    }
    server->accepted = 1;
    gz_log(server, GZ_LOG_INFO, "registered with the host grants=%s protocol=%s host-version=%s", grants,
           accepted->protocol_version != NULL ? accepted->protocol_version : "",
           accepted->host_version != NULL ? accepted->host_version : "");
}

/* Ends the registration with the host's final status, and stops the server accordingly. */
static void registration_ended(gz_server *server, int code, const char *message) {
    server->registration_over = 1;
    if (code != GZ_OK) {
        if (server->accepted) {
            gz_log(server, GZ_LOG_ERROR, "lost the host at %s: %s: %s", server->host_socket, gz_status_name(code),
                   message);
        } else {
            gz_log(server, GZ_LOG_ERROR, "the host at %s refused the registration: %s: %s", server->host_socket,
                   gz_status_name(code), message);
        }
        gz_server_begin_stop(server, 1, 1000);
    } else if (server->accepted) {
        gz_log(server, GZ_LOG_INFO, "the host ended the registration; exiting");
        gz_server_begin_stop(server, 0, GZ_DEFAULT_GRACE_MS);
    } else {
        gz_log(server, GZ_LOG_ERROR, "the host at %s ended the registration without accepting it",
               server->host_socket);
        gz_server_begin_stop(server, 1, 1000);
    }
}

/* Handles one whole frame from the host. */
static void host_frame(gz_server *server, const gz_frame_header *header, const uint8_t *data) {
    if (header->stream_id != GZ_REGISTER_STREAM || server->registration_over) {
        return;
    }
    if (header->type == GZ_FRAME_DATA) {
        Gongzhi__Host__V1__RegistrationEvent *event =
            gongzhi__host__v1__registration_event__unpack(NULL, header->length, data);
        if (event == NULL) {
            gz_log(server, GZ_LOG_WARNING, "ignoring a registration event that does not decode (%u bytes)",
                   (unsigned)header->length);
            return;
        }
        if (event->event_case == GONGZHI__HOST__V1__REGISTRATION_EVENT__EVENT_ACCEPTED && event->accepted != NULL) {
            registration_accepted(server, event->accepted);
        } else {
            gz_log(server, GZ_LOG_DEBUG, "ignoring a registration event this SDK does not know");
        }
        gongzhi__host__v1__registration_event__free_unpacked(event, NULL);
    } else if (header->type == GZ_FRAME_RESPONSE) {
        Gongzhi__Rpc__V1__Response *response = gongzhi__rpc__v1__response__unpack(NULL, header->length, data);
        if (response == NULL) {
            registration_ended(server, GZ_INTERNAL, "the host's response does not decode");
            return;
        }
        registration_ended(server, response->status != NULL ? response->status->code : GZ_OK,
                           response->status != NULL && response->status->message != NULL ? response->status->message
                                                                                          : "");
        gongzhi__rpc__v1__response__free_unpacked(response, NULL);
        server->host->dead = 1;
    }
}

/* Handles bytes from the host. */
void gz_register_input(gz_server *server, const uint8_t *bytes, size_t length) {
    gz_conn *host = server->host;
    while (length > 0 && !host->dead) {
        gz_frame_header header;
        const uint8_t *data = NULL;
        const char *error = NULL;
        size_t consumed = 0;
        gz_decode_result result = gz_frame_decoder_feed(&host->decoder, bytes, length, &consumed, &header, &data,
                                                        &error);
        bytes += consumed;
        length -= consumed;
        if (result == GZ_DECODE_FRAME) {
            host_frame(server, &header, data);
        } else if (result == GZ_DECODE_OVERSIZED) {
            gz_log(server, GZ_LOG_WARNING, "ignoring a frame of %u bytes from the host", (unsigned)header.length);
        } else if (result == GZ_DECODE_ERROR || result == GZ_DECODE_NO_MEMORY) {
            gz_log(server, GZ_LOG_ERROR, "the host's connection failed: %s", error != NULL ? error : "out of memory");
            host->dead = 1;
        }
    }
}

/* Handles the end of the host connection: the registration is over if it was not already. */
void gz_register_closed(gz_server *server) {
    if (server->registration_over) {
        return;
    }
    if (!server->accepted) {
        server->registration_over = 1;
        gz_log(server, GZ_LOG_ERROR, "the host at %s closed the connection before accepting the registration",
               server->host_socket);
        gz_server_begin_stop(server, 1, 1000);
        return;
    }
    registration_ended(server, GZ_UNAVAILABLE, "the connection closed");
}
