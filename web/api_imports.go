package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/usage"
)

// uploadSlack is what an upload's body may hold beyond its files' bytes:
// the parts' headers and the text fields.
const uploadSlack = 16 << 20

// maxFieldLen caps an upload's text fields.
const maxFieldLen = 255

// uploadFields are an upload's text fields, which come before its files.
type uploadFields struct {
	Format string
	Host   string
	OSUser string
	Mine   bool
}

// uploadFieldNames are the text fields an upload may carry.
var uploadFieldNames = []string{"format", "host", "mine", "os_user"}

// createImportAPI takes an upload from the CLI or a collector and answers
// 202 with the new import's id; GET /api/v1/imports/{id} follows it.
func (s *Server) createImportAPI(w http.ResponseWriter, r *http.Request) {
	id, _, err := s.receiveUpload(w, r)
	if err != nil {
		status, message := uploadProblem(err, s.cfg.UploadMaxBytes)
		if status == 0 {
			s.renderAPIFailure(w, r, err)
			return
		}
		s.renderAPIError(w, r, status, message)
		return
	}
	s.renderJSON(w, r, http.StatusAccepted, map[string]int64{"id": id})
}

// showImportAPI answers an import's status, and once it is done what it
// stored, as batch.Status.
func (s *Server) showImportAPI(w http.ResponseWriter, r *http.Request) {
	st, err := s.visibleImport(r)
	if err != nil {
		s.renderAPIFailure(w, r, err)
		return
	}
	s.renderJSON(w, r, http.StatusOK, st)
}

// visibleImport returns the import that the path's {id} names, if the
// viewer may see it: its uploader may, and so may whoever sees all
// imports. Anyone else gets fault.ErrNotFound, as for no import at all.
func (s *Server) visibleImport(r *http.Request) (*batch.Status, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, fault.ErrNotFound
	}
	st, err := s.imports.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	p, _ := principalFrom(r.Context())
	if st.UploaderID != p.ID && !seesAllImports(p) {
		return nil, fault.ErrNotFound
	}
	return st, nil
}

// seesAllImports reports whether p may see everyone's imports.
func seesAllImports(p principal.Principal) bool {
	return p.HasAny(config.RoleAdmin, config.RoleFinance, config.RoleInvestigator)
}

// receiveUpload streams r's multipart body into a new import: the text
// fields first, then every part named file, one file each. It returns the
// import's id, and the fields it read so that a form can show them again.
// The body is never buffered: batch.Service.Create compresses each part
// into the database as it arrives, and stores nothing if any part fails.
func (s *Server) receiveUpload(w http.ResponseWriter, r *http.Request) (int64, uploadFields,
	error) {
	var f uploadFields
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.UploadMaxBytes+uploadSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return 0, f, fault.Invalidf("file", "Send the files as multipart/form-data.")
	}
	first, err := f.read(mr)
	if err != nil {
		return 0, f, err
	}
	if first == nil {
		return 0, f, batch.ErrEmpty
	}

	p, _ := principalFrom(r.Context())
	up := batch.Upload{Uploader: p.Actor(), Claimed: f.Mine, Host: f.Host,
		OSUser: f.OSUser, Format: f.Format}
	id, err := s.imports.Create(r.Context(), up, uploadFiles(mr, first))
	return id, f, err
}

// read reads the text fields up to the first file, which it returns; nil
// when the body has no file.
func (f *uploadFields) read(mr *multipart.Reader) (*multipart.Part, error) {
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // the closing boundary; a wrapped EOF is a body cut short
			return nil, nil
		}
		if err != nil {
			return nil, badMultipart(err)
		}
		if part.FormName() == "file" {
			if _, ok := partFileName(part); ok {
				return part, nil
			}
			continue // an empty file input
		}
		if err := f.set(part); err != nil {
			return nil, err
		}
	}
}

// set reads one text field into f; fields it does not know are ignored.
func (f *uploadFields) set(part *multipart.Part) error {
	name := part.FormName()
	if !slices.Contains(uploadFieldNames, name) {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(part, maxFieldLen+1))
	if err != nil {
		return fmt.Errorf("read upload field %s: %w", name, err)
	}
	v := strings.TrimSpace(string(b))
	if len(v) > maxFieldLen || strings.ContainsFunc(v, unicode.IsControl) {
		return fault.Invalidf(name, fmt.Sprintf("The %s must be %d characters or fewer, "+
			"without control characters", strings.ReplaceAll(name, "_", " "), maxFieldLen))
	}
	switch name {
	case "format":
		switch v {
		case "", usage.FormatClaudeCode, usage.FormatCodex, usage.FormatGeneric:
		default:
			return fault.Invalidf("format", fmt.Sprintf("Format %q is not one of "+
				"claude-code, codex or generic; leave it empty to detect it", v))
		}
		f.Format = v
	case "host":
		// Unattributed spend is grouped by "os_user@host": a host name has
		// no @, so that the group says which part is which.
		if strings.Contains(v, "@") {
			return fault.Invalidf("host", "The host is a machine's name, without @")
		}
		f.Host = v
	case "os_user":
		f.OSUser = v
	case "mine":
		switch strings.ToLower(v) {
		case "", "false", "0", "off":
			f.Mine = false
		case "true", "1", "on":
			f.Mine = true
		default:
			return fault.Invalidf("mine", "Mine must be true or false")
		}
	}
	return nil
}

// uploadFiles yields first and every later part that is a file.
func uploadFiles(mr *multipart.Reader, first *multipart.Part) batch.Files {
	return func(yield func(name string, r io.Reader) error) error {
		for part := first; ; {
			raw, isFile := partFileName(part)
			switch {
			case part.FormName() == "file" && isFile:
				name, err := cleanFileName(raw)
				if err != nil {
					return err
				}
				if err := yield(name, part); err != nil {
					return err
				}
			case slices.Contains(uploadFieldNames, part.FormName()):
				return fault.Invalidf("file", "Send the fields format, host, mine and "+
					"os_user before the files.")
			}
			var err error
			part, err = mr.NextPart()
			if err == io.EOF { // the closing boundary; a wrapped EOF is a body cut short
				return nil
			}
			if err != nil {
				return badMultipart(err)
			}
		}
	}
}

// badMultipart turns a failure to read the next part of an upload into
// the client's error it is, unless the body was cut off or too large.
func badMultipart(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return batch.ErrTruncated
	}
	return fault.Invalidf("file", "The upload is not well-formed multipart/form-data: "+
		"a part's headers could not be read.")
}

// partFileName returns the file name a part was sent with, as sent:
// multipart.Part.FileName keeps only its last element, and the folders of
// a session log matter (sub-agent logs are told apart by their path).
func partFileName(part *multipart.Part) (string, bool) {
	_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil {
		return "", false
	}
	name := params["filename"]
	return name, name != ""
}

// cleanFileName turns an uploaded file's name into the name it is stored
// under: forward slashes, relative (no leading "/" or drive letter), no
// "." elements; a name with a ".." element or a control character is
// refused.
func cleanFileName(raw string) (string, error) {
	name := strings.ReplaceAll(raw, `\`, "/")
	if len(name) >= 2 && name[1] == ':' && unicode.IsLetter(rune(name[0])) {
		name = name[2:]
	}
	name = strings.TrimLeft(name, "/")
	refuse := fault.Invalidf("file", fmt.Sprintf("The file name %q cannot be used: "+
		"send UTF-8 names relative to the folder uploaded, without “..”.", raw))
	if slices.Contains(strings.Split(name, "/"), "..") || !utf8.ValidString(name) ||
		strings.ContainsFunc(name, unicode.IsControl) || len(name) > 1024 {
		return "", refuse
	}
	name = path.Clean(name)
	if name == "." {
		return "", refuse
	}
	return name, nil
}

// uploadProblem returns the status and the message, safe to show, for an
// upload that failed because of what was sent; status 0 for anything else.
func uploadProblem(err error, limit int64) (int, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, batch.ErrTooLarge) || errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger "+
			"than tally accepts: at most %s of files. Nothing was stored; split it into "+
			"smaller uploads.", formatBytes(limit))
	case errors.Is(err, batch.ErrTruncated):
		return http.StatusBadRequest, "The upload ended before its last part did, as when a " +
			"connection breaks. Nothing was stored; send it again."
	case errors.Is(err, batch.ErrEmpty):
		return http.StatusBadRequest, "The upload has no files: send each file as a " +
			"part named file."
	}
	if v, ok := fault.AsInvalid(err); ok {
		return http.StatusBadRequest, v.Message
	}
	return 0, ""
}
