package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/attribution"
	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/internal/auth/devoidc"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/directory"
	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/spend"
	"github.com/tallyhq/tally/internal/testdb"
	"github.com/tallyhq/tally/internal/token"
)

// testApp is tally's web server on a fresh database, signing in through the
// in-process development provider.
type testApp struct {
	t       *testing.T
	pool    *pgxpool.Pool
	cfg     *config.Config
	clock   *clock
	logs    *logBuffer
	dev     *devoidc.Provider
	auth    *auth.Service
	tokens  *token.Service
	server  *Server
	httpSrv *httptest.Server
	base    string
}

// clock is the real time moved by an offset the test controls.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log records whose msg is msg.
func (b *logBuffer) lines(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(b.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// newTestApp starts the app; extra registers further routes before it
// serves, as the lead's pages would.
func newTestApp(t *testing.T, extra ...func(*Server)) *testApp {
	t.Helper()
	pool := testdb.New(t)

	httpSrv := httptest.NewUnstartedServer(nil)
	base := "http://" + httpSrv.Listener.Addr().String()
	cfg := &config.Config{
		Dev:            true,
		BaseURL:        base,
		SessionTTL:     12 * time.Hour,
		TokenTTL:       90 * 24 * time.Hour,
		UploadMaxBytes: 64 << 20,
		BillingZone:    time.UTC,
		OIDC: config.OIDC{
			RedirectURL: base + "/auth/callback",
			Scopes:      []string{"openid", "email", "profile"},
			GroupsClaim: "groups",
			RoleGroups: map[string][]string{
				config.RoleAdmin:        {"admin"},
				config.RoleFinance:      {"finance"},
				config.RoleInvestigator: {"security"},
			},
		},
	}
	dev, err := devoidc.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("start dev provider: %v", err)
	}
	t.Cleanup(func() { dev.Close() })
	cfg.OIDC = dev.Configure(cfg.OIDC)

	a := &testApp{t: t, pool: pool, cfg: cfg, clock: &clock{}, logs: &logBuffer{},
		dev: dev, httpSrv: httpSrv, base: base}
	log := slog.New(slog.NewJSONHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a.auth = auth.New(auth.Deps{Pool: pool, Config: cfg, Now: a.clock.Now})
	a.tokens = token.New(token.Deps{Pool: pool, TTL: cfg.TokenTTL, Now: a.clock.Now})
	a.server, err = New(Deps{
		Logger: log,
		Config: cfg,
		Auth:   a.auth,
		Tokens: a.tokens,
		Ready:  func(ctx context.Context) error { return ready(ctx, pool) },
		Dev:    dev,
		Now:    a.clock.Now,

		Imports:   batch.NewService(pool, insertOnlyRiver(t, pool), cfg.UploadMaxBytes),
		Prices:    pricing.NewService(pool, time.UTC),
		Mappings:  attribution.NewService(pool),
		Directory: directory.NewService(pool),

		Spend: spend.NewService(pool, time.UTC),
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	for _, f := range extra {
		f(a.server)
	}
	httpSrv.Config.Handler = a.server.Routes()
	httpSrv.Start()
	t.Cleanup(httpSrv.Close)

	a.seed()
	return a
}

// ready is what cmd/tally wires as Deps.Ready.
func ready(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	n, err := db.Pending(ctx, pool)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d migrations pending", n)
	}
	return nil
}

// seed creates the demo people with their cost centers and managers, as
// the directory import does.
func (a *testApp) seed() {
	a.t.Helper()
	ctx := context.Background()
	for _, p := range devoidc.People() {
		_, err := a.pool.Exec(ctx, `INSERT INTO principals (email, name, cost_center, manager_id)
			VALUES ($1, $2, $3, (SELECT id FROM principals WHERE email = $4))`,
			p.Email, p.Name, p.CostCenter, p.ManagerEmail)
		if err != nil {
			a.t.Fatalf("seed %s: %v", p.Email, err)
		}
	}
}

// browser is a client with its own cookie jar, like one browser profile.
func (a *testApp) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// noRedirect returns c that stops at the first redirect.
func noRedirect(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// get fetches path (or a full URL) and returns the response and its body.
func (a *testApp) get(c *http.Client, target string) (*http.Response, string) {
	a.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = a.base + target
	}
	resp, err := c.Get(target)
	if err != nil {
		a.t.Fatalf("GET %s: %v", target, err)
	}
	return resp, readBody(a.t, resp)
}

// post sends form to path with the headers a same-origin browser form has.
func (a *testApp) post(c *http.Client, path string, form url.Values) (*http.Response, string) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return a.do(c, req)
}

func (a *testApp) do(c *http.Client, req *http.Request) (*http.Response, string) {
	a.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp, readBody(a.t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// chooseUntilCallback starts a sign-in in c, picks email on the chooser page
// and returns the callback URL the provider sends the browser to, without
// following it.
func (a *testApp) chooseUntilCallback(c *http.Client, email string) *url.URL {
	a.t.Helper()
	return a.chooseUntilCallbackWith(c, "/spend", email, nil)
}

// chooseUntilCallbackWith is chooseUntilCallback starting from the page at
// start, with edit (if not nil) applied to the chooser form's fields before
// they are sent.
func (a *testApp) chooseUntilCallbackWith(c *http.Client, start, email string, edit func(url.Values)) *url.URL {
	a.t.Helper()
	resp, body := a.get(c, start)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != devoidc.ChooserPath {
		a.t.Fatalf("GET %s signed out: got %d at %s, want the chooser page",
			start, resp.StatusCode, resp.Request.URL)
	}
	action, fields := chooserForm(a.t, body, email)
	if edit != nil {
		edit(fields)
	}

	resp, _ = a.get(noRedirect(c), action+"?"+fields.Encode())
	if resp.StatusCode != http.StatusFound {
		a.t.Fatalf("provider authorize: got %d, want 302", resp.StatusCode)
	}
	cb, err := resp.Location()
	if err != nil || cb.Path != "/auth/callback" {
		a.t.Fatalf("provider authorize: redirect to %v (%v), want /auth/callback", cb, err)
	}
	return cb
}

// login signs email in with c, the whole way, and returns the page it lands
// on.
func (a *testApp) login(c *http.Client, email string) (*http.Response, string) {
	a.t.Helper()
	cb := a.chooseUntilCallback(c, email)
	resp, body := a.get(c, cb.String())
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("sign in %s: got %d at %s: %s", email, resp.StatusCode, resp.Request.URL, body)
	}
	return resp, body
}

// chooserForm finds the chooser's form for email: its action and fields.
func chooserForm(t *testing.T, page, email string) (string, url.Values) {
	t.Helper()
	re := regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*data-testid="dev-person-` +
		regexp.QuoteMeta(email) + `"[^>]*>(.*?)</form>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("chooser page has no form for %s", email)
	}
	fields := url.Values{}
	inputs := regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
	for _, in := range inputs.FindAllStringSubmatch(m[2], -1) {
		fields.Add(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return html.UnescapeString(m[1]), fields
}

// csrfToken returns the CSRF token in page's forms.
func csrfToken(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page has no csrf_token field")
	}
	return m[1]
}

// testID returns the text of the first element with data-testid id.
func testID(page, id string) (string, bool) {
	re := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

func hasTestID(page, id string) bool {
	return strings.Contains(page, `data-testid="`+id+`"`)
}

// sessionToken returns the session cookie c holds for the app.
func (a *testApp) sessionToken(c *http.Client) string {
	a.t.Helper()
	u, _ := url.Parse(a.base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// count runs a COUNT(*) query.
func (a *testApp) count(query string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		a.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (a *testApp) principals() *principal.Service {
	return principal.NewService(a.pool)
}

func newRecorder() *httptest.ResponseRecorder {
	return httptest.NewRecorder()
}

// TestCheckText checks that text no page can use gets a 400, not a 500.
func TestCheckText(t *testing.T) {
	a := newTestApp(t)
	c := a.browser()
	a.login(c, "admin@example.com")
	for _, target := range []string{"/usage?model=%00", "/usage?cost_center=%c3%28",
		"/admin/people?q=%ff%fe", "/spend/sessions/%00"} {
		resp, _ := a.get(c, target)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: got %d, want 400", target, resp.StatusCode)
		}
	}
	resp, _ := a.get(c, "/usage?model=gpt-5")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /usage?model=gpt-5: got %d, want 200", resp.StatusCode)
	}
}
