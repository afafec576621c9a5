// Command franz-go-consumer is the franz-go peer of Runnel's end-to-end benchmark: it joins a consumer
// group, reads exactly -records records of -topic from the earliest offset with auto-commit off, and
// prints one JSON line with its own timings, as every client of the benchmark does. Like the other
// clients, its total time ends at the last record; closing the client comes after.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type result struct {
	Client        string  `json:"client"`
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	FirstRecordMs float64 `json:"firstRecordMs"`
	ConsumeMs     float64 `json:"consumeMs"`
	TotalMs       float64 `json:"totalMs"`
	// StartedAtMs is the wall clock at the client's creation, in ms since the epoch, so that a packet
	// capture can be lined up with this run.
	StartedAtMs float64 `json:"startedAtMs"`
}

func main() {
	brokers := flag.String("brokers", "", "bootstrap servers, comma-separated")
	topic := flag.String("topic", "", "topic to read")
	group := flag.String("group", "", "consumer group id")
	records := flag.Int64("records", 0, "records to read before stopping")
	fetchMaxBytes := flag.Int("fetch-max-bytes", 52428800, "fetch.max.bytes")
	partitionMaxBytes := flag.Int("max-partition-fetch-bytes", 1048576, "max.partition.fetch.bytes")
	fetchMinBytes := flag.Int("fetch-min-bytes", 1, "fetch.min.bytes")
	fetchMaxWaitMs := flag.Int("fetch-max-wait-ms", 500, "fetch.max.wait.ms")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	if *brokers == "" || *topic == "" || *group == "" || *records <= 0 {
		fmt.Fprintln(os.Stderr, "usage: franz-go-consumer -brokers H:P -topic T -group G -records N")
		os.Exit(2)
	}

	start := time.Now()
	client, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchIsolationLevel(kgo.ReadUncommitted()),
		kgo.FetchMaxBytes(int32(*fetchMaxBytes)),
		kgo.FetchMaxPartitionBytes(int32(*partitionMaxBytes)),
		kgo.FetchMinBytes(int32(*fetchMinBytes)),
		kgo.FetchMaxWait(time.Duration(*fetchMaxWaitMs)*time.Millisecond),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "franz-go: client:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var count, bytes int64
	var first, last time.Time
	for count < *records {
		fetches := client.PollFetches(ctx)
		if ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "franz-go: timed out after %d of %d records\n", count, *records)
			os.Exit(1)
		}
		fetches.EachError(func(t string, p int32, err error) {
			fmt.Fprintf(os.Stderr, "franz-go: fetch error on %s[%d]: %v\n", t, p, err)
			os.Exit(1)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if count == 0 {
				first = time.Now()
			}
			count++
			bytes += int64(len(r.Key) + len(r.Value))
		})
		last = time.Now()
	}
	client.Close()

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	out, _ := json.Marshal(result{
		Client:        "franz-go",
		Records:       count,
		Bytes:         bytes,
		FirstRecordMs: ms(first.Sub(start)),
		ConsumeMs:     ms(last.Sub(first)),
		TotalMs:       ms(last.Sub(start)),
		StartedAtMs:   float64(start.UnixMicro()) / 1000,
	})
	fmt.Println(string(out))
}
