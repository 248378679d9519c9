package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/internal/config"
)

// discovery serves an OpenID provider's discovery document with
// endSession (a path) as its end_session_endpoint, or none when "".
func discovery(t *testing.T, endSession string) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]string{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys"}
		if endSession != "" {
			doc["end_session_endpoint"] = srv.URL + endSession
		}
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestProviderLogoutURL(t *testing.T) {
	ctx := context.Background()
	const back = "https://tally.example.com/signed-out"
	issuer := discovery(t, "/logout?tenant=t1")
	svc := auth.New(auth.Deps{Config: &config.Config{OIDC: config.OIDC{Issuer: issuer,
		ClientID: "tally"}}})
	want := issuer + "/logout?client_id=tally&post_logout_redirect_uri=" +
		"https%3A%2F%2Ftally.example.com%2Fsigned-out&tenant=t1"
	if got := svc.ProviderLogoutURL(ctx, back); got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	none := auth.New(auth.Deps{Config: &config.Config{OIDC: config.OIDC{
		Issuer: discovery(t, ""), ClientID: "tally"}}})
	if got := none.ProviderLogoutURL(ctx, back); got != "" {
		t.Errorf("a provider without end_session_endpoint: got %q, want none", got)
	}
	down := auth.New(auth.Deps{Config: &config.Config{OIDC: config.OIDC{
		Issuer: "http://127.0.0.1:1", ClientID: "tally"}}})
	if got := down.ProviderLogoutURL(ctx, back); got != "" {
		t.Errorf("a provider that cannot be reached: got %q, want none", got)
	}
}
