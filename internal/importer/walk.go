package importer

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// kind is how a file is opened.
type kind int8

const (
	kindPlain kind = iota
	kindGzip
	kindTar
	kindTarGzip
	kindZip
)

// kindOf decides from a name how a file is opened.
func kindOf(name string) kind {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".tar.gz"), strings.HasSuffix(n, ".tgz"):
		return kindTarGzip
	case strings.HasSuffix(n, ".tar"):
		return kindTar
	case strings.HasSuffix(n, ".zip"):
		return kindZip
	case strings.HasSuffix(n, ".gz"):
		return kindGzip
	}
	return kindPlain
}

// entry is one file found on disk, or one refused (reject is then set).
type entry struct {
	path   string
	kind   kind
	reject string
}

// Walk calls fn for every regular file under paths: plain files, folders
// (recursively, in sorted order), .gz files, and .tar.gz/.tgz/.tar/.zip
// archives, whose members are named "<archive>/<member path>" and read in
// archive order. Guards: archive bombs (compression ratio and total size),
// symlinks, hard links and devices in archives (handed to fn as a reader
// that fails with a *MemberError, which ReadFile records as a reject of
// that member), member paths that are absolute or contain "..", and
// nested archives, likewise. Symlinks on disk are followed only to regular
// files inside the given folder. Walk stops with an error wrapping
// ErrLimit past lim.MaxFiles files or lim.MaxTotalBytes bytes; the file
// that crossed the byte budget sees a read error first.
func Walk(ctx context.Context, paths []string, lim Limits,
	fn func(name string, r io.Reader) error) error {
	lim = lim.orDefault()
	entries, err := list(paths, lim.MaxFiles)
	if err != nil {
		return err
	}
	w := newWalker(ctx, lim, fn)
	for _, e := range entries {
		if err := w.entry(e); err != nil {
			return err
		}
	}
	return nil
}

// WalkUpload does what Walk does for one uploaded stream; its name
// decides how it is read (plain, .gz, .tar, .tar.gz/.tgz, .zip). A zip is
// spooled to a temporary file first, at most lim.MaxTotalBytes of it.
func WalkUpload(ctx context.Context, name string, r io.Reader, lim Limits,
	fn func(name string, r io.Reader) error) error {
	lim = lim.orDefault()
	w := newWalker(ctx, lim, fn)
	if kindOf(name) != kindZip {
		return w.stream(name, kindOf(name), r)
	}
	return w.spoolZip(name, r)
}

// walker hands files to fn and keeps the run's counts and budget.
type walker struct {
	ctx    context.Context
	lim    Limits
	fn     func(string, io.Reader) error
	files  int
	budget budget
}

func newWalker(ctx context.Context, lim Limits, fn func(string, io.Reader) error) *walker {
	return &walker{ctx: ctx, lim: lim, fn: fn, budget: budget{max: lim.MaxTotalBytes}}
}

// emit hands one file to fn through the byte budget.
func (w *walker) emit(name string, r io.Reader) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	w.files++
	if w.files > w.lim.MaxFiles {
		return fmt.Errorf("walk: more than %d files: %w", w.lim.MaxFiles, ErrLimit)
	}
	if err := w.fn(name, &budgetReader{r: r, b: &w.budget}); err != nil {
		return err
	}
	if w.budget.spent {
		return fmt.Errorf("walk: %w", &totalError{w.lim.MaxTotalBytes})
	}
	return nil
}

// refuse hands fn a file it must record as rejected.
func (w *walker) refuse(name, reason string) error {
	return w.emit(name, rejectReader{&MemberError{Reason: reason}})
}

// entry reads one file found on disk.
func (w *walker) entry(e entry) error {
	if e.reject != "" {
		return w.refuse(e.path, e.reject)
	}
	if e.kind == kindZip {
		zr, err := zip.OpenReader(e.path)
		if err != nil {
			return w.refuse(e.path, "cannot read zip archive: "+err.Error())
		}
		defer zr.Close()
		return w.zip(e.path, &zr.Reader)
	}
	f, err := os.Open(e.path)
	if err != nil {
		return w.refuse(e.path, "cannot open: "+err.Error())
	}
	defer f.Close()
	return w.stream(e.path, e.kind, f)
}

// stream reads a file or upload that is not a zip.
func (w *walker) stream(name string, k kind, r io.Reader) error {
	src := newCounter(r)
	switch k {
	case kindPlain:
		return w.emit(name, r)
	case kindTar:
		return w.tar(name, src, src, nil)
	}
	zr, err := gzip.NewReader(src)
	if err != nil {
		return w.refuse(name, "cannot read gzip: "+err.Error())
	}
	defer zr.Close()
	g := &ratioGuard{in: src, max: w.lim.MaxRatio}
	if k == kindGzip {
		return w.emit(name, g.reader(zr))
	}
	return w.tar(name, g.reader(zr), src, g)
}

// tar reads the members of the tar stream r. src counts the bytes taken
// from the archive file; g, when the stream is gzipped, guards inflation,
// and a second guard holds the members (sparse entries included) to the
// same ratio.
func (w *walker) tar(name string, r io.Reader, src *counter, g *ratioGuard) error {
	members := &ratioGuard{in: src, max: w.lim.MaxRatio}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return w.archiveError(name, err)
		}
		if err := w.tarMember(name, h, members.reader(tr)); err != nil {
			return err
		}
		if members.tripped || g != nil && g.tripped {
			return nil // the member's reader failed with the reason
		}
	}
}

// archiveError records an archive that cannot be read further.
func (w *walker) archiveError(name string, err error) error {
	if w.budget.spent {
		return fmt.Errorf("walk: %w", &totalError{w.lim.MaxTotalBytes})
	}
	return w.refuse(name, "cannot read archive: "+err.Error())
}

// tarMember hands one tar member to fn, or refuses it.
func (w *walker) tarMember(arch string, h *tar.Header, r io.Reader) error {
	member, bad := memberName(h.Name)
	full := arch + "/" + member
	switch {
	case bad != "":
		return w.refuse(arch+"/"+h.Name, bad)
	case h.Typeflag == tar.TypeDir, h.Typeflag == tar.TypeXGlobalHeader:
		return nil
	case h.Typeflag == tar.TypeSymlink:
		return w.refuse(full, "symlink member not read")
	case h.Typeflag == tar.TypeLink:
		return w.refuse(full, "hard link member not read")
	case h.Typeflag == tar.TypeChar, h.Typeflag == tar.TypeBlock, h.Typeflag == tar.TypeFifo:
		return w.refuse(full, "device member not read")
	case h.Typeflag != tar.TypeReg && h.Typeflag != '\x00':
		return w.refuse(full, fmt.Sprintf("member of type %q not read", h.Typeflag))
	}
	return w.member(full, r)
}

// member hands one regular archive member to fn; a gzipped member is
// inflated under its own ratio guard, a nested archive is refused.
func (w *walker) member(name string, r io.Reader) error {
	switch kindOf(name) {
	case kindPlain:
		return w.emit(name, r)
	case kindGzip:
		src := newCounter(r)
		zr, err := gzip.NewReader(src)
		if err != nil {
			return w.refuse(name, "cannot read gzip: "+err.Error())
		}
		defer zr.Close()
		g := &ratioGuard{in: src, max: w.lim.MaxRatio}
		return w.emit(name, g.reader(zr))
	}
	return w.refuse(name, "nested archive not read")
}

// zip reads the members of a zip archive in directory order.
func (w *walker) zip(name string, zr *zip.Reader) error {
	for _, f := range zr.File {
		if err := w.zipMember(name, f); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) zipMember(arch string, f *zip.File) error {
	member, bad := memberName(f.Name)
	full := arch + "/" + member
	mode := f.Mode()
	switch {
	case bad != "":
		return w.refuse(arch+"/"+f.Name, bad)
	case mode.IsDir():
		return nil
	case mode&fs.ModeSymlink != 0:
		return w.refuse(full, "symlink member not read")
	case !mode.IsRegular():
		return w.refuse(full, "device member not read")
	}
	rc, err := f.Open()
	if err != nil {
		return w.refuse(full, "cannot read member: "+err.Error())
	}
	defer rc.Close()
	in := &counter{n: int64(f.CompressedSize64)}
	g := &ratioGuard{in: in, max: w.lim.MaxRatio}
	return w.member(full, g.reader(rc))
}

// spoolZip copies an uploaded zip to a temporary file and reads it.
func (w *walker) spoolZip(name string, r io.Reader) error {
	tmp, err := os.CreateTemp("", "tally-upload-*.zip")
	if err != nil {
		return fmt.Errorf("spool %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(r, w.lim.MaxTotalBytes+1))
	if err != nil {
		return fmt.Errorf("spool %s: %w", name, err)
	}
	if n > w.lim.MaxTotalBytes {
		return fmt.Errorf("spool %s: %w", name, &totalError{w.lim.MaxTotalBytes})
	}
	zr, err := zip.NewReader(tmp, n)
	if err != nil {
		return w.refuse(name, "cannot read zip archive: "+err.Error())
	}
	return w.zip(name, zr)
}

// memberName cleans an archive member's path; bad says why it is refused.
func memberName(raw string) (clean, bad string) {
	n := strings.ReplaceAll(raw, `\`, "/")
	if strings.HasPrefix(n, "/") || len(n) > 1 && n[1] == ':' {
		return "", "absolute member path not read"
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", "member path with .. not read"
		}
	}
	return path.Clean(n), ""
}

// ListFiles returns the regular files under paths, in the order Walk reads
// them, and the entries it would refuse (symlinks that leave their folder,
// devices, unreadable folders) with why. It does not open archives.
func ListFiles(paths []string, lim Limits) (files []string, refused []Reject, err error) {
	lim = lim.orDefault()
	entries, err := list(paths, lim.MaxFiles)
	if err != nil {
		return nil, nil, err
	}
	if len(entries) > lim.MaxFiles {
		return nil, nil, fmt.Errorf("walk: more than %d files: %w", lim.MaxFiles, ErrLimit)
	}
	for _, e := range entries {
		if e.reject != "" {
			refused = append(refused, Reject{File: e.path, Reason: e.reject})
		} else {
			files = append(files, e.path)
		}
	}
	return files, refused, nil
}

// list finds the files under paths, in order, at most maxFiles+1 of them.
func list(paths []string, maxFiles int) ([]entry, error) {
	var out []entry
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("walk: %w", err)
		}
		switch {
		case fi.IsDir():
			if out, err = listDir(out, p, maxFiles); err != nil {
				return nil, err
			}
		case fi.Mode().IsRegular():
			out = append(out, entry{path: p, kind: kindOf(p)})
		default:
			out = append(out, entry{path: p, reject: "not a regular file"})
		}
		if len(out) > maxFiles {
			return out, nil
		}
	}
	return out, nil
}

// errEnough stops a folder walk once enough files are listed.
var errEnough = errors.New("enough files")

// listDir appends the files under root in lexical order.
func listDir(out []entry, root string, maxFiles int) ([]entry, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("walk: %w", err)
	}
	// A folder named to be read is read where it lives, symlinked or not
	// (dotfile setups link ~/.claude/projects); links inside it are not.
	err = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if len(out) > maxFiles {
			return errEnough
		}
		switch {
		case err != nil:
			out = append(out, entry{path: p, reject: "cannot read: " + err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
		case d.IsDir():
		case d.Type().IsRegular():
			out = append(out, entry{path: p, kind: kindOf(p)})
		case d.Type()&fs.ModeSymlink != 0:
			out = append(out, symlinkEntry(real, p))
		default:
			out = append(out, entry{path: p, reject: "not a regular file"})
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, fmt.Errorf("walk: %w", err)
	}
	return out, nil
}

// symlinkEntry follows a symlink found under root only to a regular file
// inside root.
func symlinkEntry(root, p string) entry {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return entry{path: p, reject: "broken symlink"}
	}
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return entry{path: p, reject: "symlink leads outside " + root}
	}
	fi, err := os.Stat(target)
	switch {
	case err != nil:
		return entry{path: p, reject: "broken symlink"}
	case fi.IsDir():
		return entry{path: p, reject: "symlinked folder not followed"}
	case !fi.Mode().IsRegular():
		return entry{path: p, reject: "not a regular file"}
	}
	return entry{path: p, kind: kindOf(p)}
}

// budget is the run's allowance of uncompressed bytes.
type budget struct {
	max   int64
	used  int64
	spent bool
}

// budgetReader counts what fn reads against the budget.
type budgetReader struct {
	r io.Reader
	b *budget
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if r.b.spent {
		return 0, &totalError{r.b.max}
	}
	n, err := r.r.Read(p)
	r.b.used += int64(n)
	if r.b.used > r.b.max {
		r.b.spent = true
		return n, &totalError{r.b.max}
	}
	return n, err
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func newCounter(r io.Reader) *counter { return &counter{r: r} }

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioFloor is how much any stream may inflate before the ratio counts.
const ratioFloor = 1 << 20

// ratioGuard fails reading once the bytes out exceed max times the bytes
// taken in (past ratioFloor): a compression bomb.
type ratioGuard struct {
	in      *counter
	max     int
	out     int64
	tripped bool
}

// reader wraps r so that what is read through it counts as output.
func (g *ratioGuard) reader(r io.Reader) io.Reader {
	return &guarded{r: r, g: g}
}

type guarded struct {
	r io.Reader
	g *ratioGuard
}

func (r *guarded) Read(p []byte) (int, error) {
	g := r.g
	if g.tripped {
		return 0, g.err()
	}
	n, err := r.r.Read(p)
	g.out += int64(n)
	if g.out > ratioFloor && g.out > int64(g.max)*g.in.n {
		g.tripped = true
		return n, g.err()
	}
	return n, err
}

func (g *ratioGuard) err() error {
	return fmt.Errorf("compression ratio above %d: not read further", g.max)
}
