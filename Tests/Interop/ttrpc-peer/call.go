package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// checkTimeout bounds every check that has no deadline of its own, so a
// misbehaving server fails the check instead of hanging it.
const checkTimeout = 10 * time.Second

// interopCheck runs the Echo/Unary checks against the server on socket, all on
// one connection, printing "ok: …" or "FAIL: …" per check. It returns 1 if any failed.
func interopCheck(socket string) int {
	client, err := dial(socket)
	if err != nil {
		fmt.Printf("FAIL: connect to %s: %v\n", socket, err)
		return 1
	}
	defer client.Close()

	checks := []struct {
		name string
		run  func(*ttrpc.Client) (string, error)
	}{
		{"(a) unary echo of text and 100-byte payload", checkEcho},
		{"(b) metadata x-echo reaches the server", checkMetadata},
		{"(c) fail_code=5 returns status NOT_FOUND", checkFailCode},
		{"(d) 200ms deadline on a 2s call gives DEADLINE_EXCEEDED", checkDeadline},
		{"(e) 64 concurrent calls on one connection", checkConcurrent},
		{"(f) 1 MiB payload round-trip", checkLargePayload},
	}
	failed := 0
	for _, c := range checks {
		detail, err := c.run(client)
		if err != nil {
			failed++
			fmt.Printf("FAIL: %s: %v\n", c.name, err)
			continue
		}
		if detail != "" {
			fmt.Printf("ok: %s (%s)\n", c.name, detail)
		} else {
			fmt.Printf("ok: %s\n", c.name)
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d checks failed\n", failed, len(checks))
		return 1
	}
	return 0
}

func checkEcho(c *ttrpc.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	req := &EchoRequest{Text: "hello from go", Payload: pattern(100, 1)}
	resp, err := unary(ctx, c, req)
	if err != nil {
		return "", err
	}
	if err := sameEcho(req, resp, req.Text); err != nil {
		return "", err
	}
	return fmt.Sprintf("peer=%q sequence=%d", resp.Peer, resp.Sequence), nil
}

func checkMetadata(c *ttrpc.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	ctx = ttrpc.WithMetadata(ctx, ttrpc.MD{"x-echo": {"meta"}})
	req := &EchoRequest{Text: "hello from go"}
	resp, err := unary(ctx, c, req)
	if err != nil {
		return "", err
	}
	if want := req.Text + "|meta"; resp.Text != want {
		return "", fmt.Errorf("text = %q, want %q", resp.Text, want)
	}
	return fmt.Sprintf("text=%q", resp.Text), nil
}

func checkFailCode(c *ttrpc.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	_, err := unary(ctx, c, &EchoRequest{FailCode: int32(codes.NotFound), FailMessage: "no such thing"})
	if err == nil {
		return "", errors.New("call succeeded, want an error")
	}
	st, ok := status.FromError(err)
	if !ok {
		return "", fmt.Errorf("error is not a status: %v", err)
	}
	if st.Code() != codes.NotFound || !strings.Contains(st.Message(), "no such thing") {
		return "", fmt.Errorf("status = %d %q, want %d containing %q",
			st.Code(), st.Message(), codes.NotFound, "no such thing")
	}
	return fmt.Sprintf("code=%d message=%q", st.Code(), st.Message()), nil
}

func checkDeadline(c *ttrpc.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := unary(ctx, c, &EchoRequest{Text: "slow", DelayMs: 2000})
	elapsed := time.Since(start)
	if err == nil {
		return "", fmt.Errorf("call succeeded after %v, want DEADLINE_EXCEEDED", elapsed)
	}
	// The ttrpc client gives up on its own when ctx expires and returns the
	// plain context error; a server status that wins the race is a status error.
	source := "server status"
	code := status.Code(err)
	if errors.Is(err, context.DeadlineExceeded) {
		source, code = "client deadline", codes.DeadlineExceeded
	}
	if code != codes.DeadlineExceeded {
		return "", fmt.Errorf("error = %v (code %d), want code %d", err, code, codes.DeadlineExceeded)
	}
	if elapsed > 1500*time.Millisecond {
		return "", fmt.Errorf("failed only after %v, want under 1.5s", elapsed)
	}
	return fmt.Sprintf("%s after %v", source, elapsed.Round(time.Millisecond)), nil
}

func checkConcurrent(c *ttrpc.Client) (string, error) {
	const n = 64
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := &EchoRequest{Text: fmt.Sprintf("call-%d", i), Payload: pattern(64+i, byte(i))}
			resp, err := unary(ctx, c, req)
			if err == nil {
				err = sameEcho(req, resp, req.Text)
			}
			if err != nil {
				errs[i] = fmt.Errorf("call %d: %w", i, err)
			}
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	return "", nil
}

func checkLargePayload(c *ttrpc.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	payload := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(payload)
	req := &EchoRequest{Text: "large", Payload: payload}
	resp, err := unary(ctx, c, req)
	if err != nil {
		return "", err
	}
	return "", sameEcho(req, resp, req.Text)
}

// sameEcho reports whether resp carries req's payload and the expected text.
func sameEcho(req *EchoRequest, resp *EchoResponse, wantText string) error {
	if resp.Text != wantText {
		return fmt.Errorf("text = %q, want %q", resp.Text, wantText)
	}
	if !bytes.Equal(resp.Payload, req.Payload) {
		return fmt.Errorf("payload differs: got %d bytes, want %d", len(resp.Payload), len(req.Payload))
	}
	return nil
}

// pattern returns n bytes of a simple sequence starting at seed, so payloads of
// different calls are distinguishable.
func pattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = seed + byte(i)
	}
	return p
}
