package spend_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/spend"
	"github.com/tallyhq/tally/internal/spend/spendtest"
	"github.com/tallyhq/tally/internal/testdb"
	"github.com/tallyhq/tally/internal/usage"
)

// fixture is a database with a manager, two reports, an outsider, finance,
// an investigator and an admin, and calls in February and March 2026.
type fixture struct {
	pool   *pgxpool.Pool
	svc    *spend.Service
	people map[string]principal.Principal
}

var march = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func at(day, hour int) time.Time {
	return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := testdb.New(t)
	_, err := pool.Exec(ctx, `
		INSERT INTO principals (email, name, cost_center) VALUES
			('manager@example.com', 'Morgan Lee', 'eng-platform');
		INSERT INTO principals (email, name, cost_center, manager_id)
			SELECT e, n, c, (SELECT id FROM principals WHERE email = 'manager@example.com')
			FROM (VALUES ('eng@example.com', 'Erin Park', 'eng-platform'),
			             ('eng2@example.com', 'Dev Okafor', 'eng-data')) v(e, n, c);
		INSERT INTO principals (email, name, cost_center, roles) VALUES
			('outsider@example.com', 'Olive Out', 'sales', '{}'),
			('finance@example.com', 'Fran Ng', 'finance', '{finance}'),
			('security@example.com', 'Sid Kaur', 'security', '{investigator}'),
			('admin@example.com', 'Alex Admin', 'it', '{admin}');
		INSERT INTO model_tiers (model_key, tier) VALUES ('claude-opus-4-6', 'premium');`)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pool: pool, svc: spend.NewService(pool, time.UTC),
		people: map[string]principal.Principal{}}
	svc := principal.NewService(pool)
	for _, who := range []string{"manager", "eng", "eng2", "outsider", "finance", "security",
		"admin"} {
		p, err := svc.GetByEmail(ctx, who+"@example.com")
		if err != nil {
			t.Fatal(err)
		}
		f.people[who] = p
	}
	f.seed(t)
	return f
}

func (f *fixture) seed(t *testing.T) {
	erin, dev := f.people["eng"].ID, f.people["eng2"].ID
	s1 := usage.Evidence{SessionID: "s1", CWD: "/home/erin/src/api", Host: "erin-laptop"}
	sub := s1
	sub.AgentID = "agent-1"
	ci := usage.Evidence{SessionID: "s9", Host: "build-01", OSUser: "ci", CWD: "/srv/ci"}
	spendtest.New(t, f.pool, f.people["admin"].ID).Add(
		// Erin: a session with a sub-agent and an unpriced call, a tiny
		// approximate one, a call without a session, and one in February.
		spendtest.Call{At: at(2, 10), Principal: erin, Model: "claude-opus-4-6", Cost: "1.25",
			ReadCost: "0.50", Evidence: s1, Tokens: usage.Tokens{InputUncached: 10,
				CacheRead: 100_000, CacheWrite1h: 2_000, Output: 500}},
		spendtest.Call{At: at(2, 11), Principal: erin, Model: "claude-opus-4-6", Cost: "0.75",
			ReadCost: "0.25", Evidence: sub, Tokens: usage.Tokens{InputUncached: 5,
				CacheRead: 50_000, CacheWrite5m: 1_000, Output: 250}},
		spendtest.Call{At: at(2, 12), Principal: erin, Reported: "claude-mystery-1",
			Evidence: s1, Tokens: usage.Tokens{InputUncached: 7, Output: 70}},
		spendtest.Call{At: at(5, 9), Principal: erin, Model: "claude-sonnet-4-5",
			Cost: "0.005", Flags: usage.FlagApproximate,
			Evidence: usage.Evidence{SessionID: "s2"}, Tokens: usage.Tokens{Output: 1}},
		spendtest.Call{At: at(5, 10), Principal: erin, Model: "gpt-5", Cost: "2.00",
			Attribution: "mapped", Evidence: usage.Evidence{APIKeyID: "key-erin"},
			Tokens: usage.Tokens{InputUncached: 1_000, Output: 100}},
		spendtest.Call{At: time.Date(2026, 2, 27, 8, 0, 0, 0, time.UTC), Principal: erin,
			Model: "gpt-5", Cost: "9.99", Evidence: usage.Evidence{SessionID: "s0"}},
		// Dev: one priced call and one unpriced.
		spendtest.Call{At: at(3, 9), Principal: dev, Model: "claude-sonnet-4-5", Cost: "0.40",
			Evidence: usage.Evidence{SessionID: "d1"}, Tokens: usage.Tokens{Output: 40}},
		spendtest.Call{At: at(3, 10), Principal: dev, Reported: "claude-mystery-1",
			Evidence: usage.Evidence{SessionID: "d1"}},
		// Nobody: a CI session on a shared host, and a shared key.
		spendtest.Call{At: at(10, 9), Model: "claude-sonnet-4-5", Cost: "0.30", Evidence: ci,
			File: "ci/s9.jsonl", Line: 41},
		spendtest.Call{At: at(10, 10), Model: "claude-sonnet-4-5", Cost: "0.20", Evidence: ci,
			File: "ci/s9.jsonl", Line: 42},
		spendtest.Call{At: at(10, 11), Reported: "claude-mystery-1", Evidence: ci,
			File: "ci/s9.jsonl", Line: 43},
		spendtest.Call{At: at(11, 9), Model: "gpt-5", Cost: "1.00",
			Evidence: usage.Evidence{APIKeyID: "key-shared-7"}},
	)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func checkMoney(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(dec(want)) {
		t.Errorf("%s: got %s, want %s", what, got, want)
	}
}

func TestPersonal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	erin := f.people["eng"]

	t.Run("totals_days_and_models_are_exact", func(t *testing.T) {
		got, err := f.svc.Personal(ctx, erin, 0, march)
		if err != nil {
			t.Fatal(err)
		}
		checkMoney(t, "month cost", got.Total.Cost, "4.005")
		if got.Total.Calls != 5 || got.Total.Unpriced != 1 || got.Total.Approximate != 1 {
			t.Errorf("calls, unpriced, approximate: got %d %d %d, want 5 1 1",
				got.Total.Calls, got.Total.Unpriced, got.Total.Approximate)
		}
		if len(got.Days) != 31 {
			t.Fatalf("days: got %d, want 31", len(got.Days))
		}
		d2, d5 := got.Days[1], got.Days[4]
		checkMoney(t, "2 March", d2.Cost, "2.00")
		checkMoney(t, "5 March", d5.Cost, "2.005")
		if d2.Calls != 3 || d2.Unpriced != 1 || d5.Calls != 2 || got.Days[0].Calls != 0 {
			t.Errorf("day calls: got %+v %+v", d2, d5)
		}

		var models []string
		for _, m := range got.Models {
			models = append(models, fmt.Sprintf("%s %s %v %d %s", m.Model, m.Tier, m.Priced,
				m.Calls, m.Cost))
		}
		want := []string{
			"claude-opus-4-6 premium true 2 2",
			"gpt-5 standard true 1 2",
			"claude-sonnet-4-5 standard true 1 0.005",
			"claude-mystery-1 standard false 1 0",
		}
		if !slices.Equal(models, want) {
			t.Errorf("models:\ngot  %q\nwant %q", models, want)
		}
		opus := got.Models[0].Tokens
		if opus.CacheRead != 150_000 || opus.CacheWrite1h != 2_000 || opus.CacheWrite5m != 1_000 {
			t.Errorf("opus tokens: got %+v", opus)
		}
	})

	t.Run("sessions_largest_first_with_shares", func(t *testing.T) {
		got, err := f.svc.Personal(ctx, erin, 0, march)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got.Sessions {
			ids = append(ids, s.ID)
		}
		if want := []string{"s1", "", "s2"}; !slices.Equal(ids, want) {
			t.Fatalf("sessions: got %q, want %q", ids, want)
		}
		s1 := got.Sessions[0]
		checkMoney(t, "s1 cost", s1.Cost, "2.00")
		if s1.Calls != 3 || s1.Unpriced != 1 || s1.CWD != "/home/erin/src/api" ||
			!s1.Started.Equal(at(2, 10)) {
			t.Errorf("s1: got %+v", s1)
		}
		want := []string{"claude-mystery-1", "claude-opus-4-6"}
		if !slices.Equal(s1.Models, want) {
			t.Errorf("s1 models: got %q, want %q", s1.Models, want)
		}
		sub, _ := s1.SubAgentShare()
		replay, _ := s1.ReplayShare()
		checkMoney(t, "s1 sub-agent share", sub, "0.375")
		checkMoney(t, "s1 replay share", replay, "0.375")
		if got.SessionCount != 3 || got.Sessions[2].Approximate != 1 {
			t.Errorf("session count %d, s2 approximate %d; want 3, 1", got.SessionCount,
				got.Sessions[2].Approximate)
		}
	})

	t.Run("a_manager_sees_reports_and_their_pages", func(t *testing.T) {
		got, err := f.svc.Personal(ctx, f.people["manager"], 0, march)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, r := range got.Reports {
			rows = append(rows, fmt.Sprintf("%s %s %s %d %d", r.Name, r.CostCenter, r.Cost,
				r.Calls, r.Unpriced))
		}
		want := []string{"Erin Park eng-platform 4.005 5 1", "Dev Okafor eng-data 0.4 2 1"}
		if !slices.Equal(rows, want) {
			t.Errorf("reports:\ngot  %q\nwant %q", rows, want)
		}
		page, err := f.svc.Personal(ctx, f.people["manager"], erin.ID, march)
		if err != nil {
			t.Fatalf("manager opens a report's page: %v", err)
		}
		checkMoney(t, "report's month", page.Total.Cost, "4.005")
		if page.Reports != nil {
			t.Errorf("a report's page lists reports: %+v", page.Reports)
		}
	})

	t.Run("only_the_owner_their_manager_and_finance_see_a_page", func(t *testing.T) {
		tests := []struct {
			viewer string
			ok     bool
		}{
			{"eng2", false}, {"outsider", false}, {"manager", true}, {"finance", true},
			{"security", true}, {"admin", true},
		}
		for _, tt := range tests {
			_, err := f.svc.Personal(ctx, f.people[tt.viewer], erin.ID, march)
			if got := err == nil; got != tt.ok {
				t.Errorf("%s opens Erin's page: got ok %v (%v), want %v", tt.viewer, got, err,
					tt.ok)
			}
			if err != nil && !fault.IsNotFound(err) {
				t.Errorf("%s opens Erin's page: got %v, want not found", tt.viewer, err)
			}
		}
		_, err := f.svc.Personal(ctx, f.people["finance"], 999_999, march)
		if !fault.IsNotFound(err) {
			t.Errorf("unknown principal: got %v, want not found", err)
		}
	})

	t.Run("finance_sees_a_managers_reports", func(t *testing.T) {
		got, err := f.svc.Personal(ctx, f.people["finance"], f.people["manager"].ID, march)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Reports) != 2 {
			t.Errorf("reports: got %d, want 2", len(got.Reports))
		}
	})

	t.Run("another_month_is_apart", func(t *testing.T) {
		got, err := f.svc.Personal(ctx, erin, 0, march.AddDate(0, -1, 0))
		if err != nil {
			t.Fatal(err)
		}
		checkMoney(t, "February", got.Total.Cost, "9.99")
		if len(got.Days) != 28 || got.Total.Calls != 1 {
			t.Errorf("February: got %d days, %d calls; want 28, 1", len(got.Days), got.Total.Calls)
		}
	})
}

func TestSession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	t.Run("lists_calls_with_evidence_and_source", func(t *testing.T) {
		got, err := f.svc.Session(ctx, f.people["eng"], "s1")
		if err != nil {
			t.Fatal(err)
		}
		checkMoney(t, "session cost", got.Total.Cost, "2.00")
		if got.Total.Calls != 3 || got.Total.Unpriced != 1 || len(got.Events) != 3 {
			t.Fatalf("got %+v with %d events", got.Total, len(got.Events))
		}
		e := got.Events[1]
		var ev []string
		for _, x := range e.Evidence {
			ev = append(ev, x.Key+"="+x.Value)
		}
		want := []string{"host=erin-laptop", "cwd=/home/erin/src/api", "session_id=s1",
			"agent_id=agent-1"}
		if !slices.Equal(ev, want) {
			t.Errorf("evidence: got %q, want %q", ev, want)
		}
		if e.SourceFile != "session.jsonl" || e.SourceLine != 2 ||
			e.OwnerEmail != "eng@example.com" || e.Uploader != "admin@example.com" ||
			e.Attribution != "direct" || !e.Priced() {
			t.Errorf("event: got %+v", e)
		}
		if got.Events[2].Priced() || got.Events[2].ModelReported != "claude-mystery-1" {
			t.Errorf("unpriced event: got %+v", got.Events[2])
		}
	})

	t.Run("only_the_owner_their_manager_and_finance_see_it", func(t *testing.T) {
		for viewer, ok := range map[string]bool{"eng": true, "manager": true, "finance": true,
			"admin": true, "security": true, "eng2": false, "outsider": false} {
			_, err := f.svc.Session(ctx, f.people[viewer], "s1")
			if got := err == nil; got != ok {
				t.Errorf("%s: got ok %v (%v), want %v", viewer, got, err, ok)
			}
			if err != nil && !fault.IsNotFound(err) {
				t.Errorf("%s: got %v, want not found", viewer, err)
			}
		}
		if _, err := f.svc.Session(ctx, f.people["eng"], "s9"); !fault.IsNotFound(err) {
			t.Errorf("an unattributed session for an engineer: got %v, want not found", err)
		}
	})
}

func TestUsage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fin := f.people["finance"]
	rowsOf := func(u *spend.Usage) []string {
		var out []string
		for _, r := range u.Rows {
			out = append(out, fmt.Sprintf("%s/%s/%s/%d/%s", cmp.Or(r.Email, "-"), r.Model, r.Tier,
				r.Calls, r.Cost))
		}
		return out
	}

	t.Run("totals_and_rows_of_the_month", func(t *testing.T) {
		got, err := f.svc.Usage(ctx, fin, spend.UsageFilter{Month: march})
		if err != nil {
			t.Fatal(err)
		}
		checkMoney(t, "total", got.Total.Cost, "5.905")
		checkMoney(t, "unattributed", got.Unattributed.Cost, "1.50")
		if got.Total.Calls != 11 || got.Total.Unpriced != 3 || got.Unattributed.Calls != 4 {
			t.Errorf("calls %d unpriced %d unattributed calls %d; want 11 3 4",
				got.Total.Calls, got.Total.Unpriced, got.Unattributed.Calls)
		}
		want := []string{
			"eng@example.com/claude-opus-4-6/premium/2/2",
			"eng@example.com/gpt-5/standard/1/2",
			"-/gpt-5/standard/1/1",
			"-/claude-sonnet-4-5/standard/2/0.5",
			"eng2@example.com/claude-sonnet-4-5/standard/1/0.4",
			"eng@example.com/claude-sonnet-4-5/standard/1/0.005",
			"-/claude-mystery-1/standard/1/0",
			"eng2@example.com/claude-mystery-1/standard/1/0",
			"eng@example.com/claude-mystery-1/standard/1/0",
		}
		if got := rowsOf(got); !slices.Equal(got, want) {
			t.Errorf("rows:\ngot  %q\nwant %q", got, want)
		}
		if !slices.Equal(got.CostCenters, []string{"eng-data", "eng-platform", "finance", "it",
			"sales", "security"}) {
			t.Errorf("cost centers: got %q", got.CostCenters)
		}
	})

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			name string
			f    spend.UsageFilter
			want []string
		}{
			{"unattributed_only", spend.UsageFilter{Attributed: "no"}, []string{
				"-/gpt-5/standard/1/1", "-/claude-sonnet-4-5/standard/2/0.5",
				"-/claude-mystery-1/standard/1/0"}},
			{"premium_tier", spend.UsageFilter{Tier: "premium"}, []string{
				"eng@example.com/claude-opus-4-6/premium/2/2"}},
			{"cost_center", spend.UsageFilter{CostCenter: "eng-data"}, []string{
				"eng2@example.com/claude-sonnet-4-5/standard/1/0.4",
				"eng2@example.com/claude-mystery-1/standard/1/0"}},
			{"principal_in_any_case", spend.UsageFilter{Principal: " ENG2@example.com",
				Model: "claude-sonnet-4-5"}, []string{
				"eng2@example.com/claude-sonnet-4-5/standard/1/0.4"}},
			{"attributed_sorted_by_calls", spend.UsageFilter{Attributed: "yes", Sort: "calls",
				Model: "claude-sonnet-4-5"}, []string{
				"eng2@example.com/claude-sonnet-4-5/standard/1/0.4",
				"eng@example.com/claude-sonnet-4-5/standard/1/0.005"}},
			{"sorted_by_principal_nobody_last", spend.UsageFilter{Sort: "principal",
				Model: "gpt-5"}, []string{
				"eng@example.com/gpt-5/standard/1/2", "-/gpt-5/standard/1/1"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.f.Month = march
				got, err := f.svc.Usage(ctx, fin, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if rows := rowsOf(got); !slices.Equal(rows, tt.want) {
					t.Errorf("rows:\ngot  %q\nwant %q", rows, tt.want)
				}
			})
		}
	})

	t.Run("refuses_bad_filters_and_engineers", func(t *testing.T) {
		_, err := f.svc.Usage(ctx, fin, spend.UsageFilter{Month: march, Tier: "gold"})
		if v, ok := fault.AsInvalid(err); !ok || v.Field != "tier" {
			t.Errorf("tier gold: got %v, want invalid tier", err)
		}
		_, err = f.svc.Usage(ctx, f.people["eng"], spend.UsageFilter{Month: march})
		if !fault.IsForbidden(err) {
			t.Errorf("engineer: got %v, want forbidden", err)
		}
	})
}

func TestUnattributed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sec := f.people["security"]
	describe := func(cs []spend.Cluster) []string {
		var out []string
		for _, c := range cs {
			var ev []string
			for _, e := range c.Evidence {
				ev = append(ev, e.Key+"="+e.Value)
			}
			out = append(out, fmt.Sprintf("%q [%s] %d/%d %s", c.Value, strings.Join(ev, " "),
				c.Calls, c.Unpriced, c.Cost))
		}
		return out
	}

	tests := []struct {
		by   string
		want []string
	}{
		{"", []string{`"@" [] 1/0 1`, `"ci@build-01" [host=build-01 os_user=ci] 3/1 0.5`}},
		{"session", []string{`"" [] 1/0 1`, `"s9" [session_id=s9] 3/1 0.5`}},
		{"cwd", []string{`"" [] 1/0 1`, `"/srv/ci" [cwd=/srv/ci] 3/1 0.5`}},
		{"key", []string{`"api_key_id:key-shared-7" [api_key_id=key-shared-7] 1/0 1`,
			`"" [] 3/1 0.5`}},
	}
	for _, tt := range tests {
		t.Run("clusters_by_"+cmp.Or(tt.by, "default"), func(t *testing.T) {
			got, err := f.svc.Unattributed(ctx, sec, march, tt.by)
			if err != nil {
				t.Fatal(err)
			}
			checkMoney(t, "total", got.Total.Cost, "1.50")
			if got.Total.Calls != 4 || got.Total.Unpriced != 1 {
				t.Errorf("total calls %d unpriced %d, want 4 1", got.Total.Calls,
					got.Total.Unpriced)
			}
			if d := describe(got.Clusters); !slices.Equal(d, tt.want) {
				t.Errorf("clusters:\ngot  %q\nwant %q", d, tt.want)
			}
		})
	}

	t.Run("first_and_last_seen", func(t *testing.T) {
		got, _ := f.svc.Unattributed(ctx, sec, march, "host")
		c := got.Clusters[1]
		if !c.FirstSeen.Equal(at(10, 9)) || !c.LastSeen.Equal(at(10, 11)) {
			t.Errorf("seen: got %v to %v", c.FirstSeen, c.LastSeen)
		}
	})

	t.Run("a_clusters_calls", func(t *testing.T) {
		c, calls, err := f.svc.ClusterCalls(ctx, sec, march, "host", "ci@build-01")
		if err != nil {
			t.Fatal(err)
		}
		checkMoney(t, "cluster cost", c.Cost, "0.50")
		var lines []string
		for _, e := range calls.Events {
			lines = append(lines, fmt.Sprintf("%s:%d %s", e.SourceFile, e.SourceLine, e.Uploader))
		}
		want := []string{"ci/s9.jsonl:41 admin@example.com", "ci/s9.jsonl:42 admin@example.com",
			"ci/s9.jsonl:43 admin@example.com"}
		if !slices.Equal(lines, want) {
			t.Errorf("events: got %q, want %q", lines, want)
		}
		if calls.Events[0].ImportID == 0 || calls.Truncated() {
			t.Errorf("import id %d, truncated %v", calls.Events[0].ImportID, calls.Truncated())
		}
		_, _, err = f.svc.ClusterCalls(ctx, sec, march, "host", "nobody@nowhere")
		if !fault.IsNotFound(err) {
			t.Errorf("empty cluster: got %v, want not found", err)
		}
	})

	t.Run("only_investigators_and_admins", func(t *testing.T) {
		_, err := f.svc.Unattributed(ctx, f.people["finance"], march, "")
		if !fault.IsForbidden(err) {
			t.Errorf("finance: got %v, want forbidden", err)
		}
		if _, err := f.svc.Unattributed(ctx, f.people["admin"], march, ""); err != nil {
			t.Errorf("admin: got %v", err)
		}
		if _, err := f.svc.Unattributed(ctx, sec, march, "colour"); err == nil {
			t.Error("by colour: got no error")
		}
	})
}

func TestMonths(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Skip(err)
	}
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC) // 1 April 01:00 in Auckland
	if got := spend.NewService(nil, auckland).ThisMonth(now); !got.Equal(march.AddDate(0, 1, 0)) {
		t.Errorf("this month in Auckland: got %v, want 2026-04-01", got)
	}
	if got := spend.NewService(nil, nil).ThisMonth(now); !got.Equal(march) {
		t.Errorf("this month in UTC: got %v, want 2026-03-01", got)
	}
	for in, ok := range map[string]bool{"2026-03": true, "2026-3": false, "march": false,
		"": false, "2026-13": false} {
		m, err := spend.ParseMonth(in)
		if got := err == nil; got != ok {
			t.Errorf("ParseMonth(%q): got ok %v, want %v", in, got, ok)
		}
		if ok && !m.Equal(march) {
			t.Errorf("ParseMonth(%q): got %v", in, m)
		}
	}
}
