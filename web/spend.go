package web

import (
	"net/http"

	"github.com/tallyhq/tally/web/ui"
)

// showSpendPage is My spend: for now a placeholder that greets the viewer.
func (s *Server) showSpendPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	s.render(w, r, http.StatusOK, ui.SpendPage(ui.SpendView{
		Shell: s.shell(r, "My spend", "spend"),
		Name:  p.DisplayName(),
	}))
}
