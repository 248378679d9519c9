package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// benchEmail is the principal that owns the bench's API token.
const benchEmail = "bench@example.com"

// The stored totals per model: every event row, and the daily rollup.
const (
	eventTotalsSQL = `SELECT coalesce(model_key, model_reported), count(*),
	sum(input_uncached)::bigint, sum(cache_read)::bigint, sum(cache_write_5m)::bigint,
	sum(cache_write_1h)::bigint, sum(output)::bigint
FROM usage_events GROUP BY 1 ORDER BY 1`
	rollupTotalsSQL = `SELECT model, sum(events)::bigint,
	sum(input_uncached)::bigint, sum(cache_read)::bigint, sum(cache_write_5m)::bigint,
	sum(cache_write_1h)::bigint, sum(output)::bigint
FROM usage_daily GROUP BY 1 ORDER BY 1`
)

// createDatabase drops database name if it is there, creates it empty on
// the server of adminURL and returns its URL.
func createDatabase(ctx context.Context, adminURL, name string) (string, error) {
	if err := dropDatabase(ctx, adminURL, name); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(ctx)

	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return databaseURL(adminURL, name)
}

// dropDatabase drops database name, ending any session still on it.
func dropDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(ctx)

	sql := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// databaseURL returns adminURL with its database replaced by name.
func databaseURL(adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse %q: %w", adminURL, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// addPrincipal inserts the bench's principal into the database at dbURL.
func addPrincipal(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect to the bench database: %w", err)
	}
	defer conn.Close(ctx)

	_, err = conn.Exec(ctx, "INSERT INTO principals (email) VALUES ($1)", benchEmail)
	if err != nil {
		return fmt.Errorf("add principal %s: %w", benchEmail, err)
	}
	return nil
}

// storedTotals returns the per-model totals of the stored events and of
// the daily rollup.
func storedTotals(ctx context.Context, dbURL string) (events, rollup []modelTotals, err error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the bench database: %w", err)
	}
	defer conn.Close(ctx)

	if events, err = queryTotals(ctx, conn, eventTotalsSQL); err != nil {
		return nil, nil, fmt.Errorf("sum stored events: %w", err)
	}
	if rollup, err = queryTotals(ctx, conn, rollupTotalsSQL); err != nil {
		return nil, nil, fmt.Errorf("sum daily rollup: %w", err)
	}
	return events, rollup, nil
}

// queryTotals runs a query whose rows are model totals.
func queryTotals(ctx context.Context, conn *pgx.Conn, sql string) ([]modelTotals, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (modelTotals, error) {
		var m modelTotals
		err := row.Scan(&m.Model, &m.Events, &m.InputTokens, &m.CacheReadTokens,
			&m.CacheWrite5mTokens, &m.CacheWrite1hTokens, &m.OutputTokens)
		return m, err
	})
}
