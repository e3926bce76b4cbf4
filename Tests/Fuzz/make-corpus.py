#!/usr/bin/env python3
"""Writes the fuzzer's seed inputs into corpus/.

Each seed is one byte that tells the fuzzer how to cut the stream into reads (see ReadPlan in
Sources/GongzhiFuzz/FuzzTarget.swift) followed by the bytes a client sends: ttrpc frames with
protobuf envelopes, encoded here by hand so the script needs nothing but Python.
"""

import pathlib
import struct

REQUEST, RESPONSE, DATA = 0x01, 0x02, 0x03
REMOTE_CLOSED, REMOTE_OPEN, NO_DATA = 0x01, 0x02, 0x04
# Flag bit the protocol leaves unused; the fuzzer's server model answers a stream when it is set.
RESPOND = 0x10

ONE_READ = 0x00
CUTS_NEAR_HEADERS = 0x47  # 7 cuts, half of them a few bytes into a header
RANDOM_CUTS = 0x20  # 32 cuts


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def key_value(key: str, value: str) -> bytes:
    return field_bytes(1, key.encode()) + field_bytes(2, value.encode())


def request(service: str, method: str, payload: bytes, timeout_nano: int = 0, metadata=()) -> bytes:
    out = field_bytes(1, service.encode()) + field_bytes(2, method.encode())
    if payload:
        out += field_bytes(3, payload)
    if timeout_nano:
        out += field_varint(4, timeout_nano)
    for key, value in metadata:
        out += field_bytes(5, key_value(key, value))
    return out


def response(code: int, message: str, payload: bytes, metadata=()) -> bytes:
    status = (field_varint(1, code) if code else b"") + (field_bytes(2, message.encode()) if message else b"")
    out = field_bytes(1, status)
    if payload:
        out += field_bytes(2, payload)
    for key, value in metadata:
        out += field_bytes(3, key_value(key, value))
    return out


def frame(stream_id: int, frame_type: int, flags: int, data: bytes) -> bytes:
    return struct.pack(">IIBB", len(data), stream_id, frame_type, flags) + data


def header(length: int, stream_id: int, frame_type: int, flags: int) -> bytes:
    return struct.pack(">IIBB", length, stream_id, frame_type, flags)


# An EchoRequest message: field 1, the text.
echo = field_bytes(1, b"hello, ttrpc")

unary = frame(
    1,
    REQUEST,
    0,
    request(
        "gongzhi.test.v1.Echo",
        "Echo",
        echo,
        timeout_nano=5_000_000_000,
        metadata=[("x-trace-id", "4bf92f3577b34da6"), ("User-Agent", "fuzz-seed")],
    ),
)
# A payload the envelope decoder takes out without a copy (16 KiB or more), with fields on both sides of it.
large = bytes((i * 31 + (i >> 8)) & 0xFF for i in range(17 * 1024))
large_payloads = frame(
    17,
    REQUEST,
    RESPOND,
    request("gongzhi.test.v1.Echo", "Echo", large, timeout_nano=1_000_000, metadata=[("k", "v")]),
) + frame(19, RESPONSE, 0, response(0, "", large, [("x-echo", "large")]))

client_stream = (
    frame(3, REQUEST, REMOTE_OPEN, request("gongzhi.test.v1.Echo", "Collect", b""))
    + frame(3, DATA, 0, echo)
    + frame(3, DATA, 0, field_bytes(1, b"second"))
    + frame(3, DATA, REMOTE_CLOSED | NO_DATA | RESPOND, b"")
)

SEEDS = {
    "unary-request": bytes([ONE_READ]) + unary,
    "client-stream": bytes([CUTS_NEAR_HEADERS]) + client_stream,
    "data-frame": bytes([ONE_READ]) + frame(5, DATA, REMOTE_CLOSED, echo),
    "response-frame": bytes([0x83])  # reads of 4 bytes
    + frame(7, RESPONSE, 0, response(5, "no method Echo/Missing", b"", [("retry", "no")])),
    "response-ok": bytes([ONE_READ]) + frame(9, RESPONSE, 0, response(0, "", echo)),
    # Declares 1 MiB of data (over the fuzzer's 64 KiB limit) and sends 48 bytes of it.
    "oversized-header": bytes([0x8F]) + header(1 << 20, 11, REQUEST, 0) + bytes(range(48)),
    # Declares 80 bytes of data and sends 15.
    "truncated-frame": bytes([RANDOM_CUTS]) + header(80, 13, REQUEST, 0) + unary[10:25],
    "two-frames": bytes([RANDOM_CUTS])
    + unary
    + frame(15, REQUEST, REMOTE_CLOSED | RESPOND, request("gongzhi.test.v1.Echo", "Repeat", echo)),
    # Not ttrpc at all: the first header byte is not zero.
    "garbage": bytes([0x81]) + b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "large-payloads": bytes([RANDOM_CUTS]) + large_payloads,
}

# Inputs longer than run-fuzz.sh's limit would be cut; every seed but the large payloads stays short.
MAX_LENGTH = 70000


def main() -> None:
    directory = pathlib.Path(__file__).resolve().parent / "corpus"
    directory.mkdir(exist_ok=True)
    for name, content in SEEDS.items():
        assert len(content) < (MAX_LENGTH if name == "large-payloads" else 2048), name
        (directory / name).write_bytes(content)
        print(f"{name}: {len(content)} bytes")


if __name__ == "__main__":
    main()
