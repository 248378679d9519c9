package main

// writer writes the lines of one conversation into one file.
type writer struct {
	g         *generator
	out       *jsonlFile
	s         *session
	sidechain bool   // lines carry isSidechain: true
	last      string // uuid of the previous line, the next one's parentUuid
	buf       []byte // scratch for one line
}

// newWriter returns a writer of s's lines into out.
func (g *generator) newWriter(out *jsonlFile, s *session, sidechain bool) *writer {
	return &writer{g: g, out: out, s: s, sidechain: sidechain, buf: make([]byte, 0, 64<<10)}
}

// tick advances the session clock by lo to lo+spread milliseconds, but
// never past the end of the month.
func (w *writer) tick(lo, spread int64) {
	w.s.clock = min(w.s.clock+lo+w.g.rng.Int64N(spread), monthEnd-1)
}

// conversation writes turns until n calls have been made.
func (w *writer) conversation(n int) error {
	w.preamble()
	for n > 0 {
		k := min(n, 1+w.g.rng.IntN(6))
		if err := w.turn(k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// preamble writes what precedes the first prompt: session-start hooks in
// 2.1.x, sometimes a summary line in 2.0.x.
func (w *writer) preamble() {
	if w.s.legacy {
		if w.g.rng.IntN(3) == 0 {
			w.summary()
		}
		return
	}
	w.hook("SessionStart", "SessionStart:startup", w.g.ids.uuid(),
		"$HOME/.claude/hooks/session-start.sh")
}

// turn writes a user prompt and the k calls that answer it.
func (w *writer) turn(k int) error {
	prompt := w.g.ids.uuid()
	if !w.s.legacy && w.g.rng.IntN(2) == 0 {
		w.snapshot(prompt)
	}
	w.tick(30_000, 1_200_000)
	w.userPrompt(prompt, 40+w.g.rng.IntN(900))

	var c *call
	for j := range k {
		c = w.g.planCall(w.s, j == k-1)
		w.callLines(c)
		if err := w.toolResults(c); err != nil {
			return err
		}
	}
	w.turnEnd(c)
	return nil
}

// turnEnd writes the rare lines that may follow a turn, and compacts the
// context when it is full.
func (w *writer) turnEnd(c *call) {
	r := w.g.rng.IntN(100)
	switch {
	case r < 4:
		w.sidechainReplay(c)
	case r < 10:
		w.synthetic()
	case r < 13 && !w.s.legacy:
		w.localCommand()
	}
	if !w.s.legacy && w.g.rng.IntN(3) == 0 {
		w.turnDuration()
	}
	if w.s.ctx > w.s.contextLimit() {
		w.compact()
	}
}

// callLines writes one assistant line per content block. Input and cache
// usage repeat on every line; output grows and the last line is final.
func (w *writer) callLines(c *call) {
	n := len(c.blocks)
	first := min(c.output, 1+w.g.rng.Int64N(30))
	for i := range c.blocks {
		out := c.output
		if i < n-1 {
			out = first + (c.output-first)*int64(i)/int64(n)
		}
		cls := classDuplicate
		if i == 0 {
			cls = classEvent
			w.g.t.call(c)
		}
		w.tick(200, 2_500)
		w.assistant(c, i, out, cls)
		if c.blocks[i].kind == blockTool && !w.s.legacy && w.g.rng.IntN(3) == 0 {
			w.preToolHook(c.blocks[i])
		}
	}
}

// toolResults runs the call's tools: subagents first, then one tool_result
// line per tool_use.
func (w *writer) toolResults(c *call) error {
	for _, b := range c.blocks {
		if b.kind != blockTool {
			continue
		}
		var run *agentRun
		if b.tool == "Task" {
			var err error
			if run, err = w.subagent(b); err != nil {
				return err
			}
		}
		w.tick(300, 40_000)
		w.toolResult(b, run)
	}
	return nil
}

// agentRun is what a finished subagent hands back to its parent's Task.
type agentRun struct {
	id   string
	last *call
}

// subagent runs a Task: in 2.1.x a transcript of its own plus agent_progress
// copies in the parent; in 2.0.x sidechain lines inline in the parent file.
// It returns nil for 2.0.x, whose results name no agent.
func (w *writer) subagent(task block) (*agentRun, error) {
	sub := *w.s
	sub.ctx, sub.long, sub.ttl = 0, false, ttl5m
	sub.model = pick(w.g, []string{modelHaiku, modelHaiku, modelSonnet, w.s.model})
	n := 2 + w.g.rng.IntN(9)
	if w.s.legacy {
		w.g.newWriter(w.out, &sub, true).agentCalls(n)
		w.s.clock = sub.clock
		return nil, nil
	}

	sub.agentID = "a" + w.g.ids.hexID(6)
	f, err := w.g.create(encodeCWD(w.s.cwd) + "/" + w.s.id +
		"/subagents/agent-" + sub.agentID + ".jsonl")
	if err != nil {
		return nil, err
	}
	sw := w.g.newWriter(f, &sub, true)
	calls := sw.agentCalls(n)
	f.close()
	w.progressCopies(&sub, task, calls)
	w.s.clock = sub.clock
	return &agentRun{id: sub.agentID, last: calls[len(calls)-1]}, nil
}

// agentCalls writes a subagent's prompt and n calls, and returns them.
func (w *writer) agentCalls(n int) []*call {
	w.userPrompt(w.g.ids.uuid(), 200+w.g.rng.IntN(1_500))
	calls := make([]*call, 0, n)
	for j := range n {
		c := w.g.planCall(w.s, j == n-1)
		w.callLines(c)
		_ = w.toolResults(c) // subagents start no Task, so no file to create
		calls = append(calls, c)
	}
	return calls
}

// progressCopies writes the parent's agent_progress lines for a subagent:
// its prompt (no usage) and a copy of each call's final usage. Each copied
// call exists top-level in the subagent file, so the copies are duplicates.
func (w *writer) progressCopies(sub *session, task block, calls []*call) {
	w.agentProgress(sub, task, nil)
	for _, c := range calls {
		w.agentProgress(sub, task, c)
	}
}
