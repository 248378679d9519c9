package importer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/usage"
)

// The expected figures below were counted by hand from the fixture files
// (see the comments); none is read back from the code under test.

// readFixture reads one file of shared/fixtures/real with ReadFile.
func readFixture(t *testing.T, rel string) (Stats, []*usage.Event) {
	t.Helper()
	name := filepath.Join(sharedDir(t), "fixtures", "real", rel)
	body, err := os.ReadFile(name)
	must(t, err)
	return readFiles(t, Options{}, file{name, string(body)})
}

func TestFixtureClaudeCodeFiveBlocks(t *testing.T) {
	st, events := readFixture(t, "claude-code/real-2.1.38-one-call-five-blocks.jsonl")
	// 15 lines. Skipped: 1 file-history-snapshot (line 1) + 3 hook_progress
	// (2, 3, 9) + 4 user (4, 11, 12, 13) + 2 system (14, 15) = 10.
	// Lines 5, 6, 7, 8, 10 are one call (msg_01MKH1cc…, req_011CY15Q…):
	// 1 event + 4 duplicates. 10 + 1 + 4 = 15.
	wantCounts(t, st, counts{Files: 1, Lines: 15, Events: 1, Duplicates: 4, Skipped: 10})
	if len(events) != 1 {
		t.Fatalf("events got %d, want 1", len(events))
	}
	e := events[0]
	// Every block repeats input 3, read 11515, 1h 13835 (split 0 + 13835
	// equals the flat 13835, so no TTL is assumed), output 13.
	want := usage.Tokens{InputUncached: 3, CacheRead: 11515, CacheWrite1h: 13835, Output: 13}
	if e.Tokens != want {
		t.Errorf("tokens got %+v, want %+v", e.Tokens, want)
	}
	if e.SourceLine != 5 {
		t.Errorf("source line got %d, want 5 (the earliest block)", e.SourceLine)
	}
	at := time.Date(2026, 2, 10, 21, 11, 59, 186e6, time.UTC)
	if !e.OccurredAt.Equal(at) {
		t.Errorf("occurred_at got %v, want %v", e.OccurredAt, at)
	}
	checkClaudeCall(t, e, "claude-opus-4-6", usage.RankPrimary, 0)
	if e.ServiceTier != "standard" || e.InferenceGeo != "" {
		t.Errorf("tier, geo got %q, %q, want standard and none (not_available)",
			e.ServiceTier, e.InferenceGeo)
	}
	ev := usage.Evidence{CWD: "/home/user1/projects/spotter", GitBranch: "master",
		SessionID: "55604662-cf2a-4331-851a-ec234028f8ca", Agent: "claude-code",
		Version: "2.1.38"}
	if e.Evidence != ev {
		t.Errorf("evidence got %+v, want %+v", e.Evidence, ev)
	}
	keys := []string{"claude:r:msg_01MKH1ccEGrZGNPvu8pYiiQa:req_011CY15QS2LGwAeBxdfa6e1V",
		"claude:s:55604662-cf2a-4331-851a-ec234028f8ca:msg_01MKH1ccEGrZGNPvu8pYiiQa"}
	if len(e.Keys) != 2 || e.Keys[0] != keys[0] || e.Keys[1] != keys[1] {
		t.Errorf("keys got %v, want %v", e.Keys, keys)
	}
}

func checkClaudeCall(t *testing.T, e *usage.Event, model string, rank usage.Rank,
	flags usage.Flags) {
	t.Helper()
	if e.SourceFormat != usage.FormatClaudeCode || e.Provider != "anthropic" ||
		e.Policy != usage.PolicyBest || e.Requests != 1 {
		t.Errorf("format, provider, policy, requests got %s %s %d %d", e.SourceFormat,
			e.Provider, e.Policy, e.Requests)
	}
	if e.ModelReported != model || e.Rank != rank || e.Flags != flags {
		t.Errorf("model, rank, flags got %q %d %b, want %q %d %b", e.ModelReported, e.Rank,
			e.Flags, model, rank, flags)
	}
}

func TestFixtureClaudeCodeInlineSidechain(t *testing.T) {
	st, events := readFixture(t, "claude-code/real-2.0.46-inline-sidechain.jsonl")
	// 6 lines: 1 main call (line 1), user (2), a sidechain call written
	// twice (3, 4), sidechain user (5), main call (6). Events 3, duplicates
	// 1, skipped 2: 3 + 1 + 2 = 6.
	wantCounts(t, st, counts{Files: 1, Lines: 6, Events: 3, Duplicates: 1, Skipped: 2})
	if len(events) != 3 {
		t.Fatalf("events got %d, want 3", len(events))
	}
	// All three carry only a flat cache_creation_input_tokens: 141272,
	// 19830 and 2952 go to 5m with ttl_assumed. Outputs 365, 183, 190.
	wantTok := []usage.Tokens{
		{InputUncached: 3, CacheWrite5m: 141272, Output: 365},
		{InputUncached: 3, CacheWrite5m: 19830, Output: 183},
		{InputUncached: 3, CacheRead: 141272, CacheWrite5m: 2952, Output: 190},
	}
	wantRank := []usage.Rank{usage.RankPrimary, usage.RankSidechain, usage.RankPrimary}
	wantLine := []int{1, 3, 6} // the sidechain call's earlier line is 3
	for i, e := range events {
		if e.Tokens != wantTok[i] || e.SourceLine != wantLine[i] {
			t.Errorf("event %d tokens, line got %+v %d, want %+v %d", i, e.Tokens,
				e.SourceLine, wantTok[i], wantLine[i])
		}
		// The sidechain lines have stop_reason "tool_use": final, not suspect.
		checkClaudeCall(t, e, "claude-sonnet-4-5-20250929", wantRank[i], usage.FlagTTLAssumed)
		cwd := `e:\Workspace\src\github\claude-code-log` // unescaped from "e:\\Workspace…"
		if e.WebSearchRequests != 0 || e.Evidence.CWD != cwd {
			t.Errorf("event %d web search, cwd got %d %q", i, e.WebSearchRequests, e.Evidence.CWD)
		}
	}
	// Totals: output 365 + 183 + 190 = 738; 5m 141272 + 19830 + 2952 = 164054.
	sum := sumTokens(events)
	if sum.Output != 738 || sum.CacheWrite5m != 164054 || sum.CacheRead != 141272 {
		t.Errorf("sum got %+v, want output 738, 5m 164054, read 141272", sum)
	}
}

func TestFixtureCodexRollout(t *testing.T) {
	st, events := readFixture(t, "codex/real-0.104-rollout.jsonl")
	// 63 lines. token_count lines: 12 (info null), 18, 21, 27, 30, 36, 39,
	// 45, 48, 54, 57, 62. The total changes at 18, 27, 36, 45, 54, 62 (6
	// events); 21, 30, 39, 48, 57 repeat the previous total (5 duplicates).
	// Skipped: session_meta (1) + 6 turn_context (11, 20, 29, 38, 47, 56)
	// + line 12 + 44 response_item and other event_msg lines = 52.
	// 6 + 5 + 52 = 63.
	wantCounts(t, st, counts{Files: 1, Lines: 63, Events: 6, Duplicates: 5, Skipped: 52})
	if len(events) != 6 {
		t.Fatalf("events got %d, want 6", len(events))
	}
	// Deltas of (input, cached, output, reasoning) between the totals:
	// 42772-0, 3456, 204, 124          → uncached 42772-3456   = 39316
	// 86990-42772=44218, 42880, 96, 17  → uncached 44218-42880 = 1338
	// 135959-86990=48969, 44288, 245, 143 → 48969-44288        = 4681
	// 185285-135959=49326, 49152, 179, 81 → 49326-49152        = 174
	// 234932-185285=49647, 49408, 113, 22 → 49647-49408        = 239
	// 298373-234932=63441, 49664, 286, 96 → 63441-49664        = 13777
	want := []usage.Tokens{
		{InputUncached: 39316, CacheRead: 3456, Output: 204, Reasoning: 124},
		{InputUncached: 1338, CacheRead: 42880, Output: 96, Reasoning: 17},
		{InputUncached: 4681, CacheRead: 44288, Output: 245, Reasoning: 143},
		{InputUncached: 174, CacheRead: 49152, Output: 179, Reasoning: 81},
		{InputUncached: 239, CacheRead: 49408, Output: 113, Reasoning: 22},
		{InputUncached: 13777, CacheRead: 49664, Output: 286, Reasoning: 96},
	}
	lines := []int{18, 27, 36, 45, 54, 62}
	ev := usage.Evidence{SessionID: "019c8bfe-ec25-79e0-97d7-bda6a9c575ff",
		CWD: "/redacted/path/ea96e59ed9", GitBranch: "main",
		GitRemote: "redacted://url/4eecca0551", Agent: "codex", Version: "0.104.0-alpha.1"}
	for i, e := range events {
		if e.Tokens != want[i] || e.SourceLine != lines[i] {
			t.Errorf("event %d got %+v line %d, want %+v line %d", i, e.Tokens, e.SourceLine,
				want[i], lines[i])
		}
		if e.ModelReported != "gpt-5.3-codex" || e.Provider != "openai" || e.Flags != 0 ||
			e.Policy != usage.PolicyKeepFirst || e.Evidence != ev {
			t.Errorf("event %d got model %q provider %q flags %b policy %d evidence %+v",
				i, e.ModelReported, e.Provider, e.Flags, e.Policy, e.Evidence)
		}
	}
	// The sums equal the last cumulative total: input 59525 + 238848 =
	// 298373, output 1123, reasoning 483.
	sum := sumTokens(events)
	if sum.InputUncached != 59525 || sum.CacheRead != 238848 || sum.Output != 1123 ||
		sum.Reasoning != 483 {
		t.Errorf("sum got %+v", sum)
	}
	at := time.Date(2026, 2, 23, 19, 34, 39, 388e6, time.UTC) // line 18, in UTC
	if !events[0].OccurredAt.Equal(at) {
		t.Errorf("first occurred_at got %v, want %v", events[0].OccurredAt, at)
	}
}

// TestFixturesReimport reads every real fixture twice, with Walk and with
// ReadAll on two workers: the second pass adds nothing.
func TestFixturesReimport(t *testing.T) {
	root := filepath.Join(sharedDir(t), "fixtures", "real")
	m := NewMemory()
	var first, second Stats
	o := Options{}
	ctx := context.Background()
	must(t, Walk(ctx, []string{root}, Limits{}, func(name string, r io.Reader) error {
		return o.ReadFile(ctx, name, r, m, &first)
	}))
	// 3 files: 15 + 6 + 63 = 84 lines; events 1 + 3 + 6 = 10; duplicates
	// 4 + 1 + 5 = 10; skipped 10 + 2 + 52 = 64.
	wantCounts(t, first, counts{Files: 3, Lines: 84, Events: 10, Duplicates: 10, Skipped: 64})
	must(t, o.ReadAll(ctx, []string{root}, m, 2, &second))
	// Again: the 10 calls are now duplicates too, 20 in all.
	wantCounts(t, second, counts{Files: 3, Lines: 84, Duplicates: 20, Skipped: 64})
	if n := len(m.Events()); n != 10 {
		t.Errorf("stored calls got %d, want 10", n)
	}
}
