package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// claudeLine is the part of a Claude Code assistant line that the demo
// writes.
type claudeLine struct {
	Type        string         `json:"type"`
	SessionID   string         `json:"sessionId"`
	CWD         string         `json:"cwd"`
	GitBranch   string         `json:"gitBranch"`
	Version     string         `json:"version"`
	IsSidechain bool           `json:"isSidechain"`
	RequestID   string         `json:"requestId"`
	Timestamp   string         `json:"timestamp"`
	UUID        string         `json:"uuid"`
	Message     map[string]any `json:"message"`
}

// claudeSession writes one Claude Code session file of calls calls starting
// at start, two content-block lines per call as Claude Code writes them.
func claudeSession(rng *rand.Rand, id, cwd, model string, start time.Time, calls int) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	t := start
	for i := range calls {
		enc.Encode(map[string]any{"type": "user", "sessionId": id, "cwd": cwd,
			"timestamp": t.Format(time.RFC3339Nano),
			"message":   map[string]any{"role": "user", "content": "next step"}})
		read := int64(20_000 + rng.IntN(120_000))
		write := int64(rng.IntN(8_000))
		out := int64(50 + rng.IntN(2_500))
		msgID := fmt.Sprintf("msg_demo_%s_%d", id[:8], i)
		for block, output := range []int64{min(out, 12), out} {
			enc.Encode(claudeLine{Type: "assistant", SessionID: id, CWD: cwd,
				GitBranch: "main", Version: "2.1.38", RequestID: "req_" + msgID,
				Timestamp: t.Add(time.Duration(block) * time.Second).Format(time.RFC3339Nano),
				UUID:      fmt.Sprintf("%s-%d", msgID, block),
				Message: map[string]any{"id": msgID, "model": model, "role": "assistant",
					"type": "message", "content": []any{map[string]any{"type": "text",
						"text": "Working on it."}},
					"usage": map[string]any{"input_tokens": 3 + rng.IntN(40),
						"cache_read_input_tokens": read, "cache_creation_input_tokens": write,
						"cache_creation": map[string]any{"ephemeral_5m_input_tokens": 0,
							"ephemeral_1h_input_tokens": write},
						"output_tokens": output, "service_tier": "standard"}}})
		}
		t = t.Add(time.Duration(20+rng.IntN(200)) * time.Second)
	}
	return buf.Bytes()
}

// genericRow is one line of tally's generic format.
type genericRow struct {
	OccurredAt  string `json:"occurred_at"`
	Provider    string `json:"provider"`
	Model       string `json:"model"`
	Input       int64  `json:"input_tokens"`
	CacheRead   int64  `json:"cache_read_tokens"`
	Output      int64  `json:"output_tokens"`
	RequestID   string `json:"request_id"`
	Principal   string `json:"principal,omitempty"`
	APIKeyID    string `json:"api_key_id,omitempty"`
	GatewayUser string `json:"gateway_user,omitempty"`
	Host        string `json:"host,omitempty"`
	OSUser      string `json:"os_user,omitempty"`
}

// genericCalls writes n gateway calls spread over [from, to).
func genericCalls(rng *rand.Rand, prefix string, from, to time.Time, n int,
	fill func(i int, r *genericRow)) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	span := to.Sub(from)
	for i := range n {
		r := genericRow{
			OccurredAt: from.Add(time.Duration(rng.Int64N(int64(span)))).Format(time.RFC3339),
			Provider:   "openai", Model: "gpt-5", Input: int64(500 + rng.IntN(20_000)),
			CacheRead: int64(rng.IntN(10_000)), Output: int64(100 + rng.IntN(3_000)),
			RequestID: fmt.Sprintf("%s-%06d", prefix, i),
		}
		fill(i, &r)
		enc.Encode(r)
	}
	return buf.Bytes()
}
