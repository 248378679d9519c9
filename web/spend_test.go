package web

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/spend/spendtest"
	"github.com/tallyhq/tally/internal/usage"
)

// march is the month the spend tests' calls fall in.
func marchAt(day, hour int) time.Time {
	return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC)
}

// seedSpend stores calls of March 2026: Erin's session with a sub-agent and
// an unpriced call plus a gateway call, one call of Dev's, and unattributed
// calls on a shared CI host and a shared key. Opus is premium.
func (a *testApp) seedSpend() (importID int64) {
	a.t.Helper()
	ctx := context.Background()
	if _, err := a.pool.Exec(ctx, `INSERT INTO model_tiers (model_key, tier)
		VALUES ('claude-opus-4-6', 'premium')`); err != nil {
		a.t.Fatal(err)
	}
	id := func(email string) int64 {
		p, err := a.principals().GetByEmail(ctx, email)
		if err != nil {
			a.t.Fatal(err)
		}
		return p.ID
	}
	erin, dev := id("eng@example.com"), id("eng2@example.com")
	sess := usage.Evidence{SessionID: "sess-erin-1", CWD: "/home/erin/src/api",
		Host: "erin-laptop", OSUser: "erin"}
	sub := sess
	sub.AgentID = "agent-1"
	ci := usage.Evidence{SessionID: "s9", Host: "build-01", OSUser: "ci", CWD: "/srv/ci"}
	ciTokens := usage.Tokens{InputUncached: 10, CacheRead: 2000, CacheWrite5m: 300, Output: 20}

	s := spendtest.New(a.t, a.pool, id("admin@example.com"))
	s.Add(
		spendtest.Call{At: marchAt(2, 10), Principal: erin, Model: "claude-opus-4-6",
			Cost: "1.25", ReadCost: "0.50", Evidence: sess, File: "erin/sess.jsonl",
			Tokens: usage.Tokens{InputUncached: 10, CacheRead: 100_000, CacheWrite1h: 2_000,
				Output: 500}},
		spendtest.Call{At: marchAt(2, 11), Principal: erin, Model: "claude-opus-4-6",
			Cost: "0.75", ReadCost: "0.25", Evidence: sub, File: "erin/sess.jsonl",
			Tokens: usage.Tokens{InputUncached: 5, CacheRead: 50_000, Output: 250}},
		spendtest.Call{At: marchAt(2, 12), Principal: erin, Reported: "claude-mystery-1",
			Evidence: sess, File: "erin/sess.jsonl", Tokens: usage.Tokens{Output: 70}},
		spendtest.Call{At: marchAt(5, 10), Principal: erin, Model: "gpt-5", Cost: "2.00",
			Attribution: "mapped", Evidence: usage.Evidence{APIKeyID: "key-dev-erin"},
			Tokens: usage.Tokens{InputUncached: 1_000, Output: 100}},
		spendtest.Call{At: marchAt(3, 9), Principal: dev, Model: "claude-sonnet-4-5",
			Cost: "0.40", Evidence: usage.Evidence{SessionID: "sess-dev-1"},
			Tokens: usage.Tokens{Output: 40}},
		spendtest.Call{At: marchAt(10, 9), Model: "claude-sonnet-4-5", Cost: "0.30",
			Evidence: ci, Tokens: ciTokens, File: "ci/s9.jsonl", Line: 41},
		spendtest.Call{At: marchAt(10, 10), Model: "claude-sonnet-4-5", Cost: "0.2000004",
			Evidence: ci, Tokens: ciTokens, File: "ci/s9.jsonl", Line: 42},
		spendtest.Call{At: marchAt(10, 11), Reported: `odd "model", v2`, Evidence: ci,
			Tokens: usage.Tokens{Output: 7}, File: "ci/s9.jsonl", Line: 43},
		spendtest.Call{At: marchAt(11, 9), Model: "gpt-5", Cost: "1.00",
			Evidence: usage.Evidence{APIKeyID: "key-shared-7"},
			Tokens:   usage.Tokens{InputUncached: 1_000, Output: 100}},
	)
	return s.ImportID()
}

// texts returns the text of every element with data-testid id, tags
// stripped and spaces collapsed.
func texts(page, id string) []string {
	var out []string
	marker := `data-testid="` + id + `"`
	for rest := page; ; {
		i := strings.Index(rest, marker)
		if i < 0 {
			return out
		}
		start := strings.LastIndex(rest[:i], "<")
		name := regexp.MustCompile(`^<(\w+)`).FindStringSubmatch(rest[start:])[1]
		body, after := element(rest[start:], name)
		out = append(out, plainText(body))
		rest = after
	}
}

// element splits s, which starts with an element named name, into the
// element's inner HTML and what follows it.
func element(s, name string) (inner, rest string) {
	open := strings.Index(s, ">") + 1
	tags := regexp.MustCompile(`<(/?)` + name + `[\s>]`)
	depth := 1
	for _, m := range tags.FindAllStringSubmatchIndex(s[open:], -1) {
		if s[open+m[2]:open+m[3]] == "/" {
			depth--
		} else {
			depth++
		}
		if depth == 0 {
			return s[open : open+m[0]], s[open+m[1]:]
		}
	}
	return s[open:], ""
}

func plainText(h string) string {
	t := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(h, " ")
	return strings.Join(strings.Fields(html.UnescapeString(t)), " ")
}

// attr returns attribute name of the first element with data-testid id.
func attr(page, id, name string) string {
	re := regexp.MustCompile(`<[^>]*data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>`)
	tag := re.FindString(page)
	m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestSpendPage(t *testing.T) {
	a := newTestApp(t)
	a.seedSpend()
	erin := a.browser()
	a.login(erin, "eng@example.com")

	t.Run("shows_the_total_first_with_the_unpriced_marker", func(t *testing.T) {
		resp, page := a.get(erin, "/spend?month=2026-03")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d, want 200", resp.StatusCode)
		}
		checkText(t, page, "spend-heading", "My spend")
		checkText(t, page, "spend-total-cost", "$4.00")
		checkText(t, page, "spend-total-calls", "4 calls")
		checkText(t, page, "spend-total-unpriced", "incomplete: 1 unpriced call")
		if strings.Index(page, "spend-total-cost") > strings.Index(page, "spend-chart") {
			t.Error("the total does not come before the chart")
		}
	})

	t.Run("shows_days_as_a_chart_and_a_table", func(t *testing.T) {
		_, page := a.get(erin, "/spend?month=2026-03")
		days := texts(page, "day-cost")
		if len(days) != 31 {
			t.Fatalf("day rows: got %d, want 31", len(days))
		}
		if days[1] != "$2.00 + 1 unpriced" || days[4] != "$2.00" || days[0] != "$0.00" {
			t.Errorf("2, 5 and 1 March: got %q %q %q", days[1], days[4], days[0])
		}
		checkText(t, page, "days-total", "$4.00 + 1 unpriced")
		chart := texts(page, "spend-chart")[0]
		for _, want := range []string{"Cost by day, March 2026", "Cost (USD)",
			"Day of March 2026", "Mon 2 Mar: $2.00"} {
			if !strings.Contains(chart, want) {
				t.Errorf("chart lacks %q: %s", want, chart)
			}
		}
		if n := strings.Count(page, `class="chart-bar"`); n != 2 {
			t.Errorf("bars: got %d, want 2", n)
		}
	})

	t.Run("lists_models_with_tier_and_unpriced", func(t *testing.T) {
		_, page := a.get(erin, "/spend?month=2026-03")
		got := texts(page, "model-row")
		want := []string{
			"claude-opus-4-6 premium 2 15 150,000 2,000 750 $2.00",
			"gpt-5 standard 1 1,000 0 0 100 $2.00",
			"claude-mystery-1 standard 1 0 0 0 70 unpriced",
		}
		if !slices.Equal(got, want) {
			t.Errorf("models:\ngot  %q\nwant %q", got, want)
		}
		checkText(t, page, "models-total", "$4.00 + 1 unpriced")
	})

	t.Run("lists_sessions_largest_first_with_shares", func(t *testing.T) {
		_, page := a.get(erin, "/spend?month=2026-03")
		got := texts(page, "session-row")
		want := []string{
			"sess-erin-1 2 Mar 10:00 /home/erin/src/api claude-mystery-1, claude-opus-4-6 " +
				"3 37.5% 37.5% $2.00 + 1 unpriced",
			"Calls without a session 5 Mar 10:00 gpt-5 1 0.0% 0.0% $2.00",
		}
		if !slices.Equal(got, want) {
			t.Errorf("sessions:\ngot  %q\nwant %q", got, want)
		}
		if href := attr(page, "session-link", "href"); href != "/spend/sessions/sess-erin-1" {
			t.Errorf("session link: got %q", href)
		}
	})

	t.Run("month_picker_keeps_the_month_in_the_url", func(t *testing.T) {
		_, page := a.get(erin, "/spend?month=2026-03")
		if got := attr(page, "month-prev", "href"); got != "/spend?month=2026-02" {
			t.Errorf("previous: got %q", got)
		}
		if got := attr(page, "month-next", "href"); got != "/spend?month=2026-04" {
			t.Errorf("next: got %q", got)
		}
		if !strings.Contains(page, `<option value="2026-03" selected>March 2026</option>`) {
			t.Error("the select does not show March 2026 as chosen")
		}
		_, page = a.get(erin, "/spend?month=2026-02")
		checkText(t, page, "spend-total-cost", "$0.00")
		checkText(t, page, "sessions-empty", "No sessions in February 2026.")
	})

	t.Run("defaults_to_this_month_without_a_next_link", func(t *testing.T) {
		_, page := a.get(erin, "/spend")
		this := a.clock.Now().UTC().Format("January 2006")
		checkText(t, page, "spend-total-calls", "0 calls")
		if hasTestID(page, "month-next") || !strings.Contains(page, "Spent in "+this) {
			t.Errorf("this month: want %s without a next link", this)
		}
	})

	t.Run("refuses_a_bad_month", func(t *testing.T) {
		resp, page := a.get(erin, "/spend?month=March")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
		checkText(t, page, "error-message", "Enter a month like 2026-03.")
	})

	t.Run("an_engineer_cannot_see_someone_elses_spend", func(t *testing.T) {
		dev, _ := a.principals().GetByEmail(context.Background(), "eng2@example.com")
		for _, path := range []string{
			"/spend?month=2026-03&principal=" + strconv.FormatInt(dev.ID, 10),
			"/spend?principal=99999", "/spend?principal=x",
			"/spend/sessions/sess-dev-1", "/spend/sessions/s9", "/spend/sessions/nope",
		} {
			resp, page := a.get(erin, path)
			if resp.StatusCode != http.StatusNotFound ||
				strings.Contains(page, "Dev Okafor</span>") {
				t.Errorf("%s: got %d, want 404", path, resp.StatusCode)
			}
		}
	})

	t.Run("shows_unpriced_when_nothing_is_priced", func(t *testing.T) {
		eng3 := a.browser()
		a.login(eng3, "eng3@example.com")
		sam, _ := a.principals().GetByEmail(context.Background(), "eng3@example.com")
		admin, _ := a.principals().GetByEmail(context.Background(), "admin@example.com")
		spendtest.New(t, a.pool, admin.ID).Add(spendtest.Call{At: marchAt(20, 9),
			Principal: sam.ID, Reported: "mystery-2"})
		_, page := a.get(eng3, "/spend?month=2026-03")
		checkText(t, page, "spend-total-cost", "unpriced")
		checkText(t, page, "spend-total-unpriced", "incomplete: 1 unpriced call")
		if strings.Contains(texts(page, "spend-total")[0], "$0.00") {
			t.Error("an unpriced month shows $0.00")
		}
	})
}

func TestSpendPageManager(t *testing.T) {
	a := newTestApp(t)
	a.seedSpend()
	boss := a.browser()
	a.login(boss, "manager@example.com")

	t.Run("lists_each_reports_month", func(t *testing.T) {
		_, page := a.get(boss, "/spend?month=2026-03")
		got := texts(page, "report-row")
		want := []string{
			"Erin Park eng@example.com eng-platform 4 1 $4.00 + 1 unpriced",
			"Dev Okafor eng2@example.com eng-platform 1 0 $0.40",
			"Sam Rivera eng3@example.com eng-data 0 0 $0.00",
		}
		if !slices.Equal(got, want) {
			t.Errorf("reports:\ngot  %q\nwant %q", got, want)
		}
		checkText(t, page, "reports-total", "$4.40 + 1 unpriced")
	})

	t.Run("opens_a_reports_page_and_session", func(t *testing.T) {
		_, page := a.get(boss, "/spend?month=2026-03")
		href := attr(page, "report-link", "href")
		resp, page := a.get(boss, href)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: got %d", href, resp.StatusCode)
		}
		checkText(t, page, "spend-heading", "Spend of Erin Park")
		checkText(t, page, "spend-total-cost", "$4.00")
		if hasTestID(page, "reports-table") {
			t.Error("a report's page lists reports")
		}
		if !strings.Contains(attr(page, "month-prev", "href"), "principal=") {
			t.Error("the month picker drops the principal")
		}
		resp, _ = a.get(boss, "/spend/sessions/sess-erin-1")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("report's session: got %d, want 200", resp.StatusCode)
		}
	})

	t.Run("an_engineer_sees_no_reports_table", func(t *testing.T) {
		erin := a.browser()
		a.login(erin, "eng@example.com")
		if _, page := a.get(erin, "/spend?month=2026-03"); hasTestID(page, "reports-table") {
			t.Error("an engineer without reports sees a reports table")
		}
	})
}

func TestSessionPage(t *testing.T) {
	a := newTestApp(t)
	importID := a.seedSpend()
	erin := a.browser()
	a.login(erin, "eng@example.com")

	resp, page := a.get(erin, "/spend/sessions/sess-erin-1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d, want 200", resp.StatusCode)
	}

	t.Run("totals_the_session", func(t *testing.T) {
		checkText(t, page, "session-total-cost", "$2.00")
		checkText(t, page, "session-total-unpriced", "incomplete: 1 unpriced call")
		checkText(t, page, "session-owners", "Erin Park")
		if got := attr(page, "session-back", "href"); got != "/spend?month=2026-03" {
			t.Errorf("back link: got %q", got)
		}
	})

	t.Run("lists_calls_with_evidence_and_source", func(t *testing.T) {
		if got := len(texts(page, "event-row")); got != 3 {
			t.Fatalf("calls: got %d, want 3", got)
		}
		// All three come from one file of one import: it is named once.
		checkText(t, page, "source-file", "erin/sess.jsonl")
		if got := texts(page, "event-source"); !slices.Equal(got, []string{"1", "2", "3"}) {
			t.Errorf("lines: got %q, want 1 2 3", got)
		}
		if got := attr(page, "event-source", "title"); got != "erin/sess.jsonl:1" {
			t.Errorf("first source: got %q", got)
		}
		checkText(t, page, "evidence-agent_id", "agent-1")
		checkText(t, page, "evidence-cwd", "/home/erin/src/api")
		got := attr(page, "event-import", "href")
		if got != "/imports/"+strconv.FormatInt(importID, 10) {
			t.Errorf("import link: got %q, want /imports/%d", got, importID)
		}
		if got := texts(page, "event-cost"); !slices.Equal(got, []string{"$1.25", "$0.75",
			"unpriced"}) {
			t.Errorf("costs: got %q", got)
		}
		checkText(t, page, "event-uploader", "admin@example.com")
		checkText(t, page, "events-total", "$2.00 + 1 unpriced")
	})

	t.Run("finance_sees_it_another_engineer_does_not", func(t *testing.T) {
		fin := a.browser()
		a.login(fin, "finance@example.com")
		if resp, _ := a.get(fin, "/spend/sessions/sess-erin-1"); resp.StatusCode != http.StatusOK {
			t.Errorf("finance: got %d, want 200", resp.StatusCode)
		}
		dev := a.browser()
		a.login(dev, "eng2@example.com")
		resp, _ := a.get(dev, "/spend/sessions/sess-erin-1")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("another engineer: got %d, want 404", resp.StatusCode)
		}
	})
}

func checkText(t *testing.T, page, id, want string) {
	t.Helper()
	got := texts(page, id)
	if len(got) == 0 {
		t.Errorf("%s: missing, want %q", id, want)
		return
	}
	if got[0] != want {
		t.Errorf("%s: got %q, want %q", id, got[0], want)
	}
}
