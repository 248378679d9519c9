package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tallyhq/tally/internal/attribution"
	"github.com/tallyhq/tally/web/ui"
)

// mappingKinds names the kinds of identity mapping (attribution.Kinds).
var mappingKinds = map[string]string{
	"api_key_id":   "API key id",
	"iam_arn":      "IAM role or session ARN",
	"gateway_user": "Gateway user",
	"os_user":      "OS user",
	"host":         "Host",
	"email":        "Email",
}

// showMappingsPage lists the identity mappings with the forms to change
// them, and confirms the last change.
func (s *Server) showMappingsPage(w http.ResponseWriter, r *http.Request) {
	s.renderMappingsPage(w, r, http.StatusOK,
		ui.MappingsView{Notice: mappingNotice(r.URL.Query())})
}

func mappingNotice(q url.Values) string {
	const later = " It applies to events imported from now on."
	if q.Has("created") {
		return "Mapping added." + later
	}
	if q.Has("deleted") {
		return "Mapping deleted." + later
	}
	if n, err := strconv.Atoi(q.Get("uploaded")); err == nil {
		return plural(int64(n), "mapping", "mappings") + " added." + later
	}
	return ""
}

func (s *Server) renderMappingsPage(w http.ResponseWriter, r *http.Request, status int,
	v ui.MappingsView) {
	list, err := s.mappings.ListMappings(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	title := "Identity mappings"
	if len(v.Form.Errors)+len(v.CSVErrors) > 0 {
		title = "Error: " + title
	}
	v.Shell = s.shell(r, title, "admin")
	v.CSVAction = "/admin/mappings/csv"
	v.Kinds = []ui.Option{{Value: "", Label: "Choose a kind"}}
	for _, k := range attribution.Kinds {
		v.Kinds = append(v.Kinds, ui.Option{Value: k, Label: mappingKinds[k]})
	}
	for _, m := range list {
		v.Mappings = append(v.Mappings, ui.MappingRow{ID: m.ID, Kind: mappingKinds[m.Kind],
			Value: m.Value, Host: m.Host, Principal: m.PrincipalEmail,
			ValidFrom: formatDay(m.ValidFrom, "Always"), ValidTo: formatDay(m.ValidTo, "No end"),
			CreatedBy: orDash(m.CreatedBy),
			Delete:    fmt.Sprintf("/admin/mappings/%d/delete", m.ID)})
	}
	s.render(w, r, status, ui.MappingsPage(v))
}

// createMapping adds one mapping from the form.
func (s *Server) createMapping(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	form := ui.MappingForm{Kind: r.PostFormValue("kind"), Value: r.PostFormValue("value"),
		Host: r.PostFormValue("host"), PrincipalEmail: r.PostFormValue("principal_email"),
		ValidFrom: r.PostFormValue("valid_from"), ValidTo: r.PostFormValue("valid_to")}

	_, err := s.mappings.CreateMapping(r.Context(), p.Actor(), attribution.MappingInput{
		Kind: form.Kind, Value: form.Value, Host: form.Host,
		PrincipalEmail: form.PrincipalEmail, ValidFrom: form.ValidFrom, ValidTo: form.ValidTo})
	if invalid, ok := attribution.AsInvalid(err); ok {
		for _, pr := range invalid.Problems {
			// The form's fields have attribution's names.
			form.Errors = append(form.Errors, ui.FieldError{Field: pr.Field,
				Message: pr.Message})
		}
		s.renderMappingsPage(w, r, http.StatusBadRequest, ui.MappingsView{Form: form})
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	http.Redirect(w, r, "/admin/mappings?created=1", http.StatusSeeOther)
}

// deleteMapping removes one mapping.
func (s *Server) deleteMapping(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.renderStatus(w, r, http.StatusNotFound)
		return
	}

	if err := s.mappings.DeleteMapping(r.Context(), p.Actor(), id); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/mappings?deleted=1", http.StatusSeeOther)
}

// uploadMappings adds every mapping of an uploaded CSV, or, when any line
// has a problem, none, listing every problem.
func (s *Server) uploadMappings(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	_, file, err := multipartFile(w, r, maxCSVBytes)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if file == nil {
		s.renderMappingsPage(w, r, http.StatusBadRequest, ui.MappingsView{
			CSVErrors: []ui.FieldError{{Field: "mappings_file",
				Message: "Choose a CSV file of mappings"}}})
		return
	}

	n, err := s.mappings.UploadMappings(r.Context(), p.Actor(),
		io.LimitReader(file, maxCSVBytes))
	if invalid, ok := attribution.AsInvalid(err); ok {
		errs := lineProblems("mappings_file", "No mapping was added: correct these lines "+
			"and upload the file again", len(invalid.Problems), func(i int) (int, string) {
			return invalid.Problems[i].Line, invalid.Problems[i].Message
		})
		s.renderMappingsPage(w, r, http.StatusBadRequest, ui.MappingsView{CSVErrors: errs})
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	http.Redirect(w, r, fmt.Sprintf("/admin/mappings?uploaded=%d", n), http.StatusSeeOther)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
