package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/tallyhq/tally/internal/directory"
	"github.com/tallyhq/tally/web/ui"
)

// peopleShown caps the people listed at once; a search narrows the list.
const peopleShown = 500

// showPeoplePage lists the principals, or those a search finds, with the
// directory upload form.
func (s *Server) showPeoplePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := ui.PeopleView{Search: strings.TrimSpace(q.Get("q"))}
	if n, err := strconv.Atoi(q.Get("uploaded")); err == nil {
		v.Notice = fmt.Sprintf("Directory uploaded: %s added or updated.",
			plural(int64(n), "person", "people"))
	}
	s.renderPeoplePage(w, r, http.StatusOK, v)
}

func (s *Server) renderPeoplePage(w http.ResponseWriter, r *http.Request, status int,
	v ui.PeopleView) {
	people, total, err := s.directory.List(r.Context(), v.Search, peopleShown)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	title := "People"
	if len(v.Errors) > 0 {
		title = "Error: " + title
	}
	v.Shell = s.shell(r, title, "admin")
	v.Action = "/admin/people/directory"
	switch {
	case total == 0 && v.Search != "":
		v.Showing = "Nobody matches “" + v.Search + "”."
	case total > len(people):
		v.Showing = fmt.Sprintf("Showing the first %s of %s people: search to narrow "+
			"the list.", ui.FormatCount(int64(len(people))), ui.FormatCount(int64(total)))
	default:
		v.Showing = "Showing " + plural(int64(total), "person", "people") + "."
	}
	for _, p := range people {
		v.People = append(v.People, ui.PersonRow{Email: p.Email, Name: p.Name,
			Href: fmt.Sprintf("/spend?principal=%d", p.ID), Kind: p.Kind,
			CostCenter: orDash(p.CostCenter), Manager: orDash(p.ManagerEmail),
			Roles: joinOr(p.Roles, "—"), LastLogin: formatTimePtr(p.LastLoginAt)})
	}
	s.render(w, r, status, ui.PeoplePage(v))
}

// uploadDirectory applies an uploaded directory CSV: all of it, or, when
// any line has a problem, none of it, listing every problem.
func (s *Server) uploadDirectory(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	_, file, err := multipartFile(w, r, maxCSVBytes)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if file == nil {
		s.renderPeoplePage(w, r, http.StatusBadRequest, ui.PeopleView{Errors: []ui.FieldError{
			{Field: "directory_file", Message: "Choose the directory’s CSV file"}}})
		return
	}

	n, err := s.directory.Upload(r.Context(), p.Actor(), io.LimitReader(file, maxCSVBytes))
	var invalid *directory.InvalidError
	if errors.As(err, &invalid) {
		errs := lineProblems("directory_file", "The directory was not applied: "+
			"correct these lines and upload it again", len(invalid.Lines),
			func(i int) (int, string) { return invalid.Lines[i].Line, invalid.Lines[i].Reason })
		s.renderPeoplePage(w, r, http.StatusBadRequest, ui.PeopleView{Errors: errs})
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	http.Redirect(w, r, fmt.Sprintf("/admin/people?uploaded=%d", n), http.StatusSeeOther)
}
