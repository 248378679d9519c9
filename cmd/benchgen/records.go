package main

// userPrompt writes a user's prompt of about n bytes.
func (w *writer) userPrompt(uuid string, n int) {
	b := w.head(w.buf)
	b = append(b, `,"type":"user","message":{"role":"user","content":`...)
	b = w.appendText(b, n)
	b = append(b, '}')
	b = w.stamp(b, uuid)
	if !w.s.legacy {
		b = append(b, `,"thinkingMetadata":{"maxThinkingTokens":31999},"todos":[]`...)
		b = append(b, `,"permissionMode":"default"`...)
	}
	w.done(b, uuid, classSkipped)
}

// toolResult writes the user line returning blk's result. Bash and Read
// results appear twice, in the message and in toolUseResult.
func (w *writer) toolResult(blk block, agent *agentRun) {
	b := w.head(w.buf)
	b = append(b, `,"type":"user","message":{"role":"user","content":[{"tool_use_id":`...)
	b = appendQuoted(b, blk.toolID)
	b = append(b, `,"type":"tool_result","content":`...)
	twice := blk.tool == "Bash" || blk.tool == "Read"
	n := blk.result
	if !twice {
		n *= 2
	}
	start := len(b)
	b = w.appendText(b, n)
	end := len(b)
	b = append(b, `,"is_error":false}]}`...)
	uuid := w.g.ids.uuid()
	b = w.stamp(b, uuid)

	b = append(b, `,"toolUseResult":`...)
	switch {
	case blk.tool == "Bash":
		b = append(b, `{"stdout":`...)
		b = append(b, b[start:end]...)
		b = append(b, `,"stderr":"","interrupted":false,"isImage":false}`...)
	case blk.tool == "Read":
		b = append(b, `{"type":"text","file":{"filePath":`...)
		b = w.filePath(b, blk)
		b = append(b, `,"content":`...)
		b = append(b, b[start:end]...)
		b = append(b, `,"numLines":120,"startLine":1,"totalLines":120}}`...)
	case agent != nil:
		b = w.taskResult(b, agent)
	default:
		b = append(b, `{"filePath":`...)
		b = w.filePath(b, blk)
		b = append(b, `,"userModified":false}`...)
	}
	b = append(b, `,"sourceToolAssistantUUID":`...)
	b = appendQuoted(b, w.last)
	w.done(b, uuid, classSkipped)
}

// taskResult appends a Task's toolUseResult. Its usage object repeats the
// subagent's last call on a user line, which no importer may count.
func (w *writer) taskResult(b []byte, run *agentRun) []byte {
	agent := run.last
	b = append(b, `{"status":"completed","agentId":`...)
	b = appendQuoted(b, run.id)
	b = append(b, `,"totalDurationMs":`...)
	b = appendInt(b, 5_000+w.g.rng.Int64N(300_000))
	b = append(b, `,"totalTokens":`...)
	b = appendInt(b, agent.input+agent.cacheRead+agent.written()+agent.output)
	b = append(b, `,"totalToolUseCount":`...)
	b = appendInt(b, 1+w.g.rng.Int64N(20))
	b = append(b, `,"usage":`...)
	b = appendUsage(b, agent, agent.output)
	return append(b, '}')
}

// hook writes a hook_progress line, which carries no usage.
func (w *writer) hook(event, name, toolID, command string) {
	b := w.head(w.buf)
	b = append(b, `,"type":"progress","data":{"type":"hook_progress","hookEvent":`...)
	b = appendQuoted(b, event)
	b = append(b, `,"hookName":`...)
	b = appendQuoted(b, name)
	b = append(b, `,"command":`...)
	b = appendQuoted(b, command)
	b = append(b, `},"parentToolUseID":`...)
	b = appendQuoted(b, toolID)
	b = append(b, `,"toolUseID":`...)
	b = appendQuoted(b, toolID)
	uuid := w.g.ids.uuid()
	w.tick(5, 50)
	w.done(w.stamp(b, uuid), uuid, classSkipped)
}

// preToolHook writes the PreToolUse hook run before blk's tool.
func (w *writer) preToolHook(blk block) {
	w.hook("PreToolUse", "PreToolUse:"+blk.tool, blk.toolID,
		"cd ${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./guardian.ts")
}

// agentProgress writes a parent's agent_progress line for subagent sub:
// with c nil its prompt (no usage), else a copy of c's last block with the
// final usage at data.message.message.usage.
func (w *writer) agentProgress(sub *session, task block, c *call) {
	b := w.head(w.buf)
	b = append(b, `,"type":"progress","data":{"message":`...)
	cls := classSkipped
	uuid := w.g.ids.uuid()
	if c == nil {
		b = append(b, `{"type":"user","message":{"role":"user","content":[{"type":"text",`...)
		b = append(b, `"text":`...)
		b = w.appendText(b, 300)
		b = append(b, `}]}`...)
	} else {
		cls = classDuplicate
		b = append(b, `{"type":"assistant","message":`...)
		b = w.message(b, c, len(c.blocks)-1, c.output)
		b = append(b, `,"requestId":`...)
		b = appendQuoted(b, c.reqID)
	}
	b = append(w.stamp(b, w.g.ids.uuid()), '}')
	b = append(b, `,"normalizedMessages":[],"type":"agent_progress","prompt":`...)
	b = w.appendText(b, 120)
	b = append(b, `,"agentId":`...)
	b = appendQuoted(b, sub.agentID)
	b = append(b, `},"toolUseID":"agent_msg_`...)
	b = append(b, task.toolID...)
	b = append(b, `","parentToolUseID":`...)
	b = appendQuoted(b, task.toolID)
	w.done(w.stamp(b, uuid), uuid, cls)
}

// sidechainReplay writes a sidechain copy of c's last block under a new
// requestId in the same session, as /btw and sidechain logs replay a parent
// message. It shares message.id and sessionId with c: a duplicate.
func (w *writer) sidechainReplay(c *call) {
	cp := *c
	cp.reqID = w.g.ids.next("req_011C")
	side := w.sidechain
	w.sidechain = true
	w.tick(100, 2_000)
	w.assistant(&cp, len(cp.blocks)-1, cp.output, classDuplicate)
	w.sidechain = side
}

// interrupt writes the user's interruption and the <synthetic> reply that
// Claude Code logs after it.
func (w *writer) interrupt() {
	b := w.head(w.buf)
	b = append(b, `,"type":"user","message":{"role":"user","content":[{"type":"text",`...)
	b = append(b, `"text":"[Request interrupted by user]"}]}`...)
	uuid := w.g.ids.uuid()
	w.tick(1_000, 60_000)
	w.done(w.stamp(b, uuid), uuid, classSkipped)
	w.synthetic()
}

// synthetic writes a <synthetic> zero-usage placeholder, which is skipped.
func (w *writer) synthetic() {
	b := w.head(w.buf)
	b = append(b, `,"type":"assistant"`...)
	uuid := w.g.ids.uuid()
	b = w.stamp(b, uuid)
	b = append(b, `,"message":{"id":`...)
	b = appendQuoted(b, w.g.ids.uuid())
	b = append(b, `,"container":null,"model":"<synthetic>","role":"assistant",`...)
	b = append(b, `"stop_reason":"stop_sequence","stop_sequence":"","type":"message",`...)
	b = append(b, `"usage":{"input_tokens":0,"output_tokens":0,`...)
	b = append(b, `"cache_creation_input_tokens":0,"cache_read_input_tokens":0,`...)
	b = append(b, `"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},`...)
	b = append(b, `"service_tier":null,"cache_creation":{"ephemeral_1h_input_tokens":0,`...)
	b = append(b, `"ephemeral_5m_input_tokens":0}},"content":[{"type":"text",`...)
	b = append(b, `"text":"No response requested."}],"context_management":null}`...)
	b = append(b, `,"isApiErrorMessage":false`...)
	w.done(b, uuid, classSkipped)
}

// localCommand writes a system line echoing a slash command, with the
// terminal escapes Claude Code keeps.
func (w *writer) localCommand() {
	b := w.head(w.buf)
	b = append(b, `,"type":"system","subtype":"local_command","content":`...)
	b = append(b, `"<local-command-stdout>Kept model as \u001b[1mDefault (recommended)`...)
	b = append(b, `\u001b[22m</local-command-stdout>","level":"info"`...)
	uuid := w.g.ids.uuid()
	b = w.stamp(b, uuid)
	w.done(append(b, `,"isMeta":false`...), uuid, classSkipped)
}

// turnDuration writes the system line closing a turn.
func (w *writer) turnDuration() {
	b := w.head(w.buf)
	b = append(b, `,"type":"system","subtype":"turn_duration","durationMs":`...)
	b = appendInt(b, 2_000+w.g.rng.Int64N(600_000))
	uuid := w.g.ids.uuid()
	b = w.stamp(b, uuid)
	w.done(append(b, `,"isMeta":false`...), uuid, classSkipped)
}

// compact writes a compaction boundary and its summary, and shrinks the
// context to what the summary holds.
func (w *writer) compact() {
	logical := w.last
	w.last = ""
	b := w.head(w.buf)
	b = append(b, `,"type":"system","subtype":"compact_boundary",`...)
	b = append(b, `"content":"Conversation compacted","level":"info","logicalParentUuid":`...)
	b = appendQuoted(b, logical)
	b = append(b, `,"compactMetadata":{"trigger":"auto","preTokens":`...)
	b = appendInt(b, w.s.ctx)
	b = append(b, '}')
	uuid := w.g.ids.uuid()
	w.done(w.stamp(b, uuid), uuid, classSkipped)

	b = w.head(w.buf)
	b = append(b, `,"type":"user","isCompactSummary":true,"message":{"role":"user",`...)
	b = append(b, `"content":`...)
	b = w.appendText(b, 2_000+w.g.rng.IntN(4_000))
	b = append(b, '}')
	uuid = w.g.ids.uuid()
	w.done(w.stamp(b, uuid), uuid, classSkipped)
	w.s.ctx = 20_000 + w.g.rng.Int64N(20_000)
}

// summary writes the summary line old sessions may start with.
func (w *writer) summary() {
	b := append(w.buf, `{"type":"summary","summary":`...)
	b = w.appendText(b, 60)
	b = append(b, `,"leafUuid":`...)
	b = appendQuoted(b, w.g.ids.uuid())
	w.done(b, "", classSkipped)
}

// snapshot writes the file-history-snapshot line that precedes a prompt.
func (w *writer) snapshot(prompt string) {
	b := append(w.buf, `{"type":"file-history-snapshot","messageId":`...)
	b = appendQuoted(b, prompt)
	b = append(b, `,"snapshot":{"messageId":`...)
	b = appendQuoted(b, prompt)
	b = append(b, `,"trackedFileBackups":{},"timestamp":"`...)
	b = appendTime(b, w.s.clock)
	b = append(b, `"},"isSnapshotUpdate":false`...)
	w.done(b, "", classSkipped)
}
