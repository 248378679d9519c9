package importer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tallyhq/tally/internal/usage"
)

const (
	childID  = "019c9000-0000-7000-8000-000000000001" // UUIDv7, later than the parent's
	parentID = "019c8000-0000-7000-8000-000000000002"
	oldTurn  = "019c8000-1111-7000-8000-000000000003" // minted before the child
	ownTurn  = "019c9000-2222-7000-8000-000000000004" // minted after the child
)

// cx builds rollout lines with one timestamp per line number.
type cx struct{ ls []string }

func (c *cx) add(typ, payload string) *cx {
	ts := fmt.Sprintf("2026-02-23T19:%02d:%02d.000Z", len(c.ls)/60, len(c.ls)%60)
	c.ls = append(c.ls, codexLine(ts, typ, payload))
	return c
}

func (c *cx) meta(payload string) *cx { return c.add("session_meta", payload) }

func (c *cx) turn(model, turnID string) *cx {
	payload := fmt.Sprintf(`{"turn_id":%q,"model":%q,"cwd":"/w"}`, turnID, model)
	return c.add("turn_context", payload)
}

// tokens adds a token_count with total and last as (input, cached,
// output, reasoning).
func (c *cx) tokens(total, last [4]int64) *cx {
	return c.add("event_msg", codexTokens(total, last))
}

func (c *cx) body() string { return lines(c.ls...) }

func childMeta(parentField string) string {
	return fmt.Sprintf(`{"id":%q,"timestamp":"2026-02-23T19:00:00Z","cwd":"/w",`+
		`"cli_version":"0.120.0",%s}`, childID, parentField)
}

func TestCodex(t *testing.T) {
	t.Run("deltas_and_unchanged_totals", func(t *testing.T) {
		c := (&cx{}).meta(codexMeta).turn("gpt-5.3-codex", ownTurn).
			add("event_msg", `{"type":"token_count","info":null}`).
			tokens([4]int64{1000, 200, 50, 10}, [4]int64{1000, 200, 50, 10}).
			tokens([4]int64{1000, 200, 50, 10}, [4]int64{1000, 200, 50, 10}).
			tokens([4]int64{2500, 1100, 80, 15}, [4]int64{1500, 900, 30, 5})
		st, events := readFiles(t, Options{}, file{"rollout-a.jsonl", c.body()})
		// meta, turn, info null: skipped; 2 changes; 1 re-emit.
		wantCounts(t, st, counts{Files: 1, Lines: 6, Events: 2, Duplicates: 1, Skipped: 3})
		want := []usage.Tokens{
			{InputUncached: 800, CacheRead: 200, Output: 50, Reasoning: 10}, // 1000-200
			{InputUncached: 600, CacheRead: 900, Output: 30, Reasoning: 5},  // 1500-900
		}
		for i, e := range events {
			if e.Tokens != want[i] {
				t.Errorf("event %d got %+v, want %+v", i, e.Tokens, want[i])
			}
		}
		if k := events[1].Keys[0]; k != "codex:gpt-5.3-codex:1500,900,0,30,5:2500,1100,0,80,15" {
			t.Errorf("key got %s", k)
		}
	})
	t.Run("reset_takes_last_token_usage", func(t *testing.T) {
		c := (&cx{}).meta(codexMeta).turn("gpt-5", ownTurn).
			tokens([4]int64{5000, 0, 100, 0}, [4]int64{5000, 0, 100, 0}).
			tokens([4]int64{700, 100, 20, 0}, [4]int64{700, 100, 20, 0}).
			tokens([4]int64{1500, 300, 50, 0}, [4]int64{800, 200, 30, 0})
		_, events := readFiles(t, Options{}, file{"rollout-b.jsonl", c.body()})
		// 700 < 5000: the delta is negative, so last_token_usage (700, 100,
		// 20) is the call; then 1500-700 = 800 as usual.
		want := []int64{5000, 600, 600}
		for i, e := range events {
			if e.Tokens.InputUncached != want[i] {
				t.Errorf("event %d uncached got %d, want %d", i, e.Tokens.InputUncached, want[i])
			}
		}
	})
	t.Run("model_change_and_cache_writes", func(t *testing.T) {
		c := (&cx{}).meta(codexMeta).turn("gpt-5.3-codex", ownTurn).
			tokens([4]int64{100, 0, 1, 0}, [4]int64{100, 0, 1, 0}).turn("gpt-5.4", ownTurn).
			add("event_msg", `{"type":"token_count","info":{"total_token_usage":`+
				`{"input_tokens":400,"cached_input_tokens":50,"cache_write_input_tokens":30,`+
				`"output_tokens":2}}}`)
		_, events := readFiles(t, Options{}, file{"rollout-c.jsonl", c.body()})
		if events[0].ModelReported != "gpt-5.3-codex" || events[1].ModelReported != "gpt-5.4" {
			t.Errorf("models got %q %q", events[0].ModelReported, events[1].ModelReported)
		}
		// Δinput 300 − Δcached 50 − Δwrite 30 = 220 uncached.
		want := usage.Tokens{InputUncached: 220, CacheRead: 50, CacheWrite5m: 30, Output: 1}
		if e := events[1]; e.Tokens != want || e.Flags != usage.FlagTTLAssumed {
			t.Errorf("got %+v flags %b, want %+v and ttl_assumed", e.Tokens, e.Flags, want)
		}
	})
	t.Run("no_turn_context_model_assumed_unpriced", func(t *testing.T) {
		c := (&cx{}).meta(codexMeta).tokens([4]int64{10, 0, 1, 0}, [4]int64{10, 0, 1, 0})
		_, events := readFiles(t, Options{}, file{"rollout-d.jsonl", c.body()})
		e := events[0]
		if e.ModelReported != "" || e.Flags != usage.FlagModelAssumed|usage.FlagUnpriced {
			t.Errorf("model, flags got %q %b", e.ModelReported, e.Flags)
		}
	})
	t.Run("cached_above_input_rejected", func(t *testing.T) {
		c := (&cx{}).meta(codexMeta).turn("gpt-5", ownTurn).
			tokens([4]int64{10, 20, 1, 0}, [4]int64{10, 20, 1, 0})
		st, _ := readFiles(t, Options{}, file{"rollout-e.jsonl", c.body()})
		wantRejects(t, st, "3:cached and cache-write tokens exceed input_tokens")
	})
}

func TestCodexForks(t *testing.T) {
	replay := func(parentField string) *cx {
		// The child's meta, then the parent's meta and two replayed turns.
		return (&cx{}).meta(childMeta(parentField)).
			meta(fmt.Sprintf(`{"id":%q,"cwd":"/w"}`, parentID)).
			turn("gpt-5", oldTurn).tokens([4]int64{1000, 0, 10, 0}, [4]int64{1000, 0, 10, 0}).
			turn("gpt-5", oldTurn).tokens([4]int64{3000, 500, 30, 0}, [4]int64{2000, 500, 20, 0})
	}
	for name, field := range map[string]string{
		"forked_from_id": fmt.Sprintf(`"forked_from_id":%q`, parentID),
		"thread_spawn": fmt.Sprintf(`"source":{"subagent":{"thread_spawn":`+
			`{"parent_thread_id":%q,"depth":1}}}`, parentID),
	} {
		t.Run(name+"_replay_sets_baseline", func(t *testing.T) {
			c := replay(field).turn("gpt-5.4", ownTurn).
				tokens([4]int64{3000, 500, 30, 0}, [4]int64{2000, 500, 20, 0}).
				tokens([4]int64{4200, 1400, 45, 0}, [4]int64{1200, 900, 15, 0})
			st, events := readFiles(t, Options{}, file{"rollout-child.jsonl", c.body()})
			// Skipped: 2 metas + 3 turn_contexts. The 2 replayed counts and
			// the unchanged one after the own turn are duplicates.
			wantCounts(t, st, counts{Files: 1, Lines: 9, Events: 1, Duplicates: 3, Skipped: 5})
			e := events[0]
			// 4200-3000 = 1200 input, 1400-500 = 900 cached: 300 uncached.
			want := usage.Tokens{InputUncached: 300, CacheRead: 900, Output: 15}
			if e.Tokens != want || e.ModelReported != "gpt-5.4" {
				t.Errorf("got %+v %q, want %+v gpt-5.4", e.Tokens, e.ModelReported, want)
			}
			if e.Evidence.SessionID != childID || e.Evidence.ParentSessionID != parentID {
				t.Errorf("session, parent got %q %q (the later session_meta starts nothing)",
					e.Evidence.SessionID, e.Evidence.ParentSessionID)
			}
		})
	}
	t.Run("child_without_replay_starts_from_zero", func(t *testing.T) {
		c := (&cx{}).meta(childMeta(fmt.Sprintf(`"forked_from_id":%q`, parentID))).
			turn("gpt-5", ownTurn).tokens([4]int64{900, 100, 9, 0}, [4]int64{900, 100, 9, 0})
		_, events := readFiles(t, Options{}, file{"rollout-child.jsonl", c.body()})
		if len(events) != 1 || events[0].Tokens.InputUncached != 800 {
			t.Errorf("events got %d, want one of 900-100 = 800 uncached", len(events))
		}
	})
	t.Run("session_id_naming_the_parent", func(t *testing.T) {
		c := (&cx{}).meta(childMeta(fmt.Sprintf(`"session_id":%q`, parentID))).
			turn("gpt-5", ownTurn).tokens([4]int64{9, 0, 1, 0}, [4]int64{9, 0, 1, 0})
		_, events := readFiles(t, Options{}, file{"rollout-child.jsonl", c.body()})
		if got := events[0].Evidence.ParentSessionID; got != parentID {
			t.Errorf("parent got %q, want %s", got, parentID)
		}
	})
	t.Run("archived_copy_dedupes_across_files", func(t *testing.T) {
		body := replay(fmt.Sprintf(`"forked_from_id":%q`, parentID)).turn("gpt-5", ownTurn).
			tokens([4]int64{4000, 500, 40, 0}, [4]int64{1000, 0, 10, 0}).body()
		st, events := readFiles(t, Options{},
			file{"sessions/2026/02/23/rollout-x.jsonl", body},
			file{"archived_sessions/rollout-x.jsonl", body})
		// Per file 8 lines: 1 event, 2 replay duplicates, 5 skipped.
		wantCounts(t, st, counts{Files: 2, Lines: 16, Events: 1, Duplicates: 5, Skipped: 10})
		if len(events) != 1 {
			t.Errorf("events got %d, want 1", len(events))
		}
	})
	t.Run("bad_line_rejected", func(t *testing.T) {
		body := strings.Replace((&cx{}).meta(codexMeta).body(), `"cwd"`, `"cwd`, 1)
		st, _ := readFiles(t, Options{}, file{"rollout-x.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 1, Rejected: 1})
	})
}
