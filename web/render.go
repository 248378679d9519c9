package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/a-h/templ"

	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/static"
	"github.com/tallyhq/tally/web/ui"
)

// render writes c with status. The page is rendered in full first, so a
// failing component turns into an error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.renderError(w, r, fmt.Errorf("render page: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError turns err into a response with a message that is safe to
// show: fault and db not-found errors become 404, fault.ErrForbidden 403, a
// *fault.Invalid 400 with its own message, an oversized body 413, and
// anything else 500 "Something went wrong", with the error logged.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case fault.IsNotFound(err):
		s.renderStatus(w, r, http.StatusNotFound)
	case fault.IsForbidden(err):
		s.renderStatus(w, r, http.StatusForbidden)
	case errors.As(err, &tooBig):
		s.renderStatus(w, r, http.StatusRequestEntityTooLarge)
	default:
		if v, ok := fault.AsInvalid(err); ok {
			s.renderErrorPage(w, r, http.StatusBadRequest, "There is a problem", v.Message)
			return
		}
		s.logFailure(r, err)
		s.renderStatus(w, r, http.StatusInternalServerError)
	}
}

func (s *Server) logFailure(r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	info := requestFrom(r.Context())
	s.log.Error("Request failed", "request_id", info.id, "principal_id", info.principalID,
		"error", err)
}

// renderStatus writes the error page for status with its standard words.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int) {
	switch status {
	case http.StatusUnauthorized:
		s.render(w, r, status, ui.ErrorPage(ui.ErrorView{
			Shell:   s.shell(r, "Sign in", ""),
			Status:  status,
			Heading: "Sign in to continue",
			Message: "You are not signed in, or your session has ended.",
			SignIn:  "/auth/login",
		}))
	case http.StatusForbidden:
		s.renderErrorPage(w, r, status, "You do not have access to this page",
			"Your roles do not include this page. Ask an administrator if you need it.")
	case http.StatusNotFound:
		s.renderErrorPage(w, r, status, "Page not found",
			"The page does not exist, or you cannot see it.")
	case http.StatusRequestEntityTooLarge:
		s.renderErrorPage(w, r, status, "Too large", "What you sent is larger than tally accepts.")
	default:
		s.renderErrorPage(w, r, http.StatusInternalServerError, "Something went wrong",
			"Something went wrong on our side. Try again; if it keeps happening, tell an "+
				"administrator and quote reference "+requestFrom(r.Context()).id+".")
	}
}

func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	s.render(w, r, status, ui.ErrorPage(ui.ErrorView{
		Shell:   s.shell(r, heading, ""),
		Status:  status,
		Heading: heading,
		Message: message,
	}))
}

func (s *Server) renderCSRFFailure(w http.ResponseWriter, r *http.Request) {
	s.renderErrorPage(w, r, http.StatusForbidden, "The form could not be accepted",
		"It was sent from another site, or the page was out of date. Go back, "+
			"reload the page and try again.")
}

// renderJSON writes v as JSON with status.
func (s *Server) renderJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.renderAPIFailure(w, r, fmt.Errorf("encode json: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// renderAPIError writes {"error": message} with status; message must be
// safe to show.
func (s *Server) renderAPIError(w http.ResponseWriter, r *http.Request, status int, message string) {
	s.renderJSON(w, r, status, map[string]string{"error": message})
}

// renderAPIFailure is renderError for the API: the same mapping, as JSON.
func (s *Server) renderAPIFailure(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case fault.IsNotFound(err):
		s.renderAPIError(w, r, http.StatusNotFound, "Not found.")
	case fault.IsForbidden(err):
		s.renderAPIError(w, r, http.StatusForbidden, "Not allowed.")
	case errors.As(err, &tooBig):
		s.renderAPIError(w, r, http.StatusRequestEntityTooLarge, "The request body is too large.")
	default:
		if v, ok := fault.AsInvalid(err); ok {
			s.renderAPIError(w, r, http.StatusBadRequest, v.Message)
			return
		}
		s.logFailure(r, err)
		s.renderAPIError(w, r, http.StatusInternalServerError,
			"Something went wrong; reference "+requestFrom(r.Context()).id+".")
	}
}

// shell returns the Layout's view model for a page titled title in section.
func (s *Server) shell(r *http.Request, title, section string) ui.Shell {
	sh := ui.Shell{
		Title:   title,
		Section: section,
		CSSPath: static.Path("app.css"),
		Dev:     s.cfg.Dev,
	}
	if sess, ok := sessionFrom(r.Context()); ok {
		p := sess.Principal
		sh.Viewer = &ui.Viewer{Name: p.DisplayName(), Email: p.Email, Sections: sections(p)}
		sh.CSRFToken = sess.CSRFToken
	}
	return sh
}

// sections returns the top bar's sections that p's roles open.
func sections(p principal.Principal) []ui.Section {
	out := []ui.Section{
		{Key: "spend", Label: "My spend", Href: "/spend"},
		{Key: "imports", Label: "Imports", Href: "/imports"},
	}
	if p.HasAny(config.RoleFinance, config.RoleInvestigator, config.RoleAdmin) {
		out = append(out, ui.Section{Key: "usage", Label: "Usage", Href: "/usage"})
	}
	if p.HasAny(config.RoleInvestigator, config.RoleAdmin) {
		out = append(out, ui.Section{Key: "unattributed", Label: "Unattributed",
			Href: "/unattributed"})
	}
	if p.IsAdmin() {
		out = append(out, ui.Section{Key: "admin", Label: "Admin", Href: "/admin"})
	}
	return append(out, ui.Section{Key: "tokens", Label: "My tokens", Href: "/tokens"})
}

// formatTime shows t on pages, in UTC; the zero time is "Never".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "Never"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderStatus(w, r, http.StatusNotFound)
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderAPIError(w, r, http.StatusNotFound, "No such API route.")
}
