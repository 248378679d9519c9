package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// ccusageVersion is the reference tool's version, pinned so that its
// figures can be compared from one release note to the next.
const ccusageVersion = "20.0.24"

// ccusageReport is the part of `ccusage claude daily --json` compared
// with the truth.
type ccusageReport struct {
	Daily []struct {
		ModelBreakdowns []ccusageModel `json:"modelBreakdowns"`
	} `json:"daily"`
}

// ccusageModel is one model's usage on one day. ccusage keeps "[1m]"
// names apart and does not split cache writes by lifetime.
type ccusageModel struct {
	ModelName           string `json:"modelName"`
	InputTokens         int64  `json:"inputTokens"`
	CacheReadTokens     int64  `json:"cacheReadTokens"`
	CacheCreationTokens int64  `json:"cacheCreationTokens"`
	OutputTokens        int64  `json:"outputTokens"`
}

// ensureCCUsage installs ccusage into prefix with npm unless it is there
// already, and returns its command. npm keeps the optional dependency
// that carries ccusage's native binary.
func ensureCCUsage(ctx context.Context, prefix string, stderr io.Writer) (string, error) {
	bin := filepath.Join(prefix, "node_modules", ".bin", "ccusage")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("check ccusage: %w", err)
	}

	fmt.Fprintf(stderr, "installing ccusage@%s into %s\n", ccusageVersion, prefix)
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", prefix,
		"--no-audit", "--no-fund", "ccusage@"+ccusageVersion)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("install ccusage (needs npm): %w", err)
	}
	return bin, nil
}

// ccusageCommand returns the ccusage run that reads the corpus in
// configDir: daily totals, offline prices, days in UTC.
func ccusageCommand(ctx context.Context, bin, configDir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, "claude", "daily", "--offline", "--json", "-z", "UTC")
	cmd.Env = append(os.Environ(), "CLAUDE_CONFIG_DIR="+configDir)
	return cmd
}

// parseCCUsage sums ccusage's JSON over every day and model.
func parseCCUsage(b []byte) (tokenSums, error) {
	var r ccusageReport
	if err := json.Unmarshal(b, &r); err != nil {
		return tokenSums{}, fmt.Errorf("decode ccusage's report: %w", err)
	}
	var t tokenSums
	for _, day := range r.Daily {
		for _, m := range day.ModelBreakdowns {
			t.Input += m.InputTokens
			t.CacheRead += m.CacheReadTokens
			t.CacheWrite += m.CacheCreationTokens
			t.Output += m.OutputTokens
		}
	}
	return t, nil
}
