package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestUnattributedPage(t *testing.T) {
	a := newTestApp(t)
	importID := a.seedSpend()
	sec := a.browser()
	a.login(sec, "security@example.com")

	t.Run("shows_the_total_first", func(t *testing.T) {
		resp, page := a.get(sec, "/unattributed?month=2026-03")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d, want 200", resp.StatusCode)
		}
		checkText(t, page, "unattributed-total-cost", "$1.50")
		checkText(t, page, "unattributed-total-calls", "4 calls")
		checkText(t, page, "unattributed-total-unpriced", "incomplete: 1 unpriced call")
		if strings.Index(page, "unattributed-total-cost") > strings.Index(page, "clusters-table") {
			t.Error("the total does not come before the clusters")
		}
	})

	// Largest cost first: the shared key's call, then the CI host's.
	ci := "3 calls 10 Mar 09:00 10 Mar 11:00 $0.50 + 1 unpriced"
	key := "1 call 11 Mar 09:00 11 Mar 09:00 $1.00"
	tests := []struct {
		by   string
		want []string
	}{
		{"", []string{"No host or OS user recorded " + key, "Host build-01 OS user ci " + ci}},
		{"session", []string{"No session recorded " + key, "Session s9 " + ci}},
		{"cwd", []string{"No project directory recorded " + key,
			"Project directory /srv/ci " + ci}},
		{"key", []string{"API key id key-shared-7 " + key,
			"No API key, IAM role or gateway user recorded " + ci}},
	}
	for _, tt := range tests {
		t.Run("clusters_by_"+cmp.Or(tt.by, "host_by_default"), func(t *testing.T) {
			_, page := a.get(sec, "/unattributed?month=2026-03&by="+tt.by)
			if got := texts(page, "cluster-row"); !slices.Equal(got, tt.want) {
				t.Errorf("clusters:\ngot  %q\nwant %q", got, tt.want)
			}
			checkText(t, page, "clusters-total", "$1.50 + 1 unpriced")
		})
	}

	t.Run("largest_cluster_first_and_grouping_marked", func(t *testing.T) {
		_, page := a.get(sec, "/unattributed?month=2026-03&by=key")
		if got := texts(page, "cluster-cost"); !slices.Equal(got, []string{"$1.00",
			"$0.50 + 1 unpriced"}) {
			t.Errorf("costs: got %q", got)
		}
		if !strings.Contains(page, `data-testid="group-key" aria-current="page"`) {
			t.Error("the key grouping is not marked current")
		}
		if got := attr(page, "month-prev", "href"); got != "/unattributed?by=key&month=2026-02" {
			t.Errorf("previous month keeps the grouping: got %q", got)
		}
	})

	t.Run("a_cluster_lists_its_calls", func(t *testing.T) {
		_, page := a.get(sec, "/unattributed?month=2026-03")
		href := "/unattributed/events?by=host&month=2026-03&value=ci%40build-01"
		if !strings.Contains(page, `href="`+strings.ReplaceAll(href, "&", "&amp;")+`"`) {
			t.Fatalf("no cluster links to %s", href)
		}
		resp, page := a.get(sec, href)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: got %d", href, resp.StatusCode)
		}
		checkText(t, page, "cluster-heading", "Unattributed calls by host and OS user")
		checkText(t, page, "cluster-total-cost", "$0.50")
		checkText(t, page, "source-file", "ci/s9.jsonl")
		want := []string{"41", "42", "43"}
		if got := texts(page, "event-source"); !slices.Equal(got, want) {
			t.Errorf("lines: got %q, want %q", got, want)
		}
		// The evidence all three share is shown once, above the calls.
		evidence := texts(page, "evidence")
		want = []string{"Host build-01 OS user ci Project directory /srv/ci Session s9"}
		if !slices.Equal(evidence, want) || !hasTestID(page, "common-evidence") {
			t.Errorf("evidence: got %q, want %q once, above the calls", evidence, want)
		}
		if got := attr(page, "event-import", "href"); got != "/imports/"+
			strconv.FormatInt(importID, 10) {
			t.Errorf("import link: got %q", got)
		}
		checkText(t, page, "event-uploader", "admin@example.com")
		if got := texts(page, "event-cost"); !slices.Equal(got, []string{"$0.30", "$0.20",
			"unpriced"}) {
			t.Errorf("costs: got %q", got)
		}
	})

	t.Run("a_single_call_shows_its_whole_source", func(t *testing.T) {
		_, page := a.get(sec,
			"/unattributed/events?month=2026-03&by=key&value=api_key_id:key-shared-7")
		checkText(t, page, "event-source", "session.jsonl:9")
		checkText(t, page, "evidence-api_key_id", "key-shared-7")
		if hasTestID(page, "common-source") {
			t.Error("one call has a shared source block")
		}
	})

	t.Run("an_unknown_cluster_is_not_found", func(t *testing.T) {
		for _, q := range []string{"by=host&value=x%40nowhere", "by=colour&value=red",
			"by=key&value="} {
			resp, _ := a.get(sec, "/unattributed/events?month=2026-03&"+q)
			want := http.StatusNotFound
			if q == "by=key&value=" {
				want = http.StatusOK // the calls that name no key
			}
			if resp.StatusCode != want {
				t.Errorf("%s: got %d, want %d", q, resp.StatusCode, want)
			}
		}
	})

	t.Run("engineers_and_finance_get_403", func(t *testing.T) {
		for _, who := range []string{"eng@example.com", "finance@example.com"} {
			c := a.browser()
			a.login(c, who)
			for _, path := range []string{"/unattributed",
				"/unattributed/events?by=host&value=ci%40build-01&month=2026-03"} {
				if resp, _ := a.get(c, path); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s: got %d, want 403", who, path, resp.StatusCode)
				}
			}
		}
	})

	t.Run("refuses_an_unknown_grouping", func(t *testing.T) {
		resp, _ := a.get(sec, "/unattributed?by=colour")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
	})
}
