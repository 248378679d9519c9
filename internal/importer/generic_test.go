package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/usage"
)

const csvHeader = "occurred_at,provider,model,input_tokens,cache_read_tokens," +
	"cache_write_5m_tokens,output_tokens,request_id,principal,host"

func TestGeneric(t *testing.T) {
	t.Run("csv_good_rows", func(t *testing.T) {
		body := lines(csvHeader,
			`2026-03-01T10:00:00+02:00,anthropic,claude-sonnet-4-5,100,2000,30,400,r1,`+
				`ana@example.com,`,
			`2026-03-01T08:00:01Z, openai ,"gpt-5, mini",7,,,"1",r2,"bo ""b"" x",vm1`,
			`2026-03-01T08:00:02Z,openai,gpt-5,1,0,0,1,r1,,`, // another provider's r1
		)
		st, events := readFiles(t, Options{Host: "uploader-host"}, file{"usage.csv", body})
		wantCounts(t, st, counts{Files: 1, Lines: 4, Events: 3, Skipped: 1})
		a, b := events[0], events[1]
		// +02:00 is honoured: 10:00 at +02:00 is 08:00 UTC.
		if want := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC); !a.OccurredAt.Equal(want) ||
			a.OccurredAt.Location() != time.UTC {
			t.Errorf("occurred_at got %v, want %v", a.OccurredAt, want)
		}
		want := usage.Tokens{InputUncached: 100, CacheRead: 2000, CacheWrite5m: 30, Output: 400}
		if a.Tokens != want || a.Evidence.Principal != "ana@example.com" ||
			a.Evidence.Host != "uploader-host" {
			t.Errorf("first got %+v %+v", a.Tokens, a.Evidence)
		}
		// Empty cache cells are 0; quoted cells are unquoted; the row's own
		// host wins over the stamped one.
		want = usage.Tokens{InputUncached: 7, Output: 1}
		if b.Tokens != want || b.ModelReported != "gpt-5, mini" || b.Provider != "openai" ||
			b.Evidence.Principal != `bo "b" x` || b.Evidence.Host != "vm1" {
			t.Errorf("second got %+v %q %q %+v", b.Tokens, b.ModelReported, b.Provider, b.Evidence)
		}
		if a.Keys[0] != "generic:anthropic:r1" || a.Policy != usage.PolicyKeepFirst ||
			a.SourceFormat != usage.FormatGeneric || a.SourceLine != 2 {
			t.Errorf("keys %v policy %d format %s line %d", a.Keys, a.Policy, a.SourceFormat,
				a.SourceLine)
		}
	})
	t.Run("csv_bad_rows", func(t *testing.T) {
		body := lines(csvHeader,
			`2026-02-30T10:00:00Z,anthropic,m,1,0,0,1,r1,,`,
			`2026-03-01T24:00:00Z,anthropic,m,1,0,0,1,r2,,`,
			`2026-03-01T10:00:00,anthropic,m,1,0,0,1,r3,,`,
			`2026-03-01T10:00:00Z,anthropic,m,-5,0,0,1,r4,,`,
			`2026-03-01T10:00:00Z,anthropic,m,1.5,0,0,1,r5,,`,
			`2026-03-01T10:00:00Z,anthropic,m,1,0,0,1,,,`,
			`2026-03-01T10:00:00Z,anthropic,m,1,0,0,1,r7`,
			`2026-03-01T10:00:00Z,anthropic,"m,1,0,0,1,r8,,`,
			`2026-03-01T10:00:00Z,anthropic,m,,0,0,1,r9,,`,
			`2026-03-01T10:00:00Z,anthropic,m,1,0,0,1,r10,,`,
			`2026-03-01T11:00:00Z,anthropic,m,9,0,0,9,r10,,`,
		)
		st, events := readFiles(t, Options{}, file{"usage.csv", body})
		wantCounts(t, st, counts{Files: 1, Lines: 12, Events: 1, Duplicates: 1, Skipped: 1,
			Rejected: 9})
		wantRejects(t, st,
			`2:occurred_at "2026-02-30T10:00:00Z": not an RFC 3339 time`,
			`3:occurred_at "2026-03-01T24:00:00Z"`,
			`4:occurred_at "2026-03-01T10:00:00"`,
			"5:input_tokens is negative",
			"6:input_tokens is not a non-negative integer",
			"7:missing request_id",
			"8:row has 8 fields, header has 10",
			"9:unterminated quote",
			"10:missing input_tokens",
		)
		if events[0].Tokens.InputUncached != 1 {
			t.Errorf("kept row got %+v, want the first r10", events[0].Tokens)
		}
	})
	t.Run("csv_header_without_required_columns", func(t *testing.T) {
		body := lines("occurred_at,provider,model,output_tokens",
			"2026-03-01T10:00:00Z,anthropic,m,1")
		st, _ := readFiles(t, Options{}, file{"usage.csv", body})
		wantCounts(t, st, counts{Files: 1, Lines: 2, Rejected: 2})
		wantRejects(t, st, "1:header lacks column request_id",
			"2:no usable header: header lacks column request_id")
	})
	t.Run("jsonl_good_and_bad_rows", func(t *testing.T) {
		body := lines(
			`{"occurred_at":"2026-03-01T10:00:00-05:00","provider":"bedrock","model":"m",`+
				`"input_tokens":10,"cache_write_1h_tokens":4,"output_tokens":2,"request_id":"q1",`+
				`"iam_arn":"arn:aws:iam::1:user/x","session_id":"s","agent":"aider","extra":[1]}`,
			`{"occurred_at":"2026-03-01T10:00:00Z","provider":"bedrock","model":"m",`+
				`"input_tokens":"10","output_tokens":2,"request_id":"q2"}`,
			`{"occurred_at":"2026-03-01T10:00:00Z","provider":"bedrock","model":"m",`+
				`"input_tokens":10,"output_tokens":2e3,"request_id":"q3"}`,
			`{"occurred_at":"2026-03-01T10:00:00Z","provider":"bedrock","model":"m",`+
				`"input_tokens":10,"output_tokens":2,"request_id":7}`,
			`{"occurred_at":"2026-03-01T10:00:00Z","provider":"bedrock","model":"m",`+
				`"input_tokens":10,"output_tokens":2}`,
			`{"occurred_at":"2026-03-01T10:00:00Z","provider":"bedrock"`,
			`{"occurred_at":"2026-03-01T10:00:00Z","model":"m",`+
				`"input_tokens":1,"output_tokens":2,"request_id":"q7"}`,
		)
		st, events := readFiles(t, Options{}, file{"usage.jsonl", body})
		wantCounts(t, st, counts{Files: 1, Lines: 7, Events: 1, Rejected: 6})
		wantRejects(t, st, "2:input_tokens is not a non-negative integer",
			"3:output_tokens is not a non-negative integer", "4:request_id must be a string",
			"5:missing request_id", "6:invalid JSON", "7:missing provider")
		e := events[0]
		want := usage.Tokens{InputUncached: 10, CacheWrite1h: 4, Output: 2}
		if e.Tokens != want || e.Evidence.IAMARN != "arn:aws:iam::1:user/x" ||
			e.Evidence.SessionID != "s" || e.Evidence.Agent != "aider" {
			t.Errorf("got %+v %+v", e.Tokens, e.Evidence)
		}
		if want := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC); !e.OccurredAt.Equal(want) {
			t.Errorf("occurred_at got %v, want %v (-05:00 honoured)", e.OccurredAt, want)
		}
	})
	t.Run("reimport_adds_nothing", func(t *testing.T) {
		body := lines(csvHeader, `2026-03-01T10:00:00Z,anthropic,m,1,0,0,1,r1,,`)
		st, events := readFiles(t, Options{}, file{"a.csv", body}, file{"b.csv", body})
		wantCounts(t, st, counts{Files: 2, Lines: 4, Events: 1, Duplicates: 1, Skipped: 2})
		if len(events) != 1 {
			t.Errorf("events got %d, want 1", len(events))
		}
	})
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-02-10T21:11:59.186Z", time.Date(2026, 2, 10, 21, 11, 59, 186e6, time.UTC), true},
		{"2024-02-29T00:00:00+01:30", time.Date(2024, 2, 28, 22, 30, 0, 0, time.UTC), true},
		{"2026-01-01T00:00:00.123456789123Z",
			time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC), true},
		{"2025-02-29T00:00:00Z", time.Time{}, false},
		{"2026-04-31T00:00:00Z", time.Time{}, false},
		{"2026-01-01T00:60:00Z", time.Time{}, false},
		{"2026-01-01T00:00:00", time.Time{}, false},
		{"2026-01-01T00:00:00.Z", time.Time{}, false},
		{"2026-01-01T00:00:00+0100", time.Time{}, false},
		{"2026-13-01T00:00:00Z", time.Time{}, false},
		{"0001-01-01T00:00:00Z", time.Time{}, false},
		{"1999-12-31T23:59:59Z", time.Time{}, false},
		{"9999-12-31T23:59:59Z", time.Time{}, false},
		{"2000-01-01T00:00:00Z", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for _, c := range cases {
		got, err := parseTime([]byte(c.in))
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("parseTime(%s) got %v, %v, want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestGenericStreams checks that a long generic file reaches the sink in
// chunks while it is read, and that a copy in a later chunk is still a
// duplicate, as in a whole-file read.
func TestGenericStreams(t *testing.T) {
	var b strings.Builder
	rows := 3*putChunk + 10
	for i := range rows {
		fmt.Fprintf(&b, `{"occurred_at":"2026-11-05T10:00:00Z","provider":"openai",`+
			`"model":"gpt-5","input_tokens":1,"output_tokens":1,"request_id":"r-%d"}`+"\n", i)
	}
	b.WriteString(`{"occurred_at":"2026-11-05T10:00:00Z","provider":"openai",` +
		`"model":"gpt-5","input_tokens":1,"output_tokens":1,"request_id":"r-0"}` + "\n")

	sink := &countingSink{Memory: NewMemory()}
	var st Stats
	err := Options{}.ReadFile(context.Background(), "big.jsonl",
		strings.NewReader(b.String()), sink, &st)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != int64(rows) || st.Duplicates != 1 || st.Lines != int64(rows+1) {
		t.Errorf("got %d events, %d duplicates, %d lines; want %d, 1, %d", st.Events,
			st.Duplicates, st.Lines, rows, rows+1)
	}
	if sink.puts < 4 || sink.largest > putChunk {
		t.Errorf("got %d puts of at most %d calls; want chunks of at most %d",
			sink.puts, sink.largest, putChunk)
	}
}

// countingSink records how the calls arrive.
type countingSink struct {
	*Memory
	puts, largest int
}

func (s *countingSink) Put(ctx context.Context, events []*usage.Event) (Tally, error) {
	s.puts++
	s.largest = max(s.largest, len(events))
	return s.Memory.Put(ctx, events)
}

// TestGenericRejectsUnstorableText checks that a NUL or invalid UTF-8 in a
// text field rejects that line only.
func TestGenericRejectsUnstorableText(t *testing.T) {
	row := func(id, agent string) string {
		return `{"occurred_at":"2026-11-05T10:00:00Z","provider":"openai","model":"gpt-5",` +
			`"input_tokens":1,"output_tokens":1,"request_id":"` + id + `","agent":"` + agent +
			`"}` + "\n"
	}
	body := row("a", "ok") + row("b", `x\u0000y`) + row("c", "ok") + row("d", "\xff\xfe") +
		row("e", strings.Repeat("x", maxText+1))
	st, events := readFiles(t, Options{}, file{"nul.jsonl", body})
	if st.Events != 2 || st.Rejected != 3 || len(events) != 2 {
		t.Fatalf("got %d events, %d rejected; want 2 and 3", st.Events, st.Rejected)
	}
	if r := st.Rejects[2]; r.Line != 5 || !strings.Contains(r.Reason, "agent is longer") {
		t.Errorf("third reject: got %+v, want line 5: agent too long", r)
	}
	if r := st.Rejects[0]; r.Line != 2 || !strings.Contains(r.Reason, "agent") {
		t.Errorf("first reject: got %+v, want line 2 naming agent", r)
	}
	if r := st.Rejects[1]; r.Line != 4 {
		t.Errorf("second reject: got line %d, want 4", r.Line)
	}
}
