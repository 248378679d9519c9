package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// bench is one benchmark run: what it prepared and where it reports.
type bench struct {
	cfg     config
	tally   string   // the tally binary built for this run
	ccusage string   // the ccusage command
	corpus  string   // the corpus folder, holding projects/ and expected.json
	exp     expected // the corpus's true totals

	// dryRunCost is the total cost of the corpus that the dry run found,
	// which the full import must store too.
	dryRunCost string

	stdout io.Writer
	stderr io.Writer
	rep    *report
}

// prepare builds the binaries, makes or reuses the corpus, installs
// ccusage where it is missing and warms the page cache.
func prepare(ctx context.Context, cfg config, stdout, stderr io.Writer) (*bench, error) {
	if _, err := os.Stat(filepath.Join("cmd", "tally")); err != nil {
		return nil, fmt.Errorf("run tallybench from the repository root: %w", err)
	}
	b := &bench{cfg: cfg, stdout: stdout, stderr: stderr, rep: &report{},
		corpus: filepath.Join(cfg.dir, "corpus-"+cfg.size)}

	bin := filepath.Join(cfg.dir, "bin")
	b.tally = filepath.Join(bin, "tally")
	benchgen := filepath.Join(bin, "benchgen")
	if err := goBuild(ctx, "./cmd/tally", b.tally, stderr); err != nil {
		return nil, err
	}
	if err := goBuild(ctx, "./cmd/benchgen", benchgen, stderr); err != nil {
		return nil, err
	}

	var err error
	if b.exp, err = ensureCorpus(ctx, benchgen, b.corpus, cfg, stderr); err != nil {
		return nil, err
	}
	if b.ccusage, err = ensureCCUsage(ctx, filepath.Join(cfg.dir, "ccusage"), stderr); err != nil {
		return nil, err
	}
	if err := warmCache(b.projects()); err != nil {
		return nil, err
	}
	return b, nil
}

// recordCorpus records what the corpus holds, for the final table.
func (b *bench) recordCorpus() {
	b.rep.add(fmt.Sprintf("Corpus (benchgen -size %s -seed %d)", b.cfg.size, b.cfg.seed),
		fmt.Sprintf("%s, %s files, %s events", megabytes(b.exp.Bytes), grouped(b.exp.Files),
			grouped(b.exp.Events)))
}

// projects returns the corpus folder that the tools read.
func (b *bench) projects() string { return filepath.Join(b.corpus, "projects") }

// goBuild builds the package pkg of this module into out.
func goBuild(ctx context.Context, pkg, out string, stderr io.Writer) error {
	fmt.Fprintf(stderr, "building %s\n", out)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	return nil
}

// ensureCorpus returns the totals of the corpus in dir, generating it
// first unless a complete one is there; benchgen writes expected.json
// last, so a folder without it is a broken run and is made anew.
func ensureCorpus(ctx context.Context, benchgen, dir string, cfg config, stderr io.Writer) (
	expected, error) {
	path := filepath.Join(dir, "expected.json")
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(stderr, "reusing the corpus in %s\n", dir)
		return readExpected(path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return expected{}, fmt.Errorf("check corpus: %w", err)
	}

	if err := os.RemoveAll(dir); err != nil {
		return expected{}, fmt.Errorf("remove incomplete corpus: %w", err)
	}
	fmt.Fprintf(stderr, "generating a %s corpus in %s\n", cfg.size, dir)
	cmd := exec.CommandContext(ctx, benchgen, "-out", dir, "-size", cfg.size,
		"-seed", fmt.Sprint(cfg.seed))
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return expected{}, fmt.Errorf("generate corpus: %w", err)
	}
	return readExpected(path)
}

// warmCache reads every file under root once, so that the first timed
// run does not pay for the disk and the others for nothing.
func warmCache(root string) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(io.Discard, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("warm page cache: %w", err)
	}
	return nil
}
