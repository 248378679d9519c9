package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tallyhq/tally/internal/fixtures"
	"github.com/tallyhq/tally/internal/usage"
)

// sharedDir returns the shared/ folder beside the repository.
func sharedDir(t *testing.T) string {
	return fixtures.Dir(t)
}

// file is one named input.
type file struct {
	name, body string
}

// readFiles reads the files in order into one Memory sink.
func readFiles(t *testing.T, o Options, files ...file) (Stats, []*usage.Event) {
	t.Helper()
	m := NewMemory()
	var st Stats
	for _, f := range files {
		err := o.ReadFile(context.Background(), f.name, strings.NewReader(f.body), m, &st)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", f.name, err)
		}
	}
	checkBalance(t, st)
	return st, m.Events()
}

// checkBalance asserts that every line landed in exactly one count.
func checkBalance(t *testing.T, st Stats) {
	t.Helper()
	if sum := st.Events + st.Duplicates + st.Skipped + st.Rejected; sum != st.Lines {
		t.Errorf("events+duplicates+skipped+rejected = %d, want lines %d (%+v)", sum, st.Lines, st)
	}
}

// counts is the part of Stats that tests compare.
type counts struct {
	Files, Lines, Events, Duplicates, Updated, Skipped, Rejected int64
}

func countsOf(st Stats) counts {
	return counts{st.Files, st.Lines, st.Events, st.Duplicates, st.Updated, st.Skipped,
		st.Rejected}
}

func wantCounts(t *testing.T, st Stats, want counts) {
	t.Helper()
	if got := countsOf(st); got != want {
		t.Errorf("counts got %+v, want %+v", got, want)
	}
}

// wantRejects compares the rejects as "line:reason" strings, the reason
// cut to its first len(want) bytes.
func wantRejects(t *testing.T, st Stats, want ...string) {
	t.Helper()
	if len(st.Rejects) != len(want) {
		t.Fatalf("rejects got %v, want %v", st.Rejects, want)
	}
	for i, r := range st.Rejects {
		got := fmt.Sprintf("%d:%s", r.Line, r.Reason)
		if !strings.HasPrefix(got, want[i]) {
			t.Errorf("reject %d got %q, want prefix %q", i, got, want[i])
		}
	}
}

// sumTokens adds up the tokens of events.
func sumTokens(events []*usage.Event) usage.Tokens {
	var t usage.Tokens
	for _, e := range events {
		t.Add(e.Tokens)
	}
	return t
}

// cc describes one Claude Code assistant line for crafted inputs.
type cc struct {
	session, msg, req, ts string
	out                   int
	sidechain             bool
	stop                  string // raw JSON, "null" when empty
	model                 string
	usage                 string // raw JSON usage, replacing the default
	agent                 string
}

// defaults fills the fields a test leaves empty.
func (c cc) defaults() cc {
	if c.stop == "" {
		c.stop = "null"
	}
	if c.model == "" {
		c.model = "claude-opus-4-6"
	}
	if c.ts == "" {
		c.ts = "2026-02-10T21:11:59.186Z"
	}
	if c.usage == "" {
		c.usage = fmt.Sprintf(`{"input_tokens":3,"cache_creation_input_tokens":100,`+
			`"cache_read_input_tokens":1000,"cache_creation":{"ephemeral_5m_input_tokens":0,`+
			`"ephemeral_1h_input_tokens":100},"output_tokens":%d,`+
			`"service_tier":"standard"}`, c.out)
	}
	return c
}

// message writes the API message of c.
func (c cc) message() string {
	c = c.defaults()
	return fmt.Sprintf(`{"model":%q,"id":%q,"type":"message","role":"assistant",`+
		`"content":[{"type":"text","text":"hi"}],"stop_reason":%s,"usage":%s}`,
		c.model, c.msg, c.stop, c.usage)
}

// members writes requestId and agentId members, when set.
func (c cc) members() string {
	s := ""
	if c.req != "" {
		s += fmt.Sprintf(`"requestId":%q,`, c.req)
	}
	if c.agent != "" {
		s += fmt.Sprintf(`"agentId":%q,`, c.agent)
	}
	return s
}

// line writes c as a top-level assistant line.
func (c cc) line() string {
	c = c.defaults()
	return fmt.Sprintf(`{"parentUuid":null,"isSidechain":%t,"cwd":"/home/u/p","sessionId":%q,`+
		`"version":"2.1.38","gitBranch":"main","message":%s,%s"type":"assistant",`+
		`"uuid":"u-%s-%d","timestamp":%q}`,
		c.sidechain, c.session, c.message(), c.members(), c.msg, c.out, c.ts)
}

// progress wraps c as an agent_progress line of session parent.
func (c cc) progress(parent, agentID string) string {
	c = c.defaults()
	req := ""
	if c.req != "" {
		req = fmt.Sprintf(`"requestId":%q,`, c.req)
	}
	return fmt.Sprintf(`{"parentUuid":"p","isSidechain":false,"cwd":"/home/u/p","sessionId":%q,`+
		`"version":"2.1.38","type":"progress","data":{"type":"agent_progress","agentId":%q,`+
		`"message":{"type":"assistant","message":%s,%s"timestamp":%q,"uuid":"x"}},`+
		`"timestamp":"2026-02-10T23:00:00Z","uuid":"pp"}`, parent, agentID, c.message(), req, c.ts)
}

// lines joins lines into a file body.
func lines(ls ...string) string {
	return strings.Join(ls, "\n") + "\n"
}

// must fails the test when err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
