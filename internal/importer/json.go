package importer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects in one line, as
// encoding/json does.
const maxDepth = 10000

var (
	errNotObject = errors.New("not a JSON object")
	errTooDeep   = errors.New("JSON nested too deeply")
)

// syntaxError says where a line stops being valid JSON.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string {
	return "invalid JSON: " + e.msg + " at byte " + strconv.Itoa(e.off)
}

// span is the half-open byte range [from, to) of a line.
type span struct{ from, to int }

// field is one member of a line's top object, or of an object that is the
// value of a top member (then parent is that member's index, else -1).
// key excludes the quotes; val is the raw value, strings with their quotes.
type field struct {
	key    span
	val    span
	parent int
}

// frame is an open container: an object or array, and the field whose value
// it is (-1 when it is not a recorded field's value).
type frame struct {
	obj   bool
	field int
}

// scanner validates one line as strict JSON in a single pass and records the
// members of the top two object levels. It keeps its buffers between lines.
type scanner struct {
	fields []field
	stack  []frame
}

// The states of the scanner's loop.
const (
	stValue = iota // a value is due
	stOpen         // a container was just opened
	stKey          // a member key is due
	stAfter        // a value has ended
)

// scan validates b, which must hold one JSON object, and records its fields.
func (s *scanner) scan(b []byte) error {
	s.fields, s.stack = s.fields[:0], s.stack[:0]
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return errNotObject
	}
	cur, st := -1, stValue
	var err error
	for {
		switch st {
		case stValue:
			i, st, err = s.value(b, i, cur)
			cur = -1
		case stOpen:
			i, st = s.open(b, i)
		case stKey:
			i, cur, err = s.key(b, i)
			st = stValue
		case stAfter:
			i, st, err = s.after(b, i)
			if err == nil && st < 0 {
				return nil
			}
		}
		if err != nil {
			return err
		}
	}
}

// value scans the value at b[i], the value of field cur (or -1).
func (s *scanner) value(b []byte, i, cur int) (int, int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, 0, &syntaxError{"unexpected end", i}
	}
	if cur >= 0 {
		s.fields[cur].val.from = i
	}
	var err error
	switch c := b[i]; c {
	case '{', '[':
		if len(s.stack) >= maxDepth {
			return i, 0, errTooDeep
		}
		s.stack = append(s.stack, frame{obj: c == '{', field: cur})
		return i + 1, stOpen, nil
	case '"':
		i, err = scanString(b, i)
	case 't':
		i, err = literal(b, i, "true")
	case 'f':
		i, err = literal(b, i, "false")
	case 'n':
		i, err = literal(b, i, "null")
	default:
		i, err = scanNumber(b, i)
	}
	if err != nil {
		return i, 0, err
	}
	if cur >= 0 {
		s.fields[cur].val.to = i
	}
	return i, stAfter, nil
}

// open handles the first token after '{' or '['.
func (s *scanner) open(b []byte, i int) (int, int) {
	i = skipSpace(b, i)
	top := s.stack[len(s.stack)-1]
	if i < len(b) && (b[i] == '}' && top.obj || b[i] == ']' && !top.obj) {
		s.close(i + 1)
		return i + 1, stAfter
	}
	if top.obj {
		return i, stKey
	}
	return i, stValue
}

// close pops the innermost container, which ends at i.
func (s *scanner) close(i int) {
	top := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	if top.field >= 0 {
		s.fields[top.field].val.to = i
	}
}

// key scans `"key":` and returns the index of the recorded field, or -1.
func (s *scanner) key(b []byte, i int) (int, int, error) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '"' {
		return i, -1, &syntaxError{"want a member name", i}
	}
	end, err := scanString(b, i)
	if err != nil {
		return end, -1, err
	}
	cur := -1
	depth := len(s.stack)
	top := s.stack[depth-1]
	if depth == 1 || depth == 2 && top.field >= 0 {
		parent := -1
		if depth == 2 {
			parent = top.field
		}
		cur = len(s.fields)
		s.fields = append(s.fields, field{key: span{i + 1, end - 1}, parent: parent})
	}
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, -1, &syntaxError{"want ':'", i}
	}
	return i + 1, cur, nil
}

// after handles what follows a value: a comma, a closing bracket, or the
// end of the line (then the state is -1).
func (s *scanner) after(b []byte, i int) (int, int, error) {
	i = skipSpace(b, i)
	if len(s.stack) == 0 {
		if i != len(b) {
			return i, 0, &syntaxError{"data after the object", i}
		}
		return i, -1, nil
	}
	if i >= len(b) {
		return i, 0, &syntaxError{"unexpected end", i}
	}
	top := s.stack[len(s.stack)-1]
	switch c := b[i]; {
	case c == ',' && top.obj:
		return i + 1, stKey, nil
	case c == ',':
		return i + 1, stValue, nil
	case c == '}' && top.obj, c == ']' && !top.obj:
		s.close(i + 1)
		return i + 1, stAfter, nil
	}
	return i, 0, &syntaxError{"want ',' or a closing bracket", i}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, &syntaxError{"bad literal", i}
	}
	return i + len(lit), nil
}

// The SWAR constants: one bit pattern per byte of a 64-bit word.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	slashs = '\\' * ones
)

// special marks the bytes of w that end a run of plain string bytes: a
// quote, a backslash or a control character. Only the lowest mark is exact.
func special(w uint64) uint64 {
	q := w ^ quotes
	s := w ^ slashs
	return ((q-ones)&^q | (s-ones)&^s | (w-0x20*ones)&^w) & highs
}

// scanString validates the string that starts at b[i] and returns the index
// just past its closing quote.
func scanString(b []byte, i int) (int, error) {
	i++
	for {
		for i+8 <= len(b) {
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return i, &syntaxError{"unterminated string", i}
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\' && i+1 < len(b) && shortEscape(b[i+1]):
			i += 2
		case c == '\\':
			n, err := escape(b, i)
			if err != nil {
				return i, err
			}
			i += n
		case c < 0x20:
			return i, &syntaxError{"control character in string", i}
		default:
			i++
		}
	}
}

// shortEscape reports whether c ends a two-byte escape such as \n.
func shortEscape(c byte) bool {
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	}
	return false
}

// escape validates the escape sequence at b[i] and returns its length.
func escape(b []byte, i int) (int, error) {
	if i+1 >= len(b) {
		return 0, &syntaxError{"unterminated string", i}
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		if i+6 > len(b) {
			return 0, &syntaxError{"short \\u escape", i}
		}
		for _, h := range b[i+2 : i+6] {
			if unhex(h) < 0 {
				return 0, &syntaxError{"bad \\u escape", i}
			}
		}
		return 6, nil
	}
	return 0, &syntaxError{"bad escape", i}
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// scanNumber validates the number that starts at b[i].
func scanNumber(b []byte, i int) (int, error) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return start, &syntaxError{"bad value", start}
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, &syntaxError{"bad number", start}
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, &syntaxError{"bad number", start}
		}
		i = j
	}
	return i, nil
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// top returns the raw value of the top-level member named key, or nil.
func (s *scanner) top(b []byte, key string) []byte {
	return s.child(b, -1, key)
}

// child returns the raw value of member key of the object recorded as
// field parent (-1: the top object), or nil.
func (s *scanner) child(b []byte, parent int, key string) []byte {
	if i := s.index(b, parent, key); i >= 0 {
		f := s.fields[i]
		return b[f.val.from:f.val.to]
	}
	return nil
}

// index returns the index of member key under parent, or -1.
func (s *scanner) index(b []byte, parent int, key string) int {
	for i, f := range s.fields {
		if f.parent == parent && string(b[f.key.from:f.key.to]) == key {
			return i
		}
	}
	return -1
}

// members iterates over the members of one object in a line that has
// already been validated. It stays in bounds on any input.
type members struct {
	b []byte
	i int
}

// newMembers starts an iteration over the object v; it yields nothing if v
// is not an object.
func newMembers(v []byte) members {
	if len(v) == 0 || v[0] != '{' {
		return members{}
	}
	return members{b: v, i: 1}
}

// next returns the next member's key (raw, without quotes) and raw value.
func (m *members) next() (key, val []byte, ok bool) {
	b := m.b
	i := skipSpace(b, m.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		m.b = nil
		return nil, nil, false
	}
	end := skipString(b, i)
	key = b[i+1 : max(end-1, i+1)]
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		m.b = nil
		return nil, nil, false
	}
	i = skipSpace(b, i+1)
	end = skipValue(b, i)
	m.i = end
	return key, b[i:end], end > i
}

// skipString returns the index past the closing quote of the valid string
// that starts at b[i] (or len(b)).
func skipString(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// skipValue returns the index past the valid value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipContainer(b, i)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

func skipContainer(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i = skipString(b, i)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return i
}

// isNull reports whether the raw value v is absent or null.
func isNull(v []byte) bool {
	return len(v) == 0 || string(v) == "null"
}

// rawString returns the bytes between the quotes of the raw string v and
// whether they hold escapes; ok is false if v is not a string.
func rawString(v []byte) (s []byte, esc, ok bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false, false
	}
	s = v[1 : len(v)-1]
	return s, bytes.IndexByte(s, '\\') >= 0, true
}

// unescape appends the decoded form of the escaped string body s to dst.
func unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			dst = append(dst, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			var n int
			dst, n = unescapeU(dst, s[i:])
			i += n
			continue
		default:
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}

// unescapeU decodes the \uXXXX escape (or surrogate pair) at the start of s.
func unescapeU(dst, s []byte) ([]byte, int) {
	r, ok := hex4(s)
	if !ok {
		return append(dst, s[:2]...), 2
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := hex4(s[6:]); ok && len(s) >= 12 && s[6] == '\\' {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return utf8.AppendRune(dst, d), 12
			}
		}
		return utf8.AppendRune(dst, utf8.RuneError), 6
	}
	return utf8.AppendRune(dst, r), 6
}

// hex4 reads the four hex digits of a \u escape at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 6 || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		h := unhex(c)
		if h < 0 {
			return 0, false
		}
		r = r<<4 | rune(h)
	}
	return r, true
}

// errCount explains why a token count was refused.
var (
	errNegative   = errors.New("is negative")
	errNotInteger = errors.New("is not a non-negative integer")
	errOverflow   = errors.New("is too large")
)

// count parses a raw JSON value as a token count: absent or null is 0,
// otherwise it must be a non-negative integer.
func count(v []byte) (int64, error) {
	if isNull(v) {
		return 0, nil
	}
	return parseCount(v)
}

// parseCount parses unsigned decimal digits.
func parseCount(v []byte) (int64, error) {
	if len(v) == 0 {
		return 0, errNotInteger
	}
	if v[0] == '-' {
		if _, err := parseCount(v[1:]); err == nil {
			return 0, errNegative
		}
		return 0, errNotInteger
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, errNotInteger
		}
		if n > (1<<63-1-9)/10 {
			return 0, errOverflow
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}
