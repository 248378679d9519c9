// Package db holds the sqlc-generated queries, the connection pool and the
// migrations runner. It is the only package that speaks to pgx directly;
// errors leave it translated to ErrNotFound, ErrConflict and ErrDeadlock.
package db

import (
	"context"
	"errors"
	"fmt"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when a query matched no row.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write broke a unique constraint.
var ErrConflict = errors.New("conflict")

// ErrDeadlock is returned when Postgres ended a transaction to break a
// deadlock with another; running it again may succeed.
var ErrDeadlock = errors.New("deadlock")

// Open connects a pool of at least conns connections (more if the URL's
// pool_max_conns says so) to url and checks that the database answers. Its
// connections read and write numeric as decimal.Decimal.
func Open(ctx context.Context, url string, conns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.MaxConns = max(cfg.MaxConns, conns)
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		pgxdecimal.Register(conn.TypeMap()) // numeric ↔ decimal.Decimal, exactly and fast
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// Translate maps driver errors to the package's sentinel errors, keeping the
// original in the chain.
func Translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case "40P01": // deadlock_detected
		return fmt.Errorf("%w: %w", ErrDeadlock, err)
	}
	return err
}
