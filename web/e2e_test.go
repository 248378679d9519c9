package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tallyhq/tally/internal/fixtures"
)

// journey drives one headless Chromium through the app, and with
// TALLY_SCREENSHOTS=dir saves a PNG of each page it is asked to.
type journey struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newJourney starts Chromium (newBrowser) for a. Without chromium the test
// is skipped, except in CI, where it fails.
func newJourney(t *testing.T, a *testApp) *journey {
	t.Helper()
	return &journey{t: t, ctx: newBrowser(t), base: a.base}
}

func (j *journey) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	if err := chromedp.Do(j.ctx, actions...); err != nil {
		j.t.Fatalf("%s: %v", step, err)
	}
}

func (j *journey) text(sel string) string {
	j.t.Helper()
	s, err := chromedp.Run(j.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		j.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (j *journey) attr(sel, name string) string {
	j.t.Helper()
	res, err := chromedp.Run(j.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		j.t.Fatalf("%s of %s: %v", name, sel, err)
	}
	return res.Value
}

func (j *journey) shoot(name string) {
	j.t.Helper()
	dir := os.Getenv("TALLY_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(j.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		j.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		j.t.Fatal(err)
	}
}

// signIn opens path signed out, which sends the browser to the development
// provider's chooser, and picks email; it waits for wait on the page asked
// for.
func (j *journey) signIn(path, email, wait string) {
	j.t.Helper()
	j.do("open "+path+" signed out", chromedp.Navigate(j.base+path),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dev-people"]`)))
	j.do("sign in as "+email,
		chromedp.Click(chromedp.CSS(`[data-testid="dev-person-`+email+`"] button`)),
		chromedp.WaitVisible(chromedp.CSS(wait)))
}

// TestImportJourney uploads a real Claude Code log in the browser as
// "mine" and finds its priced cost on My spend, attributed to the engineer
// who uploaded it.
//
// The file is one claude-opus-4-6 call written as five lines (one per
// content block) with the same message id, so it is one event; every line
// reports 3 input, 11,515 cache read and 13,835 cache write tokens, all of
// the write to the 1-hour cache, and 13 output tokens (the largest
// output_tokens of the five lines; here all five say 13). Its 25,353 input
// tokens are under the 200K long-context threshold, and inference_geo
// "not_available" adds no multiplier. From the bundled LiteLLM table's
// claude-opus-4-6 row, in USD per token:
//
//	input           3 × 0.000005   = 0.000015
//	cache read  11515 × 0.0000005  = 0.0057575
//	1h write    13835 × 0.00001    = 0.13835
//	output         13 × 0.000025   = 0.000325
//	total                            0.1444475, shown as $0.14
func TestImportJourney(t *testing.T) {
	logFile := fixtures.Path(t, oneCallFile)
	if _, err := os.Stat(logFile); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("fixture missing: %v", err)
		}
		t.Skipf("fixture missing: %v", err)
	}
	a := newTestApp(t)
	j := newJourney(t, a)

	j.signIn("/imports/new", "eng@example.com", `[data-testid="import-form"]`)
	j.shoot("import-new")
	j.do("upload nothing", chromedp.SendKeys(chromedp.CSS(`#host`), "laptop-7"),
		chromedp.Click(chromedp.CSS(`[data-testid="import-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)))
	if got, _ := chromedp.Run(j.ctx, chromedp.Value(chromedp.CSS(`#host`))); got != "laptop-7" {
		t.Errorf("host after the error: got %q, want laptop-7", got)
	}
	j.shoot("import-new-error")
	j.do("choose the file as mine", chromedp.Click(chromedp.CSS(`#mine`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{logFile}))
	j.do("upload", chromedp.Click(chromedp.CSS(`[data-testid="import-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="import-progress"]`)))
	if got := j.text(`[data-testid="import-status"]`); got != "queued" {
		t.Errorf("status before the workers run: got %q, want queued", got)
	}
	j.shoot("import-queued")

	a.startImportWorkers() // loads the bundled prices first
	j.do("wait for the import to finish",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="count-events"]`)))
	if got := j.text(`[data-testid="import-status"]`); got != "done" {
		t.Errorf("status: got %q, want done", got)
	}
	if got := j.text(`[data-testid="count-events"]`); got != "1" {
		t.Errorf("events: got %q, want 1", got)
	}
	if got := j.text(`[data-testid="import-total-cost"]`); got != "$0.14" {
		t.Errorf("import cost: got %q, want $0.14", got)
	}
	j.shoot("import-done")

	j.do("open the imports list", chromedp.Navigate(a.base+"/imports"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="imports-table"]`)))
	if got := j.text(`[data-testid="import-claimed"]`); got != "Yes" {
		t.Errorf("claimed in the list: got %q, want Yes", got)
	}
	j.shoot("imports")

	j.do("open My spend for February 2026", chromedp.Navigate(a.base+"/spend?month=2026-02"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="spend-heading"]`)))
	if got := j.text(`[data-testid="spend-heading"]`); got != "My spend" {
		t.Errorf("heading: got %q, want My spend", got)
	}
	if got := j.text(`[data-testid="spend-name"]`); got != "Erin Park" {
		t.Errorf("whose spend: got %q, want Erin Park", got)
	}
	if got := j.text(`[data-testid="spend-total-cost"]`); got != "$0.14" {
		t.Errorf("month total: got %q, want $0.14", got)
	}
	if got := j.attr(`[data-testid="spend-total-cost"]`, "title"); !strings.Contains(got,
		"$"+oneCallCost) {
		t.Errorf("exact month total: got %q, want it to say $%s", got, oneCallCost)
	}
	j.shoot("spend-after-import")
	if n := a.count(`SELECT count(*) FROM usage_events e JOIN principals p
		ON p.id = e.principal_id WHERE p.email = 'eng@example.com'
		AND e.attribution = 'claimed' AND e.cost = $1::numeric`, oneCallCost); n != 1 {
		t.Errorf("events claimed by eng at %s: got %d, want 1", oneCallCost, n)
	}
}

// TestAdminJourney walks the admin pages in the browser: it adds an
// identity mapping through the form, sees an error kept beside its field,
// and makes a model standard with the row's tier select.
func TestAdminJourney(t *testing.T) {
	a := newTestApp(t)
	j := newJourney(t, a)
	a.startImportWorkers() // loads the bundled prices

	j.signIn("/admin", "admin@example.com", `[data-testid="admin-links"]`)
	j.shoot("admin")
	j.do("open people", chromedp.Navigate(a.base+"/admin/people"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="people-table"]`)))
	j.shoot("admin-people")
	bad := filepath.Join(t.TempDir(), "people.csv")
	os.WriteFile(bad, []byte("email,name\nnew@example.com,Nia\nnot-an-email,Bad\n"), 0o644)
	j.do("upload a directory with a bad line",
		chromedp.SetUploadFiles(chromedp.CSS(`#directory_file`), []string{bad}),
		chromedp.Click(chromedp.CSS(`[data-testid="directory-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)))
	if !strings.Contains(j.text(`[data-testid="error-summary"]`), "Line 3") {
		t.Error("the error summary does not name line 3")
	}
	j.shoot("admin-people-error")

	j.do("open mappings", chromedp.Navigate(a.base+"/admin/mappings"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="mapping-form"]`)))
	j.do("add a mapping without a person",
		chromedp.SetValue(chromedp.CSS(`#kind`), "os_user"),
		chromedp.SendKeys(chromedp.CSS(`#value`), "erin"),
		chromedp.SendKeys(chromedp.CSS(`#host`), "build-01"),
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)))
	if got := j.text(`#principal_email-error`); got == "" {
		t.Error("no error beside the person's email")
	}
	if got, _ := chromedp.Run(j.ctx, chromedp.Value(chromedp.CSS(`#host`))); got != "build-01" {
		t.Errorf("host after the error: got %q, want build-01", got)
	}
	j.shoot("admin-mappings-error")
	j.do("name the person and add it",
		chromedp.SendKeys(chromedp.CSS(`#principal_email`), "eng@example.com"),
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="mappings-table"]`)))
	if got := j.text(`[data-testid="mapping-principal"]`); got != "eng@example.com" {
		t.Errorf("mapped person: got %q, want eng@example.com", got)
	}
	j.shoot("admin-mappings")

	j.do("find claude-opus-4-6",
		chromedp.Navigate(a.base+"/admin/models?q=claude-opus-4-6&provider=anthropic"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="prices-table"]`)))
	j.shoot("admin-models")
	j.do("make it standard",
		chromedp.SetValue(chromedp.CSS(`[data-testid="model-tier"]`), "standard"),
		chromedp.Click(chromedp.CSS(`[data-testid="tier-form"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="notice"]`)))
	if n := a.count(`SELECT count(*) FROM model_tiers WHERE model_key = 'claude-opus-4-6'
		AND tier = 'standard'`); n != 1 {
		t.Error("claude-opus-4-6 is not standard after the change")
	}
	j.shoot("admin-models-tier-set")

	// 200% zoom: the same page in half the CSS width, scaled twice.
	j.do("zoom to 200%", chromedp.EmulateViewport(640, 900, chromedp.EmulateScale(2)))
	j.shoot("admin-models-zoomed")
	j.do("zoom back", chromedp.ResetViewport())
}
