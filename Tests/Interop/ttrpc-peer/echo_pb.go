package main

// Hand-written proto3 messages for gongzhi.test.v1 (Schemas/gongzhi/test/v1/echo.proto).
//
// ttrpc's codec passes messages to gogo's proto.Marshal / proto.Unmarshal, which
// use a message's own Marshal() / Unmarshal() methods when it has them, so these
// types carry a small, self-contained encoder and decoder instead of generated code.

import (
	"errors"
	"fmt"
)

// Protobuf wire types.
const (
	wireVarint     = 0
	wireFixed64    = 1
	wireBytes      = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireFixed32    = 5
)

var (
	errTruncated     = errors.New("proto: truncated message")
	errVarintTooLong = errors.New("proto: varint overflows 64 bits")
	errBadWireType   = errors.New("proto: invalid wire type")
	errBadFieldNum   = errors.New("proto: invalid field number 0")
	errBadGroup      = errors.New("proto: unbalanced group")
)

// EchoRequest mirrors gongzhi.test.v1.EchoRequest.
type EchoRequest struct {
	Payload     []byte
	Text        string
	Repeat      uint32
	DelayMs     uint32
	FailCode    int32
	FailMessage string
}

// EchoResponse mirrors gongzhi.test.v1.EchoResponse.
type EchoResponse struct {
	Payload  []byte
	Text     string
	Sequence uint32
	Peer     string
}

func (m *EchoRequest) Reset()        { *m = EchoRequest{} }
func (m *EchoRequest) ProtoMessage() {}
func (m *EchoRequest) String() string {
	return fmt.Sprintf("EchoRequest{payload:%dB text:%q repeat:%d delay_ms:%d fail_code:%d fail_message:%q}",
		len(m.Payload), m.Text, m.Repeat, m.DelayMs, m.FailCode, m.FailMessage)
}

func (m *EchoResponse) Reset()        { *m = EchoResponse{} }
func (m *EchoResponse) ProtoMessage() {}
func (m *EchoResponse) String() string {
	return fmt.Sprintf("EchoResponse{payload:%dB text:%q sequence:%d peer:%q}",
		len(m.Payload), m.Text, m.Sequence, m.Peer)
}

// Size returns the encoded length in bytes.
func (m *EchoRequest) Size() int {
	n := 0
	n += sizeBytesField(1, len(m.Payload))
	n += sizeBytesField(2, len(m.Text))
	n += sizeVarintField(3, uint64(m.Repeat))
	n += sizeVarintField(4, uint64(m.DelayMs))
	// int32 is sign-extended to 64 bits, so negative values take ten bytes.
	n += sizeVarintField(5, uint64(int64(m.FailCode)))
	n += sizeBytesField(6, len(m.FailMessage))
	return n
}

// Marshal encodes the message; fields holding their default value are omitted.
func (m *EchoRequest) Marshal() ([]byte, error) {
	b := make([]byte, 0, m.Size())
	b = appendBytesField(b, 1, m.Payload)
	b = appendStringField(b, 2, m.Text)
	b = appendVarintField(b, 3, uint64(m.Repeat))
	b = appendVarintField(b, 4, uint64(m.DelayMs))
	b = appendVarintField(b, 5, uint64(int64(m.FailCode)))
	b = appendStringField(b, 6, m.FailMessage)
	return b, nil
}

// Unmarshal decodes b into m, replacing its contents. Unknown fields are skipped.
func (m *EchoRequest) Unmarshal(b []byte) error {
	*m = EchoRequest{}
	return decodeFields(b, func(num int, typ int, v uint64, data []byte) bool {
		switch {
		case num == 1 && typ == wireBytes:
			m.Payload = append([]byte{}, data...)
		case num == 2 && typ == wireBytes:
			m.Text = string(data)
		case num == 3 && typ == wireVarint:
			m.Repeat = uint32(v)
		case num == 4 && typ == wireVarint:
			m.DelayMs = uint32(v)
		case num == 5 && typ == wireVarint:
			m.FailCode = int32(v)
		case num == 6 && typ == wireBytes:
			m.FailMessage = string(data)
		default:
			return false
		}
		return true
	})
}

// Size returns the encoded length in bytes.
func (m *EchoResponse) Size() int {
	n := 0
	n += sizeBytesField(1, len(m.Payload))
	n += sizeBytesField(2, len(m.Text))
	n += sizeVarintField(3, uint64(m.Sequence))
	n += sizeBytesField(4, len(m.Peer))
	return n
}

// Marshal encodes the message; fields holding their default value are omitted.
func (m *EchoResponse) Marshal() ([]byte, error) {
	b := make([]byte, 0, m.Size())
	b = appendBytesField(b, 1, m.Payload)
	b = appendStringField(b, 2, m.Text)
	b = appendVarintField(b, 3, uint64(m.Sequence))
	b = appendStringField(b, 4, m.Peer)
	return b, nil
}

// Unmarshal decodes b into m, replacing its contents. Unknown fields are skipped.
func (m *EchoResponse) Unmarshal(b []byte) error {
	*m = EchoResponse{}
	return decodeFields(b, func(num int, typ int, v uint64, data []byte) bool {
		switch {
		case num == 1 && typ == wireBytes:
			m.Payload = append([]byte{}, data...)
		case num == 2 && typ == wireBytes:
			m.Text = string(data)
		case num == 3 && typ == wireVarint:
			m.Sequence = uint32(v)
		case num == 4 && typ == wireBytes:
			m.Peer = string(data)
		default:
			return false
		}
		return true
	})
}

// --- encoding helpers ---

func sizeVarint(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func tag(num int, typ int) uint64 { return uint64(num)<<3 | uint64(typ) }

func sizeVarintField(num int, v uint64) int {
	if v == 0 {
		return 0
	}
	return sizeVarint(tag(num, wireVarint)) + sizeVarint(v)
}

func sizeBytesField(num int, n int) int {
	if n == 0 {
		return 0
	}
	return sizeVarint(tag(num, wireBytes)) + sizeVarint(uint64(n)) + n
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendVarintField(b []byte, num int, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = appendVarint(b, tag(num, wireVarint))
	return appendVarint(b, v)
}

func appendBytesField(b []byte, num int, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendVarint(b, tag(num, wireBytes))
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendStringField(b []byte, num int, v string) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendVarint(b, tag(num, wireBytes))
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// --- decoding helpers ---

// readVarint decodes a base-128 varint from the start of b and returns the value
// and the number of bytes consumed.
func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b); i++ {
		if i == 10 {
			return 0, 0, errVarintTooLong
		}
		c := b[i]
		if i == 9 && c > 1 {
			return 0, 0, errVarintTooLong
		}
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errTruncated
}

// decodeFields walks the top-level fields of b. For every field it calls visit with
// the field number, wire type, the varint value (varint fields) and the contents
// (length-delimited fields). When visit returns false the field is unknown and is
// skipped; fixed-width and group fields are always handed to visit with no value.
func decodeFields(b []byte, visit func(num int, typ int, v uint64, data []byte) bool) error {
	for len(b) > 0 {
		key, n, err := readVarint(b)
		if err != nil {
			return err
		}
		b = b[n:]
		num, typ := key>>3, int(key&7)
		if num == 0 {
			return errBadFieldNum
		}
		if num > 1<<29-1 {
			return fmt.Errorf("proto: field number %d out of range", num)
		}
		switch typ {
		case wireVarint:
			v, n, err := readVarint(b)
			if err != nil {
				return err
			}
			b = b[n:]
			visit(int(num), typ, v, nil)
		case wireBytes:
			l, n, err := readVarint(b)
			if err != nil {
				return err
			}
			b = b[n:]
			if l > uint64(len(b)) {
				return errTruncated
			}
			visit(int(num), typ, 0, b[:l])
			b = b[l:]
		case wireFixed64:
			if len(b) < 8 {
				return errTruncated
			}
			visit(int(num), typ, 0, nil)
			b = b[8:]
		case wireFixed32:
			if len(b) < 4 {
				return errTruncated
			}
			visit(int(num), typ, 0, nil)
			b = b[4:]
		case wireStartGroup:
			rest, err := skipGroup(b, num, 0)
			if err != nil {
				return err
			}
			visit(int(num), typ, 0, nil)
			b = rest
		case wireEndGroup:
			return errBadGroup
		default:
			return errBadWireType
		}
	}
	return nil
}

// skipGroup skips the body of a (deprecated) group whose start tag has been read,
// up to and including the matching end tag, and returns what follows it.
func skipGroup(b []byte, num uint64, depth int) ([]byte, error) {
	if depth > 100 {
		return nil, errors.New("proto: groups nested too deeply")
	}
	for {
		key, n, err := readVarint(b)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		fnum, typ := key>>3, int(key&7)
		if fnum == 0 {
			return nil, errBadFieldNum
		}
		switch typ {
		case wireVarint:
			if _, n, err = readVarint(b); err != nil {
				return nil, err
			}
			b = b[n:]
		case wireBytes:
			l, n, err := readVarint(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
			if l > uint64(len(b)) {
				return nil, errTruncated
			}
			b = b[l:]
		case wireFixed64:
			if len(b) < 8 {
				return nil, errTruncated
			}
			b = b[8:]
		case wireFixed32:
			if len(b) < 4 {
				return nil, errTruncated
			}
			b = b[4:]
		case wireStartGroup:
			if b, err = skipGroup(b, fnum, depth+1); err != nil {
				return nil, err
			}
		case wireEndGroup:
			if fnum != num {
				return nil, errBadGroup
			}
			return b, nil
		default:
			return nil, errBadWireType
		}
	}
}
