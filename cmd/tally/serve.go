package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/attribution"
	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/internal/auth/devoidc"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/directory"
	"github.com/tallyhq/tally/internal/spend"
	"github.com/tallyhq/tally/internal/token"
	"github.com/tallyhq/tally/web"
)

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dev := fs.Bool("dev", false, "development mode: the in-process OIDC provider")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	cfg, err := config.Load(*dev)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.ensurePrices(ctx); err != nil {
		return err
	}
	return a.serve(ctx, nil)
}

// serve runs the HTTP server and the job workers until ctx ends. When
// ready is set, it is called with the address once the server listens.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	dev, err := a.devProvider()
	if err != nil {
		return err
	}
	if dev != nil {
		defer dev.Close()
	}
	handler, err := a.handler(dev)
	if err != nil {
		return err
	}
	workers, err := a.workerClient()
	if err != nil {
		return err
	}
	if err := workers.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	defer stopWorkers(workers.Stop, a.log)

	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	a.log.Info("Serving", "addr", ln.Addr().String(), "dev", a.cfg.Dev)
	return serveHTTP(ctx, ln, handler)
}

// devProvider starts the in-process OIDC provider in development mode
// when no other issuer is configured, and points sign-in at it.
func (a *app) devProvider() (*devoidc.Provider, error) {
	if !a.cfg.Dev || a.cfg.OIDC.Issuer != "" {
		return nil, nil
	}
	dev, err := devoidc.Start(a.cfg, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the development OIDC provider: %w", err)
	}
	a.cfg.OIDC = dev.Configure(a.cfg.OIDC)
	return dev, nil
}

func (a *app) handler(dev *devoidc.Provider) (http.Handler, error) {
	srv, err := web.New(web.Deps{
		Logger: a.log,
		Config: a.cfg,
		Auth:   auth.New(auth.Deps{Pool: a.pool, Config: a.cfg}),
		Tokens: token.New(token.Deps{Pool: a.pool, TTL: a.cfg.TokenTTL}),
		Ready:  func(ctx context.Context) error { return db.Ready(ctx, a.pool) },
		Dev:    dev,

		Imports:   a.imports,
		Prices:    a.prices,
		Mappings:  attribution.NewService(a.pool),
		Directory: directory.NewService(a.pool),

		Spend: spend.NewService(a.pool, a.cfg.BillingZone),
	})
	if err != nil {
		return nil, err
	}
	return srv.Routes(), nil
}

func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

func stopWorkers(stop func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		log.Warn("Workers did not stop cleanly", "error", err)
	}
}
