package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestWaitImportRidesOutARestart(t *testing.T) {
	var polls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch polls.Add(1) {
		case 1:
			io.WriteString(w, `{"id":7,"status":"running"}`)
		case 2, 3:
			http.Error(w, "restarting", http.StatusServiceUnavailable)
		default:
			io.WriteString(w, `{"id":7,"status":"done","files":1}`)
		}
	}))
	defer srv.Close()

	var stderr strings.Builder
	f := &importFlags{server: srv.URL, token: "t"}
	st, err := waitImport(context.Background(), f, 7, &stderr)
	if err != nil || st.Status != "done" || polls.Load() != 4 {
		t.Fatalf("got %v, %v after %d polls; want done after 4", st, err, polls.Load())
	}
	if !strings.Contains(stderr.String(), "still waiting") {
		t.Errorf("stderr says nothing of the wait: %q", stderr.String())
	}

	failed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"no such import"}`, http.StatusNotFound)
	}))
	defer failed.Close()
	f.server = failed.URL
	if _, err := waitImport(context.Background(), f, 7, &stderr); err == nil ||
		!strings.Contains(err.Error(), "no such import") {
		t.Errorf("a 404 got %v, want it at once", err)
	}
}
