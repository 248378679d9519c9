package web

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/internal/spend/spendtest"
	"github.com/tallyhq/tally/internal/usage"
)

// TestBrowserSpendPages walks My spend, a session, a report's page, Usage
// and Unattributed in headless Chromium with a month of demo-like calls.
// With TALLY_SCREENSHOTS=dir it saves a PNG of each page there.
func TestBrowserSpendPages(t *testing.T) {
	a := newTestApp(t)
	a.seedDemoMonth()
	j := newJourney(t, a)
	ctx, shoot, do, text := j.ctx, j.shoot, j.do, j.text
	signIn := func(email, page string) {
		t.Helper()
		do("sign in as "+email, chromedp.Navigate(a.base+page),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="dev-people"]`)),
			chromedp.Click(chromedp.CSS(`[data-testid="dev-person-`+email+`"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="topbar"]`)))
	}
	// zoomed shoots page at 200% zoom: half the CSS width, scaled twice.
	zoomed := func(name, page, testid string) {
		t.Helper()
		do("zoom "+name+" to 200%", chromedp.EmulateViewport(640, 900, chromedp.EmulateScale(2)),
			chromedp.Navigate(a.base+page),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="`+testid+`"]`)))
		shoot(name + "-zoomed")
		do("zoom back", chromedp.EmulateViewport(1280, 900))
	}
	signOut := func() {
		t.Helper()
		do("sign out", chromedp.Click(chromedp.CSS(`[data-testid="sign-out"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-out-heading"]`)))
	}

	signIn("eng@example.com", "/spend?month=2026-03")
	do("open My spend", chromedp.WaitVisible(chromedp.CSS(`[data-testid="spend-chart"]`)))
	if got := text(`[data-testid="spend-total-cost"]`); !strings.HasPrefix(got, "$") {
		t.Errorf("total: got %q, want dollars", got)
	}
	shoot("spend")

	do("pick February with the select", chromedp.SetValue(chromedp.CSS(`#month`), "2026-02"),
		chromedp.Click(chromedp.CSS(`[data-testid="month-form"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="month-next"][href$="month=2026-03"]`)))
	if got := text(`.figure-label`); got != "Spent in February 2026" {
		t.Errorf("after picking February: got %q", got)
	}
	do("open the largest session", chromedp.Navigate(a.base+"/spend?month=2026-03"),
		chromedp.Click(chromedp.CSS(`[data-testid="session-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="events-table"]`)))
	shoot("session")

	zoomed("spend", "/spend?month=2026-03", "spend-chart")
	signOut()

	signIn("manager@example.com", "/spend?month=2026-03")
	do("see the reports", chromedp.WaitVisible(chromedp.CSS(`[data-testid="reports-table"]`)))
	shoot("spend-manager")
	do("open a report's page", chromedp.Click(chromedp.CSS(`[data-testid="report-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="month-prev"][href*="principal="]`)))
	if got := text(`[data-testid="spend-heading"]`); !strings.HasPrefix(got, "Spend of ") {
		t.Errorf("report's page heading: got %q", got)
	}
	signOut()

	signIn("finance@example.com", "/usage?month=2026-03")
	do("open Usage", chromedp.WaitVisible(chromedp.CSS(`[data-testid="usage-table"]`)))
	shoot("usage")
	do("filter to premium", chromedp.SetValue(chromedp.CSS(`#tier`), "premium"),
		chromedp.Click(chromedp.CSS(`[data-testid="usage-apply"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="usage-reset"]`)))
	for _, m := range texts(a.pageHTML(ctx, t), "tier") {
		if m != "premium" {
			t.Errorf("premium filter shows a %s row", m)
		}
	}
	shoot("usage-filtered")
	zoomed("usage", "/usage?month=2026-03", "usage-table")
	signOut()

	signIn("security@example.com", "/unattributed?month=2026-03")
	do("open Unattributed", chromedp.WaitVisible(chromedp.CSS(`[data-testid="clusters-table"]`)))
	shoot("unattributed")
	do("group by key", chromedp.Click(chromedp.CSS(`[data-testid="group-key"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="group-key"][aria-current="page"]`)))
	shoot("unattributed-key")
	do("open a cluster", chromedp.Click(chromedp.CSS(`[data-testid="cluster-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="events-table"]`)))
	shoot("unattributed-events")
	zoomed("unattributed", "/unattributed?month=2026-03", "clusters-table")
}

func (a *testApp) pageHTML(ctx context.Context, t *testing.T) string {
	t.Helper()
	h, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// seedDemoMonth stores a month of calls like the demo's: Erin's coding
// sessions with sub-agents on most days of March 2026 and a few in
// February, her reports' colleagues' sessions, gateway calls, and
// unattributed CI sessions and shared-key calls, some unpriced.
func (a *testApp) seedDemoMonth() {
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
	rng := rand.New(rand.NewPCG(3, 5))
	models := []struct {
		name string
		per  float64 // dollars per 1,000 output tokens, roughly
	}{{"claude-opus-4-6", 0.09}, {"claude-sonnet-4-5", 0.02}, {"claude-haiku-4-5", 0.004}}
	var calls []spendtest.Call
	session := func(who int64, sid, cwd string, start time.Time, n int, ev usage.Evidence) {
		m := models[rng.IntN(len(models))]
		for i := range n {
			out := int64(100 + rng.IntN(3000))
			read := int64(20_000 + rng.IntN(120_000))
			cost := decimal.NewFromFloat(float64(out) * m.per / 1000).Round(6)
			readCost := cost.Mul(decimal.NewFromFloat(0.2 + rng.Float64()*0.5)).Round(6)
			e := ev
			e.SessionID, e.CWD = sid, cwd
			if i%4 == 3 {
				e.AgentID = fmt.Sprintf("agent-%d", i)
			}
			c := spendtest.Call{At: start.Add(time.Duration(i) * 90 * time.Second),
				Principal: who, Model: m.name, Cost: cost.String(), ReadCost: readCost.String(),
				Evidence: e, File: "projects/" + sid + ".jsonl",
				Tokens: usage.Tokens{InputUncached: int64(rng.IntN(40)), CacheRead: read,
					CacheWrite1h: int64(rng.IntN(8000)), Output: out}}
			if rng.IntN(40) == 0 {
				c.Model, c.Reported = "", "claude-experimental-7"
			}
			calls = append(calls, c)
		}
	}
	people := []struct {
		email, cwd string
		sessions   int
	}{{"eng@example.com", "/home/erin/src/api", 18}, {"eng2@example.com", "/home/dev/etl", 9},
		{"eng3@example.com", "/home/sam/web", 5}, {"manager@example.com", "/home/morgan/ops", 2}}
	for _, p := range people {
		who := id(p.email)
		for i := range p.sessions {
			start := time.Date(2026, 3, 1+rng.IntN(30), 8+rng.IntN(10), rng.IntN(60), 0, 0,
				time.UTC)
			session(who, fmt.Sprintf("%08x-4c1e-4a2b-9d3f-%012x", rng.Uint32(), i), p.cwd, start,
				4+rng.IntN(30), usage.Evidence{Host: "laptop", OSUser: "me"})
		}
		session(who, fmt.Sprintf("feb-%08x", rng.Uint32()), p.cwd,
			time.Date(2026, 2, 14, 10, 0, 0, 0, time.UTC), 6, usage.Evidence{})
	}
	for i := range 6 {
		start := time.Date(2026, 3, 2+i*4, 3, 0, 0, 0, time.UTC)
		session(0, fmt.Sprintf("ci-%04d", i), "/srv/ci/checkout", start, 5+rng.IntN(10),
			usage.Evidence{Host: "build-01", OSUser: "ci"})
	}
	for i := range 40 {
		ev := usage.Evidence{APIKeyID: "key-shared-7"}
		if i%3 == 0 {
			ev = usage.Evidence{GatewayUser: "svc-reports"}
		}
		c := spendtest.Call{At: time.Date(2026, 3, 1+i%28, 12, i, 0, 0, time.UTC),
			Model: "gpt-5", Cost: fmt.Sprintf("0.%03d", 20+rng.IntN(900)), Evidence: ev,
			File: "gateway-export.jsonl", Tokens: usage.Tokens{InputUncached: 4000, Output: 800}}
		if i%10 == 9 {
			c.Model, c.Reported = "", "gpt-5-preview"
		}
		calls = append(calls, c)
	}
	spendtest.New(a.t, a.pool, id("admin@example.com")).Add(calls...)
}
