package importer

import (
	"bytes"
	"strconv"

	"github.com/tallyhq/tally/internal/usage"
)

// The fields of tally's generic format (FORMATS.md B.11).
const (
	gOccurredAt = iota
	gProvider
	gModel
	gInput
	gCacheRead
	gCache5m
	gCache1h
	gOutput
	gRequestID
	gPrincipal
	gAPIKeyID
	gIAMARN
	gGatewayUser
	gHost
	gOSUser
	gCWD
	gSessionID
	gParentSessionID
	gGitBranch
	gAgent
	gFields
)

// genericField returns the index of a generic field name, or -1.
func genericField(name string) int {
	for i := range gFields {
		if genericName(i) == name {
			return i
		}
	}
	return -1
}

// genericName returns the name of generic field i.
func genericName(i int) string {
	switch i {
	case gOccurredAt:
		return "occurred_at"
	case gProvider:
		return "provider"
	case gModel:
		return "model"
	case gInput:
		return "input_tokens"
	case gCacheRead:
		return "cache_read_tokens"
	case gCache5m:
		return "cache_write_5m_tokens"
	case gCache1h:
		return "cache_write_1h_tokens"
	case gOutput:
		return "output_tokens"
	case gRequestID:
		return "request_id"
	}
	return genericEvidenceName(i)
}

func genericEvidenceName(i int) string {
	switch i {
	case gPrincipal:
		return "principal"
	case gAPIKeyID:
		return "api_key_id"
	case gIAMARN:
		return "iam_arn"
	case gGatewayUser:
		return "gateway_user"
	case gHost:
		return "host"
	case gOSUser:
		return "os_user"
	case gCWD:
		return "cwd"
	case gSessionID:
		return "session_id"
	case gParentSessionID:
		return "parent_session_id"
	case gGitBranch:
		return "git_branch"
	case gAgent:
		return "agent"
	}
	return ""
}

// genericRow holds one row's values: raw JSON values, or CSV cells.
type genericRow struct {
	vals [gFields][]byte
	json bool
}

// text returns field i as an interned string; ok is false for a JSON
// value that is neither a string nor null.
func (r *genericRow) text(fs *fileState, i int) (string, bool) {
	b, ok := r.bytes(fs, i)
	return fs.intern(b), ok
}

// bytes returns field i unquoted and unescaped (valid until the next
// call); ok is false for a JSON value that is neither a string nor null.
func (r *genericRow) bytes(fs *fileState, i int) ([]byte, bool) {
	v := r.vals[i]
	if !r.json || isNull(v) {
		return v, true
	}
	s, esc, ok := rawString(v)
	if esc {
		fs.tmp = unescape(fs.tmp[:0], s)
		return fs.tmp, true
	}
	return s, ok
}

// number returns field i as a token count; present is false when the
// field is absent, null or an empty cell.
func (r *genericRow) number(i int) (n int64, present bool, err error) {
	v := r.vals[i]
	if len(v) == 0 || r.json && isNull(v) {
		return 0, false, nil
	}
	n, err = parseCount(v)
	return n, true, err
}

// event turns one row into a candidate, or rejects it with a reason.
func (r *genericRow) event(fs *fileState, n int) {
	e := fs.resetEvent(usage.FormatGeneric, n)
	if reason := r.fill(fs, e); reason != "" {
		fs.reject(n, reason)
		return
	}
	id, ok := r.bytes(fs, gRequestID)
	if !ok || len(id) == 0 {
		fs.reject(n, "missing request_id")
		return
	}
	e.Policy = usage.PolicyKeepFirst
	e.Rank = usage.RankPrimary
	fs.kbuf = append(append(append(fs.kbuf[:0], "generic:"...), e.Provider...), ':')
	fs.kbuf = append(fs.kbuf, id...)
	fs.pushKey()
	fs.add(e)
}

// fill sets e's fields from the row; it returns why the row is refused.
func (r *genericRow) fill(fs *fileState, e *usage.Event) string {
	var strs [gFields]string
	for i := gProvider; i < gFields; i++ {
		if i >= gInput && i <= gRequestID {
			continue
		}
		s, ok := r.text(fs, i)
		if !ok {
			return genericName(i) + " must be a string"
		}
		strs[i] = s
	}
	if _, ok := r.bytes(fs, gRequestID); !ok {
		return "request_id must be a string"
	}
	for _, i := range [...]int{gProvider, gModel} {
		if strs[i] == "" {
			return "missing " + genericName(i)
		}
	}
	if reason := r.time(fs, e); reason != "" {
		return reason
	}
	if reason := r.tokens(e); reason != "" {
		return reason
	}
	e.Provider, e.ModelReported = strs[gProvider], strs[gModel]
	e.Evidence = usage.Evidence{
		Principal: strs[gPrincipal], APIKeyID: strs[gAPIKeyID], IAMARN: strs[gIAMARN],
		GatewayUser: strs[gGatewayUser], Host: strs[gHost], OSUser: strs[gOSUser],
		CWD: strs[gCWD], SessionID: strs[gSessionID], ParentSessionID: strs[gParentSessionID],
		GitBranch: strs[gGitBranch], Agent: strs[gAgent],
	}
	return ""
}

// time reads occurred_at.
func (r *genericRow) time(fs *fileState, e *usage.Event) string {
	b, ok := r.bytes(fs, gOccurredAt)
	switch {
	case !ok:
		return "occurred_at must be a string"
	case len(b) == 0:
		return "missing occurred_at"
	}
	t, err := parseTime(b)
	if err != nil {
		return "occurred_at " + strconv.Quote(string(b)) + ": " + err.Error()
	}
	e.OccurredAt = t
	return ""
}

// tokens reads the counts: input and output are required, the cache
// columns default to 0.
func (r *genericRow) tokens(e *usage.Event) string {
	dst := [...]*int64{gInput: &e.Tokens.InputUncached, gCacheRead: &e.Tokens.CacheRead,
		gCache5m: &e.Tokens.CacheWrite5m, gCache1h: &e.Tokens.CacheWrite1h,
		gOutput: &e.Tokens.Output}
	for i := gInput; i <= gOutput; i++ {
		n, present, err := r.number(i)
		switch {
		case err != nil:
			return genericName(i) + " " + err.Error()
		case !present && (i == gInput || i == gOutput):
			return "missing " + genericName(i)
		}
		*dst[i] = n
	}
	return ""
}

// genericJSON reads the generic format as JSON Lines.
type genericJSON struct {
	row genericRow
}

func (p *genericJSON) line(fs *fileState, n int, b []byte) {
	if blank(b) {
		fs.skip()
		return
	}
	if err := fs.sc.scan(b); err != nil {
		fs.reject(n, err.Error())
		return
	}
	p.row = genericRow{json: true}
	for _, f := range fs.sc.fields {
		if f.parent != -1 {
			continue
		}
		if i := genericField(string(b[f.key.from:f.key.to])); i >= 0 {
			p.row.vals[i] = b[f.val.from:f.val.to]
		}
	}
	p.row.event(fs, n)
}

// genericCSV reads the generic format as CSV with a header row. Fields
// may be quoted but may not span lines.
type genericCSV struct {
	cols   []int // field index of each column, -1 for columns not used
	header bool
	bad    string // why the header is unusable
	cells  [][]byte
	unq    []byte
	row    genericRow
}

func (p *genericCSV) line(fs *fileState, n int, b []byte) {
	if blank(b) {
		fs.skip()
		return
	}
	cells, err := p.split(b)
	switch {
	case !p.header:
		p.header = true
		p.readHeader(cells, err)
		if p.bad != "" {
			fs.reject(n, p.bad)
			return
		}
		fs.skip()
		return
	case p.bad != "":
		fs.reject(n, "no usable header: "+p.bad)
		return
	case err != "":
		fs.reject(n, err)
		return
	case len(cells) != len(p.cols):
		fs.reject(n, "row has "+strconv.Itoa(len(cells))+" fields, header has "+
			strconv.Itoa(len(p.cols)))
		return
	}
	p.row = genericRow{}
	for c, i := range p.cols {
		if i >= 0 {
			p.row.vals[i] = cells[c]
		}
	}
	p.row.event(fs, n)
}

// readHeader maps the header's columns to fields.
func (p *genericCSV) readHeader(cells [][]byte, err string) {
	if err != "" {
		p.bad = "header: " + err
		return
	}
	var seen [gFields]bool
	for _, c := range cells {
		i := genericField(string(c))
		if i >= 0 && seen[i] {
			p.bad = "header names " + string(c) + " twice"
			return
		}
		if i >= 0 {
			seen[i] = true
		}
		p.cols = append(p.cols, i)
	}
	for _, i := range []int{gOccurredAt, gProvider, gModel, gRequestID, gInput, gOutput} {
		if !seen[i] {
			p.bad = "header lacks column " + genericName(i)
			return
		}
	}
}

// split cuts one CSV line into trimmed cells; quoted cells are unquoted
// into p.unq, which is sized so that it never moves.
func (p *genericCSV) split(b []byte) ([][]byte, string) {
	p.cells = p.cells[:0]
	if cap(p.unq) < len(b) {
		p.unq = make([]byte, 0, len(b))
	}
	p.unq = p.unq[:0]
	for i := 0; ; {
		cell, next, err := p.cell(b, i)
		if err != "" {
			return nil, err
		}
		p.cells = append(p.cells, bytes.TrimSpace(cell))
		if next >= len(b) {
			return p.cells, ""
		}
		i = next + 1
	}
}

// cell reads the cell that starts at b[i]; next is the index of the comma
// after it, or len(b).
func (p *genericCSV) cell(b []byte, i int) (cell []byte, next int, err string) {
	j := skipBlanks(b, i)
	if j >= len(b) || b[j] != '"' {
		k := bytes.IndexByte(b[i:], ',')
		if k < 0 {
			return b[i:], len(b), ""
		}
		return b[i : i+k], i + k, ""
	}
	from := len(p.unq)
	for j++; j < len(b); j++ {
		if b[j] != '"' {
			p.unq = append(p.unq, b[j])
			continue
		}
		if j+1 < len(b) && b[j+1] == '"' {
			p.unq = append(p.unq, '"')
			j++
			continue
		}
		k := skipBlanks(b, j+1)
		if k < len(b) && b[k] != ',' {
			return nil, 0, "text after a quoted field"
		}
		return p.unq[from:], k, ""
	}
	return nil, 0, "unterminated quote (a field may not span lines)"
}

func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}
