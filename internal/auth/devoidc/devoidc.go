// Package devoidc runs a real OpenID Connect provider inside tally for
// development and tests, so that sign-in there takes the production code
// path: discovery, the authorization code flow with PKCE, a signed ID token.
// The only difference is who signs in: instead of asking for a password the
// provider sends the browser to tally's chooser page (/dev/login), which
// offers the demo people and comes back with the chosen one as login_hint.
//
// It listens on a loopback address only, and Start refuses to run unless
// tally is in development mode.
package devoidc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/tallyhq/tally/internal/config"
)

// ChooserPath is where tally serves the page to choose whom to sign in as.
const ChooserPath = "/dev/login"

// HintParam carries the chosen person's email to the authorize endpoint.
const HintParam = "login_hint"

// Person is a demo person the provider can sign in, with what the directory
// knows of them.
type Person struct {
	Email        string
	Name         string
	Subject      string   // the ID token's sub
	Groups       []string // the groups claim
	CostCenter   string
	ManagerEmail string // "" for none
	Role         string // a short description for the chooser page
}

// People returns the demo people, managers before their reports.
func People() []Person {
	return []Person{
		{Email: "manager@example.com", Name: "Morgan Lee", Subject: "demo-manager",
			CostCenter: "eng-platform", Role: "Engineering manager"},
		{Email: "eng@example.com", Name: "Erin Park", Subject: "demo-eng",
			CostCenter: "eng-platform", ManagerEmail: "manager@example.com",
			Role: "Engineer"},
		{Email: "eng2@example.com", Name: "Dev Okafor", Subject: "demo-eng2",
			CostCenter: "eng-platform", ManagerEmail: "manager@example.com",
			Role: "Engineer"},
		{Email: "eng3@example.com", Name: "Sam Rivera", Subject: "demo-eng3",
			CostCenter: "eng-data", ManagerEmail: "manager@example.com",
			Role: "Engineer"},
		{Email: "finance@example.com", Name: "Fran Ng", Subject: "demo-finance",
			Groups: []string{"finance"}, CostCenter: "finance", Role: "Finance"},
		{Email: "security@example.com", Name: "Sid Kaur", Subject: "demo-security",
			Groups: []string{"security"}, CostCenter: "security",
			Role: "Security investigator"},
		{Email: "admin@example.com", Name: "Alex Admin", Subject: "demo-admin",
			Groups: []string{"admin"}, CostCenter: "it", Role: "Administrator"},
	}
}

// ErrNotDevelopment is returned by Start outside development mode.
var ErrNotDevelopment = errors.New("the development OIDC provider runs only in " +
	"development mode (TALLY_DEV=true or serve --dev); configure TALLY_OIDC_ISSUER " +
	"for a real provider")

// Provider is a running development OIDC provider.
type Provider struct {
	mock        *mockoidc.MockOIDC
	people      []Person
	chooserURL  string
	redirectURL string

	// mu serialises requests: mockoidc keeps its sessions in a plain map,
	// and the user a request signs in is handed over through a queue.
	mu sync.Mutex
}

// Start runs a provider on addr, which must be a loopback address
// ("127.0.0.1:0" picks a free port). The provider sends browsers to
// cfg.BaseURL's chooser page and accepts only cfg.OIDC.RedirectURL. It
// returns ErrNotDevelopment unless cfg.Dev is set.
func Start(cfg *config.Config, addr string) (*Provider, error) {
	if !cfg.Dev {
		return nil, ErrNotDevelopment
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	mock, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, fmt.Errorf("new dev oidc provider: %w", err)
	}
	mock.CodeChallengeMethodsSupported = []string{"S256"}

	p := &Provider{
		mock:        mock,
		people:      People(),
		chooserURL:  cfg.BaseURL + ChooserPath,
		redirectURL: cfg.OIDC.RedirectURL,
	}
	if err := mock.AddMiddleware(p.serialise); err != nil {
		return nil, fmt.Errorf("dev oidc middleware: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for dev oidc provider: %w", err)
	}
	if err := mock.Start(ln, nil); err != nil {
		ln.Close()
		return nil, fmt.Errorf("start dev oidc provider: %w", err)
	}
	return p, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dev oidc address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dev oidc address %q: must be a loopback address", addr)
	}
	return nil
}

// Close stops the provider.
func (p *Provider) Close() error {
	return p.mock.Shutdown()
}

// Issuer returns the provider's issuer URL.
func (p *Provider) Issuer() string { return p.mock.Issuer() }

// AuthorizeURL returns the provider's authorization endpoint, the action of
// the chooser page's forms.
func (p *Provider) AuthorizeURL() string { return p.mock.AuthorizationEndpoint() }

// Origin returns the provider's scheme and host, for the pages' CSP.
func (p *Provider) Origin() string { return p.mock.Addr() }

// People returns the people the provider can sign in.
func (p *Provider) People() []Person { return slices.Clone(p.people) }

// Configure returns o pointed at this provider: its issuer, client ID and
// client secret.
func (p *Provider) Configure(o config.OIDC) config.OIDC {
	o.Issuer = p.mock.Issuer()
	o.ClientID = p.mock.ClientID
	o.ClientSecret = p.mock.ClientSecret
	return o
}

// SetClockSkew moves the provider's clock by d, so that tests can have it
// issue tokens that are already expired.
func (p *Provider) SetClockSkew(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mock.FastForward(d - p.mock.FastForward(0))
}

// serialise runs one provider request at a time. An authorization request
// without a known login_hint is sent to the chooser page with its
// parameters; one with a hint queues that person and goes on to mockoidc's
// handler, which takes them from the queue.
func (p *Provider) serialise(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()

		if r.URL.Path != mockoidc.AuthorizationEndpoint {
			next.ServeHTTP(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		if got := r.Form.Get("redirect_uri"); got != p.redirectURL {
			http.Error(w, "unknown redirect_uri", http.StatusBadRequest)
			return
		}
		person, ok := p.person(r.Form.Get(HintParam))
		if !ok {
			q := url.Values{}
			for k, v := range r.Form {
				if k != HintParam {
					q[k] = v
				}
			}
			http.Redirect(w, r, p.chooserURL+"?"+q.Encode(), http.StatusFound)
			return
		}
		p.mock.QueueUser(user{person})
		next.ServeHTTP(w, r)
	})
}

func (p *Provider) person(email string) (Person, bool) {
	i := slices.IndexFunc(p.people, func(x Person) bool { return x.Email == email })
	if i < 0 {
		return Person{}, false
	}
	return p.people[i], true
}

// user is a Person as mockoidc's User: its ID token carries email, name and
// groups whatever the scopes.
type user struct{ Person }

type claims struct {
	*mockoidc.IDTokenClaims
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
}

func (u user) ID() string { return u.Subject }

func (u user) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"sub":    u.Subject,
		"email":  u.Email,
		"name":   u.Name,
		"groups": u.Groups,
	})
}

func (u user) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &claims{
		IDTokenClaims: base,
		Email:         u.Email,
		EmailVerified: true,
		Name:          u.Name,
		Groups:        slices.Clone(u.Groups),
	}, nil
}
