package importer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tallyhq/tally/internal/usage"
)

// discard is a Sink that stores nothing and calls every event new.
type discard struct{}

func (discard) Put(_ context.Context, events []*usage.Event) (Tally, error) {
	return Tally{New: int64(len(events))}, nil
}

func benchRead(b *testing.B, name string, data []byte) {
	b.Helper()
	o := Options{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var st Stats
		err := o.ReadFile(context.Background(), name, bytes.NewReader(data), discard{}, &st)
		if err != nil {
			b.Fatal(err)
		}
		if st.Rejected != 0 || st.Events == 0 {
			b.Fatalf("stats %+v", st)
		}
	}
}

// BenchmarkReadClaudeCode reads a 64 MB Claude Code session: per call two
// assistant lines (6 and 9 KB of content) and a 4 KB user line.
func BenchmarkReadClaudeCode(b *testing.B) {
	benchRead(b, "projects/p/"+synthSession+".jsonl", synthClaude(64<<20))
}

// BenchmarkReadCodex reads a 32 MB Codex rollout.
func BenchmarkReadCodex(b *testing.B) {
	benchRead(b, "sessions/2026/02/23/rollout-x.jsonl", synthCodex(32<<20))
}

// BenchmarkReadGeneric reads 32 MB of generic JSON Lines.
func BenchmarkReadGeneric(b *testing.B) {
	benchRead(b, "usage.jsonl", synthGeneric(32<<20))
}

// BenchmarkScan validates one 15 KB Claude Code assistant line.
func BenchmarkScan(b *testing.B) {
	line := []byte(claudeAssistantLine(15000, "msg_1", "req_1", 13))
	var s scanner
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := s.scan(line); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadAllClaudeCode reads 8 session files of 16 MB from disk
// (the page cache, after the first pass) with two workers.
func BenchmarkReadAllClaudeCode(b *testing.B) {
	dir := b.TempDir()
	data := synthClaude(16 << 20)
	for i := range 8 {
		name := filepath.Join(dir, fmt.Sprintf("%d", i), synthSession+".jsonl")
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(8 * int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var st Stats
		err := Options{}.ReadAll(context.Background(), []string{dir}, discard{}, 2, &st)
		if err != nil || st.Rejected != 0 {
			b.Fatal(err, st.Rejected)
		}
	}
}
