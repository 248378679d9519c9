package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// rawUsage is the usage object as the files spell it.
type rawUsage struct {
	Input         int64 `json:"input_tokens"`
	CacheCreation int64 `json:"cache_creation_input_tokens"`
	CacheRead     int64 `json:"cache_read_input_tokens"`
	Split         *struct {
		W5m int64 `json:"ephemeral_5m_input_tokens"`
		W1h int64 `json:"ephemeral_1h_input_tokens"`
	} `json:"cache_creation"`
	Output int64 `json:"output_tokens"`
}

// rawMessage is an API message as the files spell it.
type rawMessage struct {
	ID    string    `json:"id"`
	Model string    `json:"model"`
	Usage *rawUsage `json:"usage"`
}

// rawLine holds the fields of a transcript line the check reads.
type rawLine struct {
	Type        string      `json:"type"`
	SessionID   string      `json:"sessionId"`
	RequestID   string      `json:"requestId"`
	IsSidechain bool        `json:"isSidechain"`
	Timestamp   string      `json:"timestamp"`
	Message     *rawMessage `json:"message"`
	Data        *struct {
		Type    string `json:"type"`
		Message *struct {
			RequestID string      `json:"requestId"`
			Message   *rawMessage `json:"message"`
		} `json:"message"`
	} `json:"data"`
}

// copyOf is one line carrying a call's usage.
type copyOf struct {
	model    string
	session  string
	usage    rawUsage
	progress bool
}

// recount is an independent count of a corpus: every usage line is joined
// to others by message.id + requestId or message.id + sessionId, merged
// transitively with a union-find.
type recount struct {
	exp      Expected
	parent   []int
	copies   [][]copyOf
	keys     map[string]int
	features map[string]int
}

// newRecount returns an empty recount.
func newRecount() *recount {
	return &recount{keys: map[string]int{}, features: map[string]int{}}
}

// find returns the root of call i.
func (r *recount) find(i int) int {
	for r.parent[i] != i {
		r.parent[i] = r.parent[r.parent[i]]
		i = r.parent[i]
	}
	return i
}

// join records a usage line and returns its call.
func (r *recount) join(keys []string, c copyOf) int {
	id := -1
	for _, k := range keys {
		j, ok := r.keys[k]
		if !ok {
			continue
		}
		if id < 0 {
			id = r.find(j)
		} else if root := r.find(j); root != id {
			r.parent[root] = id
		}
	}
	if id < 0 {
		id = len(r.parent)
		r.parent = append(r.parent, id)
		r.copies = append(r.copies, nil)
	}
	for _, k := range keys {
		r.keys[k] = id
	}
	r.copies[id] = append(r.copies[id], c)
	return id
}

// line classifies one decoded line.
func (r *recount) line(t *testing.T, ln rawLine) {
	if ln.Timestamp != "" && !strings.HasPrefix(ln.Timestamp, "2026-11-") {
		t.Errorf("timestamp %s is outside November 2026", ln.Timestamp)
	}
	msg, req, progress := ln.Message, ln.RequestID, false
	if ln.Type == "progress" && ln.Data != nil {
		r.features["progress_"+ln.Data.Type]++
		if ln.Data.Message != nil {
			msg, req, progress = ln.Data.Message.Message, ln.Data.Message.RequestID, true
		}
	}
	usable := (ln.Type == "assistant" || progress) && msg != nil && msg.Usage != nil
	if !usable || msg.Model == "<synthetic>" {
		if usable {
			r.features["synthetic"]++
		}
		r.exp.Skipped++
		return
	}

	r.noteFeatures(ln, msg)
	keys := []string{"s\x00" + msg.ID + "\x00" + ln.SessionID}
	if req != "" {
		keys = append(keys, "r\x00"+msg.ID+"\x00"+req)
	}
	r.join(keys, copyOf{
		model: msg.Model, session: ln.SessionID, usage: *msg.Usage, progress: progress,
	})
}

// noteFeatures counts the corpus traits the generator promises.
func (r *recount) noteFeatures(ln rawLine, msg *rawMessage) {
	u := msg.Usage
	if ln.IsSidechain {
		r.features["sidechain"]++
	}
	if u.Split == nil {
		r.features["flat_cache"]++
	}
	if strings.HasSuffix(msg.Model, "[1m]") {
		r.features["1m"]++
	}
	if u.Input+u.CacheCreation+u.CacheRead > 200_000 {
		r.features["over_200k"]++
	}
}

// total folds each call's copies into the expected shape.
func (r *recount) total(t *testing.T) Expected {
	roots := map[int][]copyOf{}
	for i := range r.parent {
		root := r.find(i)
		roots[root] = append(roots[root], r.copies[i]...)
	}
	models := map[string]*ModelTotals{}
	usageLines := int64(0)
	for _, cs := range roots {
		usageLines += int64(len(cs))
		addCall(models, r.winner(t, cs))
	}

	exp := r.exp
	exp.Events = int64(len(roots))
	exp.Duplicates = usageLines - exp.Events
	for _, m := range models {
		exp.Models = append(exp.Models, *m)
	}
	slices.SortFunc(exp.Models, func(a, b ModelTotals) int {
		return strings.Compare(a.Model, b.Model)
	})
	return exp
}

// winner returns the copy of one call with the largest output, checking
// that all copies agree on model, input and cache usage, and that one of
// them is a top-level line.
func (r *recount) winner(t *testing.T, cs []copyOf) copyOf {
	best, topLevel := cs[0], false
	for _, c := range cs {
		topLevel = topLevel || !c.progress
		if c.session != best.session {
			r.features["resumed"]++
		}
		if c.usage.Output > best.usage.Output {
			best = c
		}
		if c.model != best.model || !sameInput(c.usage, best.usage) {
			t.Errorf("copies of one call differ: %+v vs %+v", c, best)
		}
	}
	if !topLevel {
		t.Errorf("call known only from agent_progress copies: %+v", best)
	}
	return best
}

// sameInput reports whether two copies carry the same input and cache usage.
func sameInput(a, b rawUsage) bool {
	a.Output, b.Output = 0, 0
	return reflect.DeepEqual(a, b)
}

// addCall adds a call's winning copy to its normalised model's totals.
func addCall(models map[string]*ModelTotals, c copyOf) {
	name := strings.TrimSuffix(c.model, "[1m]")
	m := models[name]
	if m == nil {
		m = &ModelTotals{Model: name}
		models[name] = m
	}
	u := c.usage
	m.Events++
	m.InputTokens += u.Input
	m.CacheReadTokens += u.CacheRead
	m.OutputTokens += u.Output
	if u.Split == nil {
		m.CacheWrite5mTokens += u.CacheCreation
		return
	}
	m.CacheWrite5mTokens += u.Split.W5m
	m.CacheWrite1hTokens += u.Split.W1h
}

// recountDir decodes every line under dir/projects.
func recountDir(t *testing.T, dir string) *recount {
	r := newRecount()
	root := filepath.Join(dir, "projects")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(path, "/subagents/agent-") {
			r.features["subagent_file"]++
		}
		r.exp.Files++
		return r.file(t, path)
	})
	if err != nil {
		t.Fatalf("walk corpus: %v", err)
	}
	return r
}

// file decodes one JSONL file line by line.
func (r *recount) file(t *testing.T, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()

	br := bufio.NewReaderSize(f, 1<<20)
	for {
		b, err := br.ReadBytes('\n')
		if err == io.EOF && len(b) == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		r.exp.Lines++
		r.exp.Bytes += int64(len(b))
		var ln rawLine
		if err := json.Unmarshal(b, &ln); err != nil {
			t.Fatalf("%s line %d: %v", path, r.exp.Lines, err)
		}
		r.line(t, ln)
	}
}

// readExpected decodes dir/expected.json.
func readExpected(t *testing.T, dir string) Expected {
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatalf("read expected.json: %v", err)
	}
	var exp Expected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatalf("decode expected.json: %v", err)
	}
	return exp
}

func TestGenerate(t *testing.T) {
	t.Run("expected_json_matches_an_independent_count", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := generate(config{out: dir, size: 4_000_000, seed: 7}); err != nil {
			t.Fatalf("generate: %v", err)
		}

		r := recountDir(t, dir)
		got, want := r.total(t), readExpected(t, dir)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("recount differs from expected.json\n got: %+v\nwant: %+v", got, want)
		}
		for _, f := range []string{"progress_agent_progress", "progress_hook_progress",
			"synthetic", "sidechain", "flat_cache", "1m", "over_200k", "subagent_file",
			"resumed"} {
			if r.features[f] == 0 {
				t.Errorf("corpus has no %s", f)
			}
		}
		if len(want.Models) < 3 {
			t.Errorf("want at least 3 models, got %+v", want.Models)
		}
	})

	t.Run("same_seed_gives_same_bytes", func(t *testing.T) {
		a, b := t.TempDir(), t.TempDir()
		for _, dir := range []string{a, b} {
			if _, err := generate(config{out: dir, size: 1_500_000, seed: 3}); err != nil {
				t.Fatalf("generate: %v", err)
			}
		}
		if ha, hb := hashTree(t, a), hashTree(t, b); !bytes.Equal(ha, hb) {
			t.Error("two runs with one seed wrote different corpora")
		}
	})

	t.Run("refuses_an_existing_projects_dir", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "projects"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := generate(config{out: dir, size: 1000, seed: 1}); err == nil {
			t.Error("want an error for an existing projects dir")
		}
	})
}

// hashTree hashes every file's relative path and content under dir.
func hashTree(t *testing.T, dir string) []byte {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		h.Write([]byte(rel))
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatalf("hash %s: %v", dir, err)
	}
	return h.Sum(nil)
}

func TestMonthBounds(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	if monthStart != start || monthEnd != end {
		t.Errorf("month bounds %d..%d, want %d..%d", monthStart, monthEnd, start, end)
	}
}

func TestParseSize(t *testing.T) {
	cases := map[string]int64{"1GB": 1e9, "500MB": 5e8, "2GiB": 2 << 30, "64kib": 64 << 10,
		"4096": 4096, "1.5MB": 1_500_000}
	for in, want := range cases {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GB", "-1MB", "lots"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q): want an error", bad)
		}
	}
}
