package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/fixtures"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/internal/token"
)

// oneCallFile is a real Claude Code log of one Opus 4.6 call written as
// five lines (one per content block) that share a message id.
const oneCallFile = "real/claude-code/real-2.1.38-one-call-five-blocks.jsonl"

// oneCallCost is that call's price, worked out by hand in e2e_test.go.
const oneCallCost = "0.1444475"

// insertOnlyRiver returns a job client that only queues jobs; the tests
// that need them run start the workers with startImportWorkers.
func insertOnlyRiver(t *testing.T, pool *pgxpool.Pool) *river.Client[pgx.Tx] {
	t.Helper()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("job client: %v", err)
	}
	return client
}

// startImportWorkers runs the import worker on the app's database until
// the test ends, built the way cmd/tally's workerClient builds it, and
// loads the bundled prices first.
func (a *testApp) startImportWorkers() {
	a.t.Helper()
	ctx := context.Background()
	if _, err := pricing.NewService(a.pool, time.UTC).EnsureDefault(ctx); err != nil {
		a.t.Fatalf("load prices: %v", err)
	}
	log := slog.New(slog.DiscardHandler)
	workers := river.NewWorkers()
	river.AddWorker(workers, batch.NewImportWorker(a.pool, log,
		func(ctx context.Context, q *db.Queries) (batch.Pricer, error) {
			return pricing.LoadCatalog(ctx, q)
		}, time.UTC, importer.DefaultLimits()))
	client, err := river.NewClient(riverpgxv5.New(a.pool), &river.Config{
		Logger:            log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		FetchPollInterval: 50 * time.Millisecond,
		FetchCooldown:     10 * time.Millisecond,
	})
	if err != nil {
		a.t.Fatalf("job workers: %v", err)
	}
	if err := client.Start(ctx); err != nil {
		a.t.Fatalf("start workers: %v", err)
	}
	a.t.Cleanup(func() { client.Stop(context.Background()) })
}

// waitImport waits until import id is done and returns its status.
func (a *testApp) waitImport(id int64) *batch.Status {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := a.server.imports.Get(context.Background(), id)
		if err != nil {
			a.t.Fatalf("get import %d: %v", id, err)
		}
		switch st.Status {
		case "done":
			return st
		case "failed":
			a.t.Fatalf("import %d failed: %s", id, st.Error)
		}
		time.Sleep(30 * time.Millisecond)
	}
	a.t.Fatalf("import %d did not finish", id)
	return nil
}

// uploadPart is one part of a multipart body: a text field, or a file when name
// is set.
type uploadPart struct {
	field string
	name  string
	body  string
}

func textPart(name, value string) uploadPart { return uploadPart{field: name, body: value} }

func filePart(name, body string) uploadPart {
	return uploadPart{field: "file", name: name, body: body}
}

// multipartBody encodes parts in order.
func multipartBody(t *testing.T, parts ...uploadPart) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.name == "" && p.field != "file" {
			w, err = mw.CreateFormField(p.field)
		} else {
			w, err = mw.CreateFormFile(p.field, p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.body)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// oversizedUpload streams a multipart upload whose one file is just over
// limit bytes.
func oversizedUpload(limit int64, csrf string) (string, io.ReadCloser) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		if csrf != "" {
			mw.WriteField(csrfField, csrf)
		}
		mw.WriteField("mine", "true")
		mw.WriteField("host", "build-09")
		w, _ := mw.CreateFormFile("file", "big.jsonl")
		line := []byte(strings.Repeat("x", 1023) + "\n")
		for written := int64(0); written <= limit; written += 1024 {
			if _, err := w.Write(line); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	return mw.FormDataContentType(), pr
}

// postAPI sends a multipart body to path with a bearer token.
func (a *testApp) postAPI(secret, path, contentType string, body io.Reader) (*http.Response,
	string) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.base+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	return a.do(a.browser(), req)
}

// postMultipart sends a multipart form from browser c, with the CSRF token
// as its first field, as the page's forms have it.
func (a *testApp) postMultipart(c *http.Client, path, csrf string, parts ...uploadPart) (
	*http.Response, string) {
	a.t.Helper()
	if csrf != "" {
		parts = append([]uploadPart{textPart(csrfField, csrf)}, parts...)
	}
	ct, body := multipartBody(a.t, parts...)
	req, err := http.NewRequest(http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", a.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return a.do(c, req)
}

// apiToken makes an import token for email and returns its secret.
func (a *testApp) apiToken(email, scope string) string {
	a.t.Helper()
	p, err := a.principals().GetByEmail(context.Background(), email)
	if err != nil {
		a.t.Fatal(err)
	}
	created, err := a.tokens.Create(context.Background(), p.Actor(), p, "test", scope)
	if err != nil {
		a.t.Fatal(err)
	}
	return created.Secret
}

func readSharedFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(fixtures.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// importID reads the id of a 202 answer.
func importID(t *testing.T, body string) int64 {
	t.Helper()
	var created struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.ID == 0 {
		t.Fatalf("answer %q: want {\"id\": N}", body)
	}
	return created.ID
}

func TestImportAPI(t *testing.T) {
	a := newTestApp(t)
	log := readSharedFixture(t, oneCallFile)
	eng := a.apiToken("eng@example.com", token.ScopeImport)

	var id int64
	t.Run("accepts_an_upload_and_reports_what_it_stored", func(t *testing.T) {
		ct, body := multipartBody(t, textPart("format", ""), textPart("host", "build-01"),
			textPart("mine", "true"), textPart("os_user", "erin"),
			filePart("/home/erin/.claude/projects/-home-erin-tally/abc.jsonl", log))
		resp, answer := a.postAPI(eng, "/api/v1/imports", ct, bytes.NewReader(body))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST /api/v1/imports: got %d, want 202: %s", resp.StatusCode, answer)
		}
		id = importID(t, answer)
		if n := a.count(`SELECT count(*) FROM imports i JOIN principals p
			ON p.id = i.uploader_id WHERE i.id = $1 AND p.email = 'eng@example.com'
			AND i.claimed AND i.host = 'build-01' AND i.os_user = 'erin'`, id); n != 1 {
			t.Errorf("claimed imports by eng from build-01/erin: got %d, want 1", n)
		}
		var name string
		a.pool.QueryRow(context.Background(),
			`SELECT name FROM import_files WHERE import_id = $1`, id).Scan(&name)
		if want := "home/erin/.claude/projects/-home-erin-tally/abc.jsonl"; name != want {
			t.Errorf("stored file name: got %q, want %q", name, want)
		}

		a.startImportWorkers()
		a.waitImport(id)
		resp, answer = a.api(eng, fmt.Sprintf("/api/v1/imports/%d", id))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the import: got %d, want 200: %s", resp.StatusCode, answer)
		}
		var st batch.Status
		if err := json.Unmarshal([]byte(answer), &st); err != nil {
			t.Fatal(err)
		}
		if st.Summary == nil {
			t.Fatalf("done import without a summary: %s", answer)
		}
		if st.Status != "done" || st.Events != 1 || st.TotalCostUSD != oneCallCost {
			t.Errorf("status: got %s with %d events costing %s, want done, 1, %s",
				st.Status, st.Events, st.TotalCostUSD, oneCallCost)
		}
		if !strings.Contains(answer, `"bytes_read"`) || !strings.Contains(answer, `"rejects"`) {
			t.Errorf("answer lacks bytes_read or rejects: %s", answer)
		}
	})

	t.Run("hides_an_import_from_other_engineers", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/imports/%d", id)
		for email, want := range map[string]int{
			"eng2@example.com":     http.StatusNotFound,
			"manager@example.com":  http.StatusNotFound,
			"finance@example.com":  http.StatusOK,
			"security@example.com": http.StatusOK,
			"admin@example.com":    http.StatusOK,
		} {
			a.login(a.browser(), email) // takes the roles from the provider
			resp, _ := a.api(a.apiToken(email, token.ScopeImport), path)
			if resp.StatusCode != want {
				t.Errorf("%s: got %d, want %d", email, resp.StatusCode, want)
			}
		}
		for _, p := range []string{"/api/v1/imports/999999", "/api/v1/imports/x"} {
			if resp, _ := a.api(eng, p); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: got %d, want 404", p, resp.StatusCode)
			}
		}
	})

	before := a.count(`SELECT count(*) FROM imports`)
	bad := []struct {
		name  string
		parts []uploadPart
		want  int
		says  string
	}{
		{"refuses_an_upload_without_files", []uploadPart{textPart("mine", "true")},
			http.StatusBadRequest, "no files"},
		{"skips_an_empty_file_input", []uploadPart{textPart("mine", "true"), filePart("", "")},
			http.StatusBadRequest, "no files"},
		{"refuses_a_name_that_climbs_out", []uploadPart{filePart("logs/../../etc/passwd", "x")},
			http.StatusBadRequest, "without “..”"},
		{"refuses_an_unknown_format",
			[]uploadPart{textPart("format", "csv"), filePart("a.jsonl", log)},
			http.StatusBadRequest, "not one of claude-code, codex or generic"},
		{"refuses_fields_after_the_files",
			[]uploadPart{filePart("a.jsonl", log), textPart("mine", "true")},
			http.StatusBadRequest, "before the files"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := multipartBody(t, tt.parts...)
			resp, answer := a.postAPI(eng, "/api/v1/imports", ct, bytes.NewReader(body))
			if resp.StatusCode != tt.want || !strings.Contains(answer, tt.says) {
				t.Errorf("got %d %s, want %d saying %q", resp.StatusCode, answer, tt.want, tt.says)
			}
		})
	}
	if n := a.count(`SELECT count(*) FROM imports`); n != before {
		t.Errorf("imports after refused uploads: got %d, want %d", n, before)
	}

	t.Run("refuses_an_upload_cut_inside_a_file", func(t *testing.T) {
		before := a.count(`SELECT count(*) FROM imports`)
		head := "--XX\r\nContent-Disposition: form-data; name=\"file\"; " +
			"filename=\"cut.jsonl\"\r\n\r\n"
		for _, cut := range []string{head + log[:len(log)/2], head + log + "\r\n--XX"} {
			resp, answer := a.postAPI(eng, "/api/v1/imports",
				"multipart/form-data; boundary=XX", strings.NewReader(cut))
			if resp.StatusCode != http.StatusBadRequest ||
				!strings.Contains(answer, "ended before its last part") {
				t.Errorf("got %d: %s, want 400 saying the upload was cut short",
					resp.StatusCode, answer)
			}
		}
		if n := a.count(`SELECT count(*) FROM imports`); n != before {
			t.Errorf("imports: got %d, want %d", n, before)
		}
	})

	t.Run("refuses_file_names_it_cannot_store", func(t *testing.T) {
		for _, name := range []string{"a\xff.jsonl", "a\x00.jsonl"} {
			body := "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
				name + "\"\r\n\r\n" + log + "\r\n--XX--\r\n"
			resp, answer := a.postAPI(eng, "/api/v1/imports",
				"multipart/form-data; boundary=XX", strings.NewReader(body))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("file name %q: got %d: %s, want 400", name, resp.StatusCode, answer)
			}
		}
	})

	t.Run("refuses_an_upload_past_the_limit_and_stores_nothing", func(t *testing.T) {
		files, chunks := a.count(`SELECT count(*) FROM import_files`),
			a.count(`SELECT count(*) FROM import_chunks`)
		ct, big := oversizedUpload(a.cfg.UploadMaxBytes, "")
		resp, answer := a.postAPI(eng, "/api/v1/imports", ct, big)
		big.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d, want 413: %s", resp.StatusCode, answer)
		}
		if !strings.Contains(answer, `"error":"The upload is larger than tally accepts: `+
			`at most 64 MiB`) {
			t.Errorf("answer: got %s, want a JSON error naming the limit", answer)
		}
		if n := a.count(`SELECT count(*) FROM imports`); n != before {
			t.Errorf("imports: got %d, want %d", n, before)
		}
		if n := a.count(`SELECT count(*) FROM import_files`); n != files {
			t.Errorf("import files: got %d, want %d", n, files)
		}
		if n := a.count(`SELECT count(*) FROM import_chunks`); n != chunks {
			t.Errorf("import chunks: got %d, want %d", n, chunks)
		}
	})

	t.Run("needs_a_token", func(t *testing.T) {
		ct, body := multipartBody(t, filePart("a.jsonl", log))
		resp, _ := a.postAPI("", "/api/v1/imports", ct, bytes.NewReader(body))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("got %d, want 401", resp.StatusCode)
		}
	})
}

func TestImportPages(t *testing.T) {
	a := newTestApp(t)
	log := readSharedFixture(t, oneCallFile)
	eng := a.browser()
	_, page := a.login(eng, "eng@example.com")
	csrf := csrfToken(t, page)

	var id int64
	t.Run("upload_form_creates_a_claimed_import", func(t *testing.T) {
		resp, body := a.get(eng, "/imports/new")
		if resp.StatusCode != http.StatusOK || !hasTestID(body, "import-form") {
			t.Fatalf("GET /imports/new: got %d without the form", resp.StatusCode)
		}
		form := regexp.MustCompile(`action="/imports"[^>]*data-testid="import-form">` +
			`<input type="hidden" name="csrf_token" value="[^"]+"`)
		if form.FindStringSubmatch(body) == nil {
			t.Fatal("the form does not open with its csrf_token field")
		}

		resp, _ = a.postMultipart(noRedirect(eng), "/imports", csrf, textPart("mine", "true"),
			textPart("host", ""), textPart("os_user", ""), textPart("format", ""),
			filePart("abc.jsonl", log), filePart("", ""))
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/imports/") {
			t.Fatalf("POST /imports: got %d to %q, want 303 to /imports/N", resp.StatusCode, loc)
		}
		fmt.Sscanf(loc, "/imports/%d", &id)
		if n := a.count(`SELECT count(*) FROM imports i JOIN principals p
			ON p.id = i.uploader_id WHERE i.id = $1 AND i.claimed
			AND p.email = 'eng@example.com' AND i.files = 1`, id); n != 1 {
			t.Errorf("claimed one-file imports by eng: got %d, want 1", n)
		}
	})

	t.Run("refreshes_while_queued_then_shows_what_was_stored", func(t *testing.T) {
		_, body := a.get(eng, fmt.Sprintf("/imports/%d", id))
		if got, _ := testID(body, "import-status"); got != "queued" {
			t.Errorf("status before the workers run: got %q, want queued", got)
		}
		if !strings.Contains(body, `<meta http-equiv="refresh" content="2">`) ||
			!hasTestID(body, "import-progress") {
			t.Error("a queued import's page neither refreshes nor shows progress")
		}

		a.startImportWorkers()
		a.waitImport(id)
		_, body = a.get(eng, fmt.Sprintf("/imports/%d", id))
		if strings.Contains(body, `http-equiv="refresh"`) {
			t.Error("a done import's page still refreshes")
		}
		for tid, want := range map[string]string{"import-status": "done", "count-events": "1",
			"count-lines": "15", "count-rejected": "0", "import-total-cost": "$0.14"} {
			if got, _ := testID(body, tid); got != want {
				t.Errorf("%s: got %q, want %q", tid, got, want)
			}
		}
		if !strings.Contains(body, "claude-opus-4-6") || !hasTestID(body, "import-rejects-empty") {
			t.Error("no cost row for claude-opus-4-6, or no word on rejects")
		}
		_, files, _ := strings.Cut(body, `data-testid="import-files"`)
		files, _, _ = strings.Cut(files, "</details>")
		if !strings.Contains(files, "<code>abc.jsonl</code>") ||
			!strings.Contains(files, formatBytes(int64(len(log)))) {
			t.Errorf("the files received do not list abc.jsonl and its size:\n%s", files)
		}
	})

	t.Run("errors_keep_the_answers", func(t *testing.T) {
		resp, body := a.postMultipart(eng, "/imports", csrf, textPart("mine", "true"),
			textPart("host", "build-07"), textPart("os_user", "sam"), textPart("format", "bogus"),
			filePart("abc.jsonl", log))
		if resp.StatusCode != http.StatusBadRequest || !hasTestID(body, "error-summary") {
			t.Fatalf("bad format: got %d, want 400 with an error summary", resp.StatusCode)
		}
		if !strings.Contains(body, `href="#format"`) ||
			!strings.Contains(body, `id="format-error"`) {
			t.Error("the error is neither linked to nor shown beside the format field")
		}
		for _, kept := range []string{`value="build-07"`, `value="sam"`, `checked`} {
			if !strings.Contains(body, kept) {
				t.Errorf("input not kept after an error: no %s", kept)
			}
		}

		resp, body = a.postMultipart(eng, "/imports", csrf, textPart("mine", "true"),
			filePart("", ""))
		if resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, "Choose at least one file") {
			t.Errorf("no files: got %d, want 400 asking for a file", resp.StatusCode)
		}

		resp, body = a.postMultipart(eng, "/imports", csrf, textPart("host", "ci@build-07"),
			filePart("abc.jsonl", log))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "without @") {
			t.Errorf("host with @: got %d, want 400 saying a host has no @", resp.StatusCode)
		}
	})

	t.Run("says_when_an_upload_is_too_large", func(t *testing.T) {
		before := a.count(`SELECT count(*) FROM imports`)
		ct, big := oversizedUpload(a.cfg.UploadMaxBytes, csrf)
		defer big.Close()
		req, _ := http.NewRequest(http.MethodPost, a.base+"/imports", big)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Origin", a.base)
		resp, body := a.do(eng, req)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d, want 413", resp.StatusCode)
		}
		if !strings.Contains(body, "at most 64 MiB") ||
			!strings.Contains(body, `value="build-09"`) {
			t.Error("the form neither names the limit nor keeps the host")
		}
		if n := a.count(`SELECT count(*) FROM imports`); n != before {
			t.Errorf("imports: got %d, want %d", n, before)
		}
	})

	t.Run("refuses_an_upload_without_the_csrf_token_first", func(t *testing.T) {
		before := a.count(`SELECT count(*) FROM imports`)
		resp, _ := a.postMultipart(eng, "/imports", "", filePart("abc.jsonl", log))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("no token: got %d, want 403", resp.StatusCode)
		}
		resp, _ = a.postMultipart(eng, "/imports?"+url.Values{csrfField: {csrf}}.Encode(), "",
			filePart("abc.jsonl", log))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("token in the address: got %d, want 403", resp.StatusCode)
		}
		resp, _ = a.postMultipart(eng, "/imports", "", textPart("mine", "true"),
			textPart(csrfField, csrf), filePart("abc.jsonl", log))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("token after another field: got %d, want 403", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM imports`); n != before {
			t.Errorf("imports: got %d, want %d", n, before)
		}
	})

	t.Run("lists_own_imports_and_everyones_for_admins", func(t *testing.T) {
		_, body := a.get(eng, "/imports")
		if got, _ := testID(body, "import-link"); got != fmt.Sprint(id) {
			t.Errorf("eng's list: first import %q, want %d", got, id)
		}
		got, _ := testID(body, "import-cost")
		if !strings.HasPrefix(strings.TrimSpace(got), "$0.14") {
			t.Errorf("eng's list: cost %q, want $0.14", got)
		}

		other := a.browser()
		a.login(other, "eng2@example.com")
		_, body = a.get(other, "/imports")
		if hasTestID(body, "import-row") {
			t.Error("eng2 sees eng's import in the list")
		}
		if resp, _ := a.get(other, fmt.Sprintf("/imports/%d", id)); resp.StatusCode != 404 {
			t.Errorf("eng2 opens eng's import: got %d, want 404", resp.StatusCode)
		}

		admin := a.browser()
		a.login(admin, "admin@example.com")
		_, body = a.get(admin, "/imports")
		if !hasTestID(body, "import-row") || !strings.Contains(body, "eng@example.com") {
			t.Error("the admin's list lacks eng's import and its uploader")
		}
	})

	t.Run("caps_the_rejects_shown", func(t *testing.T) {
		bad := strings.Repeat("{not json\n", 1005)
		resp, _ := a.postMultipart(noRedirect(eng), "/imports", csrf,
			textPart("format", "claude-code"), filePart("bad.jsonl", bad))
		var bid int64
		fmt.Sscanf(resp.Header.Get("Location"), "/imports/%d", &bid)
		st := a.waitImport(bid)
		_, body := a.get(eng, fmt.Sprintf("/imports/%d", bid))
		if n := strings.Count(body, `data-testid="import-reject-row"`); n != 1000 {
			t.Errorf("reject rows: got %d, want 1000 (of %d rejected)", n, st.Rejected)
		}
		want := "Showing the first 1,000 of 1,005 rejected lines."
		if got, _ := testID(body, "import-rejects-note"); got != want {
			t.Errorf("note: got %q, want %q", got, want)
		}
	})
}
