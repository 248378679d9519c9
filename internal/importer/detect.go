package importer

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/tallyhq/tally/internal/usage"
)

// ErrNotUsage is wrapped by Detect for files that sit among an agent's
// logs but hold no usage (Claude Code's subagents/agent-*.meta.json);
// ReadFile skips them as a whole.
var ErrNotUsage = errors.New("holds no usage")

// detectLines is how many leading lines Detect may look at.
const detectLines = 8

// Detect names the format of a file from its name and first bytes:
// usage.FormatClaudeCode, usage.FormatCodex or usage.FormatGeneric. The
// first line may be cut short by the end of head. It wraps
// ErrUnknownFormat when no format fits.
func Detect(name string, head []byte) (string, error) {
	base := strings.TrimSuffix(strings.ToLower(path.Base(filepath.ToSlash(name))), ".gz")
	if strings.HasSuffix(base, ".meta.json") &&
		strings.Contains(filepath.ToSlash(name), "/subagents/") {
		return "", fmt.Errorf("%s: %w", name, ErrNotUsage)
	}
	head = trimBOM(head)
	for i := 0; i < detectLines && len(head) > 0; i++ {
		line := head
		if k := bytes.IndexByte(head, '\n'); k >= 0 {
			line, head = head[:k], head[k+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' {
			return detectCSV(line)
		}
		if f := detectJSON(line); f != "" {
			return f, nil
		}
	}
	return "", ErrUnknownFormat
}

// detectCSV accepts a generic CSV header.
func detectCSV(line []byte) (string, error) {
	var p genericCSV
	cells, err := p.split(line)
	if err == "" {
		for _, c := range cells {
			if string(c) == "occurred_at" {
				return usage.FormatGeneric, nil
			}
		}
	}
	return "", ErrUnknownFormat
}

// detectJSON names the format of one JSON line from its top-level keys.
func detectJSON(line []byte) string {
	var typ []byte
	var payload, claude, generic bool
	it := newMembers(line)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch string(k) {
		case "type":
			typ = v
		case "payload":
			payload = true
		case "occurred_at", "request_id":
			generic = true
		case "sessionId", "parentUuid", "leafUuid", "messageId", "isSidechain", "uuid":
			claude = true
		}
	}
	switch {
	case payload && typ != nil:
		return usage.FormatCodex
	case generic:
		return usage.FormatGeneric
	case claude || claudeType(typ):
		return usage.FormatClaudeCode
	}
	return ""
}

// claudeType reports whether a raw type value is a Claude Code record type.
func claudeType(v []byte) bool {
	switch string(v) {
	case `"user"`, `"assistant"`, `"system"`, `"summary"`, `"file-history-snapshot"`,
		`"progress"`, `"queue-operation"`:
		return true
	}
	return false
}
