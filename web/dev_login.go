package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tallyhq/tally/internal/auth/devoidc"
	"github.com/tallyhq/tally/web/ui"
)

// showDevLoginPage is the development provider's sign-in: it lists the demo
// people, each a form back to the provider with the authorization request
// it was sent here with.
func (s *Server) showDevLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") == "" || q.Get("state") == "" {
		http.Redirect(w, r, "/auth/login", http.StatusSeeOther)
		return
	}

	var params []ui.FormParam
	for name, values := range q {
		if name == devoidc.HintParam || len(values) == 0 {
			continue
		}
		params = append(params, ui.FormParam{Name: name, Value: values[0]})
	}
	slices.SortFunc(params, func(a, b ui.FormParam) int { return strings.Compare(a.Name, b.Name) })

	var people []ui.DevPerson
	for _, p := range s.dev.People() {
		people = append(people, ui.DevPerson{
			Email:  p.Email,
			Name:   p.Name,
			Role:   p.Role,
			Groups: strings.Join(p.Groups, ", "),
		})
	}
	s.render(w, r, http.StatusOK, ui.DevLoginPage(ui.DevLoginView{
		Shell:  s.shell(r, "Sign in as a demo person", ""),
		Action: s.dev.AuthorizeURL(),
		Params: params,
		People: people,
	}))
}
