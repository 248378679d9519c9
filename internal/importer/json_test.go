package importer

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestScanner checks the validator against encoding/json.Valid on objects.
func TestScanner(t *testing.T) {
	cases := []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":[1,2,{"b":null}],"c":"x\"y\\z\u00e9"}`,
		`{"a":-0.5e+10,"b":true,"c":false}`, `{"a":"\t"}`, "{\"a\":\"\x01\"}",
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":tru}`,
		`{"a":1,}`, `{"a":1 "b":2}`, `{"a"}`, `{"a":}`, `{,}`, `{"a":[1,]}`,
		`{"a":[1 2]}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`, `{"a":1}}`,
		`{"a":1} x`, `{"a":[}`, `{"a":{]}`, `{"a":"unterminated}`, `[1]`, `"s"`,
		`{"a":{"b":{"c":[[[]]]}}}`, `{"a":"` + strings.Repeat("long text ", 50) + `"}`,
		`{"a":"` + strings.Repeat("x", 13) + `\"` + strings.Repeat("y", 7) + `"}`,
		"{\"a\":\"\xff\xfe\"}", `{"a":1E5,"b":-1.25E-3}`, `{"a":"x"`, `{"a":[`, `{`,
	}
	for _, c := range cases {
		var s scanner
		got := s.scan([]byte(c)) == nil
		want := json.Valid([]byte(c)) && strings.HasPrefix(strings.TrimSpace(c), "{")
		if got != want {
			t.Errorf("scan(%q) valid = %v, want %v", c, got, want)
		}
	}
}

// TestScannerMutations flips bytes of a realistic line and compares every
// mutation with encoding/json.Valid.
func TestScannerMutations(t *testing.T) {
	base := []byte(claudeAssistantLine(2000, "msg_1", "req_1", 13))
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("{}[]\",:\\ux0-1.eE+ \t\x01\x7f\xc3tfn")
	var s scanner
	for n := 0; n < 20000; n++ {
		b := append([]byte(nil), base...)
		for k := rng.IntN(3) + 1; k > 0; k-- {
			b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
		}
		got := s.scan(b) == nil
		if want := json.Valid(b); got != want {
			t.Fatalf("mutation %d: valid = %v, want %v\n%s", n, got, want, b)
		}
	}
}

// TestScannerFields checks the recorded fields of the top two levels.
func TestScannerFields(t *testing.T) {
	line := []byte(`{"type":"assistant","message":{"id":"m","usage":{"x":1},` +
		`"content":[{"type":"text"}]},"n":[{"type":"deep"}],"t":"z"}`)
	var s scanner
	if err := s.scan(line); err != nil {
		t.Fatal(err)
	}
	if got := string(s.top(line, "type")); got != `"assistant"` {
		t.Errorf("type = %s, want \"assistant\"", got)
	}
	if got := string(s.top(line, "t")); got != `"z"` {
		t.Errorf("t = %s, want \"z\"", got)
	}
	msg := s.index(line, -1, "message")
	if got := string(s.child(line, msg, "usage")); got != `{"x":1}` {
		t.Errorf("message.usage = %s, want {\"x\":1}", got)
	}
	if got := string(s.child(line, msg, "type")); got != "" {
		t.Errorf("message.type = %s, want nothing (not a member)", got)
	}
	if got := len(s.fields); got != 7 {
		t.Errorf("fields = %d, want 7 (type message id usage content n t, none deeper)", got)
	}
}

// TestMembers checks the light iterator on nested values.
func TestMembers(t *testing.T) {
	v := []byte(`{ "a" : "x\"}" , "b":{"c":[1,"]"]},"d":null,"e":-12}`)
	var keys, vals []string
	it := newMembers(v)
	for k, val, ok := it.next(); ok; k, val, ok = it.next() {
		keys = append(keys, string(k))
		vals = append(vals, string(val))
	}
	if got, want := strings.Join(keys, ","), "a,b,d,e"; got != want {
		t.Errorf("keys = %s, want %s", got, want)
	}
	if got, want := strings.Join(vals, "|"), `"x\"}"|{"c":[1,"]"]}|null|-12`; got != want {
		t.Errorf("values = %s, want %s", got, want)
	}
}

// TestUnescape checks string decoding, surrogate pairs included.
func TestUnescape(t *testing.T) {
	cases := map[string]string{
		`e:\\Workspace\\src`: `e:\Workspace\src`,
		`a\"b\/c\n`:          "a\"b/c\n",
		`\u00e9\ud83d\ude00`: "é😀",
		`\ud83d`:             "\uFFFD",
	}
	for in, want := range cases {
		if got := string(unescape(nil, []byte(in))); got != want {
			t.Errorf("unescape(%s) = %q, want %q", in, got, want)
		}
	}
}
