package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// serve runs an Echo server on socket until SIGTERM or SIGINT.
func serve(socket string) int {
	srv, err := ttrpc.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ttrpc.NewServer:", err)
		return 1
	}
	srv.Register(echoService, map[string]ttrpc.Method{
		unaryMethod: func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req EchoRequest
			if err := unmarshal(&req); err != nil {
				return nil, err
			}
			return handleUnary(ctx, &req)
		},
	})

	// A socket file left behind by an earlier run would make Listen fail.
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "removing stale socket:", err)
		return 1
	}
	l, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 1
	}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), l) }()
	fmt.Println("READY") // os.Stdout is unbuffered

	code := 0
	select {
	case sig := <-signals:
		fmt.Fprintln(os.Stderr, "received", sig, "- shutting down")
		srv.Close()
		<-served
	case err := <-served:
		fmt.Fprintln(os.Stderr, "serve:", err)
		code = 1
	}
	os.Remove(socket)
	return code
}

// handleUnary implements Echo/Unary: it echoes payload and text, honours delay_ms
// and fail_code, and appends the "x-echo" metadata value to the text when present.
func handleUnary(ctx context.Context, req *EchoRequest) (*EchoResponse, error) {
	if req.DelayMs > 0 {
		timer := time.NewTimer(time.Duration(req.DelayMs) * time.Millisecond)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if req.FailCode != 0 {
		return nil, status.Error(codes.Code(req.FailCode), req.FailMessage)
	}
	text := req.Text
	if v, ok := ttrpc.GetMetadataValue(ctx, "x-echo"); ok {
		text += "|" + v
	}
	return &EchoResponse{
		Payload:  req.Payload,
		Text:     text,
		Sequence: 1,
		Peer:     peerName,
	}, nil
}
