// Command ttrpc-peer is a containerd/ttrpc peer serving and calling
// gongzhi.test.v1.Echo/Unary, used for interoperability tests and benchmarks
// against the Swift implementation.
//
//	ttrpc-peer serve        --socket PATH
//	ttrpc-peer bench-serve  --socket PATH
//	ttrpc-peer call         --socket PATH
//	ttrpc-peer bench-client --socket PATH --payload BYTES --calls N --concurrency C [--warmup W]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/containerd/ttrpc"
)

const (
	echoService = "gongzhi.test.v1.Echo"
	unaryMethod = "Unary"
	peerName    = "go-ttrpc"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  %[1]s serve        --socket PATH
  %[1]s bench-serve  --socket PATH
  %[1]s call         --socket PATH
  %[1]s bench-client --socket PATH --payload BYTES --calls N --concurrency C [--warmup W]
`, os.Args[0])
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]

	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	socket := fs.String("socket", "", "path of the Unix socket")

	var run func() int
	switch cmd {
	case "serve", "bench-serve":
		run = func() int { return serve(*socket) }
	case "call":
		run = func() int { return interopCheck(*socket) }
	case "bench-client":
		payload := fs.Int("payload", 100, "payload size in bytes")
		calls := fs.Int("calls", 10000, "number of measured calls")
		concurrency := fs.Int("concurrency", 1, "calls in flight at once on the one connection")
		warmup := fs.Int("warmup", 100, "calls made before measuring")
		run = func() int { return benchClient(*socket, *payload, *calls, *concurrency, *warmup) }
	case "-h", "-help", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", cmd)
		usage()
	}

	fs.Parse(args)
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "--socket is required")
		os.Exit(2)
	}
	os.Exit(run())
}

// dial opens one connection to the socket and wraps it in a ttrpc client.
func dial(socket string) (*ttrpc.Client, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, err
	}
	return ttrpc.NewClient(conn), nil
}

// unary calls Echo/Unary on c.
func unary(ctx context.Context, c *ttrpc.Client, req *EchoRequest) (*EchoResponse, error) {
	var resp EchoResponse
	if err := c.Call(ctx, echoService, unaryMethod, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
