package importer

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/tallyhq/tally/internal/usage"
)

// claudeParser reads Claude Code session logs (FORMATS.md B.1): main
// session files, subagent files under <session>/subagents/ (nested and
// workflows/ included), older files with inline isSidechain lines, and the
// agent_progress copies that parents embed at data.message.message.
//
// Each line with usage becomes a candidate with the keys
// "claude:r:<message.id>:<requestId>" (when requestId is present) and
// "claude:s:<sessionId>:<message.id>"; candidates that share any key are
// one call. A line without sessionId is keyed on its file instead
// ("claude:f:<file>:<message.id>"), and a line without message.id on its
// uuid ("claude:u:<uuid>"), so that lines are never joined across
// sessions on message.id alone.
//
// OutputSuspect: Claude Code writes one line per content block and only
// the last carries the final output_tokens; subagent transcripts often
// never get it (anthropics/claude-code#84223). A line that belongs to a
// subagent (a file under subagents/, an isSidechain line, or a progress
// copy) is suspect unless its message has a stop_reason, which Claude
// Code fills only once the response is complete. Main-session lines are
// never suspect: their last block carries the final value.
type claudeParser struct {
	subagent bool   // the file lies under <session>/subagents/
	session  string // the parent session named by the path
	agent    string // the agent named by the file (agent-<id>.jsonl)
}

// newClaudeParser reads what the path says: a file below
// <session-uuid>/subagents/ holds a subagent's calls.
func newClaudeParser(name string) *claudeParser {
	p := &claudeParser{}
	parts := strings.Split(filepath.ToSlash(name), "/")
	for i, part := range parts {
		if part == "subagents" && i > 0 && i < len(parts)-1 && isUUID(parts[i-1]) {
			p.subagent = true
			p.session = parts[i-1]
			break
		}
	}
	if !p.subagent {
		return p
	}
	base := strings.TrimSuffix(path.Base(filepath.ToSlash(name)), ".gz")
	if id, ok := strings.CutPrefix(strings.TrimSuffix(base, ".jsonl"), "agent-"); ok {
		p.agent = id
	}
	return p
}

// isUUID reports whether s has the 8-4-4-4-12 shape of a session id.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if unhex(s[i]) < 0 {
			return false
		}
	}
	return true
}

// claudeLine holds the raw values of one line that the event needs.
type claudeLine struct {
	session, agent, cwd, branch, version, ts, req, uuid []byte
	sidechain, progress                                 bool
	msgID, model, stop, usage                           []byte
}

// line validates one line and takes the usage of assistant lines and of
// agent_progress copies; every other type is skipped.
func (p *claudeParser) line(fs *fileState, n int, b []byte) {
	if blank(b) {
		fs.skip()
		return
	}
	if err := fs.sc.scan(b); err != nil {
		fs.reject(n, err.Error())
		return
	}
	var l claudeLine
	switch string(fs.sc.top(b, "type")) {
	case `"assistant"`:
		p.topLevel(fs, b, &l)
	case `"progress"`:
		if !p.progressCopy(fs, b, &l) {
			fs.skip()
			return
		}
	default:
		fs.skip()
		return
	}
	p.event(fs, n, &l)
}

// topLevel reads an assistant line's fields from the scanner.
func (p *claudeParser) topLevel(fs *fileState, b []byte, l *claudeLine) {
	msg := -1
	for i, f := range fs.sc.fields {
		v := b[f.val.from:f.val.to]
		if f.parent == msg && msg >= 0 {
			l.message(b[f.key.from:f.key.to], v)
			continue
		}
		if f.parent != -1 {
			continue
		}
		if string(b[f.key.from:f.key.to]) == "message" {
			msg = i
			continue
		}
		l.top(b[f.key.from:f.key.to], v)
	}
}

// top takes one member of the line's top object.
func (l *claudeLine) top(k, v []byte) {
	switch string(k) {
	case "sessionId":
		l.session = v
	case "agentId":
		l.agent = v
	case "cwd":
		l.cwd = v
	case "gitBranch":
		l.branch = v
	case "version":
		l.version = v
	case "timestamp":
		l.ts = v
	case "requestId":
		l.req = v
	case "uuid":
		l.uuid = v
	case "isSidechain":
		l.sidechain = string(v) == "true"
	}
}

// message takes one member of the API message.
func (l *claudeLine) message(k, v []byte) {
	switch string(k) {
	case "id":
		l.msgID = v
	case "model":
		l.model = v
	case "stop_reason":
		l.stop = v
	case "usage":
		l.usage = v
	}
}

// progressCopy reads an agent_progress line's embedded assistant message
// (data.message.message) and reports whether it carries one.
func (p *claudeParser) progressCopy(fs *fileState, b []byte, l *claudeLine) bool {
	data := fs.sc.index(b, -1, "data")
	if data < 0 || string(fs.sc.child(b, data, "type")) != `"agent_progress"` {
		return false
	}
	for _, f := range fs.sc.fields {
		if f.parent == -1 {
			l.top(b[f.key.from:f.key.to], b[f.val.from:f.val.to])
		}
	}
	l.progress = true
	l.agent = fs.sc.child(b, data, "agentId")
	l.req, l.uuid = nil, nil
	outer := newMembers(fs.sc.child(b, data, "message"))
	typ := []byte(nil)
	for k, v, ok := outer.next(); ok; k, v, ok = outer.next() {
		switch string(k) {
		case "type":
			typ = v
		case "message":
			inner := newMembers(v)
			for k, v, ok := inner.next(); ok; k, v, ok = inner.next() {
				l.message(k, v)
			}
		case "timestamp":
			l.ts = v
		case "requestId":
			l.req = v
		case "uuid":
			l.uuid = v
		}
	}
	return string(typ) == `"assistant"` && !isNull(l.usage)
}

// event turns one line with a message into a candidate.
func (p *claudeParser) event(fs *fileState, n int, l *claudeLine) {
	model := fs.str(l.model)
	if isNull(l.usage) || model == "<synthetic>" {
		fs.skip()
		return
	}
	e := fs.resetEvent(usage.FormatClaudeCode, n)
	ts, err := parseTime(stringBody(l.ts))
	if err != nil {
		fs.reject(n, "timestamp: "+err.Error())
		return
	}
	if reason := claudeUsage(fs, e, l.usage); reason != "" {
		fs.reject(n, reason)
		return
	}
	e.OccurredAt = ts
	e.Provider = "anthropic"
	e.ModelReported = model
	e.Policy = usage.PolicyBest
	p.evidence(fs, e, l)
	e.Rank = p.rank(l)
	if e.Rank != usage.RankPrimary && isNull(l.stop) {
		e.Flags |= usage.FlagOutputSuspect
	}
	if l.progress {
		e.Flags |= usage.FlagFromProgressCopy
	}
	if reason := p.keys(fs, e, l); reason != "" {
		fs.reject(n, reason)
		return
	}
	fs.add(e)
}

func (p *claudeParser) rank(l *claudeLine) usage.Rank {
	switch {
	case l.progress:
		return usage.RankProgressCopy
	case l.sidechain || p.subagent:
		return usage.RankSidechain
	}
	return usage.RankPrimary
}

// evidence fills who and where. A subagent's calls belong to the parent
// session (from the path when it names one) plus the agent's id.
func (p *claudeParser) evidence(fs *fileState, e *usage.Event, l *claudeLine) {
	ev := &e.Evidence
	ev.SessionID = p.session
	if ev.SessionID == "" {
		ev.SessionID = fs.str(l.session)
	}
	ev.AgentID = fs.str(l.agent)
	if ev.AgentID == "" && !l.progress {
		ev.AgentID = p.agent
	}
	ev.CWD = fs.str(l.cwd)
	ev.GitBranch = fs.str(l.branch)
	ev.Version = fs.str(l.version)
	ev.Agent = "claude-code"
}

// keys builds the natural keys of the line (see claudeParser).
func (p *claudeParser) keys(fs *fileState, e *usage.Event, l *claudeLine) string {
	msgID := fs.body(l.msgID, &fs.tmp)
	if len(msgID) == 0 {
		uuid := fs.str(l.uuid)
		if uuid == "" {
			return "assistant line has neither message.id nor uuid"
		}
		fs.kbuf = append(append(fs.kbuf[:0], "claude:u:"...), uuid...)
		fs.pushKey()
		return ""
	}
	if req := fs.body(l.req, &fs.tmp2); len(req) > 0 {
		fs.kbuf = append(append(fs.kbuf[:0], "claude:r:"...), msgID...)
		fs.kbuf = append(append(fs.kbuf, ':'), req...)
		fs.pushKey()
	}
	if s := e.Evidence.SessionID; s != "" {
		fs.kbuf = append(append(fs.kbuf[:0], "claude:s:"...), s...)
	} else {
		fs.kbuf = append(append(fs.kbuf[:0], "claude:f:"...), fs.name...)
	}
	fs.kbuf = append(append(fs.kbuf, ':'), msgID...)
	fs.pushKey()
	return ""
}

// claudeUsage fills e's counts from a usage object; it returns a reason
// when a count is malformed.
func claudeUsage(fs *fileState, e *usage.Event, obj []byte) string {
	var flat, c5, c1 int64
	var split, hasFlat bool
	it := newMembers(obj)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		var err error
		switch string(k) {
		case "input_tokens":
			e.Tokens.InputUncached, err = count(v)
		case "cache_read_input_tokens":
			e.Tokens.CacheRead, err = count(v)
		case "output_tokens":
			e.Tokens.Output, err = count(v)
		case "cache_creation_input_tokens":
			flat, err = count(v)
			hasFlat = !isNull(v)
		case "cache_creation":
			split = !isNull(v)
			c5, c1, err = cacheSplit(v, &k)
		case "server_tool_use":
			err = serverTools(e, v, &k)
		case "service_tier":
			e.ServiceTier = fs.str(v)
		case "speed":
			e.Speed = fs.str(v)
		case "inference_geo":
			if g := fs.str(v); g != "not_available" {
				e.InferenceGeo = g
			}
		}
		if err != nil {
			return "usage." + string(k) + " " + err.Error()
		}
	}
	ttl(e, split, hasFlat, flat, c5, c1)
	return ""
}

// ttl places cache writes: the ephemeral split when there is one, the
// remainder of the flat total (or all of it) in 5m with FlagTTLAssumed.
func ttl(e *usage.Event, split, hasFlat bool, flat, c5, c1 int64) {
	if !split {
		c5, c1 = 0, 0
	}
	if hasFlat && c5+c1 < flat {
		c5 += flat - c5 - c1
		e.Flags |= usage.FlagTTLAssumed
	}
	e.Tokens.CacheWrite5m, e.Tokens.CacheWrite1h = c5, c1
}

// cacheSplit reads usage.cache_creation; on error *k names the bad member.
func cacheSplit(v []byte, k *[]byte) (c5, c1 int64, err error) {
	it := newMembers(v)
	for key, val, ok := it.next(); ok; key, val, ok = it.next() {
		switch string(key) {
		case "ephemeral_5m_input_tokens":
			c5, err = count(val)
		case "ephemeral_1h_input_tokens":
			c1, err = count(val)
		}
		if err != nil {
			*k = append(append(append([]byte(nil), *k...), '.'), key...)
			return 0, 0, err
		}
	}
	return c5, c1, nil
}

// serverTools reads usage.server_tool_use, which may be null.
func serverTools(e *usage.Event, v []byte, k *[]byte) error {
	it := newMembers(v)
	for key, val, ok := it.next(); ok; key, val, ok = it.next() {
		var err error
		switch string(key) {
		case "web_search_requests":
			e.WebSearchRequests, err = count(val)
		case "web_fetch_requests":
			e.WebFetchRequests, err = count(val)
		}
		if err != nil {
			*k = append(append(append([]byte(nil), *k...), '.'), key...)
			return err
		}
	}
	return nil
}

// stringBody returns the bytes inside a raw JSON string, or v itself.
func stringBody(v []byte) []byte {
	if s, _, ok := rawString(v); ok {
		return s
	}
	return v
}
