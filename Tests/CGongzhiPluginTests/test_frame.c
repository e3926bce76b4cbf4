/* Tests of frame headers, frame encoding, and the incremental frame decoder. */
#include "support.h"

/* A small deterministic pseudo-random generator. */
static uint32_t next_random(uint32_t *state) {
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

/* Appends one frame with `length` data bytes (each its index mod 251) to a buffer. */
static size_t put_frame(uint8_t *out, uint32_t stream_id, uint8_t type, uint8_t flags, uint32_t length) {
    gz_frame_header header = {length, stream_id, type, flags};
    uint32_t i;
    gz_frame_header_encode(&header, out);
    for (i = 0; i < length; i++) {
        out[GZ_FRAME_HEADER_SIZE + i] = (uint8_t)((i + stream_id) % 251);
    }
    return GZ_FRAME_HEADER_SIZE + length;
}

/* Checks a decoded frame against what put_frame wrote. */
static void check_frame(const gz_frame_header *header, const uint8_t *data, uint32_t stream_id, uint32_t length) {
    uint32_t i;
    CHECK(header->stream_id == stream_id);
    CHECK(header->length == length);
    CHECK(header->type == GZ_FRAME_REQUEST);
    CHECK(header->flags == GZ_FLAG_REMOTE_CLOSED);
    CHECK(data != NULL);
    for (i = 0; i < length; i++) {
        CHECK(data[i] == (uint8_t)((i + stream_id) % 251));
    }
}

/* Headers survive encoding and decoding, big-endian. */
static void header_round_trip(void) {
    gz_frame_header header = {0x00123456u, 0x89abcdefu, GZ_FRAME_DATA, GZ_FLAG_NO_DATA}, decoded;
    uint8_t bytes[GZ_FRAME_HEADER_SIZE];
    const uint8_t expected[GZ_FRAME_HEADER_SIZE] = {0x00, 0x12, 0x34, 0x56, 0x89, 0xab, 0xcd, 0xef, 3, 4};
    gz_frame_header_encode(&header, bytes);
    CHECK(memcmp(bytes, expected, sizeof bytes) == 0);
    gz_frame_header_decode(bytes, &decoded);
    CHECK(decoded.length == header.length && decoded.stream_id == header.stream_id);
    CHECK(decoded.type == header.type && decoded.flags == header.flags);
}

/* gz_frame_encode writes the header and the packed message; NULL gives an empty frame. */
static void encode_frames(void) {
    Gongzhi__Rpc__V1__Status status = GONGZHI__RPC__V1__STATUS__INIT;
    gz_frame_header header;
    uint8_t *frame;
    size_t length;
    Gongzhi__Rpc__V1__Status *decoded;
    status.code = 5;
    status.message = (char *)"missing";
    CHECK(gz_frame_encode(7, GZ_FRAME_RESPONSE, 0, &status.base, &frame, &length) == 0);
    gz_frame_header_decode(frame, &header);
    CHECK(header.length == length - GZ_FRAME_HEADER_SIZE && header.stream_id == 7 && header.type == 2);
    decoded = gongzhi__rpc__v1__status__unpack(NULL, header.length, frame + GZ_FRAME_HEADER_SIZE);
    CHECK(decoded != NULL && decoded->code == 5 && strcmp(decoded->message, "missing") == 0);
    gongzhi__rpc__v1__status__free_unpacked(decoded, NULL);
    free(frame);
    CHECK(gz_frame_encode(9, GZ_FRAME_DATA, GZ_FLAG_NO_DATA, NULL, &frame, &length) == 0);
    CHECK(length == GZ_FRAME_HEADER_SIZE);
    free(frame);
}

/* Decodes `stream` fed in pieces whose sizes come from `piece`, and checks the frames put_frame wrote. */
static void decode_in_pieces(const uint8_t *stream, size_t total, const uint32_t *lengths, size_t frames,
                             size_t (*piece)(uint32_t *state), uint32_t seed) {
    gz_frame_decoder decoder;
    size_t offset = 0, seen = 0;
    uint32_t state = seed;
    gz_frame_decoder_init(&decoder, 0);
    while (offset < total) {
        size_t size = piece(&state);
        size_t end = offset + size > total ? total : offset + size;
        while (offset < end) {
            gz_frame_header header;
            const uint8_t *data;
            size_t consumed;
            gz_decode_result result =
                gz_frame_decoder_feed(&decoder, stream + offset, end - offset, &consumed, &header, &data, NULL);
            offset += consumed;
            if (result == GZ_DECODE_FRAME) {
                CHECK(seen < frames);
                check_frame(&header, data, (uint32_t)(2 * seen + 1), lengths[seen]);
                seen++;
            } else {
                CHECK(result == GZ_DECODE_NEED_MORE);
                CHECK(offset == end);
            }
        }
    }
    CHECK(seen == frames);
    CHECK(!gz_frame_decoder_mid_frame(&decoder));
    gz_frame_decoder_free(&decoder);
}

/* One byte at a time. */
static size_t one_byte(uint32_t *state) {
    (void)state;
    return 1;
}

/* Random pieces of up to 300 bytes. */
static size_t random_piece(uint32_t *state) {
    return 1 + next_random(state) % 300;
}

/* Frames of assorted sizes, empty ones among them, come out whole whatever the splits. */
static void decode_split_input(void) {
    uint32_t lengths[12] = {0, 1, 9, 10, 11, 100, 0, 4096, 3, 700, 65, 1};
    size_t total = 0, i;
    uint8_t *stream = malloc(12 * GZ_FRAME_HEADER_SIZE + 6000);
    uint32_t seed;
    CHECK(stream != NULL);
    for (i = 0; i < 12; i++) {
        total += put_frame(stream + total, (uint32_t)(2 * i + 1), GZ_FRAME_REQUEST, GZ_FLAG_REMOTE_CLOSED,
                           lengths[i]);
    }
    decode_in_pieces(stream, total, lengths, 12, one_byte, 0);
    for (seed = 1; seed <= 50; seed++) {
        decode_in_pieces(stream, total, lengths, 12, random_piece, seed);
    }
    free(stream);
}

/* An oversized frame is reported from its header, skipped without a buffer, and the next frame decodes. */
static void oversized_frame_skipped(void) {
    gz_frame_decoder decoder;
    gz_frame_header header;
    const uint8_t *data;
    size_t consumed, offset = 0, total;
    uint8_t *stream = malloc(2 * GZ_FRAME_HEADER_SIZE + 300);
    gz_decode_result result;
    CHECK(stream != NULL);
    total = put_frame(stream, 5, GZ_FRAME_REQUEST, 0, 200);
    total += put_frame(stream + total, 1, GZ_FRAME_REQUEST, GZ_FLAG_REMOTE_CLOSED, 20);
    gz_frame_decoder_init(&decoder, 100);
    result = gz_frame_decoder_feed(&decoder, stream, GZ_FRAME_HEADER_SIZE, &consumed, &header, &data, NULL);
    CHECK(result == GZ_DECODE_OVERSIZED);
    CHECK(consumed == GZ_FRAME_HEADER_SIZE && header.length == 200 && header.stream_id == 5);
    CHECK(decoder.data == NULL && decoder.data_capacity == 0);
    CHECK(gz_frame_decoder_mid_frame(&decoder));
    offset = consumed;
    while (offset < GZ_FRAME_HEADER_SIZE + 200) {
        result = gz_frame_decoder_feed(&decoder, stream + offset, 7, &consumed, &header, &data, NULL);
        CHECK(result == GZ_DECODE_NEED_MORE || offset + consumed > GZ_FRAME_HEADER_SIZE + 200);
        CHECK(decoder.data == NULL);
        if (result != GZ_DECODE_NEED_MORE) {
            break;
        }
        offset += consumed;
    }
    result = gz_frame_decoder_feed(&decoder, stream + offset, total - offset, &consumed, &header, &data, NULL);
    CHECK(result == GZ_DECODE_FRAME);
    check_frame(&header, data, 1, 20);
    CHECK(offset + consumed == total);
    gz_frame_decoder_free(&decoder);
    free(stream);
}

/* A header declaring 16 MiB or more is not ttrpc: an error, and the decoder takes nothing more. */
static void not_ttrpc(void) {
    gz_frame_decoder decoder;
    gz_frame_header header;
    const uint8_t *data;
    const char *error = NULL;
    size_t consumed;
    const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const uint8_t limit[GZ_FRAME_HEADER_SIZE] = {0x00, 0xff, 0xff, 0xff, 0, 0, 0, 1, 1, 0};
    gz_frame_decoder_init(&decoder, 0);
    CHECK(gz_frame_decoder_feed(&decoder, http, sizeof http - 1, &consumed, &header, &data, &error) ==
          GZ_DECODE_ERROR);
    CHECK_CONTAINS(error, "not ttrpc framing");
    CHECK(gz_frame_decoder_feed(&decoder, http, 4, &consumed, &header, &data, &error) == GZ_DECODE_ERROR);
    CHECK(consumed == 0);
    gz_frame_decoder_free(&decoder);
    /* 0x00FFFFFF is a possible length: oversized for the default limit, but framing. */
    gz_frame_decoder_init(&decoder, 0);
    CHECK(gz_frame_decoder_feed(&decoder, limit, sizeof limit, &consumed, &header, &data, &error) ==
          GZ_DECODE_OVERSIZED);
    CHECK(header.length == 0x00ffffffu);
    gz_frame_decoder_free(&decoder);
}

/* A frame cut short leaves the decoder waiting, with nothing handed out. */
static void truncated_input(void) {
    gz_frame_decoder decoder;
    gz_frame_header header;
    const uint8_t *data;
    size_t consumed, total;
    uint8_t stream[GZ_FRAME_HEADER_SIZE + 50];
    total = put_frame(stream, 3, GZ_FRAME_REQUEST, GZ_FLAG_REMOTE_CLOSED, 50);
    gz_frame_decoder_init(&decoder, 0);
    CHECK(gz_frame_decoder_feed(&decoder, stream, 4, &consumed, &header, &data, NULL) == GZ_DECODE_NEED_MORE);
    CHECK(consumed == 4 && gz_frame_decoder_mid_frame(&decoder));
    CHECK(gz_frame_decoder_feed(&decoder, stream + 4, total - 5, &consumed, &header, &data, NULL) ==
          GZ_DECODE_NEED_MORE);
    CHECK(consumed == total - 5 && data == NULL);
    CHECK(gz_frame_decoder_feed(&decoder, stream + total - 1, 1, &consumed, &header, &data, NULL) ==
          GZ_DECODE_FRAME);
    check_frame(&header, data, 3, 50);
    CHECK(gz_frame_decoder_feed(&decoder, stream, 0, &consumed, &header, &data, NULL) == GZ_DECODE_NEED_MORE);
    gz_frame_decoder_free(&decoder);
}

/* Random bytes never crash the decoder, and every result is one it may give. */
static void garbage(void) {
    uint32_t state = 99;
    int round;
    for (round = 0; round < 200; round++) {
        gz_frame_decoder decoder;
        uint8_t bytes[512];
        size_t i, offset = 0;
        for (i = 0; i < sizeof bytes; i++) {
            bytes[i] = (uint8_t)next_random(&state);
        }
        if (round % 2 == 0) {
            bytes[0] = 0; /* a plausible first header byte */
        }
        gz_frame_decoder_init(&decoder, 64);
        while (offset < sizeof bytes) {
            gz_frame_header header;
            const uint8_t *data;
            size_t consumed;
            gz_decode_result result = gz_frame_decoder_feed(&decoder, bytes + offset, sizeof bytes - offset,
                                                            &consumed, &header, &data, NULL);
            offset += consumed;
            if (result == GZ_DECODE_ERROR) {
                break;
            }
            CHECK(result != GZ_DECODE_NO_MEMORY);
            CHECK(result != GZ_DECODE_FRAME || header.length <= 64);
        }
        gz_frame_decoder_free(&decoder);
    }
}

int main(void) {
    RUN(header_round_trip);
    RUN(encode_frames);
    RUN(decode_split_input);
    RUN(oversized_frame_skipped);
    RUN(not_ttrpc);
    RUN(truncated_input);
    RUN(garbage);
    fprintf(stderr, "test_frame: all passed\n");
    return 0;
}
