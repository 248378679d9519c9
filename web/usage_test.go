package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestUsagePage(t *testing.T) {
	a := newTestApp(t)
	a.seedSpend()
	fin := a.browser()
	a.login(fin, "finance@example.com")

	t.Run("shows_totals_first", func(t *testing.T) {
		resp, page := a.get(fin, "/usage?month=2026-03")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d, want 200", resp.StatusCode)
		}
		checkText(t, page, "usage-total-cost", "$5.90")
		checkText(t, page, "usage-total-calls", "9 calls")
		checkText(t, page, "usage-total-unpriced", "incomplete: 2 unpriced calls")
		checkText(t, page, "usage-unattributed-cost", "$1.50")
		if strings.Index(page, "usage-total-cost") > strings.Index(page, "usage-table") {
			t.Error("the totals do not come before the table")
		}
	})

	t.Run("groups_by_principal_and_model", func(t *testing.T) {
		_, page := a.get(fin, "/usage?month=2026-03")
		got := texts(page, "usage-row")
		want := []string{
			"Erin Park eng@example.com eng-platform claude-opus-4-6 premium 2 15 150,000 " +
				"2,000 750 $2.00",
			"Erin Park eng@example.com eng-platform gpt-5 standard 1 1,000 0 0 100 $2.00",
			"unattributed gpt-5 standard 1 1,000 0 0 100 $1.00",
			"unattributed claude-sonnet-4-5 standard 2 20 4,000 600 40 $0.50",
			"Dev Okafor eng2@example.com eng-platform claude-sonnet-4-5 standard 1 0 0 0 40 $0.40",
			`unattributed odd "model", v2 standard 1 0 0 0 7 unpriced`,
			"Erin Park eng@example.com eng-platform claude-mystery-1 standard 1 0 0 0 70 unpriced",
		}
		if !slices.Equal(got, want) {
			t.Errorf("rows:\ngot  %q\nwant %q", got, want)
		}
		checkText(t, page, "usage-footer-cost", "$5.90 + 2 unpriced")
		if got := attr(page, "usage-principal", "href"); !strings.HasPrefix(got,
			"/spend?month=2026-03&principal=") {
			t.Errorf("principal link: got %q", got)
		}
	})

	t.Run("filters_stay_in_the_url", func(t *testing.T) {
		_, page := a.get(fin, "/usage?month=2026-03&cost_center=eng-platform&tier=standard"+
			"&attributed=yes&sort=calls")
		got := texts(page, "usage-model")
		want := []string{"gpt-5", "claude-sonnet-4-5", "claude-mystery-1"}
		if !slices.Equal(got, want) {
			t.Errorf("models: got %q, want %q", got, want)
		}
		checkText(t, page, "usage-total-cost", "$2.40")
		for _, want := range []string{`<option value="eng-platform" selected>`,
			`<option value="standard" selected>`, `<option value="yes" selected>`} {
			if !strings.Contains(page, want) {
				t.Errorf("the form does not keep %s", want)
			}
		}
		csv := attr(page, "usage-csv", "href")
		if csv != "/usage.csv?attributed=yes&cost_center=eng-platform&month=2026-03&sort=calls"+
			"&tier=standard" {
			t.Errorf("csv link: got %q", csv)
		}
		if got := attr(page, "sort-cost", "href"); strings.Contains(got, "sort=") ||
			!strings.Contains(got, "tier=standard") {
			t.Errorf("sort by cost link: got %q", got)
		}
		if !strings.Contains(page, `aria-sort="descending"`) {
			t.Error("the sorted column is not marked")
		}
	})

	t.Run("filters_by_principal_email", func(t *testing.T) {
		_, page := a.get(fin, "/usage?month=2026-03&principal=ENG2@example.com")
		got := texts(page, "usage-row")
		if len(got) != 1 || !strings.HasPrefix(got[0], "Dev Okafor") {
			t.Errorf("rows: got %q", got)
		}
		_, page = a.get(fin, "/usage?month=2026-03&principal=nobody@example.com")
		checkText(t, page, "usage-empty", "No spend matches these filters.")
	})

	t.Run("csv_is_exact", func(t *testing.T) {
		resp, body := a.get(fin, "/usage.csv?month=2026-03&attributed=no")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d, want 200", resp.StatusCode)
		}
		want := "principal,name,cost_center,model,tier,priced,calls,input_tokens," +
			"cache_read_tokens,cache_write_tokens,output_tokens,cost_usd\r\n" +
			"unattributed,,,gpt-5,standard,true,1,1000,0,0,100,1.00\r\n" +
			"unattributed,,,claude-sonnet-4-5,standard,true,2,20,4000,600,40,0.5000004\r\n" +
			"unattributed,,,\"odd \"\"model\"\", v2\",standard,false,1,0,0,0,7,\r\n"
		if body != want {
			t.Errorf("csv:\ngot  %q\nwant %q", body, want)
		}
		if got := resp.Header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
			t.Errorf("content type: got %q", got)
		}
		if got := resp.Header.Get("Content-Disposition"); got !=
			`attachment; filename="tally-usage-2026-03.csv"` {
			t.Errorf("content disposition: got %q", got)
		}
	})

	t.Run("csv_rows_are_the_pages_rows", func(t *testing.T) {
		_, page := a.get(fin, "/usage?month=2026-03&sort=principal")
		_, body := a.get(fin, attr(page, "usage-csv", "href"))
		lines := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")[1:]
		var models []string
		for _, l := range lines {
			models = append(models, strings.Split(l, ",")[3])
		}
		if got := texts(page, "usage-model"); !slices.Equal(got[:3], models[:3]) ||
			len(got) != len(models) {
			t.Errorf("csv models %q, page models %q", models, got)
		}
	})

	t.Run("refuses_a_bad_tier", func(t *testing.T) {
		resp, page := a.get(fin, "/usage?month=2026-03&tier=gold")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
		checkText(t, page, "error-message", "Choose standard, premium or any tier.")
	})

	t.Run("an_engineer_gets_403", func(t *testing.T) {
		erin := a.browser()
		a.login(erin, "eng@example.com")
		for _, path := range []string{"/usage", "/usage.csv?month=2026-03"} {
			if resp, body := a.get(erin, path); resp.StatusCode != http.StatusForbidden ||
				strings.Contains(body, "unattributed,") {
				t.Errorf("%s: got %d, want 403", path, resp.StatusCode)
			}
		}
	})
}
