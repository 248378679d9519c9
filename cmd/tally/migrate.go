package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tallyhq/tally/internal/config"
)

func runMigrate(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "Usage: tally migrate")
		return errUsage
	}
	cfg, err := config.LoadTool()
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel, cfg.LogFormat))
	if err != nil {
		return err
	}
	a.close()
	return nil
}
