package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/token"
)

// Cookie names. The __Host- prefix makes browsers insist on Secure, Path=/
// and no Domain; browsers treat http://127.0.0.1 and http://localhost as
// secure, so this works in development too.
const (
	sessionCookie = "__Host-tally_session"
	loginCookie   = "__Host-tally_login"
)

// csrfField is the form field, and csrfHeader the header, that carry the
// session's CSRF token.
const (
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
)

// maxFormBytes caps url-encoded form bodies.
const maxFormBytes = 1 << 20

type ctxKey int

const (
	requestKey ctxKey = iota
	sessionKey
	apiTokenKey
)

// request is what the middleware learns about a request as it passes, kept
// in its context so that the access log can say it.
type request struct {
	id          string
	principalID int64
}

func requestFrom(ctx context.Context) *request {
	if r, ok := ctx.Value(requestKey).(*request); ok {
		return r
	}
	return &request{}
}

// sessionFrom returns the request's session, if it has one.
func sessionFrom(ctx context.Context) (auth.Session, bool) {
	s, ok := ctx.Value(sessionKey).(auth.Session)
	return s, ok
}

// principalFrom returns whoever the request acts for: the signed-in person,
// or the owner of the API token.
func principalFrom(ctx context.Context) (principal.Principal, bool) {
	if s, ok := sessionFrom(ctx); ok {
		return s.Principal, true
	}
	if v, ok := ctx.Value(apiTokenKey).(token.Verified); ok {
		return v.Principal, true
	}
	return principal.Principal{}, false
}

// apiTokenFrom returns the API token the request came with.
func apiTokenFrom(ctx context.Context) (token.Token, bool) {
	v, ok := ctx.Value(apiTokenKey).(token.Verified)
	return v.Token, ok
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID gives every request an id: the X-Request-Id it came with when
// that looks like one (a proxy's), else a new one. The response carries it.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestKey, &request{id: id})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusWriter remembers the status a handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequest writes the one log line of every request.
func (s *Server) logRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)

		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		info := requestFrom(r.Context())
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "Request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", info.id),
			slog.Int64("principal_id", info.principalID),
		)
	})
}

// recoverPanic turns a panicking handler into a logged error and a 500 page.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err := fmt.Errorf("panic: %v", v)
			s.log.Error("Handler panicked", "request_id", requestFrom(r.Context()).id,
				"error", err, "stack", string(debug.Stack()))
			s.renderStatus(w, r, http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// secureHeaders sets the headers every response carries. Pages are not
// cached (they are personal); static files override that.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// checkOrigin refuses state-changing requests that a browser sent from
// another site (Sec-Fetch-Site, else Origin against Host). The API is left
// to its bearer tokens, which browsers do not send on their own.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPI(r) {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.origin.Check(r); err != nil {
			s.log.Warn("Cross-origin request refused", "request_id", requestFrom(r.Context()).id,
				"error", err, "origin", r.Header.Get("Origin"),
				"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
			s.renderCSRFFailure(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loadSession puts the session that the cookie names, if it is live, in the
// request's context, and drops a cookie that names none.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || isAPI(r) {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := s.auth.Session(r.Context(), c.Value)
		if errors.Is(err, auth.ErrNoSession) {
			http.SetCookie(w, s.clearCookie(sessionCookie))
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			s.renderError(w, r, fmt.Errorf("load session: %w", err))
			return
		}
		requestFrom(r.Context()).principalID = sess.Principal.ID
		ctx := context.WithValue(r.Context(), sessionKey, sess)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// checkCSRF requires the session's CSRF token on every state-changing
// request that comes with a session: in the X-CSRF-Token header, or in the
// csrf_token field of a url-encoded form or, first, of a multipart form.
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := sessionFrom(r.Context())
		if !ok || isSafeMethod(r.Method) || isAPI(r) {
			next.ServeHTTP(w, r)
			return
		}
		got := r.Header.Get(csrfHeader)
		if got == "" {
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch ct {
			case "application/x-www-form-urlencoded":
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
				got = r.PostFormValue(csrfField)
			case "multipart/form-data":
				got = multipartToken(r)
			}
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			s.log.Warn("CSRF token refused", "request_id", requestFrom(r.Context()).id,
				"principal_id", sess.Principal.ID, "missing", got == "")
			s.renderCSRFFailure(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxTokenPrefix is how far into a multipart body its CSRF token may end.
const maxTokenPrefix = 8 << 10

// multipartToken returns the csrf_token field that opens r's multipart
// form, "" when it does not. It reads at most maxTokenPrefix bytes of the
// body, which it puts back in front of the rest, so the handler still
// streams the whole form.
func multipartToken(r *http.Request) string {
	var seen bytes.Buffer
	body := r.Body
	defer func() {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(&seen, body), body}
	}()
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return ""
	}
	prefix := io.TeeReader(io.LimitReader(body, maxTokenPrefix), &seen)
	part, err := multipart.NewReader(prefix, params["boundary"]).NextPart()
	if err != nil || part.FormName() != csrfField {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return ""
	}
	return string(b)
}

// checkText refuses, with 400, a request whose path, query or form holds
// text that no page can use or store: a NUL character or invalid UTF-8.
func (s *Server) checkText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct == "application/x-www-form-urlencoded" && r.Form == nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			r.ParseForm()
		}
		if cleanText(r.URL.Path) && cleanValues(r.URL.Query()) && cleanValues(r.PostForm) {
			next.ServeHTTP(w, r)
			return
		}
		const msg = "The address or the form holds a NUL character or text that is " +
			"not UTF-8."
		if isAPI(r) {
			s.renderAPIError(w, r, http.StatusBadRequest, msg)
			return
		}
		s.renderErrorPage(w, r, http.StatusBadRequest, "There is a problem", msg)
	})
}

func cleanValues(vs url.Values) bool {
	for k, list := range vs {
		if !cleanText(k) {
			return false
		}
		for _, v := range list {
			if !cleanText(v) {
				return false
			}
		}
	}
	return true
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// requireRole lets signed-in people through, and with roles only those who
// hold one of them.
func (s *Server) requireRole(roles []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := sessionFrom(r.Context())
		if !ok {
			if isSafeMethod(r.Method) {
				http.Redirect(w, r, loginURL(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.renderStatus(w, r, http.StatusUnauthorized)
			return
		}
		if len(roles) > 0 && !sess.Principal.HasAny(roles...) {
			s.renderStatus(w, r, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireToken lets requests with a valid bearer token for scope through.
func (s *Server) requireToken(scope string, roles []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tally"`)
			s.renderAPIError(w, r, http.StatusUnauthorized, "An API token is required.")
			return
		}
		v, err := s.tokens.Verify(r.Context(), secret)
		if errors.Is(err, token.ErrInvalid) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tally", error="invalid_token"`)
			s.renderAPIError(w, r, http.StatusUnauthorized,
				"The API token is not valid: it is unknown, revoked or expired.")
			return
		}
		if err != nil {
			s.renderAPIFailure(w, r, fmt.Errorf("verify api token: %w", err))
			return
		}
		requestFrom(r.Context()).principalID = v.Principal.ID

		if !v.Token.Allows(scope) {
			s.renderAPIError(w, r, http.StatusForbidden,
				fmt.Sprintf("This token's scope is %s; this needs %s.", v.Token.Scope, scope))
			return
		}
		if len(roles) > 0 && !v.Principal.HasAny(roles...) {
			s.renderAPIError(w, r, http.StatusForbidden, "The token's owner may not do this.")
			return
		}
		ctx := context.WithValue(r.Context(), apiTokenKey, v)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func bearer(r *http.Request) (string, bool) {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, secret != ""
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
}

func isSafeMethod(m string) bool {
	return slices.Contains([]string{http.MethodGet, http.MethodHead, http.MethodOptions}, m)
}

func loginURL(next string) string {
	return "/auth/login?next=" + url.QueryEscape(next)
}

// cookie returns a cookie with the attributes every tally cookie has.
func (s *Server) cookie(name, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		Expires:  expires.UTC(),
		MaxAge:   max(1, int(expires.Sub(s.now()).Seconds())),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

func (s *Server) clearCookie(name string) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Path:     "/",
		MaxAge:   -1,
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}
