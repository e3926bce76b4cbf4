package main

// Checks the hand-written codec against gogo/protobuf's reflection-based one,
// driven by structs carrying the same field tags as the .proto.

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/gogo/protobuf/proto"
)

type refRequest struct {
	Payload     []byte `protobuf:"bytes,1,opt,name=payload,proto3"`
	Text        string `protobuf:"bytes,2,opt,name=text,proto3"`
	Repeat      uint32 `protobuf:"varint,3,opt,name=repeat,proto3"`
	DelayMs     uint32 `protobuf:"varint,4,opt,name=delay_ms,proto3"`
	FailCode    int32  `protobuf:"varint,5,opt,name=fail_code,proto3"`
	FailMessage string `protobuf:"bytes,6,opt,name=fail_message,proto3"`
}

func (m *refRequest) Reset()         { *m = refRequest{} }
func (m *refRequest) String() string { return fmt.Sprintf("%+v", *m) }
func (m *refRequest) ProtoMessage()  {}

type refResponse struct {
	Payload  []byte `protobuf:"bytes,1,opt,name=payload,proto3"`
	Text     string `protobuf:"bytes,2,opt,name=text,proto3"`
	Sequence uint32 `protobuf:"varint,3,opt,name=sequence,proto3"`
	Peer     string `protobuf:"bytes,4,opt,name=peer,proto3"`
}

func (m *refResponse) Reset()         { *m = refResponse{} }
func (m *refResponse) String() string { return fmt.Sprintf("%+v", *m) }
func (m *refResponse) ProtoMessage()  {}

var requests = []EchoRequest{
	{},
	{Text: "hello"},
	{Payload: []byte{0, 1, 2}, Text: "héllo", Repeat: 3, DelayMs: 2000, FailCode: 5, FailMessage: "no such thing"},
	{FailCode: -1},
	{FailCode: -2147483648, Repeat: 4294967295, DelayMs: 128},
	{Payload: bytes.Repeat([]byte{0xab}, 70000)},
}

func TestRequestMatchesReference(t *testing.T) {
	for _, m := range requests {
		ref := refRequest(m)
		want, err := proto.Marshal(&ref)
		if err != nil {
			t.Fatal(err)
		}
		got, err := proto.Marshal(&m) // must go through EchoRequest.Marshal
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%v: encoded %x, reference %x", &m, got, want)
		}
		if len(got) != m.Size() {
			t.Errorf("%v: Size() = %d, encoded %d bytes", &m, m.Size(), len(got))
		}
		var back EchoRequest
		if err := proto.Unmarshal(want, &back); err != nil {
			t.Fatal(err)
		}
		if !equalRequest(back, m) {
			t.Errorf("decoded %v, want %v", &back, &m)
		}
	}
}

func TestResponseMatchesReference(t *testing.T) {
	for _, m := range []EchoResponse{{}, {Payload: []byte("x"), Text: "t|meta", Sequence: 1, Peer: "go-ttrpc"}, {Sequence: 300}} {
		ref := refResponse(m)
		want, _ := proto.Marshal(&ref)
		got, _ := proto.Marshal(&m)
		if !bytes.Equal(got, want) {
			t.Errorf("%v: encoded %x, reference %x", &m, got, want)
		}
		var back EchoResponse
		if err := proto.Unmarshal(want, &back); err != nil {
			t.Fatal(err)
		}
		if back.Text != m.Text || back.Sequence != m.Sequence || back.Peer != m.Peer || !bytes.Equal(back.Payload, m.Payload) {
			t.Errorf("decoded %v, want %v", &back, &m)
		}
	}
}

func TestSkipsUnknownFields(t *testing.T) {
	var b []byte
	b = appendVarintField(b, 99, 7)                   // unknown varint
	b = appendStringField(b, 2, "kept")               // text
	b = append(b, 0x3d, 1, 2, 3, 4)                   // field 7, fixed32
	b = append(b, 0x41, 1, 2, 3, 4, 5, 6, 7, 8)       // field 8, fixed64
	b = append(b, 0x4b, 0x08, 0x01, 0x53, 0x54, 0x4c) // field 9 group holding a varint and an empty nested group
	b = appendBytesField(b, 50, []byte("other"))      // unknown length-delimited
	b = append(b, 0x18, 0x01)                         // repeat = 1
	b = append(b, 0x1a, 0x00)                         // field 3 with the wrong wire type: skipped
	var m EchoRequest
	if err := m.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if m.Text != "kept" || m.Repeat != 1 {
		t.Errorf("decoded %v", &m)
	}
}

func TestRejectsMalformed(t *testing.T) {
	for _, b := range [][]byte{
		{0x12, 0x05, 'a'},              // length past the end
		{0x18},                         // missing varint
		{0x18, 0x80},                   // truncated varint
		{0x00, 0x01},                   // field number 0
		{0x0e},                         // wire type 6
		{0x4b, 0x08, 0x01},             // unterminated group
		{0x4c},                         // stray end group
		{0x3d, 1, 2},                   // short fixed32
		bytes.Repeat([]byte{0xff}, 11), // overlong varint
	} {
		var m EchoRequest
		if err := m.Unmarshal(b); err == nil {
			t.Errorf("%x: decoded without error", b)
		}
	}
}

func TestLastValueWins(t *testing.T) {
	b := []byte{0x12, 1, 'a', 0x12, 1, 'b', 0x20, 5, 0x20, 6}
	var m EchoRequest
	if err := m.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if m.Text != "b" || m.DelayMs != 6 {
		t.Errorf("decoded %v", &m)
	}
}

func equalRequest(a, b EchoRequest) bool {
	pa, pb := a.Payload, b.Payload
	a.Payload, b.Payload = nil, nil
	return reflect.DeepEqual(a, b) && bytes.Equal(pa, pb)
}
