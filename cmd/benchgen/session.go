package main

// Models as Claude Code writes them in message.model.
const (
	modelOpus      = "claude-opus-4-6"
	modelSonnet    = "claude-sonnet-4-5-20250929"
	modelHaiku     = "claude-haiku-4-5-20251001"
	modelSynthetic = "<synthetic>"
)

// The corpus month, November 2026 UTC, in Unix milliseconds.
const (
	monthStart = 1793491200000 // 2026-11-01T00:00:00Z
	monthEnd   = 1796083200000 // 2026-12-01T00:00:00Z
)

// Cache-write TTL habits of a session.
const (
	ttl1h = iota
	ttl5m
	ttlMixed
)

// session is the context every line of one transcript file repeats, plus
// the running state of its conversation.
type session struct {
	id      string
	cwd     string
	branch  string
	version string
	model   string
	agentID string // set in a subagent transcript
	legacy  bool   // 2.0.x: inline sidechains, flat cache writes
	long    bool   // the context may grow past 200k tokens
	ttl     int
	ctx     int64 // tokens in the context window
	clock   int64 // Unix milliseconds of the last line
}

// newSession starts a session in p at a random time in November 2026.
func (g *generator) newSession(p project, legacy bool) *session {
	s := &session{
		id:     g.ids.uuid(),
		cwd:    p.cwd,
		branch: p.branch,
		legacy: legacy,
		ttl:    pick(g, []int{ttl1h, ttl1h, ttl1h, ttl5m, ttlMixed}),
		clock:  monthStart + g.rng.Int64N(28*86400_000),
	}
	if legacy {
		s.version = pick(g, []string{"2.0.46", "2.0.55", "2.0.61"})
		s.model = pick(g, []string{modelSonnet, modelSonnet, modelHaiku})
		return s
	}

	s.version = pick(g, []string{"2.1.38", "2.1.42", "2.1.50", "2.1.56"})
	s.model = pick(g, []string{modelOpus, modelOpus, modelOpus, modelSonnet,
		modelSonnet, modelHaiku})
	s.long = s.model == modelOpus && g.rng.IntN(8) == 0
	return s
}

// pick returns a random element of xs.
func pick[T any](g *generator, xs []T) T {
	return xs[g.rng.IntN(len(xs))]
}

// path returns the session file's path below projects/.
func (s *session) path() string {
	return encodeCWD(s.cwd) + "/" + s.id + ".jsonl"
}

// encodeCWD maps every non-alphanumeric character of cwd to '-', as Claude
// Code names project directories.
func encodeCWD(cwd string) string {
	b := []byte(cwd)
	for i, c := range b {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum {
			b[i] = '-'
		}
	}
	return string(b)
}

// contextLimit is the context size at which the session compacts.
func (s *session) contextLimit() int64 {
	if s.long {
		return 320_000
	}
	return 150_000
}

// blockKind is the type of one content block.
type blockKind int8

// The content block types.
const (
	blockThinking blockKind = iota
	blockText
	blockTool
)

// block is one content block of a call, written as its own assistant line.
type block struct {
	kind   blockKind
	size   int    // bytes of text in the block
	tool   string // tool name, for tool_use
	toolID string
	result int // bytes of the tool result
}

// call is one model call as the generator plans it: ids, final usage and
// the content blocks, each written as one assistant line.
type call struct {
	msgID     string
	reqID     string
	model     string
	input     int64
	cacheRead int64
	write5m   int64
	write1h   int64
	output    int64
	flat      bool // write only cache_creation_input_tokens (2.0.x)
	webSearch int
	blocks    []block
}

// written returns the total cache write.
func (c *call) written() int64 {
	return c.write5m + c.write1h
}

// planCall plans the next call of s; final calls end a turn with text.
func (g *generator) planCall(s *session, final bool) *call {
	c := &call{
		msgID: g.ids.next("msg_01"),
		reqID: g.ids.next("req_011C"),
		model: s.model,
	}
	g.planUsage(s, c)
	c.blocks = g.planBlocks(final, s.agentID != "")
	g.planSizes(c)
	for _, b := range c.blocks {
		if b.tool == "WebSearch" {
			c.webSearch++
		}
	}
	return c
}

// planUsage draws the call's usage from the session's context and grows it.
func (g *generator) planUsage(s *session, c *call) {
	c.input = 3
	if g.rng.IntN(10) == 0 {
		c.input = 1 + g.rng.Int64N(4000)
	}

	var write int64
	switch {
	case s.ctx == 0:
		c.cacheRead = g.rng.Int64N(16_000)
		write = 6_000 + g.rng.Int64N(14_000)
	case g.rng.IntN(50) == 0: // cache miss: the whole context is written again
		write = s.ctx
	case s.long: // big reads: a 1M-context session passes 200k quickly
		c.cacheRead = s.ctx
		write = 1_000 + g.rng.Int64N(20_000)
	default:
		c.cacheRead = s.ctx
		write = 150 + g.rng.Int64N(6_000)
	}

	c.output = 20 + g.rng.Int64N(400)
	if g.rng.IntN(5) == 0 {
		c.output += g.rng.Int64N(4_000)
	}
	g.splitWrite(s, c, write)
	s.ctx = c.input + c.cacheRead + write + c.output
}

// splitWrite divides a cache write into 5m and 1h parts by the session's
// habit; 2.0.x sessions log only the total, which counts as 5m.
func (g *generator) splitWrite(s *session, c *call, write int64) {
	switch {
	case s.legacy:
		c.write5m, c.flat = write, true
	case s.ttl == ttl1h:
		c.write1h = write
	case s.ttl == ttl5m:
		c.write5m = write
	default:
		c.write5m = g.rng.Int64N(write + 1)
		c.write1h = write - c.write5m
	}
}

// planBlocks draws about two content blocks per call: thinking or text, then
// tool uses unless the call ends the turn. Subagents never start a Task.
func (g *generator) planBlocks(final, subagent bool) []block {
	n := pick(g, []int{1, 1, 1, 2, 2, 2, 2, 3, 3, 4})
	if final {
		if n == 1 {
			return []block{{kind: blockText}}
		}
		return []block{{kind: blockThinking}, {kind: blockText}}
	}

	var bs []block
	switch n {
	case 2:
		bs = append(bs, block{kind: pick(g, []blockKind{blockThinking, blockText})})
	case 3:
		bs = append(bs, block{kind: blockThinking}, block{kind: blockText})
	case 4:
		bs = append(bs, block{kind: blockThinking}, block{kind: blockText}, g.toolBlock(true))
	}
	return append(bs, g.toolBlock(subagent))
}

// toolBlock draws a tool_use block; noTask rules out a subagent.
func (g *generator) toolBlock(noTask bool) block {
	tools := []string{"Bash", "Bash", "Bash", "Read", "Read", "Read", "Edit", "Edit",
		"Grep", "Glob", "Write", "WebSearch", "Task", "Task"}
	t := pick(g, tools)
	for noTask && t == "Task" {
		t = pick(g, tools)
	}
	return block{kind: blockTool, tool: t, toolID: g.ids.next("toolu_01")}
}

// planSizes spreads a budget of 10-25 KB over the call's blocks and tool
// results, after an allowance for the lines' fixed fields.
func (g *generator) planSizes(c *call) {
	budget := 10_000 + g.rng.IntN(15_000)
	tools := 0
	for _, b := range c.blocks {
		if b.kind == blockTool {
			tools++
		}
	}
	rest := max(600, budget-1_000*len(c.blocks)-900*tools)

	textShare := rest
	if tools > 0 {
		textShare = rest / 4
	}
	for i := range c.blocks {
		b := &c.blocks[i]
		b.size = textShare / len(c.blocks)
		if b.kind == blockTool {
			// Bash and Read results are written twice (content and toolUseResult).
			b.result = (rest - textShare) / tools / 2
		}
	}
}
