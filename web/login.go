package web

import (
	"errors"
	"net/http"

	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/web/ui"
)

// startLogin sends the browser to the OIDC provider, binding the sign-in to
// it with a short-lived cookie.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request) {
	next := auth.SafeNext(r.URL.Query().Get("next"))
	if _, ok := sessionFrom(r.Context()); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}

	binding := auth.NewBinding()
	if c, err := r.Cookie(loginCookie); err == nil && auth.ValidToken(c.Value) {
		binding = c.Value // keep sign-ins in other tabs working
	}
	target, err := s.auth.BeginLogin(r.Context(), binding, next)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	http.SetCookie(w, s.cookie(loginCookie, binding, s.now().Add(auth.LoginTTL)))
	http.Redirect(w, r, target, http.StatusFound)
}

// finishLogin takes the provider's answer, starts the session and goes on
// to the page the sign-in was for.
func (s *Server) finishLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.log.Warn("Sign-in refused by provider", "request_id", requestFrom(r.Context()).id,
			"error", e, "description", q.Get("error_description"))
		s.renderLoginFailure(w, r, "The sign-in provider did not sign you in.")
		return
	}

	cb := auth.Callback{State: q.Get("state"), Code: q.Get("code")}
	if c, err := r.Cookie(loginCookie); err == nil {
		cb.Binding = c.Value
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		cb.Previous = c.Value
	}
	login, err := s.auth.FinishLogin(r.Context(), cb)
	if errors.Is(err, auth.ErrLoginRefused) {
		s.log.Warn("Sign-in refused", "request_id", requestFrom(r.Context()).id, "error", err)
		s.renderLoginFailure(w, r, "The sign-in link was used already, has expired, or was "+
			"started in another browser.")
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	requestFrom(r.Context()).principalID = login.Principal.ID
	http.SetCookie(w, s.cookie(sessionCookie, login.Token, login.Session.ExpiresAt))
	http.Redirect(w, r, login.Next, http.StatusSeeOther)
}

func (s *Server) renderLoginFailure(w http.ResponseWriter, r *http.Request, message string) {
	s.render(w, r, http.StatusBadRequest, ui.ErrorPage(ui.ErrorView{
		Shell:   s.shell(r, "Sign-in failed", ""),
		Status:  http.StatusBadRequest,
		Heading: "Sign-in could not be completed",
		Message: message + " Start again.",
		SignIn:  "/auth/login",
	}))
}

// logout ends the session (the CSRF middleware has checked the form) and
// shows the signed-out page, by way of the provider's sign-out where it has
// one, so that a shared browser is not signed straight back in.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.auth.Logout(r.Context(), c.Value); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.clearCookie(sessionCookie))
	next := "/signed-out"
	if u := s.auth.ProviderLogoutURL(r.Context(), s.cfg.BaseURL+next); u != "" {
		next = u
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) showSignedOutPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := sessionFrom(r.Context()); ok {
		http.Redirect(w, r, auth.DefaultNext, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, ui.SignedOutPage(ui.SignedOutView{
		Shell: s.shell(r, "Signed out", ""),
	}))
}

// showHome sends people to My spend.
func (s *Server) showHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, auth.DefaultNext, http.StatusSeeOther)
}
