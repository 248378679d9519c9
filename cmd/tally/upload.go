package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/importer"
)

// upload sends paths to the server's import API and, with --wait, returns
// what the import stored. Without --wait, --json prints the queued import's
// id and status on stdout.
func upload(ctx context.Context, f *importFlags, paths []string, stdout, stderr io.Writer) (
	*batch.Summary, error) {
	if f.server == "" || f.token == "" {
		return nil, errors.New("--server and --token (or TALLY_SERVER and TALLY_TOKEN) " +
			"are needed to import; use --dry-run to check files offline")
	}
	files, err := listFiles(paths, stderr)
	if err != nil {
		return nil, err
	}
	id, err := postImport(ctx, f, files)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "import %d queued: %d files\n", id, len(files))
	if !f.wait {
		if !f.asJSON {
			return nil, nil
		}
		queued := struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Files  int    `json:"files_sent"`
		}{id, "queued", len(files)}
		return nil, json.NewEncoder(stdout).Encode(queued)
	}
	st, err := waitImport(ctx, f, id, stderr)
	if err != nil {
		return nil, err
	}
	return st.Summary, nil
}

// listFiles expands folders into the regular files under them, as a dry
// run reads them, as absolute paths: the server keeps each file's path
// (sub-agent files are known by theirs) and refuses names that climb with
// "..". What a dry run would reject is named on stderr and not sent.
func listFiles(paths []string, stderr io.Writer) ([]string, error) {
	abs := make([]string, len(paths))
	for i, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		abs[i] = a
	}
	files, refused, err := importer.ListFiles(abs, importer.DefaultLimits())
	if err != nil {
		return nil, err
	}
	for _, r := range refused {
		fmt.Fprintf(stderr, "not sent: %s: %s\n", printable(r.File), printable(r.Reason))
	}
	if len(files) == 0 {
		return nil, errors.New("no files to import")
	}
	return files, nil
}

// postImport streams a multipart upload of files and returns the import id.
func postImport(ctx context.Context, f *importFlags, files []string) (int64, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(writeParts(mw, f, files)) }()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		strings.TrimSuffix(f.server, "/")+"/api/v1/imports", pr)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+f.token)

	var created struct {
		ID int64 `json:"id"`
	}
	if err := doJSON(req, http.StatusAccepted, &created); err != nil {
		return 0, err
	}
	return created.ID, nil
}

func writeParts(mw *multipart.Writer, f *importFlags, files []string) error {
	fields := map[string]string{"host": f.host, "os_user": f.osUser,
		"mine": strconv.FormatBool(f.mine), "format": f.format}
	for _, k := range []string{"format", "host", "mine", "os_user"} {
		if err := mw.WriteField(k, fields[k]); err != nil {
			return err
		}
	}
	for _, name := range files {
		if err := writeFile(mw, name); err != nil {
			return err
		}
	}
	return mw.Close()
}

func writeFile(mw *multipart.Writer, name string) error {
	file, err := os.Open(name)
	if err != nil {
		return err
	}
	defer file.Close()
	part, err := mw.CreateFormFile("file", filepath.ToSlash(name))
	if err != nil {
		return err
	}
	_, err = io.Copy(part, file)
	return err
}

// maxPollDelay is the longest wait between two polls of an import.
const maxPollDelay = 200 * time.Millisecond

// restartGrace is how long waiting goes on while the server cannot be
// reached, as while it restarts; the import goes on when it is back.
const restartGrace = 2 * time.Minute

// errUnreachable marks a failure to reach the server, rather than an
// answer from it.
var errUnreachable = errors.New("server unreachable")

// waitImport polls the import until it is done or failed: soon after the
// upload, when a small one is done, then five times a second, which costs
// the server one indexed read each. It waits through a server restart.
func waitImport(ctx context.Context, f *importFlags, id int64, stderr io.Writer) (
	*batch.Status, error) {
	url := fmt.Sprintf("%s/api/v1/imports/%d", strings.TrimSuffix(f.server, "/"), id)
	delay := 50 * time.Millisecond
	var lost time.Time // when the server stopped answering, if it has
	for {
		st, err := pollImport(ctx, f, url)
		switch {
		case errors.Is(err, errUnreachable) && lost.IsZero():
			lost = time.Now()
			fmt.Fprintf(stderr, "the server does not answer (%v); still waiting\n", err)
		case errors.Is(err, errUnreachable) && time.Since(lost) < restartGrace:
		case err != nil:
			return nil, err
		case st.Status == "done":
			return st, nil
		case st.Status == "failed":
			return nil, fmt.Errorf("import %d failed: %s", id, st.Error)
		default:
			lost = time.Time{}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, maxPollDelay)
	}
}

// pollImport asks for the import's status once.
func pollImport(ctx context.Context, f *importFlags, url string) (*batch.Status, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	var st batch.Status
	if err := doJSON(req, http.StatusOK, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// doJSON sends req and decodes a JSON answer of status want into v; any
// other status becomes an error carrying the server's message.
func doJSON(req *http.Request, want int, v any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w: %w", req.Method, req.URL, errUnreachable, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fmt.Errorf("%s %s: %s: %w", req.Method, req.URL.Path, resp.Status,
			errUnreachable)
	}
	if resp.StatusCode != want {
		var e struct {
			Error string `json:"error"`
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(body))
		}
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, e.Error)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
