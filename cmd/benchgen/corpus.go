package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// generator holds the state of one corpus run. Everything random comes from
// its one seeded source, and files are written in a fixed order, so a run
// is reproducible byte for byte.
type generator struct {
	cfg      config
	rng      *rand.Rand
	ids      idSource
	text     *filler
	t        *tally
	sink     *sink
	projects []project
	maxCalls int // sessions make maxCalls/6+1 to maxCalls*7/6 calls
}

// project is a working directory sessions run in.
type project struct {
	cwd    string
	branch string
}

// generate writes the corpus for cfg and returns its true totals.
func generate(cfg config) (Expected, error) {
	root := filepath.Join(cfg.out, "projects")
	if _, err := os.Stat(root); err == nil {
		return Expected{}, fmt.Errorf("%s already exists: pick a new -out", root)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Expected{}, fmt.Errorf("check output: %w", err)
	}

	g := newGenerator(cfg)
	var err error
	for i := 0; err == nil && g.t.exp.Bytes < cfg.size; i++ {
		err = g.unit(i)
	}
	if werr := g.sink.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return Expected{}, err
	}

	exp := g.t.result()
	if err := writeExpected(cfg.out, exp); err != nil {
		return Expected{}, err
	}
	return exp, nil
}

// newGenerator seeds a generator for cfg.
func newGenerator(cfg config) *generator {
	rng := rand.New(rand.NewPCG(cfg.seed, 0x7a11))
	g := &generator{
		cfg:  cfg,
		rng:  rng,
		ids:  idSource{rng: rng},
		text: newFiller(rng, 1<<20),
		t:    newTally(),
		sink: newSink(4),
	}
	g.projects = g.makeProjects()

	// Session length grows with the corpus up to a cap, so even a few MB
	// hold dozens of sessions.
	const bytesPerCall = 16_000
	g.maxCalls = int(min(160, max(12, cfg.size/bytesPerCall/40)))
	return g
}

// makeProjects returns the working directories, some with characters that
// the directory encoding maps to '-'.
func (g *generator) makeProjects() []project {
	users := []string{"ana", "dev3", "kai", "lee", "sam", "mo"}
	repos := []string{"tally", "api-gateway", "billing_v2.api", "web", "infra",
		"My Projects/notes", "data-pipeline", "mobile.app"}
	branches := []string{"main", "main", "master", "feat/import-speed", "fix/dedupe"}
	var ps []project
	for i, u := range users {
		for j, r := range repos {
			if (i+j)%3 == 0 {
				continue
			}
			home := "/home/" + u
			if i%3 == 2 {
				home = "/Users/" + u
			}
			ps = append(ps, project{
				cwd:    home + "/src/" + r,
				branch: branches[g.rng.IntN(len(branches))],
			})
		}
	}
	return ps
}

// unit writes one session and, for some units, a resumed copy of it. Unit
// numbers fix which kinds appear, so even a small corpus has all of them.
func (g *generator) unit(i int) error {
	p := g.projects[g.rng.IntN(len(g.projects))]
	s := g.newSession(p, i%10 == 2)
	resume := i%4 == 1 && !s.legacy
	if i%12 == 3 && !s.legacy {
		s.model, s.long = modelSonnet+"[1m]", true
	}
	n := g.sessionCalls()
	if s.long {
		n = max(n, 24) // long enough to pass 200k tokens of context
	}

	f, err := g.create(s.path())
	if err != nil {
		return err
	}
	if resume {
		f.rec = &recording{}
	}
	w := g.newWriter(f, s, false)
	if err := w.conversation(n); err != nil {
		return err
	}
	if i%5 == 4 {
		w.interrupt()
	}
	f.close()

	if resume {
		return g.resume(s, f.rec)
	}
	return nil
}

// sessionCalls draws how many calls a session makes.
func (g *generator) sessionCalls() int {
	return g.maxCalls/6 + 1 + g.rng.IntN(g.maxCalls)
}

// resume writes a new session file that replays a prefix of the recorded
// session under a new sessionId, then carries on with new calls.
func (g *generator) resume(orig *session, rec *recording) error {
	s := *orig
	s.id = g.ids.uuid()
	s.clock += 600_000 + g.rng.Int64N(8*3600_000) // 10 minutes to 8 hours later

	f, err := g.create(s.path())
	if err != nil {
		return err
	}
	w := g.newWriter(f, &s, false)
	w.replay(rec, orig.id, 1+g.rng.IntN(len(rec.ends)))
	if err := w.conversation(1 + g.rng.IntN(g.maxCalls/2+1)); err != nil {
		return err
	}
	f.close()
	return nil
}

// create opens a new JSONL file under the output's projects directory.
func (g *generator) create(rel string) (*jsonlFile, error) {
	path := filepath.Join(g.cfg.out, "projects", rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create corpus dir: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create corpus file: %w", err)
	}
	g.t.exp.Files++
	return newJSONLFile(f, g.sink, g.t), nil
}
