package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/usage"
	"github.com/tallyhq/tally/web/ui"
)

// importsShown caps the imports list.
const importsShown = 200

// filesShown is how many of an upload's files its page lists.
const filesShown = 200

// importRefresh is how often, in seconds, an import's page reloads while
// the import runs.
const importRefresh = 2

// showImportsPage lists the viewer's imports, or everyone's for those who
// see all of them.
func (s *Server) showImportsPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	all := seesAllImports(p)
	uploader := p.ID
	if all {
		uploader = 0
	}
	list, err := s.imports.List(r.Context(), uploader, importsShown+1)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	v := ui.ImportsView{Shell: s.shell(r, "Imports", "imports"), All: all}
	if len(list) > importsShown {
		list = list[:importsShown]
		v.Capped = fmt.Sprintf("Showing the latest %d imports.", importsShown)
	}
	for _, im := range list {
		v.Imports = append(v.Imports, importRow(im))
	}
	s.render(w, r, http.StatusOK, ui.ImportsPage(v))
}

func importRow(im batch.Listed) ui.ImportRow {
	row := ui.ImportRow{ID: im.ID, Href: fmt.Sprintf("/imports/%d", im.ID),
		When: formatTime(im.CreatedAt), Uploader: im.Uploader,
		Source: importSource(im.Host, im.OSUser), Claimed: im.Claimed,
		Files: ui.FormatCount(im.Files), Bytes: formatBytes(im.Bytes), Status: im.Status}
	if im.Status != "done" {
		return row
	}
	row.Events = ui.FormatCount(im.Events)
	row.Duplicates = ui.FormatCount(im.Duplicates)
	row.Rejected = ui.FormatCount(im.Rejected)
	row.Cost = formatMoney(im.Cost).Text
	if im.Unpriced > 0 {
		row.Unpriced = ui.FormatCount(im.Unpriced) + " unpriced"
	}
	return row
}

// showNewImportPage is the upload form.
func (s *Server) showNewImportPage(w http.ResponseWriter, r *http.Request) {
	s.renderImportForm(w, r, http.StatusOK, ui.ImportForm{})
}

// createImport takes an upload from the form and goes to its page.
func (s *Server) createImport(w http.ResponseWriter, r *http.Request) {
	id, f, err := s.receiveUpload(w, r)
	if err == nil {
		http.Redirect(w, r, fmt.Sprintf("/imports/%d", id), http.StatusSeeOther)
		return
	}

	status, message := uploadProblem(err, s.cfg.UploadMaxBytes)
	if status == 0 {
		s.renderError(w, r, err)
		return
	}
	field := "file"
	if v, ok := fault.AsInvalid(err); ok && v.Field != "" {
		field = v.Field
	}
	if errors.Is(err, batch.ErrEmpty) {
		message = "Choose at least one file, or a folder, to upload"
	}
	s.renderImportForm(w, r, status, ui.ImportForm{Mine: f.Mine, Host: f.Host,
		OSUser: f.OSUser, Format: f.Format,
		Errors: []ui.FieldError{{Field: field, Message: message}}})
}

func (s *Server) renderImportForm(w http.ResponseWriter, r *http.Request, status int,
	form ui.ImportForm) {
	title := "Upload usage"
	if len(form.Errors) > 0 {
		title = "Error: " + title
	}
	sh := s.shell(r, title, "imports")
	s.render(w, r, status, ui.ImportFormPage(ui.ImportFormView{
		Shell:   sh,
		Action:  "/imports",
		MaxSize: formatBytes(s.cfg.UploadMaxBytes),
		BaseURL: s.cfg.BaseURL,
		Formats: []ui.Option{
			{Value: "", Label: "Recognise each file (recommended)"},
			{Value: usage.FormatClaudeCode, Label: "Claude Code (~/.claude/projects)"},
			{Value: usage.FormatCodex, Label: "Codex CLI (~/.codex/sessions)"},
			{Value: usage.FormatGeneric, Label: "tally generic JSONL"},
		},
		Form: form,
	}))
}

// showImportPage shows an import's progress while it runs, refreshing
// itself, and what it stored once it is done.
func (s *Server) showImportPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.visibleImport(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	v := importView(st)
	files, err := s.imports.Files(r.Context(), st.ID, filesShown+1)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, f := range files[:min(len(files), filesShown)] {
		v.Files = append(v.Files, ui.FileRow{Name: f.Name, Size: formatBytes(f.Bytes)})
	}
	if len(files) > filesShown {
		v.FilesNote = fmt.Sprintf("Showing the first %d files of the upload.", filesShown)
	}
	v.Shell = s.shell(r, fmt.Sprintf("Import %d", st.ID), "imports")
	if v.Working {
		v.Shell.Refresh = importRefresh
	}
	s.render(w, r, http.StatusOK, ui.ImportPage(v))
}

func importView(st *batch.Status) ui.ImportView {
	v := ui.ImportView{ID: st.ID, Status: st.Status, Uploader: st.Uploader,
		When: formatTime(st.CreatedAt), Source: importSource(st.Host, st.OSUser),
		Claimed: st.Claimed, Format: formatLabel(st.Format), Error: st.Error,
		Working:   st.Status == "queued" || st.Status == "running",
		Retrying:  st.Status == "queued" && st.Error != "",
		BytesRead: formatBytes(st.BytesRead), Bytes: formatBytes(st.Bytes)}
	if st.Status == "failed" && v.Error == "" {
		v.Error = "The import failed"
	}
	if st.Bytes > 0 {
		v.Percent = int(min(100, st.BytesRead*100/st.Bytes))
	}
	sum := st.Summary
	if st.Status != "done" || sum == nil {
		return v
	}
	v.Done = true
	v.Counts = importCounts(sum)
	v.Total = formatMoney(decimal.RequireFromString(sum.TotalCostUSD))
	for _, m := range sum.Models {
		row := ui.ImportModelRow{Model: m.Model, Events: ui.FormatCount(m.Events),
			Input: ui.FormatCount(m.InputTokens), CacheRead: ui.FormatCount(m.CacheReadTokens),
			CacheWrite5m: ui.FormatCount(m.CacheWrite5mTokens),
			CacheWrite1h: ui.FormatCount(m.CacheWrite1hTokens),
			Output:       ui.FormatCount(m.OutputTokens),
			Unpriced:     m.CostUSD == nil}
		if m.CostUSD != nil {
			row.Cost = formatMoney(decimal.RequireFromString(*m.CostUSD))
		}
		v.Models = append(v.Models, row)
	}
	for _, rj := range sum.Rejects {
		v.Rejects = append(v.Rejects, ui.RejectRow{File: rj.File,
			Line: strconv.Itoa(rj.Line), Reason: rj.Reason})
	}
	if n := int64(len(sum.Rejects)); sum.Rejected > n {
		v.RejectsNote = fmt.Sprintf("Showing the first %s of %s rejected lines.",
			ui.FormatCount(n), ui.FormatCount(sum.Rejected))
	}
	return v
}

func importCounts(sum *batch.Summary) []ui.Count {
	var updated int64
	if sum.Updated != nil {
		updated = *sum.Updated
	}
	return []ui.Count{
		{Label: "Files read", Value: ui.FormatCount(sum.Files), TestID: "count-files"},
		{Label: "Lines read", Value: ui.FormatCount(sum.Lines), TestID: "count-lines"},
		{Label: "Events stored", Value: ui.FormatCount(sum.Events), TestID: "count-events"},
		{Label: "Duplicates of stored calls", Value: ui.FormatCount(sum.Duplicates),
			TestID: "count-duplicates"},
		{Label: "Stored calls updated by a later copy", Value: ui.FormatCount(updated),
			TestID: "count-updated"},
		{Label: "Lines without usage (skipped)", Value: ui.FormatCount(sum.Skipped),
			TestID: "count-skipped"},
		{Label: "Lines rejected", Value: ui.FormatCount(sum.Rejected), TestID: "count-rejected"},
		{Label: "Events without a price (unpriced)", Value: ui.FormatCount(sum.UnpricedEvents),
			TestID: "count-unpriced"},
	}
}

// formatLabel names an import's format for its page.
func formatLabel(format string) string {
	if format == "" {
		return "Recognised per file"
	}
	return format
}

// importSource says where an import came from: "build-01 · erin".
func importSource(host, osUser string) string {
	var parts []string
	for _, s := range []string{host, osUser} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "Not given"
	}
	return strings.Join(parts, " · ")
}

// formatMoney shows an amount as pages do (ui.FormatMoney), with the exact
// amount for its title.
func formatMoney(d decimal.Decimal) ui.Money {
	return ui.Money{Text: ui.FormatMoney(d), Exact: "$" + d.String()}
}

// formatBytes shows a size in binary units, "1.5 MiB".
func formatBytes(n int64) string {
	if n < 1024 {
		return ui.FormatCount(n) + " bytes"
	}
	f := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if f < 1024 || unit == "TiB" {
			s := strconv.FormatFloat(f, 'f', 1, 64)
			return strings.TrimSuffix(s, ".0") + " " + unit
		}
	}
	return ""
}
