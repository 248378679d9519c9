package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tallyhq/tally/internal/usage"
)

// Options for one run.
type Options struct {
	// Format forces one parser for every file: usage.FormatClaudeCode,
	// usage.FormatCodex or usage.FormatGeneric; "" detects it per file.
	Format string
	// Host and OSUser, when set, are stamped on every event as evidence
	// (a generic row that names its own keeps it).
	Host, OSUser string
	Limits       Limits
}

// Sink stores candidate events. Put receives the calls of one file, or of
// several files one after the other, each file's already merged within it
// (usage.Merge), in file order, and tallies what it did with them.
type Sink interface {
	Put(ctx context.Context, events []*usage.Event) (Tally, error)
}

// Tally is what a Sink did with the calls of one Put. New and Duplicates
// add up to the calls it was given; Updated counts the duplicates that
// changed a stored call. Joined counts calls the run had stored as new
// that a copy has since shown to be copies of another: its key matched
// both (one call, seen under two keys in two files). Their lines count as
// duplicates from then on.
type Tally struct {
	New, Duplicates, Updated, Joined int64
}

// Stats are the counts of one run. Every line lands in exactly one of
// Events, Duplicates, Skipped and Rejected, so their sum is Lines. A file
// taken or refused as a whole (unknown format, an unsafe archive member, a
// run over its byte budget) counts as one line, line 0. Updated counts
// stored calls raised; those lines are also Duplicates. Rejects keeps the
// first Limits.MaxRejects details, and every reject that ended a file;
// Rejected is exact.
type Stats struct {
	Files, Lines, Events, Duplicates, Updated, Skipped, Rejected int64
	Rejects                                                      []Reject
}

// Reject is one line, or one whole file at line 0, that was refused.
// EndsFile marks a reject after which the rest of the file was not read (a
// read error, a limit passed); those are kept past Limits.MaxRejects, so
// that the reason is never lost.
type Reject struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Reason   string `json:"reason"`
	EndsFile bool   `json:"-"`
}

// putChunk is how many events ReadFile hands to the sink at once.
const putChunk = 4096

// errBadFormat is wrapped when Options.Format names no format.
var errBadFormat = errors.New("no such format")

// parser turns the lines of one file into calls, skips and rejects.
type parser interface {
	line(fs *fileState, n int, b []byte)
}

// parsed is one file read and merged, waiting to be handed to a sink.
type parsed struct {
	name    string
	events  []*usage.Event
	lines   int64
	dups    int64
	skipped int64
	rejects int64
	details []Reject
	bytes   int64 // bytes read from the file's reader
	limit   bool  // the run's byte budget ran out in this file
}

// ReadFile reads one file (already named and opened, e.g. by Walk), parses
// it per the options, merges the copies of each call within the file,
// hands the calls to sink and adds to st. A malformed line is a reject and
// the rest of the file goes in; a read error rejects the rest of the file;
// only a bad Options.Format, a cancelled ctx or a sink error is returned.
//
// Calls of formats whose copies never change a stored call (Codex, generic)
// go to the sink in chunks as they are read, so memory stays flat however
// long the file; a copy that spans two chunks is then the sink's duplicate.
func (o Options) ReadFile(ctx context.Context, name string, r io.Reader, sink Sink,
	st *Stats) error {
	stream := func(events []*usage.Event) error {
		if err := put(ctx, sink, events, st); err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		return nil
	}
	p, err := o.parseWith(ctx, name, r, stream)
	if err != nil {
		return err
	}
	return o.commit(ctx, p, sink, st)
}

// parse reads one file into a parsed result without touching any sink.
func (o Options) parse(ctx context.Context, name string, r io.Reader) (*parsed, error) {
	return o.parseWith(ctx, name, r, nil)
}

// parseWith reads one file into a parsed result. With stream set, the calls
// of a format whose copies never change a stored call are handed to stream
// in chunks while reading, and the result holds only the last of them.
func (o Options) parseWith(ctx context.Context, name string, r io.Reader,
	stream func([]*usage.Event) error) (*parsed, error) {
	if err := checkFormat(o.Format); err != nil {
		return nil, err
	}
	lim := o.Limits.orDefault()
	fs := newFileState(name, o, lim)
	lr := newLineReader(r, lim.MaxLineBytes)
	defer lr.release()
	head := lr.head()
	if len(head) == 0 {
		return fs.ended(lr, 0), nil
	}
	p, err := o.parser(name, head)
	var te *totalError
	switch {
	case err != nil && errors.As(lr.failure(), &te):
		return fs.ended(lr, 0), nil // over the budget: refused whatever it is
	case errors.Is(err, ErrNotUsage):
		return fs.whole(lr, ""), nil
	case errors.Is(err, ErrUnknownFormat):
		return fs.whole(lr, err.Error()), nil
	case err != nil:
		return nil, err
	}
	if _, claude := p.(*claudeParser); !claude {
		fs.stream = stream
	}
	n, err := fs.run(ctx, lr, p)
	if err != nil {
		return nil, err
	}
	return fs.ended(lr, n), nil
}

// run feeds every line to p and returns the number of lines read.
func (fs *fileState) run(ctx context.Context, lr *lineReader, p parser) (int, error) {
	n := 0
	for {
		line, long, ok := lr.next()
		if !ok {
			return n, nil
		}
		n++
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return n, fmt.Errorf("read %s: %w", fs.name, err)
			}
		}
		fs.lines++
		if long {
			fs.reject(n, "line longer than "+strconv.Itoa(fs.lim.MaxLineBytes)+" bytes")
			continue
		}
		if n == 1 {
			line = trimBOM(line)
		}
		p.line(fs, n, line)
		if fs.stream != nil && len(fs.m.cands) >= putChunk {
			if err := fs.flushStream(); err != nil {
				return n, err
			}
		}
	}
}

// flushStream hands the calls read so far to the stream and starts afresh.
func (fs *fileState) flushStream() error {
	events := fs.m.events()
	fs.dups += fs.m.joined
	fs.m = newMerger()
	clear(fs.strs)
	return fs.stream(events)
}

// checkFormat refuses an Options.Format that names no parser.
func checkFormat(f string) error {
	switch f {
	case "", usage.FormatClaudeCode, usage.FormatCodex, usage.FormatGeneric:
		return nil
	}
	return fmt.Errorf("format %q: %w", f, errBadFormat)
}

// parser picks the parser for one file from the options or its head.
func (o Options) parser(name string, head []byte) (parser, error) {
	format := o.Format
	if format == "" {
		f, err := Detect(name, head)
		if err != nil {
			return nil, err
		}
		format = f
	}
	switch format {
	case usage.FormatClaudeCode:
		return newClaudeParser(name), nil
	case usage.FormatCodex:
		return &codexParser{}, nil
	}
	if firstByte(head) == '{' {
		return &genericJSON{}, nil
	}
	return &genericCSV{}, nil
}

// commit hands a parsed file to the sink and adds its counts to st.
func (o Options) commit(ctx context.Context, p *parsed, sink Sink, st *Stats) error {
	o.count(p, st)
	for from := 0; from < len(p.events); from += putChunk {
		chunk := p.events[from:min(from+putChunk, len(p.events))]
		if err := put(ctx, sink, chunk, st); err != nil {
			return fmt.Errorf("store %s: %w", p.name, err)
		}
	}
	return nil
}

// count adds the counts of a parsed file, all but its calls', to st.
func (o Options) count(p *parsed, st *Stats) {
	st.Files++
	st.Lines += p.lines
	st.Duplicates += p.dups
	st.Skipped += p.skipped
	st.Rejected += p.rejects
	maxRejects := o.Limits.orDefault().MaxRejects
	for _, r := range p.details {
		if len(st.Rejects) < maxRejects || r.EndsFile {
			st.Rejects = append(st.Rejects, r)
		}
	}
}

// put stores one chunk and counts the outcomes.
func put(ctx context.Context, sink Sink, events []*usage.Event, st *Stats) error {
	t, err := sink.Put(ctx, events)
	if err != nil {
		return err
	}
	if t.New+t.Duplicates != int64(len(events)) {
		return fmt.Errorf("sink tallied %d calls for %d", t.New+t.Duplicates, len(events))
	}
	st.Events += t.New - t.Joined
	st.Duplicates += t.Duplicates + t.Joined
	st.Updated += t.Updated
	return nil
}

// fileState is the state of reading one file, shared by all parsers.
type fileState struct {
	name      string
	host, usr string
	lim       Limits
	sc        scanner
	strs      map[string]string
	tmp       []byte
	tmp2      []byte
	kbuf      []byte
	ev        usage.Event
	keys      []string
	m         merger
	stream    func([]*usage.Event) error // see parseWith
	lines     int64
	dups      int64
	skipped   int64
	rejects   int64
	details   []Reject
}

func newFileState(name string, o Options, lim Limits) *fileState {
	return &fileState{
		name: name, host: o.Host, usr: o.OSUser, lim: lim,
		strs: map[string]string{},
		m:    newMerger(),
	}
}

// ended turns the state into a parsed result once the reader is done; a
// read error rejects the rest of the file at line n+1.
func (fs *fileState) ended(lr *lineReader, n int) *parsed {
	if err := lr.failure(); err != nil {
		var te *totalError
		if errors.As(err, &te) {
			p := fs.whole(lr, err.Error())
			p.limit = true
			return p
		}
		var me *MemberError
		if n == 0 && errors.As(err, &me) {
			return fs.whole(lr, me.Reason)
		}
		fs.lines++
		fs.rejects++
		fs.details = append(fs.details, Reject{File: fs.name, Line: n + 1,
			Reason: "read error: " + err.Error(), EndsFile: true})
	}
	return &parsed{
		name: fs.name, events: fs.m.events(), lines: fs.lines, dups: fs.dups + fs.m.joined,
		skipped: fs.skipped, rejects: fs.rejects, details: fs.details, bytes: lr.bytes,
	}
}

// whole returns the file taken as one line 0: rejected with reason, or
// skipped when reason is empty.
func (fs *fileState) whole(lr *lineReader, reason string) *parsed {
	p := &parsed{name: fs.name, lines: 1, bytes: lr.bytes}
	if reason == "" {
		p.skipped = 1
		return p
	}
	p.rejects = 1
	p.details = []Reject{{File: fs.name, Reason: reason, EndsFile: true}}
	return p
}

// skip counts a line that carries no usage.
func (fs *fileState) skip() { fs.skipped++ }

// dup counts a line that repeats a call already taken from this file.
func (fs *fileState) dup() { fs.dups++ }

// reject counts a refused line and keeps its details while there is room.
func (fs *fileState) reject(n int, reason string) {
	fs.rejects++
	if len(fs.details) < fs.lim.MaxRejects {
		fs.details = append(fs.details, Reject{File: fs.name, Line: n, Reason: reason})
	}
}

// add merges the candidate c (fs.ev, with fs.keys) into the file's calls.
// A call whose text Postgres could not store (a NUL, invalid UTF-8) is
// rejected with its line instead.
func (fs *fileState) add(c *usage.Event) {
	if reason := badText(c); reason != "" {
		fs.reject(c.SourceLine, reason)
		return
	}
	if c.Evidence.Host == "" {
		c.Evidence.Host = fs.host
	}
	if c.Evidence.OSUser == "" {
		c.Evidence.OSUser = fs.usr
	}
	if fs.m.add(c) {
		fs.dups++
	}
}

// intern returns b as a string shared by every equal string of the file.
func (fs *fileState) intern(b []byte) string {
	if s, ok := fs.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	fs.strs[s] = s
	return s
}

// str returns the raw JSON value v as an interned string; "" when v is
// not a string.
func (fs *fileState) str(v []byte) string {
	s, esc, ok := rawString(v)
	switch {
	case !ok:
		return ""
	case esc:
		fs.tmp = unescape(fs.tmp[:0], s)
		return fs.intern(fs.tmp)
	}
	return fs.intern(s)
}

// body returns the unescaped body of the raw JSON string v without
// interning it: the bytes of the line, or of *buf when v has escapes.
// It returns nil when v is not a string.
func (fs *fileState) body(v []byte, buf *[]byte) []byte {
	s, esc, ok := rawString(v)
	switch {
	case !ok:
		return nil
	case esc:
		*buf = unescape((*buf)[:0], s)
		return *buf
	}
	return s
}

// pushKey adds the key built in fs.kbuf to the scratch event's keys,
// reusing the stored string when the key is already known.
func (fs *fileState) pushKey() {
	fs.keys = append(fs.keys, fs.m.key(fs.kbuf))
	fs.ev.Keys = fs.keys
}

// resetEvent clears the scratch event for a new line of the given format.
func (fs *fileState) resetEvent(format string, n int) *usage.Event {
	fs.ev = usage.Event{SourceFormat: format, SourceFile: fs.name, SourceLine: n, Requests: 1}
	fs.keys = fs.keys[:0]
	return &fs.ev
}

func firstByte(b []byte) byte {
	b = trimBOM(b)
	if i := skipSpace(b, 0); i < len(b) {
		return b[i]
	}
	return 0
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

// blank reports whether a line holds only white space.
func blank(b []byte) bool {
	return skipSpace(b, 0) == len(b)
}

// maxText is the longest text field a call may carry: paths, ids and names
// are far shorter, and a page lists thousands of them.
const maxText = 4096

// badText says why the first text field of e cannot be stored: it is not
// valid UTF-8, holds a NUL or is longer than maxText; "" when all can.
func badText(e *usage.Event) string {
	ev := &e.Evidence
	fields := [...]struct{ name, v string }{
		{"model", e.ModelReported}, {"provider", e.Provider},
		{"service_tier", e.ServiceTier}, {"speed", e.Speed},
		{"inference_geo", e.InferenceGeo}, {"region", e.Region},
		{"principal", ev.Principal}, {"api_key_id", ev.APIKeyID}, {"iam_arn", ev.IAMARN},
		{"gateway_user", ev.GatewayUser}, {"host", ev.Host}, {"os_user", ev.OSUser},
		{"cwd", ev.CWD}, {"session_id", ev.SessionID},
		{"parent_session_id", ev.ParentSessionID}, {"agent_id", ev.AgentID},
		{"git_branch", ev.GitBranch}, {"git_remote", ev.GitRemote}, {"agent", ev.Agent},
		{"version", ev.Version},
	}
	for _, f := range fields {
		if reason := textProblem(f.name, f.v); reason != "" {
			return reason
		}
	}
	for _, k := range e.Keys {
		if reason := textProblem("the call's id", k); reason != "" {
			return reason
		}
	}
	return ""
}

func textProblem(name, v string) string {
	switch {
	case len(v) > maxText:
		return name + " is longer than " + strconv.Itoa(maxText) + " bytes"
	case !cleanText(v):
		return name + " holds a NUL character or invalid UTF-8"
	}
	return ""
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}
