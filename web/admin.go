package web

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/web/ui"
)

// maxCSVBytes caps an uploaded directory or mappings CSV.
const maxCSVBytes = 16 << 20

// maxProblemsShown caps the problems an error summary lists.
const maxProblemsShown = 50

// showAdminPage is the administrator's start page.
func (s *Server) showAdminPage(w http.ResponseWriter, r *http.Request) {
	_, people, err := s.directory.List(r.Context(), "", 1)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	mappings, err := s.mappings.ListMappings(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	s.render(w, r, http.StatusOK, ui.AdminPage(ui.AdminView{
		Shell:    s.shell(r, "Administration", "admin"),
		People:   plural(int64(people), "person", "people"),
		Mappings: plural(int64(len(mappings)), "mapping", "mappings"),
	}))
}

// multipartFile reads a small multipart form as it streams: the text
// fields before the first part named file, and that part, which the caller
// reads next. The part is nil when no file was chosen.
func multipartFile(w http.ResponseWriter, r *http.Request, limit int64) (url.Values,
	*multipart.Part, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, fault.Invalidf("", "Send the form as multipart/form-data.")
	}
	fields := url.Values{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // the closing boundary; a wrapped EOF is a body cut short
			return fields, nil, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read form: %w", err)
		}
		if part.FormName() == "file" {
			if _, ok := partFileName(part); ok {
				return fields, part, nil
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFieldLen+1))
		if err != nil {
			return nil, nil, fmt.Errorf("read form field: %w", err)
		}
		fields.Add(part.FormName(), string(b))
	}
}

// lineProblems turns the n problems of an upload into error summary
// entries for field, after intro, at most maxProblemsShown of them.
func lineProblems(field, intro string, n int,
	problem func(i int) (line int, msg string)) []ui.FieldError {
	out := []ui.FieldError{{Field: field, Message: intro}}
	for i := range min(n, maxProblemsShown) {
		line, msg := problem(i)
		msg = capitalise(msg)
		if line > 0 {
			msg = fmt.Sprintf("Line %d: %s", line, msg)
		}
		out = append(out, ui.FieldError{Field: field, Message: msg})
	}
	if n > maxProblemsShown {
		out = append(out, ui.FieldError{Field: field,
			Message: fmt.Sprintf("And %d more problems", n-maxProblemsShown)})
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// formatDay shows a time that is a UTC midnight as a date, any other time
// in full, and nil as none.
func formatDay(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	u := t.UTC()
	if u.Equal(u.Truncate(24 * time.Hour)) {
		return u.Format(time.DateOnly)
	}
	return formatTime(u)
}

// formatTimePtr is formatTime for a time that may be missing.
func formatTimePtr(t *time.Time) string {
	if t == nil {
		return formatTime(time.Time{})
	}
	return formatTime(*t)
}

// plural says n of a thing: "1 person", "3 people".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return ui.FormatCount(n) + " " + many
}

// joinOr lists items as text, or says none.
func joinOr(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	return strings.Join(items, ", ")
}
