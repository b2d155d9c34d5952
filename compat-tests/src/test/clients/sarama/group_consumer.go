// Command group_consumer is a Sarama group consumer, driven by GroupConsumerSaramaTest.
//
// Usage: group_consumer BOOTSTRAP TOPIC GROUP MODE [COUNT] [TIMEOUT_SECONDS]
//
// MODE is one of:
//
//	drain   subscribe, read until COUNT records have arrived, commit, leave the group, exit.
//	member  subscribe, read whatever arrives until standard input is closed, then commit,
//	        leave the group and exit.
//
// A new group starts from the earliest offset. Every record is marked as consumed once printed;
// Sarama commits marked offsets every second and when a session ends (at a rebalance or on
// exit), so what the group has committed when the program exits is exactly what it printed.
//
// Standard output, one line each:
//
//	assigned P P ...        the partitions of TOPIC this member holds after a rebalance
//	record P:OFFSET:VALUE   one consumed record
//	done N                  the program is ending normally after N records
//
// Anything else goes to standard error (Sarama's own log too, when SARAMA_LOG is set). Exit
// status 0 on success, 2 when TIMEOUT_SECONDS passes first, 1 on any error.
//
// Written for the Sarama 1.22 that Debian packages, built in GOPATH mode.
package main

import (
	"context"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// printer serialises output lines from the per-partition goroutines and counts records.
type printer struct {
	mu   sync.Mutex
	read int
}

func (p *printer) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Println(s)
}

// record prints one record and returns how many have been read so far.
func (p *printer) record(m *sarama.ConsumerMessage) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Printf("record %d:%d:%s\n", m.Partition, m.Offset, m.Value)
	p.read++
	return p.read
}

// handler is the sarama.ConsumerGroupHandler: one session per generation of the group.
type handler struct {
	topic  string
	drain  bool
	count  int
	out    *printer
	enough func()
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	partitions := append([]int32(nil), s.Claims()[h.topic]...)
	sort.Slice(partitions, func(i, j int) bool { return partitions[i] < partitions[j] })
	words := []string{"assigned"}
	for _, p := range partitions {
		words = append(words, strconv.Itoa(int(p)))
	}
	h.out.line(strings.Join(words, " "))
	return nil
}

func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		n := h.out.record(m)
		s.MarkMessage(m, "")
		if h.drain && n >= h.count {
			h.enough()
		}
	}
	return nil
}

func run(args []string) int {
	if len(args) < 4 || (args[3] != "drain" && args[3] != "member") {
		fmt.Fprintln(os.Stderr, "usage: group_consumer BOOTSTRAP TOPIC GROUP drain|member [COUNT] [TIMEOUT_SECONDS]")
		return 1
	}
	bootstrap, topic, group, mode := args[0], args[1], args[2], args[3]
	count := 0
	timeout := 30 * time.Second
	if len(args) > 4 {
		n, err := strconv.Atoi(args[4])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad COUNT:", err)
			return 1
		}
		count = n
	}
	if len(args) > 5 {
		s, err := strconv.ParseFloat(args[5], 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad TIMEOUT_SECONDS:", err)
			return 1
		}
		timeout = time.Duration(s * float64(time.Second))
	}
	if os.Getenv("SARAMA_LOG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.Lmicroseconds)
	}

	config := sarama.NewConfig()
	config.ClientID = "sluice-compat-sarama"
	// Without a version Sarama speaks Kafka 0.8.2's protocol; consumer groups need 0.10.2 and
	// Kafka 4 no longer serves the oldest versions. 2.1 is the oldest release Kafka 4 supports.
	config.Version = sarama.V2_1_0_0
	config.Consumer.Return.Errors = true
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	// A retention makes Sarama send OffsetCommit v2 rather than v1, which Kafka 4 no longer serves.
	config.Consumer.Offsets.Retention = 24 * time.Hour
	config.Consumer.Offsets.CommitInterval = time.Second
	config.Consumer.MaxWaitTime = 500 * time.Millisecond
	config.Consumer.Group.Session.Timeout = 6 * time.Second
	config.Consumer.Group.Heartbeat.Interval = time.Second

	consumerGroup, err := sarama.NewConsumerGroup(strings.Split(bootstrap, ","), group, config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot create the consumer group:", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	status := 0
	var statusOnce sync.Once
	stop := func(s int) {
		statusOnce.Do(func() {
			status = s
			cancel()
		})
	}
	timer := time.AfterFunc(timeout, func() { stop(2) })
	defer timer.Stop()
	// Sarama retries inside Consume and Close; do not let that outlast the deadline by much.
	watchdog := time.AfterFunc(timeout+5*time.Second, func() {
		fmt.Fprintf(os.Stderr, "still blocked 5 s past the %v deadline; giving up\n", timeout)
		os.Exit(2)
	})
	defer watchdog.Stop()
	if mode == "member" {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			stop(0)
		}()
	}
	failed := make(chan error, 1)
	go func() {
		for err := range consumerGroup.Errors() {
			fmt.Fprintln(os.Stderr, "client error:", err)
		}
	}()

	out := &printer{}
	h := &handler{topic: topic, drain: mode == "drain", count: count, out: out, enough: func() { stop(0) }}
	if h.drain && count <= 0 {
		stop(0)
	}
	// Each Consume call is one generation of the group: it returns at a rebalance, and again
	// when the context ends; it commits the marked offsets before returning.
	for ctx.Err() == nil {
		if err := consumerGroup.Consume(ctx, []string{topic}, h); err != nil {
			select {
			case failed <- err:
			default:
			}
			stop(1)
		}
	}
	if err := consumerGroup.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "closing the consumer group:", err)
		if status == 0 {
			status = 1
		}
	}
	select {
	case err := <-failed:
		fmt.Fprintln(os.Stderr, "consuming failed:", err)
	default:
	}
	out.mu.Lock()
	read := out.read
	out.mu.Unlock()
	switch status {
	case 0:
		fmt.Printf("done %d\n", read)
	case 2:
		fmt.Fprintf(os.Stderr, "timed out after %v with %d records read\n", timeout, read)
	}
	return status
}

func main() {
	os.Exit(run(os.Args[1:]))
}
