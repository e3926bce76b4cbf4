/* ttrpc frames: the 10-byte header, whole-frame encoding, and the incremental decoder. */
#include <stdlib.h>
#include <string.h>

#include "gongzhi_plugin.h"

/* The largest length a ttrpc header can declare: its first byte is reserved and zero. */
#define GZ_FRAME_LENGTH_LIMIT 0x00FFFFFFu
/* A data buffer larger than this is given back once a smaller frame arrives. */
#define GZ_DECODER_KEEP_CAPACITY (64u << 10)

static const char gz_not_ttrpc[] =
    "received bytes that are not ttrpc framing (a frame header declared 16 MiB or more of data; the first "
    "header byte must be zero); closing the connection";
static const char gz_decoder_failed[] = "the frame decoder stopped after an earlier error";

/* Writes a 32-bit big-endian integer. */
static void put_u32(uint8_t *out, uint32_t value) {
    out[0] = (uint8_t)(value >> 24);
    out[1] = (uint8_t)(value >> 16);
    out[2] = (uint8_t)(value >> 8);
    out[3] = (uint8_t)value;
}

/* Reads a 32-bit big-endian integer. */
static uint32_t get_u32(const uint8_t *in) {
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

/* Writes the header's 10 bytes. */
void gz_frame_header_encode(const gz_frame_header *header, uint8_t out[GZ_FRAME_HEADER_SIZE]) {
    put_u32(out, header->length);
    put_u32(out + 4, header->stream_id);
    out[8] = header->type;
    out[9] = header->flags;
}

/* Reads 10 bytes into a header. */
void gz_frame_header_decode(const uint8_t in[GZ_FRAME_HEADER_SIZE], gz_frame_header *header) {
    header->length = get_u32(in);
    header->stream_id = get_u32(in + 4);
    header->type = in[8];
    header->flags = in[9];
}

/* Encodes a header and a packed message into one new buffer. */
int gz_frame_encode(uint32_t stream_id, uint8_t type, uint8_t flags, const ProtobufCMessage *message,
                    uint8_t **out, size_t *out_length) {
    size_t size = message != NULL ? protobuf_c_message_get_packed_size(message) : 0;
    gz_frame_header header;
    uint8_t *buffer;

    *out = NULL;
    *out_length = 0;
    if (size > GZ_FRAME_MAX_DATA) {
        return -1;
    }
    buffer = malloc(GZ_FRAME_HEADER_SIZE + size + 1);
    if (buffer == NULL) {
        return -1;
    }
    header.length = (uint32_t)size;
    header.stream_id = stream_id;
    header.type = type;
    header.flags = flags;
    gz_frame_header_encode(&header, buffer);
    if (size > 0 && protobuf_c_message_pack(message, buffer + GZ_FRAME_HEADER_SIZE) != size) {
        free(buffer);
        return -1;
    }
    *out = buffer;
    *out_length = GZ_FRAME_HEADER_SIZE + size;
    return 0;
}

/* Prepares a decoder with its data limit (at most what a header can declare). */
void gz_frame_decoder_init(gz_frame_decoder *decoder, uint32_t max_data) {
    memset(decoder, 0, sizeof *decoder);
    if (max_data == 0) {
        max_data = GZ_FRAME_MAX_DATA;
    }
    decoder->max_data = max_data > GZ_FRAME_LENGTH_LIMIT ? GZ_FRAME_LENGTH_LIMIT : max_data;
}

/* Frees the decoder's data buffer. */
void gz_frame_decoder_free(gz_frame_decoder *decoder) {
    free(decoder->data);
    decoder->data = NULL;
    decoder->data_capacity = 0;
    decoder->data_filled = 0;
}

/* True while part of a frame is held or an oversized frame is being skipped. */
int gz_frame_decoder_mid_frame(const gz_frame_decoder *decoder) {
    return decoder->header_filled > 0 || decoder->skip_remaining > 0;
}

/* Makes room for `length` bytes of data, reusing the buffer unless it is much larger than needed. */
static int reserve_data(gz_frame_decoder *decoder, size_t length) {
    uint8_t *buffer;
    if (decoder->data != NULL && decoder->data_capacity >= length &&
        (decoder->data_capacity <= GZ_DECODER_KEEP_CAPACITY || length > GZ_DECODER_KEEP_CAPACITY)) {
        return 0;
    }
    free(decoder->data);
    decoder->data = NULL;
    decoder->data_capacity = 0;
    buffer = malloc(length > 0 ? length : 1);
    if (buffer == NULL) {
        return -1;
    }
    decoder->data = buffer;
    decoder->data_capacity = length;
    return 0;
}

/* Consumes input up to the next whole frame, oversized header, or error. */
gz_decode_result gz_frame_decoder_feed(gz_frame_decoder *decoder, const uint8_t *input, size_t length,
                                       size_t *consumed, gz_frame_header *frame_header,
                                       const uint8_t **frame_data, const char **error) {
    size_t used = 0;

    *consumed = 0;
    if (frame_data != NULL) {
        *frame_data = NULL;
    }
    if (decoder->failed) {
        if (error != NULL) {
            *error = decoder->failed == 2 ? gz_not_ttrpc : gz_decoder_failed;
        }
        return GZ_DECODE_ERROR;
    }
    if (decoder->skip_remaining > 0) {
        size_t skipped = length - used;
        if ((uint64_t)skipped > decoder->skip_remaining) {
            skipped = (size_t)decoder->skip_remaining;
        }
        used += skipped;
        decoder->skip_remaining -= skipped;
        if (decoder->skip_remaining > 0) {
            *consumed = used;
            return GZ_DECODE_NEED_MORE;
        }
    }
    if (decoder->header_filled < GZ_FRAME_HEADER_SIZE) {
        size_t wanted = GZ_FRAME_HEADER_SIZE - decoder->header_filled;
        size_t available = length - used;
        size_t taken = available < wanted ? available : wanted;
        if (taken > 0) {
            memcpy(decoder->header_bytes + decoder->header_filled, input + used, taken);
        }
        decoder->header_filled += taken;
        used += taken;
        if (decoder->header_filled < GZ_FRAME_HEADER_SIZE) {
            *consumed = used;
            return GZ_DECODE_NEED_MORE;
        }
        gz_frame_header_decode(decoder->header_bytes, &decoder->header);
        if (decoder->header.length > GZ_FRAME_LENGTH_LIMIT) {
            decoder->failed = 2;
            *consumed = used;
            if (error != NULL) {
                *error = gz_not_ttrpc;
            }
            return GZ_DECODE_ERROR;
        }
        if (decoder->header.length > decoder->max_data) {
            decoder->skip_remaining = decoder->header.length;
            decoder->header_filled = 0;
            *frame_header = decoder->header;
            *consumed = used;
            return GZ_DECODE_OVERSIZED;
        }
        if (reserve_data(decoder, decoder->header.length) != 0) {
            decoder->failed = 1;
            *consumed = used;
            return GZ_DECODE_NO_MEMORY;
        }
        decoder->data_filled = 0;
    }
    {
        size_t wanted = decoder->header.length - decoder->data_filled;
        size_t available = length - used;
        size_t taken = available < wanted ? available : wanted;
        if (taken > 0) {
            memcpy(decoder->data + decoder->data_filled, input + used, taken);
        }
        decoder->data_filled += taken;
        used += taken;
        *consumed = used;
        if (decoder->data_filled < decoder->header.length) {
            return GZ_DECODE_NEED_MORE;
        }
        decoder->header_filled = 0;
        decoder->data_filled = 0;
        *frame_header = decoder->header;
        if (frame_data != NULL) {
            *frame_data = decoder->data;
        }
        return GZ_DECODE_FRAME;
    }
}
