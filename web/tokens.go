package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/token"
	"github.com/tallyhq/tally/web/ui"
)

// showTokensPage lists the viewer's tokens with the form to create one.
func (s *Server) showTokensPage(w http.ResponseWriter, r *http.Request) {
	s.renderTokensPage(w, r, http.StatusOK, ui.TokensView{})
}

// createToken makes a token for the viewer and shows its secret, once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	form := ui.TokenForm{Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope")}

	created, err := s.tokens.Create(r.Context(), p.Actor(), p, form.Name, form.Scope)
	if v, ok := fault.AsInvalid(err); ok {
		form.Errors = []ui.FieldError{{Field: v.Field, Message: v.Message}}
		s.renderTokensPage(w, r, http.StatusBadRequest, ui.TokensView{Form: form})
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	s.renderTokensPage(w, r, http.StatusOK, ui.TokensView{Created: &ui.CreatedToken{
		Name:    created.Token.Name,
		Secret:  created.Secret,
		Expires: formatTime(created.Token.ExpiresAt),
	}})
}

func (s *Server) renderTokensPage(w http.ResponseWriter, r *http.Request, status int, v ui.TokensView) {
	p, _ := principalFrom(r.Context())
	tokens, err := s.tokens.List(r.Context(), p.ID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	title := "My tokens"
	if len(v.Form.Errors) > 0 {
		title = "Error: " + title
	}
	v.Shell = s.shell(r, title, "tokens")
	v.AdminScope = p.IsAdmin()
	v.Tokens = s.tokenRows(tokens, "/tokens")
	s.render(w, r, status, ui.TokensPage(v))
}

// revokeToken revokes a token of the viewer's, or for an admin anyone's,
// and goes back to the list it was revoked from.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.renderStatus(w, r, http.StatusNotFound)
		return
	}

	if err := s.tokens.Revoke(r.Context(), p, id); err != nil {
		s.renderError(w, r, err)
		return
	}

	back := "/tokens"
	if strings.HasPrefix(r.URL.Path, "/admin/") {
		back = "/admin/tokens"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// showAdminTokensPage lists everyone's tokens.
func (s *Server) showAdminTokensPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	tokens, err := s.tokens.ListAll(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	rows := s.tokenRows(tokens, "/admin/tokens")
	for i, t := range tokens {
		rows[i].Owner = t.OwnerEmail
	}
	s.render(w, r, http.StatusOK, ui.AdminTokensPage(ui.AdminTokensView{
		Shell:  s.shell(r, "All API tokens", "admin"),
		Tokens: rows,
	}))
}

// tokenRows builds table rows whose revoke forms post under base.
func (s *Server) tokenRows(tokens []token.Token, base string) []ui.TokenRow {
	now := s.now()
	rows := make([]ui.TokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = ui.TokenRow{
			ID:       t.ID,
			Name:     t.Name,
			Prefix:   "tly_" + t.Prefix,
			Scope:    t.Scope,
			Created:  formatTime(t.CreatedAt),
			Expires:  formatTime(t.ExpiresAt),
			LastUsed: formatTime(t.LastUsedAt),
			Status:   t.Status(now),
		}
		if rows[i].Status == "active" {
			rows[i].Revoke = fmt.Sprintf("%s/%d/revoke", base, t.ID)
		}
	}
	return rows
}

// meResponse is GET /api/v1/me: who the token acts for.
type meResponse struct {
	ID      int64    `json:"id"`
	Email   string   `json:"email"`
	Name    string   `json:"name"`
	Roles   []string `json:"roles"`
	Manager bool     `json:"manager"`
	Token   struct {
		Prefix    string `json:"prefix"`
		Scope     string `json:"scope"`
		ExpiresAt string `json:"expires_at"`
	} `json:"token"`
}

// showMe tells an API client whom its token acts for.
func (s *Server) showMe(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	t, _ := apiTokenFrom(r.Context())

	resp := meResponse{ID: p.ID, Email: p.Email, Name: p.Name, Roles: roles(p),
		Manager: p.IsManager()}
	resp.Token.Prefix = "tly_" + t.Prefix
	resp.Token.Scope = t.Scope
	resp.Token.ExpiresAt = t.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")
	s.renderJSON(w, r, http.StatusOK, resp)
}

func roles(p principal.Principal) []string {
	if p.Roles == nil {
		return []string{}
	}
	return p.Roles
}
