package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"
)

type benchResult struct {
	Impl        string  `json:"impl"`
	Payload     int     `json:"payload"`
	Concurrency int     `json:"concurrency"`
	Calls       int     `json:"calls"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	CallsPerSec float64 `json:"calls_per_sec"`
	// The CPU time (user and system) and the minor page faults of this process over the measured calls.
	ClientCPUSeconds  float64 `json:"client_cpu_seconds"`
	ClientMinorFaults int64   `json:"client_minor_faults"`
}

// resourceUsage returns this process's CPU seconds (user and system) and minor page faults so far.
func resourceUsage() (float64, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	seconds := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return seconds(ru.Utime) + seconds(ru.Stime), ru.Minflt
}

// benchClient makes warmup and then calls Echo/Unary calls over one connection,
// with concurrency calls in flight at once, and prints one JSON line of results.
func benchClient(socket string, payload, calls, concurrency, warmup int) int {
	if payload < 0 || calls < 1 || concurrency < 1 || warmup < 0 {
		fmt.Fprintln(os.Stderr, "need --payload >= 0, --calls >= 1, --concurrency >= 1, --warmup >= 0")
		return 2
	}
	client, err := dial(socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		return 1
	}
	defer client.Close()

	req := &EchoRequest{Payload: pattern(payload, 0)}
	if _, err := runCalls(client, req, warmup, concurrency, nil); err != nil {
		fmt.Fprintln(os.Stderr, "warm-up:", err)
		return 1
	}
	latencies := make([]time.Duration, calls)
	cpuBefore, faultsBefore := resourceUsage()
	wall, err := runCalls(client, req, calls, concurrency, latencies)
	cpuAfter, faultsAfter := resourceUsage()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}

	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	out, _ := json.Marshal(benchResult{
		Impl:        peerName,
		Payload:     payload,
		Concurrency: concurrency,
		Calls:       calls,
		P50us:       micros(percentile(latencies, 0.50)),
		P99us:       micros(percentile(latencies, 0.99)),
		CallsPerSec: float64(calls) / wall.Seconds(),

		ClientCPUSeconds:  cpuAfter - cpuBefore,
		ClientMinorFaults: faultsAfter - faultsBefore,
	})
	fmt.Println(string(out))
	return 0
}

// runCalls makes n calls from concurrency goroutines sharing client and returns
// the wall time. If latencies is non-nil, call i's latency is stored at index i.
func runCalls(client *ttrpc.Client, req *EchoRequest, n, concurrency int, latencies []time.Duration) (time.Duration, error) {
	var (
		next     int64 = -1
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	want := len(req.Payload)
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				resp, err := unary(context.Background(), client, req)
				d := time.Since(t0)
				if err == nil && len(resp.Payload) != want {
					err = fmt.Errorf("payload is %d bytes, want %d", len(resp.Payload), want)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					atomic.StoreInt64(&next, int64(n)) // stop the other workers
					return
				}
				if latencies != nil {
					latencies[i] = d
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// percentile returns the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(sorted) {
		rank = len(sorted) - 1
	}
	return sorted[rank]
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
