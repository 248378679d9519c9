package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/internal/token"
)

// signIn signs email in with a browser of its own and returns it with the
// session's CSRF token.
func (a *testApp) signIn(email string) (*http.Client, string) {
	a.t.Helper()
	c := a.browser()
	_, page := a.login(c, email)
	return c, csrfToken(a.t, page)
}

func TestAdminRoles(t *testing.T) {
	a := newTestApp(t)
	eng, csrf := a.signIn("eng@example.com")
	for _, path := range []string{"/admin", "/admin/people", "/admin/mappings", "/admin/models"} {
		if resp, _ := a.get(eng, path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s as an engineer: got %d, want 403", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/admin/mappings", "/admin/mappings/1/delete",
		"/admin/models/tier"} {
		resp, _ := a.post(eng, path, url.Values{"csrf_token": {csrf}, "kind": {"host"},
			"value": {"x"}, "principal_email": {"eng@example.com"},
			"model_key": {"claude-opus-4-6"}, "tier": {"standard"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s as an engineer: got %d, want 403", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/admin/people/directory", "/admin/mappings/csv",
		"/admin/models/prices"} {
		resp, _ := a.postMultipart(eng, path, csrf, filePart("x.csv", "email\nx@example.com\n"))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s as an engineer: got %d, want 403", path, resp.StatusCode)
		}
	}
	if n := a.count(`SELECT count(*) FROM identity_mappings`); n != 0 {
		t.Errorf("mappings after an engineer's attempts: got %d, want 0", n)
	}
	if n := a.count(`SELECT count(*) FROM principals WHERE email = 'x@example.com'`); n != 0 {
		t.Error("an engineer's directory upload was applied")
	}

	admin, _ := a.signIn("admin@example.com")
	resp, body := a.get(admin, "/admin")
	if resp.StatusCode != http.StatusOK || !hasTestID(body, "admin-links") {
		t.Errorf("GET /admin as the admin: got %d without the links", resp.StatusCode)
	}
}

func TestAdminPeople(t *testing.T) {
	a := newTestApp(t)
	admin, csrf := a.signIn("admin@example.com")

	t.Run("lists_people_with_managers_and_cost_centers", func(t *testing.T) {
		_, body := a.get(admin, "/admin/people?q=eng%40example.com")
		if got, _ := testID(body, "person-manager"); got != "manager@example.com" {
			t.Errorf("eng's manager: got %q, want manager@example.com", got)
		}
		if n := strings.Count(body, `data-testid="person-row"`); n != 1 {
			t.Errorf("rows for the search: got %d, want 1", n)
		}
	})

	t.Run("applies_a_directory", func(t *testing.T) {
		csv := "email,name,manager_email,cost_center\n" +
			"new@example.com,Nia New,manager@example.com,cc-new\n"
		resp, _ := a.postMultipart(noRedirect(admin), "/admin/people/directory", csrf,
			filePart("people.csv", csv))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM principals p JOIN principals m
			ON m.id = p.manager_id WHERE p.email = 'new@example.com'
			AND p.cost_center = 'cc-new' AND m.email = 'manager@example.com'`); n != 1 {
			t.Errorf("new person with manager and cost center: got %d, want 1", n)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'directory.upload'
			AND actor = 'admin@example.com'`); n != 1 {
			t.Errorf("directory.upload entries by the admin: got %d, want 1", n)
		}
		_, body := a.get(admin, resp.Header.Get("Location"))
		if !hasTestID(body, "notice") || !strings.Contains(body, "1 person added or updated") {
			t.Error("no confirmation of the upload")
		}
	})

	t.Run("changes_nothing_when_a_line_is_wrong", func(t *testing.T) {
		audits := a.count(`SELECT count(*) FROM audit_log`)
		csv := "email,name,cost_center\n" +
			"good@example.com,Gus Good,cc-1\n" +
			"not-an-email,Bad Line,cc-1\n" +
			"eng@example.com,Erin Park,moved\n"
		resp, body := a.postMultipart(admin, "/admin/people/directory", csrf,
			filePart("people.csv", csv))
		if resp.StatusCode != http.StatusBadRequest || !hasTestID(body, "error-summary") {
			t.Fatalf("got %d, want 400 with an error summary", resp.StatusCode)
		}
		if !strings.Contains(body, "Line 3: ") ||
			!strings.Contains(body, `href="#directory_file"`) {
			t.Error("the summary does not name line 3 or link to the file field")
		}
		if n := a.count(`SELECT count(*) FROM principals
			WHERE email = 'good@example.com'`); n != 0 {
			t.Error("a good line of a bad upload was applied")
		}
		if n := a.count(`SELECT count(*) FROM principals WHERE cost_center = 'moved'`); n != 0 {
			t.Error("an existing person was changed by a bad upload")
		}
		if n := a.count(`SELECT count(*) FROM audit_log`); n != audits {
			t.Errorf("audit entries: got %d, want %d", n, audits)
		}
	})
}

func TestAdminMappings(t *testing.T) {
	a := newTestApp(t)
	admin, csrf := a.signIn("admin@example.com")
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf_token": {csrf}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	t.Run("creates_a_mapping_and_audits_it", func(t *testing.T) {
		resp, _ := a.post(noRedirect(admin), "/admin/mappings", form("kind", "os_user",
			"value", "erin", "host", "build-02", "principal_email", "ENG@example.com",
			"valid_from", "2026-01-01"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM identity_mappings m JOIN principals p
			ON p.id = m.principal_id JOIN principals c ON c.id = m.created_by
			WHERE m.kind = 'os_user' AND m.value = 'erin' AND m.host = 'build-02'
			AND p.email = 'eng@example.com' AND c.email = 'admin@example.com'
			AND m.valid_from = '2026-01-01T00:00:00Z' AND m.valid_to IS NULL`); n != 1 {
			t.Errorf("stored mappings: got %d, want 1", n)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'mapping.create'
			AND actor = 'admin@example.com' AND subject LIKE 'identity_mapping:%'
			AND details->>'principal' = 'eng@example.com'`); n != 1 {
			t.Errorf("mapping.create entries: got %d, want 1", n)
		}
		_, body := a.get(admin, resp.Header.Get("Location"))
		if got, _ := testID(body, "mapping-principal"); got != "eng@example.com" {
			t.Errorf("listed principal: got %q, want eng@example.com", got)
		}
		if !hasTestID(body, "notice") || !hasTestID(body, "mappings-write-time") {
			t.Error("no confirmation, or no word that mappings apply from now on")
		}
	})

	t.Run("shows_every_problem_beside_its_field", func(t *testing.T) {
		resp, body := a.post(admin, "/admin/mappings", form("kind", "api_key_id",
			"value", "key-1", "host", "build-02", "principal_email", "nobody@example.com",
			"valid_from", "2026-02-30", "valid_to", "soon"))
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("got %d, want 400", resp.StatusCode)
		}
		for _, f := range []string{"host", "principal_email", "valid_from", "valid_to"} {
			if !strings.Contains(body, `href="#`+f+`"`) ||
				!strings.Contains(body, `id="`+f+`-error"`) {
				t.Errorf("no error for %s in the summary and beside the field", f)
			}
		}
		if !strings.Contains(body, `value="key-1"`) || !strings.Contains(body, `value="soon"`) {
			t.Error("the input is not kept after an error")
		}
		_, body = a.post(admin, "/admin/mappings", form("value", "x",
			"principal_email", "eng@example.com"))
		if !strings.Contains(body, `id="kind-error"`) {
			t.Error("a missing kind is not reported")
		}
	})

	t.Run("refuses_an_overlapping_mapping", func(t *testing.T) {
		resp, body := a.post(admin, "/admin/mappings", form("kind", "os_user",
			"value", "erin", "host", "build-02", "principal_email", "eng2@example.com",
			"valid_from", "2026-06-01"))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already maps") {
			t.Errorf("got %d, want 400 saying it already maps", resp.StatusCode)
		}
		resp, _ = a.post(noRedirect(admin), "/admin/mappings", form("kind", "os_user",
			"value", "erin", "host", "build-03", "principal_email", "eng2@example.com"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the same user on another host: got %d, want 303", resp.StatusCode)
		}
	})

	t.Run("deletes_a_mapping_and_audits_it", func(t *testing.T) {
		var id int64
		a.pool.QueryRow(context.Background(),
			`SELECT id FROM identity_mappings WHERE host = 'build-03'`).Scan(&id)
		resp, _ := a.post(noRedirect(admin), fmt.Sprintf("/admin/mappings/%d/delete", id),
			form())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM identity_mappings WHERE id = $1`, id); n != 0 {
			t.Error("the mapping is still there")
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'mapping.delete'
			AND subject = $1 AND details->>'host' = 'build-03'`,
			fmt.Sprintf("identity_mapping:%d", id)); n != 1 {
			t.Errorf("mapping.delete entries: got %d, want 1", n)
		}
		resp, _ = a.post(admin, fmt.Sprintf("/admin/mappings/%d/delete", id), form())
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("deleting it again: got %d, want 404", resp.StatusCode)
		}
	})

	t.Run("uploads_a_csv_all_or_nothing", func(t *testing.T) {
		before := a.count(`SELECT count(*) FROM identity_mappings`)
		bad := "kind,value,host,principal_email,valid_from,valid_to\n" +
			"gateway_user,sam,,eng3@example.com,,\n" +
			"teleport,x,,eng3@example.com,,\n" +
			"api_key_id,key-9,,ghost@example.com,,\n"
		resp, body := a.postMultipart(admin, "/admin/mappings/csv", csrf, filePart("m.csv", bad))
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad CSV: got %d, want 400", resp.StatusCode)
		}
		if !strings.Contains(body, "Line 3: ") || !strings.Contains(body, "Line 4: ") {
			t.Error("the summary does not name lines 3 and 4")
		}
		if n := a.count(`SELECT count(*) FROM identity_mappings`); n != before {
			t.Errorf("mappings after a bad CSV: got %d, want %d", n, before)
		}

		good := "kind,value,principal_email,valid_to\n" +
			"gateway_user,sam,eng3@example.com,2027-01-01\n" +
			"iam_arn,arn:aws:iam::1:role/ci,eng2@example.com,\n"
		resp, _ = a.postMultipart(noRedirect(admin), "/admin/mappings/csv", csrf,
			filePart("m.csv", good))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("good CSV: got %d, want 303", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM identity_mappings`); n != before+2 {
			t.Errorf("mappings after a good CSV: got %d, want %d", n, before+2)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'mapping.upload'
			AND (details->>'mappings')::int = 2`); n != 1 {
			t.Errorf("mapping.upload entries: got %d, want 1", n)
		}
	})

	t.Run("attributes_imports_from_then_on", func(t *testing.T) {
		a.startImportWorkers()
		secret := a.apiToken("admin@example.com", token.ScopeImport)
		ct, body := multipartBody(t, textPart("host", "build-02"), textPart("os_user", "erin"),
			filePart("shared.jsonl", readSharedFixture(t, oneCallFile)))
		resp, answer := a.postAPI(secret, "/api/v1/imports", ct, strings.NewReader(string(body)))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("upload: got %d: %s", resp.StatusCode, answer)
		}
		a.waitImport(importID(t, answer))
		if n := a.count(`SELECT count(*) FROM usage_events e JOIN principals p
			ON p.id = e.principal_id WHERE p.email = 'eng@example.com'
			AND e.attribution = 'mapped'`); n != 1 {
			t.Errorf("events mapped to eng from build-02/erin: got %d, want 1", n)
		}
	})
}

func TestAdminModels(t *testing.T) {
	a := newTestApp(t)
	_, err := pricing.NewService(a.pool, time.UTC).EnsureDefault(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	admin, csrf := a.signIn("admin@example.com")

	t.Run("lists_models_with_prices_per_million_tokens", func(t *testing.T) {
		_, body := a.get(admin, "/admin/models?q=claude-opus-4-6&provider=anthropic")
		row := regexp.MustCompile(
			`(?s)<code data-testid="model-key">claude-opus-4-6</code>.*?</tr>`).FindString(body)
		if row == "" {
			t.Fatal("no row for claude-opus-4-6")
		}
		want := map[string]string{"model-input": "$5.00", "model-output": "$25.00"}
		for tid, want := range want {
			if got, _ := testID(row, tid); got != want {
				t.Errorf("%s: got %q, want %q", tid, got, want)
			}
		}
		if !strings.Contains(row, `<option value="premium" selected>`) {
			t.Error("claude-opus-4-6 is not shown as premium")
		}
		if !strings.Contains(body, "<code>*claude-opus*</code>") {
			t.Error("the premium patterns are not shown")
		}
	})

	t.Run("sets_a_tier_and_audits_it", func(t *testing.T) {
		resp, _ := a.post(noRedirect(admin), "/admin/models/tier", url.Values{
			"csrf_token": {csrf}, "model_key": {"claude-opus-4-6"}, "tier": {"standard"},
			"back": {"q=opus&page=2"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/models?") ||
			!strings.Contains(loc, "q=opus") || !strings.Contains(loc, "page=2") {
			t.Fatalf("got %d to %q, want 303 back to the list it came from", resp.StatusCode, loc)
		}
		if n := a.count(`SELECT count(*) FROM model_tiers t JOIN principals p ON p.id = t.set_by
			WHERE t.model_key = 'claude-opus-4-6' AND t.tier = 'standard'
			AND p.email = 'admin@example.com'`); n != 1 {
			t.Errorf("tier set by the admin: got %d, want 1", n)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'model.set_tier'
			AND subject = 'model:claude-opus-4-6' AND details->>'from' = 'premium'
			AND details->>'to' = 'standard'`); n != 1 {
			t.Errorf("model.set_tier entries: got %d, want 1", n)
		}
	})

	t.Run("refuses_a_bad_tier_or_an_unknown_model", func(t *testing.T) {
		resp, _ := a.post(admin, "/admin/models/tier", url.Values{"csrf_token": {csrf},
			"model_key": {"claude-opus-4-6"}, "tier": {"gold"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("tier gold: got %d, want 400", resp.StatusCode)
		}
		resp, _ = a.post(admin, "/admin/models/tier", url.Values{"csrf_token": {csrf},
			"model_key": {"no-such-model"}, "tier": {"premium"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown model: got %d, want 404", resp.StatusCode)
		}
	})

	t.Run("loads_a_price_table", func(t *testing.T) {
		table := `{"tally-test-model": {"litellm_provider": "openai", "mode": "chat",
			"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}}`
		resp, _ := a.postMultipart(noRedirect(admin), "/admin/models/prices", csrf,
			textPart("effective_from", "2026-03-01"), filePart("prices.json", table))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM prices WHERE model_key = 'tally-test-model'
			AND source LIKE 'upload prices.json%'`); n != 1 {
			t.Errorf("stored prices of the new model: got %d, want 1", n)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'prices.load'
			AND actor = 'admin@example.com'`); n != 1 {
			t.Errorf("prices.load entries by the admin: got %d, want 1", n)
		}
		_, body := a.get(admin, resp.Header.Get("Location"))
		if !hasTestID(body, "notice") || !strings.Contains(body, "Prices loaded: 1 model added") {
			t.Error("no confirmation of the load")
		}
	})

	t.Run("explains_a_bad_table_or_date", func(t *testing.T) {
		versions := a.count(`SELECT count(*) FROM prices`)
		resp, body := a.postMultipart(admin, "/admin/models/prices", csrf,
			textPart("effective_from", "2026-03-01"), filePart("prices.json", "{not json"))
		if resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, `id="prices_file-error"`) {
			t.Errorf("bad JSON: got %d, want 400 beside the file field", resp.StatusCode)
		}
		resp, body = a.postMultipart(admin, "/admin/models/prices", csrf,
			textPart("effective_from", "March"), filePart("prices.json", "{}"))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="March"`) {
			t.Errorf("bad date: got %d, want 400 keeping the date typed", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM prices`); n != versions {
			t.Errorf("price versions: got %d, want %d", n, versions)
		}
	})
}
