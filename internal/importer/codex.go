package importer

import (
	"strconv"

	"github.com/tallyhq/tally/internal/usage"
)

// codexParser reads Codex CLI rollout files (FORMATS.md B.2). token_count
// events carry cumulative totals; each change of the total is one call
// whose usage is the delta. A total equal to the previous one is a re-emit
// and counts as a duplicate; a negative delta (a reset) takes
// last_token_usage instead.
//
// The first session_meta names the file's session; a later one (a fork's
// copy of its parent's) starts nothing. A fork or thread_spawn child
// replays parent history before its own turns: its token_count events
// before its first own turn_context only set the baseline and count as
// duplicates. A turn_context is the child's own when its turn_id, a UUIDv7,
// was minted no earlier than the child's id (or, failing that, its
// session_meta timestamp); a turn_id that is not a UUIDv7 counts as own.
//
// Keys are "codex:<model>:<delta>:<total>" with both tuples written as
// input,cached,cache_write,output,reasoning, so copies of a rollout (an
// archived copy, a resumed thread) dedupe across files (FORMATS.md A.3).
type codexParser struct {
	meta    bool
	session string
	parent  string
	cwd     string
	branch  string
	remote  string
	version string
	created int64 // Unix ms the child was created; 0 when not a child
	own     bool  // a child's own turns have begun
	model   string
	prev    codexUsage
	hasPrev bool
}

// codexUsage is one token tuple of a token_count event.
type codexUsage struct {
	in, cached, write, out, reason int64
}

func (u codexUsage) sub(v codexUsage) codexUsage {
	return codexUsage{u.in - v.in, u.cached - v.cached, u.write - v.write,
		u.out - v.out, u.reason - v.reason}
}

func (u codexUsage) negative() bool {
	return u.in < 0 || u.cached < 0 || u.write < 0 || u.out < 0 || u.reason < 0
}

func (p *codexParser) line(fs *fileState, n int, b []byte) {
	if blank(b) {
		fs.skip()
		return
	}
	if err := fs.sc.scan(b); err != nil {
		fs.reject(n, err.Error())
		return
	}
	payload := fs.sc.index(b, -1, "payload")
	switch string(fs.sc.top(b, "type")) {
	case `"session_meta"`:
		p.sessionMeta(fs, b, payload)
	case `"turn_context"`:
		p.turnContext(fs, b, payload)
	case `"event_msg"`:
		if payload >= 0 && string(fs.sc.child(b, payload, "type")) == `"token_count"` {
			p.tokenCount(fs, n, b, payload)
			return
		}
	}
	fs.skip()
}

// sessionMeta takes the first session_meta: the session, its parent, and
// the evidence it names.
func (p *codexParser) sessionMeta(fs *fileState, b []byte, payload int) {
	if p.meta || payload < 0 {
		return
	}
	p.meta = true
	sc := &fs.sc
	p.session = fs.str(sc.child(b, payload, "id"))
	p.cwd = fs.str(sc.child(b, payload, "cwd"))
	p.version = fs.str(sc.child(b, payload, "cli_version"))
	it := newMembers(sc.child(b, payload, "git"))
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch string(k) {
		case "branch":
			p.branch = fs.str(v)
		case "repository_url":
			p.remote = fs.str(v)
		}
	}
	p.parent = fs.str(sc.child(b, payload, "forked_from_id"))
	if p.parent == "" {
		p.parent = spawnParent(fs, sc.child(b, payload, "source"))
	}
	if s := fs.str(sc.child(b, payload, "session_id")); p.parent == "" && s != p.session {
		p.parent = s
	}
	if p.parent != "" {
		p.created = p.birth(sc.child(b, payload, "timestamp"), sc.top(b, "timestamp"))
	}
}

// birth returns when the child was created, in Unix ms.
func (p *codexParser) birth(metaTS, lineTS []byte) int64 {
	if ms, ok := uuidV7Millis(p.session); ok {
		return ms
	}
	for _, v := range [][]byte{metaTS, lineTS} {
		if t, err := parseTime(stringBody(v)); err == nil {
			return t.UnixMilli()
		}
	}
	return 1 // unknown: every turn counts as the child's own
}

// spawnParent reads source.subagent.thread_spawn.parent_thread_id.
func spawnParent(fs *fileState, source []byte) string {
	for _, name := range []string{"subagent", "thread_spawn", "parent_thread_id"} {
		it, found := newMembers(source), []byte(nil)
		for k, v, ok := it.next(); ok; k, v, ok = it.next() {
			if string(k) == name {
				found = v
				break
			}
		}
		source = found
	}
	return fs.str(source)
}

// turnContext takes the model and cwd of a turn, and opens a child's own
// history at its first own turn.
func (p *codexParser) turnContext(fs *fileState, b []byte, payload int) {
	if payload < 0 {
		return
	}
	if m := fs.str(fs.sc.child(b, payload, "model")); m != "" {
		p.model = m
	}
	if c := fs.str(fs.sc.child(b, payload, "cwd")); c != "" {
		p.cwd = c
	}
	if p.created == 0 || p.own {
		return
	}
	ms, ok := uuidV7Millis(fs.str(fs.sc.child(b, payload, "turn_id")))
	p.own = !ok || ms >= p.created
}

// tokenCount turns one token_count event into a call, a duplicate or a
// skip.
func (p *codexParser) tokenCount(fs *fileState, n int, b []byte, payload int) {
	total, last, hasTotal, hasLast, reason := codexInfo(fs.sc.child(b, payload, "info"))
	if reason != "" {
		fs.reject(n, reason)
		return
	}
	switch {
	case !hasTotal && !hasLast:
		fs.skip()
		return
	case !hasTotal:
		p.emit(fs, n, b, last, last)
		return
	case p.created != 0 && !p.own, p.hasPrev && total == p.prev:
		p.prev, p.hasPrev = total, true
		fs.dup()
		return
	}
	d := total.sub(p.prev)
	if d.negative() {
		d = total
		if hasLast {
			d = last
		}
	}
	p.prev, p.hasPrev = total, true
	p.emit(fs, n, b, d, total)
}

// codexInfo reads the tuples of a token_count's info (null: neither).
func codexInfo(info []byte) (total, last codexUsage, hasTotal, hasLast bool, reason string) {
	it := newMembers(info)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		var err string
		switch string(k) {
		case "total_token_usage":
			total, err = codexTuple(v)
			hasTotal = !isNull(v)
		case "last_token_usage":
			last, err = codexTuple(v)
			hasLast = !isNull(v)
		}
		if err != "" {
			return total, last, false, false, "info." + string(k) + "." + err
		}
	}
	return total, last, hasTotal, hasLast, ""
}

// emit adds the call whose usage is d and whose cumulative total is total.
func (p *codexParser) emit(fs *fileState, n int, b []byte, d, total codexUsage) {
	ts, err := parseTime(stringBody(fs.sc.top(b, "timestamp")))
	if err != nil {
		fs.reject(n, "timestamp: "+err.Error())
		return
	}
	uncached := d.in - d.cached - d.write
	if uncached < 0 {
		fs.reject(n, "cached and cache-write tokens exceed input_tokens")
		return
	}
	e := fs.resetEvent(usage.FormatCodex, n)
	e.OccurredAt = ts
	e.Provider = "openai"
	e.ModelReported = p.model
	e.Policy = usage.PolicyKeepFirst
	e.Rank = usage.RankPrimary
	e.Tokens = usage.Tokens{InputUncached: uncached, CacheRead: d.cached,
		CacheWrite5m: d.write, Output: d.out, Reasoning: d.reason}
	if p.model == "" {
		e.Flags |= usage.FlagModelAssumed | usage.FlagUnpriced
	}
	if d.write > 0 {
		e.Flags |= usage.FlagTTLAssumed
	}
	e.Evidence = usage.Evidence{SessionID: p.session, ParentSessionID: p.parent,
		CWD: p.cwd, GitBranch: p.branch, GitRemote: p.remote, Agent: "codex",
		Version: p.version}
	fs.kbuf = append(append(fs.kbuf[:0], "codex:"...), p.model...)
	fs.kbuf = appendTuple(append(fs.kbuf, ':'), d)
	fs.kbuf = appendTuple(append(fs.kbuf, ':'), total)
	fs.pushKey()
	fs.add(e)
}

func appendTuple(b []byte, u codexUsage) []byte {
	for i, v := range [5]int64{u.in, u.cached, u.write, u.out, u.reason} {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	return b
}

// codexTuple reads one usage tuple; on error it names the bad member.
func codexTuple(v []byte) (codexUsage, string) {
	var u codexUsage
	it := newMembers(v)
	for k, val, ok := it.next(); ok; k, val, ok = it.next() {
		var dst *int64
		switch string(k) {
		case "input_tokens":
			dst = &u.in
		case "cached_input_tokens":
			dst = &u.cached
		case "cache_creation_input_tokens", "cache_write_input_tokens":
			dst = &u.write
		case "output_tokens":
			dst = &u.out
		case "reasoning_output_tokens":
			dst = &u.reason
		default:
			continue
		}
		n, err := count(val)
		if err != nil {
			return u, string(k) + " " + err.Error()
		}
		*dst = n
	}
	return u, ""
}

// uuidV7Millis returns the Unix ms timestamp of a version 7 UUID.
func uuidV7Millis(s string) (int64, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[14] != '7' {
		return 0, false
	}
	var ms int64
	for i := 0; i < 13; i++ {
		if i == 8 {
			continue
		}
		h := unhex(s[i])
		if h < 0 {
			return 0, false
		}
		ms = ms<<4 | int64(h)
	}
	return ms, true
}
