package importer

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tallyhq/tally/internal/usage"
)

func TestDetect(t *testing.T) {
	claudeHead := cc{session: sessA, msg: "m", out: 1}.line()
	cases := []struct {
		name, head, want string
		err              error
	}{
		{"s.jsonl", claudeHead, usage.FormatClaudeCode, nil},
		{"s.jsonl", claudeHead[:300], usage.FormatClaudeCode, nil}, // cut short by the head
		{"s.jsonl", `{"type":"summary","summary":"x","leafUuid":"l"}`,
			usage.FormatClaudeCode, nil},
		{"s.jsonl", "\xef\xbb\xbf" + `{"type":"file-history-snapshot","messageId":"m"}`,
			usage.FormatClaudeCode, nil},
		{"r.jsonl", codexLine("2026-01-01T00:00:00Z", "session_meta", codexMeta),
			usage.FormatCodex, nil},
		{"u.jsonl", `{"occurred_at":"2026-01-01T00:00:00Z","provider":"x"}`,
			usage.FormatGeneric, nil},
		{"u.csv", "occurred_at,provider\n", usage.FormatGeneric, nil},
		{"u.txt", "\n\n request_id , occurred_at\n", usage.FormatGeneric, nil},
		{"u.csv", "date,model,cost\n", "", ErrUnknownFormat},
		{"x.json", `{"agentType":"Explore"}`, "", ErrUnknownFormat},
		{"x.bin", "\x00\x01\x02", "", ErrUnknownFormat},
		{"p/" + sessA + "/subagents/agent-a.meta.json", `{"agentType":"Explore"}`, "",
			ErrNotUsage},
	}
	for _, c := range cases {
		got, err := Detect(c.name, []byte(c.head))
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("Detect(%s, %.40q) got %q, %v, want %q, %v", c.name, c.head, got, err,
				c.want, c.err)
		}
	}
}

func TestReadFileFormats(t *testing.T) {
	t.Run("forced_format_wins", func(t *testing.T) {
		// A Claude line forced through the Codex parser carries no usage.
		body := lines(cc{session: sessA, msg: "m", out: 1}.line())
		st, _ := readFiles(t, Options{Format: usage.FormatCodex}, file{"s.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 1, Skipped: 1})
		// A generic JSONL file without the keys Detect looks for.
		body = lines(`{"provider":"p","model":"m","occurred_at":"2026-01-01T00:00:00Z",` +
			`"input_tokens":1,"output_tokens":1,"request_id":"q"}`)
		st, _ = readFiles(t, Options{Format: usage.FormatGeneric}, file{"x.log", body})
		wantCounts(t, st, counts{Files: 1, Lines: 1, Events: 1})
	})
	t.Run("unknown_format_rejected_as_a_file", func(t *testing.T) {
		st, _ := readFiles(t, Options{}, file{"notes.txt", "hello\nworld\n"})
		wantCounts(t, st, counts{Files: 1, Lines: 1, Rejected: 1})
		wantRejects(t, st, "0:unknown format")
	})
	t.Run("meta_json_skipped_as_a_file", func(t *testing.T) {
		st, _ := readFiles(t, Options{}, file{"p/s/subagents/agent-a.meta.json", `{"a":1}`})
		wantCounts(t, st, counts{Files: 1, Lines: 1, Skipped: 1})
	})
	t.Run("empty_file", func(t *testing.T) {
		st, _ := readFiles(t, Options{}, file{"e.jsonl", ""})
		wantCounts(t, st, counts{Files: 1})
	})
	t.Run("bad_format_option_is_an_error", func(t *testing.T) {
		var st Stats
		err := Options{Format: "jsonl"}.ReadFile(t.Context(), "x", strings.NewReader("{}"),
			NewMemory(), &st)
		if !errors.Is(err, errBadFormat) {
			t.Errorf("error got %v, want errBadFormat", err)
		}
	})
	t.Run("read_error_rejects_the_rest", func(t *testing.T) {
		body := lines(cc{session: sessA, msg: "m1", out: 1}.line(), cc{session: sessA,
			msg: "m2", out: 1}.line())
		r := io.MultiReader(strings.NewReader(body), iotest.ErrReader(errors.New("disk gone")))
		var st Stats
		must(t, Options{}.ReadFile(t.Context(), "s.jsonl", r, NewMemory(), &st))
		wantCounts(t, st, counts{Files: 1, Lines: 3, Events: 2, Rejected: 1})
		wantRejects(t, st, "3:read error: disk gone")
	})
	t.Run("reject_details_capped_counts_exact", func(t *testing.T) {
		body := strings.Repeat("{bad\n", 50)
		o := Options{Format: usage.FormatClaudeCode, Limits: Limits{MaxRejects: 10}}
		st, _ := readFiles(t, o, file{"s.jsonl", body})
		if st.Rejected != 50 || len(st.Rejects) != 10 {
			t.Errorf("rejected %d with %d details, want 50 with 10", st.Rejected, len(st.Rejects))
		}
	})
}

func TestLineReader(t *testing.T) {
	cases := []struct {
		name, in string
		max      int
		want     []string // "!" marks a line too long
	}{
		{"crlf_and_no_final_newline", "a\r\nbb\nccc", 10, []string{"a", "bb", "ccc"}},
		{"empty_lines_kept", "\n\nx\n", 10, []string{"", "", "x"}},
		{"exactly_the_limit", "12345\n123456\n1\n", 5, []string{"12345", "!", "1"}},
		{"long_last_line", "1\n1234567", 5, []string{"1", "!"}},
		{"long_lines_back_to_back", strings.Repeat("x", 40) + "\n" + strings.Repeat("y", 40) +
			"\nz\n", 8, []string{"!", "!", "z"}},
	}
	for _, c := range cases {
		// One byte per Read exercises every refill and growth path.
		lr := newLineReader(iotest.OneByteReader(strings.NewReader(c.in)), c.max)
		var got []string
		for {
			line, long, ok := lr.next()
			if !ok {
				break
			}
			if long {
				got = append(got, "!")
				continue
			}
			got = append(got, string(line))
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") || lr.failure() != nil {
			t.Errorf("%s: got %q, want %q (%v)", c.name, got, c.want, lr.failure())
		}
	}
	// Lines longer than the first buffer make it grow, up to the limit.
	long := strings.Repeat("a", 3*minBuffer)
	lr := newLineReader(strings.NewReader(long+"\nb\n"), 4*minBuffer)
	if line, _, _ := lr.next(); len(line) != len(long) {
		t.Errorf("long line got %d bytes, want %d", len(line), len(long))
	}
	if line, _, _ := lr.next(); string(line) != "b" {
		t.Errorf("next line got %q, want b", line)
	}
}

func TestMemory(t *testing.T) {
	// A copy's extra keys join the call: a later copy under them finds it.
	a := &usage.Event{Keys: []string{"k1"}, Policy: usage.PolicyBest, Rank: usage.RankSidechain,
		Tokens: usage.Tokens{Output: 5}}
	b := &usage.Event{Keys: []string{"k2", "k1"}, Policy: usage.PolicyBest,
		Rank: usage.RankProgressCopy, Tokens: usage.Tokens{Output: 50}}
	c := &usage.Event{Keys: []string{"k2"}, Policy: usage.PolicyBest, Rank: usage.RankPrimary,
		Tokens: usage.Tokens{Output: 7}}
	m := NewMemory()
	got, err := m.Put(t.Context(), []*usage.Event{a, b, c})
	must(t, err)
	if want := (Tally{New: 1, Duplicates: 2, Updated: 1}); got != want {
		t.Errorf("tally got %+v, want %+v", got, want)
	}
	ev := m.Events()
	if len(ev) != 1 || ev[0].Rank != usage.RankPrimary || ev[0].Tokens.Output != 7 {
		t.Errorf("stored got %d calls, first %+v", len(ev), ev[0])
	}
}

// TestMemoryJoinsCalls checks that whatever the order of three copies of
// one call, one of which alone shares a key with each of the others, the
// copies end as one call.
func TestMemoryJoinsCalls(t *testing.T) {
	copies := func() []*usage.Event {
		return []*usage.Event{
			{Keys: []string{"r:M:R1"}, Policy: usage.PolicyBest, Tokens: usage.Tokens{Output: 5}},
			{Keys: []string{"s:S2:M"}, Policy: usage.PolicyBest, Tokens: usage.Tokens{Output: 9}},
			{Keys: []string{"r:M:R1", "s:S2:M"}, Policy: usage.PolicyBest,
				Tokens: usage.Tokens{Output: 7}},
		}
	}
	for _, order := range [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1},
		{2, 1, 0}} {
		m := NewMemory()
		var st Stats
		in := copies()
		for _, i := range order {
			must(t, put(t.Context(), m, []*usage.Event{in[i]}, &st))
		}
		ev := m.Events()
		if len(ev) != 1 || ev[0].Tokens.Output != 9 || st.Events != 1 || st.Duplicates != 2 {
			t.Errorf("order %v: %d calls (%+v), %d events, %d duplicates; "+
				"want 1 call of output 9, 1 event, 2 duplicates", order, len(ev), ev,
				st.Events, st.Duplicates)
		}
	}
}
