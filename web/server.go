// Package web serves tally's pages and API: routes, middleware and
// handlers. Handlers call the services in internal/* and render the templ
// components in web/ui; nothing here speaks to the database directly.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tallyhq/tally/internal/attribution"
	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/internal/auth/devoidc"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/directory"
	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/internal/spend"
	"github.com/tallyhq/tally/internal/token"
	"github.com/tallyhq/tally/static"
)

// Deps are what a Server needs. Dev is the development OIDC provider, only
// in development mode; with it the chooser page is served.
type Deps struct {
	Logger *slog.Logger
	Config *config.Config
	Auth   *auth.Service
	Tokens *token.Service
	// Ready reports whether tally can serve: the database answers and no
	// migration is pending. GET /readyz calls it.
	Ready func(context.Context) error
	Dev   *devoidc.Provider
	// Now is the clock; time.Now if nil.
	Now func() time.Time

	// Imports, Prices, Mappings and Directory serve the imports and admin
	// pages and the import API.
	Imports   *batch.Service
	Prices    *pricing.Service
	Mappings  *attribution.Service
	Directory *directory.Service

	// Spend serves My spend, Usage and Unattributed.
	Spend *spend.Service
}

// Server holds the handlers' dependencies and the routes.
type Server struct {
	log    *slog.Logger
	cfg    *config.Config
	auth   *auth.Service
	tokens *token.Service
	ready  func(context.Context) error
	dev    *devoidc.Provider
	now    func() time.Time

	imports   *batch.Service
	prices    *pricing.Service
	mappings  *attribution.Service
	directory *directory.Service

	spend *spend.Service

	mux    *http.ServeMux
	origin *http.CrossOriginProtection
	csp    string
}

// New returns a Server with every route registered. It refuses a
// development provider outside development mode.
func New(d Deps) (*Server, error) {
	if d.Logger == nil || d.Config == nil || d.Auth == nil || d.Tokens == nil || d.Ready == nil {
		return nil, errors.New("web: logger, config, auth, tokens and ready are required")
	}
	if d.Dev != nil && !d.Config.Dev {
		return nil, devoidc.ErrNotDevelopment
	}
	s := &Server{
		log:    d.Logger,
		cfg:    d.Config,
		auth:   d.Auth,
		tokens: d.Tokens,
		ready:  d.Ready,
		dev:    d.Dev,
		now:    d.Now,

		imports:   d.Imports,
		prices:    d.Prices,
		mappings:  d.Mappings,
		directory: d.Directory,

		spend: d.Spend,

		mux:    http.NewServeMux(),
		origin: http.NewCrossOriginProtection(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.csp = contentSecurityPolicy(d.Dev)
	s.routes()
	return s, nil
}

// Routes returns the handler for every request: the routes behind the
// middleware that all requests pass.
func (s *Server) Routes() http.Handler {
	var h http.Handler = s.mux
	h = s.checkText(h)
	h = s.checkCSRF(h)
	h = s.loadSession(h)
	h = s.checkOrigin(h)
	h = s.secureHeaders(h)
	h = s.recoverPanic(h)
	h = s.logRequest(h)
	return s.requestID(h)
}

func (s *Server) routes() {
	// Probes and assets
	s.handlePublic("GET /healthz", s.showHealth)
	s.handlePublic("GET /readyz", s.showReadiness)
	s.mux.Handle("GET "+static.Prefix+"{hash}/{name}", static.Handler())

	// Sign-in
	s.handlePublic("GET /auth/login", s.startLogin)
	s.handlePublic("GET /auth/callback", s.finishLogin)
	s.handlePublic("POST /auth/logout", s.logout)
	s.handlePublic("GET /signed-out", s.showSignedOutPage)
	if s.dev != nil {
		s.handlePublic("GET "+devoidc.ChooserPath, s.showDevLoginPage)
	}

	// Pages
	s.handlePublic("GET /{$}", s.showHome)

	// Tokens
	s.handle("GET /tokens", s.showTokensPage)
	s.handle("POST /tokens", s.createToken)
	s.handle("POST /tokens/{id}/revoke", s.revokeToken)
	s.handle("GET /admin/tokens", s.showAdminTokensPage, config.RoleAdmin)
	s.handle("POST /admin/tokens/{id}/revoke", s.revokeToken, config.RoleAdmin)

	// Spend
	s.handle("GET /spend", s.showSpendPage)
	s.handle("GET /spend/sessions/{id}", s.showSessionPage)
	s.handle("GET /usage", s.showUsagePage,
		config.RoleFinance, config.RoleInvestigator, config.RoleAdmin)
	s.handle("GET /usage.csv", s.downloadUsage,
		config.RoleFinance, config.RoleInvestigator, config.RoleAdmin)
	s.handle("GET /unattributed", s.showUnattributedPage, config.RoleInvestigator, config.RoleAdmin)
	s.handle("GET /unattributed/events", s.showClusterEventsPage, config.RoleInvestigator,
		config.RoleAdmin)

	// Imports
	s.handle("GET /imports", s.showImportsPage)
	s.handle("GET /imports/new", s.showNewImportPage)
	s.handle("POST /imports", s.createImport)
	s.handle("GET /imports/{id}", s.showImportPage)

	// Admin
	s.handle("GET /admin", s.showAdminPage, config.RoleAdmin)
	s.handle("GET /admin/people", s.showPeoplePage, config.RoleAdmin)
	s.handle("POST /admin/people/directory", s.uploadDirectory, config.RoleAdmin)
	s.handle("GET /admin/mappings", s.showMappingsPage, config.RoleAdmin)
	s.handle("POST /admin/mappings", s.createMapping, config.RoleAdmin)
	s.handle("POST /admin/mappings/{id}/delete", s.deleteMapping, config.RoleAdmin)
	s.handle("POST /admin/mappings/csv", s.uploadMappings, config.RoleAdmin)
	s.handle("GET /admin/models", s.showModelsPage, config.RoleAdmin)
	s.handle("POST /admin/models/tier", s.setModelTier, config.RoleAdmin)
	s.handle("POST /admin/models/prices", s.uploadPrices, config.RoleAdmin)

	// API
	s.handleAPI("GET /api/v1/me", s.showMe, token.ScopeImport)
	s.handleAPI("POST /api/v1/imports", s.createImportAPI, token.ScopeImport)
	s.handleAPI("GET /api/v1/imports/{id}", s.showImportAPI, token.ScopeImport)
	s.mux.HandleFunc("/api/", s.apiNotFound)

	s.mux.HandleFunc("/", s.notFound)
}

// handle registers a route for signed-in people. With roles, only people
// who hold at least one of them may use it (principal.RoleManager counts
// anyone with reports); others get 403. Someone not signed in is sent to
// sign in and brought back.
func (s *Server) handle(pattern string, h http.HandlerFunc, roles ...string) {
	s.mux.Handle(pattern, s.requireRole(roles, h))
}

// handlePublic registers a route that needs no sign-in.
func (s *Server) handlePublic(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, h)
}

// handleAPI registers an API route, under /api/, for requests with an
// "Authorization: Bearer tly_…" token that allows scope (an admin token
// allows every scope). With roles, the token's owner must hold one of them.
// The handler finds the principal with principalFrom and the token with
// apiTokenFrom.
func (s *Server) handleAPI(pattern string, h http.HandlerFunc, scope string, roles ...string) {
	if _, path, _ := strings.Cut(pattern, " "); !strings.HasPrefix(path, "/api/") {
		panic("web: API route outside /api/: " + pattern)
	}
	s.mux.Handle(pattern, s.requireToken(scope, roles, h))
}

// contentSecurityPolicy allows the site's own resources only. In
// development the chooser's forms go to the dev provider, so form-action
// names it too.
func contentSecurityPolicy(dev *devoidc.Provider) string {
	formAction := "'self'"
	if dev != nil {
		formAction += " " + dev.Origin()
	}
	return "default-src 'self'; base-uri 'none'; object-src 'none'; " +
		"frame-ancestors 'none'; form-action " + formAction
}
