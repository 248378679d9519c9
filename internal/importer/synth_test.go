package importer

import (
	"fmt"
	"strings"
)

// Synthetic inputs shaped like the real fixtures: the same keys in the same
// order, with message content of a chosen size that mixes prose, code with
// escaped quotes and newlines, and non-ASCII text.

const synthSession = "55604662-cf2a-4331-851a-ec234028f8ca"

// synthText returns about n bytes of JSON string body (already escaped).
func synthText(n int) string {
	chunk := `Let me look at the file.\n\nfunc main() {\n\tfmt.Println(\"héllo\")\n}\n` +
		`The server doesn't start because the port is taken — check lsof.\n`
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(chunk)
	}
	return b.String()[:n]
}

// trimEscape cuts s so that it does not end inside an escape sequence.
func trimEscape(s string) string {
	for strings.HasSuffix(s, `\`) {
		s = s[:len(s)-1]
	}
	return s
}

// claudeAssistantLine returns one assistant content-block line.
func claudeAssistantLine(size int, msgID, reqID string, output int) string {
	return fmt.Sprintf(`{"parentUuid":"1b7d717f-d6a2-46a6-8575-fa4f937450ea",`+
		`"isSidechain":false,"userType":"external","cwd":"/home/user1/projects/spotter",`+
		`"sessionId":%q,"version":"2.1.38","gitBranch":"master",`+
		`"message":{"model":"claude-opus-4-6","id":%q,"type":"message","role":"assistant",`+
		`"content":[{"type":"text","text":"%s"}],"stop_reason":null,"stop_sequence":null,`+
		`"usage":{"input_tokens":3,"cache_creation_input_tokens":13835,`+
		`"cache_read_input_tokens":11515,"cache_creation":{"ephemeral_5m_input_tokens":0,`+
		`"ephemeral_1h_input_tokens":13835},"output_tokens":%d,"service_tier":"standard",`+
		`"inference_geo":"not_available"}},"requestId":%q,"type":"assistant",`+
		`"uuid":"c228f841-697c-48dd-b33e-3ebc5ced6a41","timestamp":"2026-02-10T21:11:59.873Z"}`,
		synthSession, msgID, trimEscape(synthText(size)), output, reqID)
}

// claudeUserLine returns one user line carrying a tool result.
func claudeUserLine(size int) string {
	return fmt.Sprintf(`{"parentUuid":"7c676cb6-c0f4-4952-a21f-18df6af360c7",`+
		`"isSidechain":false,"userType":"external","cwd":"/home/user1/projects/spotter",`+
		`"sessionId":%q,"version":"2.1.38","gitBranch":"master","type":"user",`+
		`"message":{"role":"user","content":[{"tool_use_id":"toolu_01","type":"tool_result",`+
		`"content":"%s","is_error":false}]},"uuid":"7d48cbd2-6615-4dd8-87f6-38f12b8167d6",`+
		`"timestamp":"2026-02-10T21:11:56.846Z","toolUseResult":{"stdout":"ok"}}`,
		synthSession, trimEscape(synthText(size)))
}

// synthClaude returns a session of about total bytes: per call two
// assistant lines of one message (growing output) and one user line.
func synthClaude(total int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < total; i++ {
		msg := fmt.Sprintf("msg_%024d", i)
		req := fmt.Sprintf("req_%024d", i)
		b.WriteString(claudeAssistantLine(6000, msg, req, 13))
		b.WriteByte('\n')
		b.WriteString(claudeAssistantLine(9000, msg, req, 400+i%100))
		b.WriteByte('\n')
		b.WriteString(claudeUserLine(4000))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// codexLine returns one rollout line.
func codexLine(ts, typ, payload string) string {
	return fmt.Sprintf(`{"timestamp":%q,"type":%q,"payload":%s}`, ts, typ, payload)
}

const codexMeta = `{"id":"019c8bfe-ec25-79e0-97d7-bda6a9c575ff",` +
	`"timestamp":"2026-02-23T19:34:25.573Z","cwd":"/redacted/path","originator":"Codex Desktop",` +
	`"cli_version":"0.104.0-alpha.1","source":"vscode","model_provider":"openai",` +
	`"git":{"commit_hash":"19f8748648146d82ee1ad92387fc9d93613f022b","branch":"main",` +
	`"repository_url":"https://example.com/repo.git"}}`

func codexTurn(model string) string {
	return fmt.Sprintf(`{"turn_id":"019c8bfe-ed40-7a21-b57f-6447436c5881",`+
		`"cwd":"/redacted/path","approval_policy":"on-request","model":%q,"effort":"medium",`+
		`"summary":"auto"}`, model)
}

// codexTokens returns a token_count payload with a total and a last usage.
func codexTokens(total, last [4]int64) string {
	u := func(v [4]int64) string {
		return fmt.Sprintf(`{"input_tokens":%d,"cached_input_tokens":%d,"output_tokens":%d,`+
			`"reasoning_output_tokens":%d,"total_tokens":%d}`, v[0], v[1], v[2], v[3], v[0]+v[2])
	}
	return fmt.Sprintf(`{"type":"token_count","info":{"total_token_usage":%s,`+
		`"last_token_usage":%s,"model_context_window":258400},"rate_limits":{"limit_id":"codex",`+
		`"primary":{"used_percent":4.0,"window_minutes":300,"resets_at":1771890497}}}`,
		u(total), u(last))
}

// synthCodex returns a rollout of about total bytes: per turn a
// turn_context, response items, a token_count and its unchanged re-emit.
func synthCodex(total int) []byte {
	var b strings.Builder
	b.WriteString(codexLine("2026-02-23T19:34:26.098Z", "session_meta", codexMeta) + "\n")
	var sum [4]int64
	for i := 0; b.Len() < total; i++ {
		last := [4]int64{40000 + int64(i%977), 30000, 200 + int64(i%13), 100}
		for k := range sum {
			sum[k] += last[k]
		}
		b.WriteString(codexLine("2026-02-23T19:34:33.389Z", "turn_context",
			codexTurn("gpt-5.3-codex")) + "\n")
		b.WriteString(codexLine("2026-02-23T19:34:38.549Z", "response_item",
			`{"type":"reasoning","summary":[],"encrypted_content":"gAAAAABpnKwc`+
				strings.Repeat("x", 300)+`"}`) + "\n")
		b.WriteString(codexLine("2026-02-23T19:34:39.069Z", "event_msg",
			`{"type":"agent_message","message":"Looking at the repository layout now."}`) + "\n")
		b.WriteString(codexLine("2026-02-23T19:34:39.357Z", "response_item",
			`{"type":"function_call","name":"exec_command","arguments":"{\"cmd\":\"ls -la\"}",`+
				`"call_id":"call_abc"}`) + "\n")
		tok := codexTokens(sum, last)
		b.WriteString(codexLine("2026-02-23T19:34:39.388Z", "event_msg", tok) + "\n")
		b.WriteString(codexLine("2026-02-23T19:34:41.053Z", "event_msg", tok) + "\n")
	}
	return []byte(b.String())
}

// synthGeneric returns about total bytes of generic JSON Lines.
func synthGeneric(total int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < total; i++ {
		fmt.Fprintf(&b, `{"occurred_at":"2026-03-01T10:%02d:%02d+01:00","provider":"anthropic",`+
			`"model":"claude-sonnet-4-5","input_tokens":%d,"cache_read_tokens":1000,`+
			`"cache_write_5m_tokens":20,"output_tokens":300,"request_id":"req-%d",`+
			`"principal":"ana@example.com","host":"build-7"}`+"\n", i/60%60, i%60, i%500, i)
	}
	return []byte(b.String())
}
