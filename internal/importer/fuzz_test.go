package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/tallyhq/tally/internal/usage"
)

// FuzzReadFile checks that no input panics and that every line lands in
// exactly one count, whatever the parser.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte(lines(cc{session: sessA, msg: "m", req: "r", out: 3}.line(),
		cc{session: sessA, msg: "m", out: 5, sidechain: true}.progress(sessB, "a"))))
	f.Add([]byte((&cx{}).meta(childMeta(`"forked_from_id":"p"`)).turn("gpt-5", ownTurn).
		tokens([4]int64{9, 1, 1, 0}, [4]int64{9, 1, 1, 0}).body()))
	f.Add([]byte(lines(csvHeader, `2026-03-01T10:00:00Z,a,m,1,0,0,1,r1,"x""y",`)))
	f.Add([]byte(`{"occurred_at":"2026-03-01T10:00:00Z","provider":"p","model":"m",` +
		`"input_tokens":1,"output_tokens":1,"request_id":"q"}` + "\n{\n"))
	formats := []string{"", usage.FormatClaudeCode, usage.FormatCodex, usage.FormatGeneric}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range formats {
			var st Stats
			o := Options{Format: format, Limits: Limits{MaxLineBytes: 4096}}
			r := bytes.NewReader(data)
			err := o.ReadFile(context.Background(), "f.jsonl", r, NewMemory(), &st)
			if err != nil {
				t.Fatal(err)
			}
			checkBalance(t, st)
		}
	})
}

// FuzzScanner compares the validator with encoding/json on objects.
func FuzzScanner(f *testing.F) {
	f.Add([]byte(claudeAssistantLine(300, "m", "r", 1)))
	f.Add([]byte(`{"a":[1,-2.5e3,"\u00e9\n",{"b":null}],"c":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s scanner
		got := s.scan(data) == nil
		i := skipSpace(data, 0)
		want := json.Valid(data) && i < len(data) && data[i] == '{'
		if got != want {
			t.Fatalf("scan(%q) valid = %v, want %v", data, got, want)
		}
	})
}
