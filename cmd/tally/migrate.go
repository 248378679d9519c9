package main

import (
	"context"
	"fmt"
	"io"
)

func runMigrate(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "Usage: tally migrate")
		return errUsage
	}
	a, err := openToolApp(ctx, stderr)
	if err != nil {
		return err
	}
	a.close()
	return nil
}
