// sarama_e2e: a Go producer and consumer built on Debian's sarama (1.22, GOPATH
// mode, no network) against the real keel binary.
//
// It starts keel (KEEL_BINARY) on an ephemeral 127.0.0.1 port with a fresh
// data dir, then for every codec sarama 1.22 offers (none, gzip, snappy, lz4,
// zstd) produces keyed records with headers and explicit, partly
// out-of-order timestamps to a 3-partition topic with sarama's record
// batches (Version V2_1_0_0). sarama writes -1 as every batch's
// maxTimestamp, which Kafka ignores (it takes the records' maximum); the
// check that the broker did the same is ListOffsets by timestamp, which
// must find the first record at or after each timestamp. Everything is read
// back twice, with partition consumers and with a consumer group, and every
// record is compared (partition, offset, key, value, headers, timestamp,
// order per partition). A LogAppendTime topic gets the broker's time on
// every record.
//
// zstd: sarama 1.22 sends it with Produce v3, which Kafka refuses
// (UNSUPPORTED_COMPRESSION_TYPE, KIP-110); so does Keel, and the test
// requires exactly that refusal for every zstd record.
//
// Exits 0 when every check passed, 1 (after printing what differed and the
// broker log's tail) otherwise. Every wait is bounded.
package main

import (
	"context"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/Shopify/sarama"
)

const (
	partitions  = 3
	perCodec    = 90
	waitTimeout = 60 * time.Second
)

type broker struct {
	cmd  *exec.Cmd
	dir  string
	addr string
}

func startKeel() (*broker, error) {
	bin := os.Getenv("KEEL_BINARY")
	if bin == "" {
		return nil, fmt.Errorf("KEEL_BINARY must name the keel executable")
	}
	dir, err := ioutil.TempDir("", "keel-sarama-")
	if err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "ready")
	logf, err := os.Create(filepath.Join(dir, "keel.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--ready-file", ready,
		"--set", "listeners=PLAINTEXT://127.0.0.1:0",
		"--set", "http.listener=127.0.0.1:0",
		"--set", "log.dirs="+filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// The broker dies with this process (e.g. on a CTest timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &broker{cmd: cmd, dir: dir}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return b, fmt.Errorf("keel exited before becoming ready")
		default:
		}
		if data, err := ioutil.ReadFile(ready); err == nil {
			line := strings.SplitN(strings.TrimSpace(string(data)), "\n", 2)[0]
			if strings.HasPrefix(line, "PLAINTEXT://") {
				b.addr = strings.TrimPrefix(line, "PLAINTEXT://")
				return b, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return b, fmt.Errorf("keel not ready within 20 s")
}

func (b *broker) stop() {
	if b.cmd.Process != nil {
		b.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { b.cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			b.cmd.Process.Kill()
		}
	}
}

func (b *broker) logTail() string {
	data, _ := ioutil.ReadFile(filepath.Join(b.dir, "keel.log"))
	if len(data) > 6000 {
		data = data[len(data)-6000:]
	}
	return string(data)
}

// sent is one produced record as the broker acknowledged it.
type sent struct {
	key, value string
	headers    map[string]string
	ts         time.Time // zero: LogAppendTime topic
	partition  int32
	offset     int64
}

var failures []string

func fail(format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	failures = append(failures, msg)
	fmt.Println("FAIL:", msg)
}

func newConfig(codec sarama.CompressionCodec) *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_1_0_0 // record batches (magic 2), headers
	c.ClientID = "keel-sarama-e2e"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Compression = codec
	c.Producer.Retry.Max = 0 // a refusal must surface, not be retried away
	c.Producer.Flush.Messages = 30
	c.Producer.Flush.Frequency = 20 * time.Millisecond
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	// Consumer.Offsets.Retention stays unset: sarama 1.22 then commits with
	// OffsetCommit v1 (v2 with a retention), which Kafka 3.x and Keel serve.
	c.Consumer.Return.Errors = true
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	return c
}

func createTopic(addr, name string, configs map[string]string) error {
	admin, err := sarama.NewClusterAdmin([]string{addr}, newConfig(sarama.CompressionNone))
	if err != nil {
		return err
	}
	defer admin.Close()
	entries := map[string]*string{}
	for k, v := range configs {
		v := v
		entries[k] = &v
	}
	return admin.CreateTopic(name, &sarama.TopicDetail{
		NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: entries}, false)
}

// produce sends perCodec keyed records in one SendMessages call (so sarama
// packs many into each batch). With timestamps, record i gets base + i s,
// every fourth one 2.5 s earlier than its predecessor (so a batch's last
// record is not always its latest, and deltas go negative).
func produce(addr, topic string, codec sarama.CompressionCodec, name string, base time.Time) ([]*sent, error) {
	client, err := sarama.NewClient([]string{addr}, newConfig(codec))
	if err != nil {
		return nil, err
	}
	defer client.Close()
	producer, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		return nil, err
	}
	defer producer.Close()
	msgs := make([]*sarama.ProducerMessage, perCodec)
	out := make([]*sent, perCodec)
	for i := range msgs {
		s := &sent{
			key:     fmt.Sprintf("key-%d", i%11),
			value:   fmt.Sprintf("%s value %d %s", name, i, strings.Repeat("x", i%40)),
			headers: map[string]string{"codec": name, "index": strconv.Itoa(i)},
		}
		m := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(s.key),
			Value: sarama.StringEncoder(s.value)}
		for k, v := range s.headers {
			m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
		}
		if !base.IsZero() {
			s.ts = base.Add(time.Duration(i) * time.Second)
			if i%4 == 3 {
				s.ts = s.ts.Add(-3500 * time.Millisecond)
			}
			m.Timestamp = s.ts
		}
		msgs[i], out[i] = m, s
	}
	if err := producer.SendMessages(msgs); err != nil {
		return nil, err
	}
	for i, m := range msgs {
		out[i].partition, out[i].offset = m.Partition, m.Offset
	}
	return out, nil
}

// byPartition orders what was sent by partition and offset: what each
// partition must return.
func byPartition(all []*sent) map[int32][]*sent {
	m := map[int32][]*sent{}
	for _, s := range all {
		m[s.partition] = append(m[s.partition], s)
	}
	for _, l := range m {
		sort.Slice(l, func(a, b int) bool { return l[a].offset < l[b].offset })
	}
	return m
}

func headersOf(hs []*sarama.RecordHeader) map[string]string {
	m := map[string]string{}
	for _, h := range hs {
		m[string(h.Key)] = string(h.Value)
	}
	return m
}

// check compares one consumed record with the one expected at that position.
func check(how string, want *sent, got *sarama.ConsumerMessage, lat [2]time.Time) {
	where := fmt.Sprintf("%s %s-%d@%d", how, got.Topic, got.Partition, got.Offset)
	if got.Offset != want.offset || got.Partition != want.partition {
		fail("%s: expected %d@%d (order per partition)", where, want.partition, want.offset)
		return
	}
	if string(got.Key) != want.key || string(got.Value) != want.value {
		fail("%s: key/value %q/%q, want %q/%q", where, got.Key, got.Value, want.key, want.value)
	}
	h := headersOf(got.Headers)
	if len(h) != len(want.headers) || len(got.Headers) != len(want.headers) {
		fail("%s: headers %v, want %v", where, h, want.headers)
	}
	for k, v := range want.headers {
		if h[k] != v {
			fail("%s: header %s=%q, want %q", where, k, h[k], v)
		}
	}
	if !want.ts.IsZero() {
		if !got.Timestamp.Equal(want.ts) {
			fail("%s: timestamp %v, want %v", where, got.Timestamp, want.ts)
		}
	} else if got.Timestamp.Before(lat[0]) || got.Timestamp.After(lat[1]) {
		fail("%s: LogAppendTime %v outside the produce window [%v, %v]", where, got.Timestamp,
			lat[0], lat[1])
	}
}

// consumePartitions reads every partition from the start with partition
// consumers until each has returned what was sent to it.
func consumePartitions(addr, topic string, want map[int32][]*sent, lat [2]time.Time) error {
	consumer, err := sarama.NewConsumer([]string{addr}, newConfig(sarama.CompressionNone))
	if err != nil {
		return err
	}
	defer consumer.Close()
	for p := int32(0); p < partitions; p++ {
		expected := want[p]
		if len(expected) == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return err
		}
		timeout := time.After(waitTimeout)
		for i := 0; i < len(expected); {
			select {
			case m := <-pc.Messages():
				check("partition consumer", expected[i], m, lat)
				i++
			case e := <-pc.Errors():
				pc.Close()
				return fmt.Errorf("%s-%d: %v", topic, p, e)
			case <-timeout:
				pc.Close()
				return fmt.Errorf("%s-%d: %d of %d records within %v", topic, p, i, len(expected), waitTimeout)
			}
		}
		pc.Close()
	}
	return nil
}

type groupHandler struct {
	mu   sync.Mutex
	got  map[int32][]*sarama.ConsumerMessage
	need int
	done chan struct{}
	once sync.Once
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *groupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		h.got[m.Partition] = append(h.got[m.Partition], m)
		n := 0
		for _, l := range h.got {
			n += len(l)
		}
		h.mu.Unlock()
		sess.MarkMessage(m, "")
		if n >= h.need {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

// consumeGroup reads the topic with a consumer group (join, sync, fetch,
// commit) and compares every partition's records in order.
func consumeGroup(addr, topic string, want map[int32][]*sent, lat [2]time.Time) error {
	client, err := sarama.NewClient([]string{addr}, newConfig(sarama.CompressionNone))
	if err != nil {
		return err
	}
	defer client.Close()
	group, err := sarama.NewConsumerGroupFromClient("sarama-e2e-"+topic, client)
	if err != nil {
		return err
	}
	defer group.Close()
	need := 0
	for _, l := range want {
		need += len(l)
	}
	h := &groupHandler{got: map[int32][]*sarama.ConsumerMessage{}, need: need, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	errs := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := group.Consume(ctx, []string{topic}, h); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	select {
	case <-h.done:
		cancel()
	case <-ctx.Done():
		return fmt.Errorf("consumer group read %d of %d records within %v", len(h.got), need, waitTimeout)
	case err := <-errs:
		return fmt.Errorf("consumer group: %v", err)
	}
	<-errs
	h.mu.Lock()
	defer h.mu.Unlock()
	for p, expected := range want {
		got := h.got[p]
		if len(got) != len(expected) {
			fail("group %s-%d: %d records, want %d", topic, p, len(got), len(expected))
			continue
		}
		for i := range expected {
			check("consumer group", expected[i], got[i], lat)
		}
	}
	// The group committed where it stopped: the end of each partition.
	om, err := sarama.NewOffsetManagerFromClient("sarama-e2e-"+topic, client)
	if err != nil {
		return err
	}
	defer om.Close()
	for p, expected := range want {
		pom, err := om.ManagePartition(topic, p)
		if err != nil {
			return err
		}
		if off, _ := pom.NextOffset(); off != expected[len(expected)-1].offset+1 {
			fail("group %s-%d committed %d, want %d", topic, p, off, expected[len(expected)-1].offset+1)
		}
		pom.Close()
	}
	return nil
}

// checkOffsetsForTimes asks ListOffsets, for every record's timestamp, for
// the first offset at or after it, and compares with what was sent. This is
// where a batch stored with sarama's maxTimestamp of -1 would go wrong: the
// broker skips batches whose maxTimestamp is below the target.
func checkOffsetsForTimes(addr, topic string, want map[int32][]*sent) error {
	client, err := sarama.NewClient([]string{addr}, newConfig(sarama.CompressionNone))
	if err != nil {
		return err
	}
	defer client.Close()
	for p, records := range want {
		for _, r := range records {
			target := r.ts.UnixNano() / int64(time.Millisecond)
			expected := int64(-1)
			for _, c := range records {
				if c.ts.UnixNano()/int64(time.Millisecond) >= target && (expected < 0 || c.offset < expected) {
					expected = c.offset
				}
			}
			got, err := client.GetOffset(topic, p, target)
			if err != nil {
				return fmt.Errorf("ListOffsets %s-%d at %d: %v", topic, p, target, err)
			}
			if got != expected {
				fail("ListOffsets %s-%d at %d: offset %d, want %d", topic, p, target, got, expected)
			}
		}
		last := records[len(records)-1]
		after := last.ts.Add(time.Hour).UnixNano() / int64(time.Millisecond)
		if got, err := client.GetOffset(topic, p, after); err != nil || got != -1 {
			fail("ListOffsets %s-%d after every record: %d (%v), want -1", topic, p, got, err)
		}
	}
	return nil
}

func run(b *broker) error {
	codecs := []struct {
		codec sarama.CompressionCodec
		name  string
	}{
		{sarama.CompressionNone, "none"}, {sarama.CompressionGZIP, "gzip"},
		{sarama.CompressionSnappy, "snappy"}, {sarama.CompressionLZ4, "lz4"},
		{sarama.CompressionZSTD, "zstd"},
	}
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	for ci, c := range codecs {
		topic := "sarama-" + c.name
		if err := createTopic(b.addr, topic, nil); err != nil {
			return fmt.Errorf("create %s: %v", topic, err)
		}
		records, err := produce(b.addr, topic, c.codec, c.name, base.Add(time.Duration(ci)*time.Minute))
		if c.codec == sarama.CompressionZSTD {
			// Kafka's answer to zstd in Produce v3 (KIP-110): a refusal.
			if err == nil {
				return fmt.Errorf("zstd produce with Produce v3 was accepted; Kafka refuses it with UNSUPPORTED_COMPRESSION_TYPE")
			}
			errs, ok := err.(sarama.ProducerErrors)
			if !ok || len(errs) != perCodec {
				return fmt.Errorf("zstd produce: %v", err)
			}
			for _, e := range errs {
				if e.Err != sarama.ErrUnsupportedCompressionType {
					return fmt.Errorf("zstd produce refused with %v, want %v", e.Err, sarama.ErrUnsupportedCompressionType)
				}
			}
			fmt.Println("ok zstd: refused in Produce v3 with UNSUPPORTED_COMPRESSION_TYPE, as Kafka does")
			continue
		}
		if err != nil {
			return fmt.Errorf("produce %s: %v", c.name, err)
		}
		want := byPartition(records)
		if len(want) < 2 {
			fail("%s: %d records all went to %d partition(s); keys should spread them", c.name, perCodec, len(want))
		}
		if err := consumePartitions(b.addr, topic, want, [2]time.Time{}); err != nil {
			return fmt.Errorf("%s partition consumers: %v", c.name, err)
		}
		if err := consumeGroup(b.addr, topic, want, [2]time.Time{}); err != nil {
			return fmt.Errorf("%s consumer group: %v", c.name, err)
		}
		if err := checkOffsetsForTimes(b.addr, topic, want); err != nil {
			return fmt.Errorf("%s: %v", c.name, err)
		}
		fmt.Printf("ok %s: %d records over %d partitions produced and read back\n", c.name, perCodec, len(want))
	}

	// LogAppendTime: the broker's clock, not sarama's -1 nor the producer's
	// time, is every record's timestamp.
	topic := "sarama-logappendtime"
	if err := createTopic(b.addr, topic, map[string]string{"message.timestamp.type": "LogAppendTime"}); err != nil {
		return fmt.Errorf("create %s: %v", topic, err)
	}
	before := time.Now().Add(-time.Second)
	records, err := produce(b.addr, topic, sarama.CompressionLZ4, "lat", base)
	if err != nil {
		return fmt.Errorf("produce LogAppendTime: %v", err)
	}
	for _, r := range records {
		r.ts = time.Time{}
	}
	window := [2]time.Time{before, time.Now().Add(time.Second)}
	want := byPartition(records)
	if err := consumePartitions(b.addr, topic, want, window); err != nil {
		return fmt.Errorf("LogAppendTime partition consumers: %v", err)
	}
	fmt.Printf("ok LogAppendTime: %d records stamped by the broker\n", perCodec)
	return nil
}

func main() {
	b, err := startKeel()
	if b != nil {
		defer os.RemoveAll(b.dir)
	}
	if err != nil {
		fmt.Println("FAIL:", err)
		if b != nil {
			fmt.Println(b.logTail())
		}
		os.Exit(1)
	}
	err = run(b)
	b.stop()
	if err != nil {
		fail("%v", err)
	}
	if len(failures) > 0 {
		fmt.Printf("%d check(s) failed; broker log tail:\n%s\n", len(failures), b.logTail())
		os.Exit(1)
	}
	fmt.Println("PASS")
}
