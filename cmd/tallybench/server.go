package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

const (
	readyTimeout = 2 * time.Minute  // migrations and the bundled price table
	stopTimeout  = 30 * time.Second // for the workers and the HTTP server
)

// server is a `tally serve --dev` child process on a loopback port.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited
	err  error         // how it exited, once done is closed
}

// startServer starts tally serve --dev on a free loopback port against
// the database at dbURL, logging to logPath, and waits until it is ready.
func startServer(ctx context.Context, bin, dbURL, logPath string) (*server, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}
	defer logFile.Close() // the child holds its own copy

	cmd := exec.Command(bin, "serve", "--dev")
	cmd.Env = serverEnv(os.Environ(), dbURL, addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start tally serve: %w", err)
	}

	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	return s, nil
}

// serverEnv returns environ cleaned of tally's own variables, plus the
// database and the address.
func serverEnv(environ []string, dbURL, addr string) []string {
	return append(cleanEnv(environ), "DATABASE_URL="+dbURL, "TALLY_ADDR="+addr)
}

// freeLoopbackAddr returns a loopback address with a port free just now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	return addr, nil
}

// waitReady polls GET /readyz until it answers 200, the process exits or
// readyTimeout passes.
func (s *server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.ready(ctx) {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("tally serve exited before it was ready: %v", s.err)
		case <-ctx.Done():
			return fmt.Errorf("wait for %s/readyz: %w", s.url, ctx.Err())
		case <-tick.C:
		}
	}
}

// ready reports whether /readyz answers 200.
func (s *server) ready(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// peakRSS returns the server's resident memory high-water mark so far.
func (s *server) peakRSS() (int64, error) {
	select {
	case <-s.done:
		return 0, errors.New("tally serve has exited")
	default:
	}
	return peakRSS(s.cmd.Process.Pid)
}

// stop asks the server to shut down, kills it after stopTimeout, and
// returns how it ended when that was not the shutdown asked for.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("tally serve did not stop in time: killed")
	}
	if s.err != nil {
		return fmt.Errorf("tally serve: %w", s.err)
	}
	return nil
}
