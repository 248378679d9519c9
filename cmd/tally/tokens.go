package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tallyhq/tally/internal/token"
)

const tokensUsage = "Usage: tally tokens create --principal EMAIL [--scope import|admin] " +
	"[--name NAME]"

// runTokens creates an API token where the database is reachable and
// prints its secret once.
func runTokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, tokensUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("principal", "", "email of the token's owner")
	scope := fs.String("scope", token.ScopeImport, "import or admin")
	name := fs.String("name", "cli", "a name to recognise the token by")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *email == "" {
		fmt.Fprintln(stderr, tokensUsage)
		return errUsage
	}

	a, err := openToolApp(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.close()

	tokens := token.New(token.Deps{Pool: a.pool, TTL: a.cfg.TokenTTL})
	created, err := tokens.CreateForEmail(ctx, strings.ToLower(*email), *name, *scope)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, created.Secret)
	fmt.Fprintf(stderr, "token %q for %s, scope %s, expires %s; shown only once\n",
		*name, *email, *scope, created.Token.ExpiresAt.Format("2006-01-02"))
	return nil
}
