package main

import (
	"time"
)

// head starts a line with the fields every conversation line repeats.
func (w *writer) head(b []byte) []byte {
	b = append(b, `{"parentUuid":`...)
	if w.last == "" {
		b = append(b, "null"...)
	} else {
		b = appendQuoted(b, w.last)
	}
	if w.sidechain {
		b = append(b, `,"isSidechain":true`...)
	} else {
		b = append(b, `,"isSidechain":false`...)
	}
	b = append(b, `,"userType":"external","cwd":`...)
	b = appendQuoted(b, w.s.cwd)
	b = append(b, `,"sessionId":`...)
	b = appendQuoted(b, w.s.id)
	b = append(b, `,"version":`...)
	b = appendQuoted(b, w.s.version)
	b = append(b, `,"gitBranch":`...)
	b = appendQuoted(b, w.s.branch)
	if w.s.agentID != "" {
		b = append(b, `,"agentId":`...)
		b = appendQuoted(b, w.s.agentID)
	}
	return b
}

// stamp appends the line's uuid and timestamp.
func (w *writer) stamp(b []byte, uuid string) []byte {
	b = append(b, `,"uuid":`...)
	b = appendQuoted(b, uuid)
	b = append(b, `,"timestamp":"`...)
	b = appendTime(b, w.s.clock)
	return append(b, '"')
}

// done closes the line, emits it and makes it the next line's parent.
func (w *writer) done(b []byte, uuid string, c class) {
	b = append(b, '}')
	w.out.emit(b, c)
	w.buf = b[:0]
	if uuid != "" {
		w.last = uuid
	}
}

// appendQuoted appends s, which needs no escaping, as a JSON string.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime appends a Unix-millisecond instant as Claude Code writes it.
func appendTime(b []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// appendText appends a JSON string of about n bytes of filler.
func (w *writer) appendText(b []byte, n int) []byte {
	b = append(b, '"')
	b = w.g.text.appendText(b, w.g.rng, n)
	return append(b, '"')
}

// assistant writes content block i of c, carrying out output tokens.
func (w *writer) assistant(c *call, i int, out int64, cls class) {
	b := w.head(w.buf)
	b = append(b, `,"message":`...)
	b = w.message(b, c, i, out)
	b = append(b, `,"requestId":`...)
	b = appendQuoted(b, c.reqID)
	b = append(b, `,"type":"assistant"`...)
	uuid := w.g.ids.uuid()
	w.done(w.stamp(b, uuid), uuid, cls)
}

// message appends the API message object holding block i of c.
func (w *writer) message(b []byte, c *call, i int, out int64) []byte {
	b = append(b, `{"model":`...)
	b = appendQuoted(b, c.model)
	b = append(b, `,"id":`...)
	b = appendQuoted(b, c.msgID)
	b = append(b, `,"type":"message","role":"assistant","content":[`...)
	b = w.contentBlock(b, c.blocks[i])
	b = append(b, `],"stop_reason":`...)
	b = append(b, w.stopReason(c, i)...)
	b = append(b, `,"stop_sequence":null,"usage":`...)
	b = appendUsage(b, c, out)
	return append(b, '}')
}

// stopReason is null on every 2.1.x line; 2.0.x lines carry a reason.
func (w *writer) stopReason(c *call, i int) string {
	switch {
	case !w.s.legacy:
		return "null"
	case c.blocks[len(c.blocks)-1].kind == blockTool:
		return `"tool_use"`
	case i == len(c.blocks)-1:
		return `"end_turn"`
	}
	return "null"
}

// appendUsage appends c's usage object with out output tokens.
func appendUsage(b []byte, c *call, out int64) []byte {
	b = append(b, `{"input_tokens":`...)
	b = appendInt(b, c.input)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = appendInt(b, c.written())
	b = append(b, `,"cache_read_input_tokens":`...)
	b = appendInt(b, c.cacheRead)
	if !c.flat {
		b = append(b, `,"cache_creation":{"ephemeral_5m_input_tokens":`...)
		b = appendInt(b, c.write5m)
		b = append(b, `,"ephemeral_1h_input_tokens":`...)
		b = appendInt(b, c.write1h)
		b = append(b, '}')
	}
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, out)
	b = append(b, `,"service_tier":"standard"`...)
	if c.flat {
		return append(b, '}')
	}
	if c.webSearch > 0 {
		b = append(b, `,"server_tool_use":{"web_search_requests":`...)
		b = appendInt(b, int64(c.webSearch))
		b = append(b, `,"web_fetch_requests":0}`...)
	}
	return append(b, `,"inference_geo":"not_available"}`...)
}

// contentBlock appends one content block object.
func (w *writer) contentBlock(b []byte, blk block) []byte {
	switch blk.kind {
	case blockThinking:
		b = append(b, `{"type":"thinking","thinking":`...)
		b = w.appendText(b, blk.size)
		b = append(b, `,"signature":"`...)
		b = w.g.text.appendSig(b, w.g.rng, 300+w.g.rng.IntN(900))
		return append(b, `"}`...)
	case blockText:
		b = append(b, `{"type":"text","text":`...)
		b = w.appendText(b, blk.size)
		return append(b, '}')
	}

	b = append(b, `{"type":"tool_use","id":`...)
	b = appendQuoted(b, blk.toolID)
	b = append(b, `,"name":`...)
	b = appendQuoted(b, blk.tool)
	b = append(b, `,"input":`...)
	b = w.toolInput(b, blk)
	if w.s.legacy {
		return append(b, '}')
	}
	return append(b, `,"caller":{"type":"direct"}}`...)
}

// toolInput appends the input object of a tool_use block.
func (w *writer) toolInput(b []byte, blk block) []byte {
	switch blk.tool {
	case "Bash":
		b = append(b, `{"command":`...)
		b = w.appendText(b, min(blk.size, 400))
		b = append(b, `,"description":`...)
		b = w.appendText(b, 40)
		return append(b, `,"timeout":120000}`...)
	case "Read":
		return append(w.filePath(append(b, `{"file_path":`...), blk), '}')
	case "Edit":
		b = w.filePath(append(b, `{"file_path":`...), blk)
		b = append(b, `,"old_string":`...)
		b = w.appendText(b, blk.size/2)
		b = append(b, `,"new_string":`...)
		b = w.appendText(b, blk.size/2)
		return append(b, `,"replace_all":false}`...)
	case "Write":
		b = w.filePath(append(b, `{"file_path":`...), blk)
		b = append(b, `,"content":`...)
		b = w.appendText(b, blk.size)
		return append(b, '}')
	case "Task":
		b = append(b, `{"description":`...)
		b = w.appendText(b, 40)
		b = append(b, `,"prompt":`...)
		b = w.appendText(b, blk.size)
		return append(b, `,"subagent_type":"general-purpose"}`...)
	case "WebSearch":
		b = append(b, `{"query":`...)
		return append(w.appendText(b, 60), '}')
	case "Grep":
		b = append(b, `{"pattern":"func (.*) Import","path":`...)
		b = appendQuoted(b, w.s.cwd)
		return append(b, `,"output_mode":"content","-n":true}`...)
	}
	b = append(b, `{"pattern":"**/*.go","path":`...)
	b = appendQuoted(b, w.s.cwd)
	return append(b, '}')
}

// filePath appends a file path under the session's cwd.
func (w *writer) filePath(b []byte, blk block) []byte {
	files := []string{"internal/importer/claude.go", "cmd/tally/main.go", "README.md",
		"internal/pricing/table.go", "web/static/app.css", "go.mod", "Makefile"}
	f := files[int(blk.toolID[len(blk.toolID)-1])%len(files)]
	return appendQuoted(b, w.s.cwd+"/"+f)
}
