package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/web/ui"
)

// modelsPerPage is how many models one page lists.
const modelsPerPage = 100

// maxPriceTableBytes caps an uploaded price table; LiteLLM's is about 2 MB.
const maxPriceTableBytes = 64 << 20

// showModelsPage lists the priced models that the filter in the URL
// chooses, a page at a time, with the tier form on each row.
func (s *Server) showModelsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := ui.ModelsFilter{Search: strings.TrimSpace(q.Get("q")),
		Provider: q.Get("provider"), Tier: q.Get("tier")}
	page, _ := strconv.Atoi(q.Get("page"))
	s.renderModelsPage(w, r, http.StatusOK, ui.ModelsView{Filter: f, Notice: modelsNotice(q)},
		max(page, 1))
}

func (s *Server) renderModelsPage(w http.ResponseWriter, r *http.Request, status int,
	v ui.ModelsView, page int) {
	now := s.now()
	res, err := s.prices.ListModels(r.Context(), pricing.ModelFilter{Search: v.Filter.Search,
		Provider: v.Filter.Provider, Tier: v.Filter.Tier, At: now,
		Offset: (page - 1) * modelsPerPage, Limit: modelsPerPage})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	providers, err := s.prices.Providers(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	title := "Models and prices"
	if len(v.Prices.Errors) > 0 {
		title = "Error: " + title
	}
	v.Shell = s.shell(r, title, "admin")
	for _, p := range providers {
		v.Providers = append(v.Providers, ui.Option{Value: p, Label: p})
	}
	for _, m := range res.Models {
		v.Models = append(v.Models, modelRow(m))
	}
	v.Showing = modelsShowing(page, len(res.Models), res.Total)
	v.Back = modelsQuery(v.Filter, page)
	if page > 1 {
		v.Prev = "/admin/models?" + modelsQuery(v.Filter, page-1)
	}
	if page*modelsPerPage < res.Total {
		v.Next = "/admin/models?" + modelsQuery(v.Filter, page+1)
	}
	v.Premium = pricing.PremiumPatterns()
	v.Prices.Action = "/admin/models/prices"
	if v.Prices.EffectiveFrom == "" {
		v.Prices.EffectiveFrom = now.UTC().Format(time.DateOnly)
	}
	s.render(w, r, status, ui.ModelsPage(v))
}

func modelRow(m pricing.Model) ui.ModelRow {
	perMTok := func(k pricing.Kind) string {
		rate := m.Rates[k]
		if !rate.Valid {
			return "—"
		}
		d := rate.Decimal.Shift(6)
		if d.Equal(d.Round(2)) {
			return "$" + d.StringFixed(2)
		}
		return "$" + d.String()
	}
	return ui.ModelRow{Key: m.Key, Provider: m.Provider, Tier: m.Tier,
		Input: perMTok(pricing.KindInput), Output: perMTok(pricing.KindOutput),
		CacheRead: perMTok(pricing.KindCacheRead), CacheWrite5m: perMTok(pricing.KindCacheWrite5m),
		CacheWrite1h: perMTok(pricing.KindCacheWrite1h),
		ValidFrom:    formatDay(m.ValidFrom, "Always"), Versions: strconv.Itoa(m.Versions),
		Corrected: strings.Join(m.Overrides, ", ")}
}

func modelsShowing(page, shown, total int) string {
	if shown == 0 {
		return "No model matches."
	}
	first := (page-1)*modelsPerPage + 1
	return fmt.Sprintf("Models %s–%s of %s.", ui.FormatCount(int64(first)),
		ui.FormatCount(int64(first+shown-1)), ui.FormatCount(int64(total)))
}

// modelsQuery is the query of the models list for f at page.
func modelsQuery(f ui.ModelsFilter, page int) string {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Search, "provider": f.Provider, "tier": f.Tier} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return q.Encode()
}

func modelsNotice(q url.Values) string {
	if key := q.Get("set"); key != "" {
		return fmt.Sprintf("The tier of %s is now %s.", key, q.Get("to"))
	}
	if q.Has("loaded") {
		n := func(k string) int64 { v, _ := strconv.ParseInt(q.Get(k), 10, 64); return v }
		repriced := plural(n("repriced"), "stored call that had no price is",
			"stored calls that had no price are")
		return fmt.Sprintf("Prices loaded: %s added, %s changed, %s unchanged. %s now "+
			"priced.", plural(n("added"), "model", "models"), ui.FormatCount(n("changed")),
			ui.FormatCount(n("unchanged")), capitalise(repriced))
	}
	return ""
}

// setModelTier sets one model's tier and goes back to the list it was set
// from.
func (s *Server) setModelTier(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	key, tier := r.PostFormValue("model_key"), r.PostFormValue("tier")

	if _, err := s.prices.SetTier(r.Context(), p.Actor(), key, tier); err != nil {
		s.renderError(w, r, err)
		return
	}

	back, _ := url.ParseQuery(r.PostFormValue("back"))
	f := ui.ModelsFilter{Search: back.Get("q"), Provider: back.Get("provider"),
		Tier: back.Get("tier")}
	page, _ := strconv.Atoi(back.Get("page"))
	target := "/admin/models?" + modelsQuery(f, page) + "&" +
		url.Values{"set": {key}, "to": {tier}}.Encode()
	http.Redirect(w, r, strings.Replace(target, "?&", "?", 1), http.StatusSeeOther)
}

// uploadPrices loads an uploaded LiteLLM price table from the date given.
func (s *Server) uploadPrices(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	fields, file, err := multipartFile(w, r, maxPriceTableBytes)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	form := ui.PricesForm{EffectiveFrom: strings.TrimSpace(fields.Get("effective_from"))}
	from, err := time.Parse(time.DateOnly, form.EffectiveFrom)
	if err != nil {
		form.Errors = append(form.Errors, ui.FieldError{Field: "effective_from",
			Message: "Enter the date the prices take effect, like 2026-03-01"})
	}
	var table map[string]pricing.Entry
	if file == nil {
		form.Errors = append(form.Errors, ui.FieldError{Field: "prices_file",
			Message: "Choose the price table’s JSON file"})
	} else if len(form.Errors) == 0 {
		table, err = pricing.ParseLiteLLM(io.LimitReader(file, maxPriceTableBytes))
		if err == nil && len(table) == 0 {
			err = fmt.Errorf("it lists no models")
		}
		if err != nil {
			form.Errors = append(form.Errors, ui.FieldError{Field: "prices_file",
				Message: "The file is not a LiteLLM price table: " + err.Error()})
		}
	}
	if len(form.Errors) > 0 {
		s.renderModelsPage(w, r, http.StatusBadRequest, ui.ModelsView{Prices: form}, 1)
		return
	}

	name, _ := partFileName(file)
	loaded, err := s.prices.Load(r.Context(), p.Actor(), table, from,
		"upload "+path.Base(strings.ReplaceAll(name, `\`, "/"))+" by "+p.Email)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/models?"+url.Values{"loaded": {"1"},
		"added": {strconv.Itoa(loaded.Added)}, "changed": {strconv.Itoa(loaded.Changed)},
		"unchanged": {strconv.Itoa(loaded.Unchanged)},
		"repriced":  {strconv.Itoa(loaded.Repriced)}}.Encode(), http.StatusSeeOther)
}
