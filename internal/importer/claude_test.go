package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/usage"
)

const (
	sessA = "aaaaaaaa-0000-4000-8000-000000000001"
	sessB = "bbbbbbbb-0000-4000-8000-000000000002"
)

func TestClaudeCode(t *testing.T) {
	t.Run("merges_content_block_copies", func(t *testing.T) {
		// One response as three block lines; only the last has the final output.
		body := lines(
			cc{session: sessA, msg: "m1", req: "r1", out: 1, ts: "2026-02-10T10:00:01Z"}.line(),
			cc{session: sessA, msg: "m1", req: "r1", out: 1, ts: "2026-02-10T10:00:02Z"}.line(),
			cc{session: sessA, msg: "m1", req: "r1", out: 57, ts: "2026-02-10T10:00:03Z"}.line(),
		)
		st, events := readFiles(t, Options{}, file{"p/" + sessA + ".jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 3, Events: 1, Duplicates: 2})
		e := events[0]
		if e.Tokens.Output != 57 || e.SourceLine != 1 {
			t.Errorf("output, line got %d %d, want 57 (largest) 1 (earliest)", e.Tokens.Output,
				e.SourceLine)
		}
		if want := time.Date(2026, 2, 10, 10, 0, 1, 0, time.UTC); !e.OccurredAt.Equal(want) {
			t.Errorf("occurred_at got %v, want %v", e.OccurredAt, want)
		}
	})
	t.Run("main_line_beats_sidechain_either_order", func(t *testing.T) {
		side := cc{session: sessA, msg: "m1", req: "r1", out: 900, sidechain: true,
			ts: "2026-02-10T10:00:00Z"}.line()
		main := cc{session: sessA, msg: "m1", req: "r1", out: 40,
			ts: "2026-02-10T10:00:05Z"}.line()
		for _, body := range []string{lines(side, main), lines(main, side)} {
			st, events := readFiles(t, Options{}, file{"p/s.jsonl", body})
			wantCounts(t, st, counts{Files: 1, Lines: 2, Events: 1, Duplicates: 1})
			e := events[0]
			if e.Rank != usage.RankPrimary || e.Tokens.Output != 40 {
				t.Errorf("rank, output got %d %d, want primary 40", e.Rank, e.Tokens.Output)
			}
		}
	})
	t.Run("sidechain_replay_with_new_request_id_joins_in_session", func(t *testing.T) {
		body := lines(
			cc{session: sessA, msg: "m1", req: "r1", out: 40}.line(),
			cc{session: sessA, msg: "m1", req: "r2", out: 40, sidechain: true}.line(),
		)
		st, events := readFiles(t, Options{}, file{"p/s.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 2, Events: 1, Duplicates: 1})
		if len(events[0].Keys) != 3 {
			t.Errorf("keys got %v, want both request keys and the session key", events[0].Keys)
		}
	})
	t.Run("lines_without_request_id_join_in_session", func(t *testing.T) {
		body := lines(
			cc{session: sessA, msg: "m1", out: 5}.line(),
			cc{session: sessA, msg: "m1", out: 9}.line(),
			cc{session: sessA, msg: "m2", out: 7}.line(),
		)
		st, events := readFiles(t, Options{}, file{"p/s.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 3, Events: 2, Duplicates: 1})
		if got := sumTokens(events).Output; got != 16 {
			t.Errorf("output got %d, want 9 + 7 = 16", got)
		}
	})
	t.Run("gateway_same_message_id_in_two_sessions_not_merged", func(t *testing.T) {
		a := lines(cc{session: sessA, msg: "msg_gateway", out: 5}.line())
		b := lines(cc{session: sessB, msg: "msg_gateway", out: 6}.line())
		st, events := readFiles(t, Options{}, file{"p/a.jsonl", a}, file{"p/b.jsonl", b})
		wantCounts(t, st, counts{Files: 2, Lines: 2, Events: 2})
		if len(events) != 2 {
			t.Errorf("events got %d, want 2", len(events))
		}
	})
	t.Run("resumed_copy_stays_in_first_session", func(t *testing.T) {
		// The resumed file is read first; its copy of the call is later.
		orig := lines(cc{session: sessA, msg: "m1", req: "r1", out: 30,
			ts: "2026-02-10T10:00:00Z"}.line())
		resumed := lines(cc{session: sessB, msg: "m1", req: "r1", out: 30,
			ts: "2026-02-11T09:00:00Z"}.line())
		st, events := readFiles(t, Options{}, file{"p/" + sessB + ".jsonl", resumed},
			file{"p/" + sessA + ".jsonl", orig})
		// The original's copy moves the call back to its time and session.
		wantCounts(t, st, counts{Files: 2, Lines: 2, Events: 1, Duplicates: 1, Updated: 1})
		e := events[0]
		if e.Evidence.SessionID != sessA || e.SourceFile != "p/"+sessA+".jsonl" {
			t.Errorf("session, file got %s %s, want %s and its file", e.Evidence.SessionID,
				e.SourceFile, sessA)
		}
	})
	t.Run("synthetic_and_usage_less_lines_skipped", func(t *testing.T) {
		body := lines(
			cc{session: sessA, msg: "m0", model: "<synthetic>",
				usage: `{"input_tokens":0}`}.line(),
			`{"type":"assistant","sessionId":"s","message":{"id":"m","content":[]}}`,
			`{"type":"summary","summary":"x","leafUuid":"l"}`,
			`{"type":"queue-operation","operation":"enqueue","sessionId":"s"}`,
			`{"type":"some-future-type","sessionId":"s"}`,
			`{"type":"progress","data":{"type":"bash_progress","output":"x"},"sessionId":"s"}`,
			``,
		)
		st, _ := readFiles(t, Options{}, file{"p/s.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 7, Skipped: 7})
	})
	t.Run("bad_json_line_mid_file_rest_goes_in", func(t *testing.T) {
		body := lines(
			cc{session: sessA, msg: "m1", out: 5}.line(),
			`{"type":"user","message":{"content":"unterminated}`,
			`{"type":"file-history-snapshot","x":[1,2,}`,
			cc{session: sessA, msg: "m2", out: 6}.line(),
		)
		st, events := readFiles(t, Options{}, file{"p/s.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 4, Events: 2, Rejected: 2})
		wantRejects(t, st, "2:invalid JSON: unterminated string", "3:invalid JSON: bad value")
		if len(events) != 2 {
			t.Errorf("events got %d, want 2", len(events))
		}
	})
	t.Run("line_too_long_rejected_next_line_read", func(t *testing.T) {
		long := cc{session: sessA, msg: "m1", out: 5}.line()
		long = strings.Replace(long, `"text":"hi"`, `"text":"`+strings.Repeat("x", 5000)+`"`, 1)
		body := lines(long, cc{session: sessA, msg: "m2", out: 6}.line())
		o := Options{Limits: Limits{MaxLineBytes: 2000}}
		st, events := readFiles(t, o, file{"p/s.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 2, Events: 1, Rejected: 1})
		wantRejects(t, st, "1:line longer than 2000 bytes")
		if events[0].Evidence.SessionID != sessA || events[0].SourceLine != 2 {
			t.Errorf("event got line %d, want 2", events[0].SourceLine)
		}
	})
	t.Run("malformed_usage_and_timestamp_rejected", func(t *testing.T) {
		body := lines(
			cc{session: sessA, msg: "m1", usage: `{"input_tokens":-3,"output_tokens":1}`}.line(),
			cc{session: sessA, msg: "m2", usage: `{"input_tokens":3,"output_tokens":1.5}`}.line(),
			cc{session: sessA, msg: "m3", out: 1, ts: "2026-02-30T10:00:00Z"}.line(),
			cc{session: sessA, usage: `{"output_tokens":1}`}.line(),
		)
		body = strings.Replace(body, `"uuid":"u--0"`, `"uuid":""`, 1)
		st, _ := readFiles(t, Options{}, file{"p/s.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 4, Rejected: 4})
		wantRejects(t, st, "1:usage.input_tokens is negative",
			"2:usage.output_tokens is not a non-negative integer", "3:timestamp:",
			"4:assistant line has neither message.id nor uuid")
	})
	t.Run("cache_creation_ttl_rules", func(t *testing.T) {
		u := func(inner string) string {
			return `{"input_tokens":1,"output_tokens":2,` + inner + `}`
		}
		split := `"cache_creation":{"ephemeral_5m_input_tokens":100,` +
			`"ephemeral_1h_input_tokens":300}`
		body := lines(
			cc{session: sessA, msg: "flat", usage: u(`"cache_creation_input_tokens":500`)}.line(),
			cc{session: sessA, msg: "short",
				usage: u(`"cache_creation_input_tokens":500,` + split)}.line(),
			cc{session: sessA, msg: "exact",
				usage: u(`"cache_creation_input_tokens":400,` + split)}.line(),
		)
		_, events := readFiles(t, Options{}, file{"p/s.jsonl", body})
		want := []struct {
			c5, c1 int64
			flags  usage.Flags
		}{
			{500, 0, usage.FlagTTLAssumed},   // flat alone → 5m
			{200, 300, usage.FlagTTLAssumed}, // 100 + 300 < 500: 100 more to 5m
			{100, 300, 0},                    // split sums to the flat total
		}
		for i, e := range events {
			if e.Tokens.CacheWrite5m != want[i].c5 || e.Tokens.CacheWrite1h != want[i].c1 ||
				e.Flags != want[i].flags {
				t.Errorf("%s got 5m %d 1h %d flags %b, want %+v", e.Keys[0], e.Tokens.CacheWrite5m,
					e.Tokens.CacheWrite1h, e.Flags, want[i])
			}
		}
	})
	t.Run("server_tools_tier_speed_geo", func(t *testing.T) {
		body := lines(cc{session: sessA, msg: "m1", usage: `{"input_tokens":1,"output_tokens":2,` +
			`"server_tool_use":{"web_search_requests":3,"web_fetch_requests":1},` +
			`"service_tier":"priority","speed":"fast","inference_geo":"us"}`}.line(),
			cc{session: sessA, msg: "m2", usage: `{"input_tokens":1,"output_tokens":2,` +
				`"server_tool_use":null,"inference_geo":"not_available"}`}.line())
		_, events := readFiles(t, Options{}, file{"p/s.jsonl", body})
		a, b := events[0], events[1]
		if a.WebSearchRequests != 3 || a.WebFetchRequests != 1 || a.ServiceTier != "priority" ||
			a.Speed != "fast" || a.InferenceGeo != "us" {
			t.Errorf("first got %d %d %q %q %q", a.WebSearchRequests, a.WebFetchRequests,
				a.ServiceTier, a.Speed, a.InferenceGeo)
		}
		if b.WebSearchRequests != 0 || b.InferenceGeo != "" {
			t.Errorf("second got search %d geo %q, want 0 and none", b.WebSearchRequests,
				b.InferenceGeo)
		}
	})
	t.Run("model_written_as_reported", func(t *testing.T) {
		body := lines(cc{session: sessA, msg: "m1", out: 1, model: "claude-opus-4-6[1m]"}.line())
		_, events := readFiles(t, Options{}, file{"p/s.jsonl", body})
		if got := events[0].ModelReported; got != "claude-opus-4-6[1m]" {
			t.Errorf("model got %q, want claude-opus-4-6[1m]", got)
		}
	})
	t.Run("host_and_os_user_stamped", func(t *testing.T) {
		body := lines(cc{session: sessA, msg: "m1", out: 1}.line())
		_, events := readFiles(t, Options{Host: "build-7", OSUser: "ana"}, file{"p/s.jsonl", body})
		if ev := events[0].Evidence; ev.Host != "build-7" || ev.OSUser != "ana" {
			t.Errorf("host, os user got %q %q", ev.Host, ev.OSUser)
		}
	})
	t.Run("whitespace_json_and_crlf", func(t *testing.T) {
		line := `{ "type" : "assistant", "sessionId": "s", "timestamp": "2026-01-01T00:00:00Z",` +
			` "message": { "id": "m", "model": "claude-x", "usage": { "output_tokens": 4 } } }`
		st, events := readFiles(t, Options{}, file{"p/s.jsonl", line + "\r\n" + line + "\r\n"})
		wantCounts(t, st, counts{Files: 1, Lines: 2, Events: 1, Duplicates: 1})
		if events[0].Tokens.Output != 4 {
			t.Errorf("output got %d, want 4", events[0].Tokens.Output)
		}
	})
}

func TestClaudeCodeSubagents(t *testing.T) {
	sub := "proj/" + sessA + "/subagents/agent-a1b2.jsonl"
	t.Run("subagent_file_belongs_to_parent_session_and_agent", func(t *testing.T) {
		body := lines(cc{session: sessA, msg: "m1", req: "r1", out: 12, sidechain: true}.line())
		_, events := readFiles(t, Options{}, file{sub, body})
		e := events[0]
		if e.Evidence.SessionID != sessA || e.Evidence.AgentID != "a1b2" {
			t.Errorf("session, agent got %q %q, want %s a1b2", e.Evidence.SessionID,
				e.Evidence.AgentID, sessA)
		}
		// stop_reason null in a subagent file: the output may never be final.
		checkClaudeCall(t, e, "claude-opus-4-6", usage.RankSidechain, usage.FlagOutputSuspect)
	})
	t.Run("nested_and_workflow_paths", func(t *testing.T) {
		for _, name := range []string{
			"proj/" + sessA + "/subagents/agent-x/subagents/agent-n1.jsonl",
			"proj/" + sessA + "/subagents/workflows/wf_1/agent-n1.jsonl",
		} {
			body := lines(cc{session: "other", msg: "m1", out: 1}.line())
			_, events := readFiles(t, Options{}, file{name, body})
			e := events[0]
			if e.Evidence.SessionID != sessA || e.Evidence.AgentID != "n1" ||
				e.Rank != usage.RankSidechain {
				t.Errorf("%s got session %q agent %q rank %d", name, e.Evidence.SessionID,
					e.Evidence.AgentID, e.Rank)
			}
		}
	})
	t.Run("stop_reason_makes_output_final", func(t *testing.T) {
		body := lines(cc{session: sessA, msg: "m1", out: 12, sidechain: true,
			stop: `"end_turn"`}.line())
		_, events := readFiles(t, Options{}, file{sub, body})
		if events[0].Flags&usage.FlagOutputSuspect != 0 {
			t.Errorf("flags got %b, want no output_suspect", events[0].Flags)
		}
	})
	t.Run("main_session_lines_never_suspect", func(t *testing.T) {
		body := lines(cc{session: sessA, msg: "m1", out: 12}.line())
		_, events := readFiles(t, Options{}, file{"proj/" + sessA + ".jsonl", body})
		if events[0].Flags != 0 {
			t.Errorf("flags got %b, want none", events[0].Flags)
		}
	})
}

func TestClaudeCodeProgressCopies(t *testing.T) {
	call := cc{session: sessA, msg: "m9", req: "r9", out: 80, sidechain: true, agent: "a1b2",
		ts: "2026-02-10T12:00:00Z"}
	parent := file{"proj/" + sessA + ".jsonl", lines(call.progress(sessA, "a1b2"))}
	child := file{"proj/" + sessA + "/subagents/agent-a1b2.jsonl", lines(call.line())}
	t.Run("progress_copy_alone_counts_flagged", func(t *testing.T) {
		st, events := readFiles(t, Options{}, parent)
		wantCounts(t, st, counts{Files: 1, Lines: 1, Events: 1})
		e := events[0]
		checkClaudeCall(t, e, "claude-opus-4-6", usage.RankProgressCopy,
			usage.FlagFromProgressCopy|usage.FlagOutputSuspect)
		if e.Evidence.SessionID != sessA || e.Evidence.AgentID != "a1b2" || e.Tokens.Output != 80 {
			t.Errorf("got session %q agent %q output %d", e.Evidence.SessionID,
				e.Evidence.AgentID, e.Tokens.Output)
		}
		if want := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC); !e.OccurredAt.Equal(want) {
			t.Errorf("occurred_at got %v, want the copied message's %v", e.OccurredAt, want)
		}
	})
	t.Run("top_level_line_replaces_copy_across_files", func(t *testing.T) {
		st, events := readFiles(t, Options{}, parent, child)
		// The copy was stored first; the subagent line raises it.
		wantCounts(t, st, counts{Files: 2, Lines: 2, Events: 1, Duplicates: 1, Updated: 1})
		checkClaudeCall(t, events[0], "claude-opus-4-6", usage.RankSidechain,
			usage.FlagOutputSuspect)
		if events[0].SourceFile != child.name {
			t.Errorf("source got %s, want the subagent file", events[0].SourceFile)
		}
	})
	t.Run("copy_after_top_level_line_is_duplicate", func(t *testing.T) {
		st, events := readFiles(t, Options{}, child, parent)
		wantCounts(t, st, counts{Files: 2, Lines: 2, Events: 1, Duplicates: 1})
		checkClaudeCall(t, events[0], "claude-opus-4-6", usage.RankSidechain,
			usage.FlagOutputSuspect)
	})
	t.Run("within_one_file_either_order", func(t *testing.T) {
		top := cc{session: sessA, msg: "m9", req: "r9", out: 80}.line()
		for _, body := range []string{
			lines(call.progress(sessA, "a1b2"), top), lines(top, call.progress(sessA, "a1b2")),
		} {
			st, events := readFiles(t, Options{}, file{"proj/x.jsonl", body})
			wantCounts(t, st, counts{Files: 1, Lines: 2, Events: 1, Duplicates: 1})
			checkClaudeCall(t, events[0], "claude-opus-4-6", usage.RankPrimary, 0)
		}
	})
	t.Run("copy_without_request_id_joins_by_session", func(t *testing.T) {
		noReq := call
		noReq.req = ""
		st, _ := readFiles(t, Options{},
			file{parent.name, lines(noReq.progress(sessA, "a1b2"))}, child)
		wantCounts(t, st, counts{Files: 2, Lines: 2, Events: 1, Duplicates: 1, Updated: 1})
	})
}
