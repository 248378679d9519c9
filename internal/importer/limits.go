package importer

import (
	"errors"
	"fmt"
)

// Limits guard reading: max bytes of a single line (longer lines are
// rejected, reading goes on at the next line), max total uncompressed bytes
// per run, max files, max compression ratio for .gz files and archive
// members, and how many reject details a run keeps (counts stay exact).
type Limits struct {
	MaxLineBytes  int
	MaxTotalBytes int64
	MaxFiles      int
	MaxRatio      int
	MaxRejects    int
}

// DefaultLimits returns limits that real agent logs stay well inside: a
// Claude Code line holding a pasted image runs to a few megabytes, and
// JSON logs compress about 10 to 30 times.
func DefaultLimits() Limits {
	return Limits{
		MaxLineBytes:  32 << 20,
		MaxTotalBytes: 64 << 30,
		MaxFiles:      1_000_000,
		MaxRatio:      200,
		MaxRejects:    1000,
	}
}

// orDefault fills the zero fields of l from DefaultLimits.
func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxRejects <= 0 {
		l.MaxRejects = d.MaxRejects
	}
	return l
}

// ErrLimit is wrapped by the errors that stop a run at a limit: too many
// files or too many bytes in total.
var ErrLimit = errors.New("import limit reached")

// ErrUnknownFormat is wrapped by Detect when no format fits a file.
var ErrUnknownFormat = errors.New("unknown format: not Claude Code, Codex or tally generic")

// totalError is returned by a reader once the run's byte budget is spent.
type totalError struct{ max int64 }

func (e *totalError) Error() string {
	return fmt.Sprintf("run exceeds %d uncompressed bytes", e.max)
}

func (e *totalError) Unwrap() error { return ErrLimit }

// MemberError is what Walk hands to its callback, as the error of the
// reader's first Read, for a file or archive member it will not read (a
// symlink, a device, an unsafe path, a nested archive). ReadFile records
// it as a reject of that file at line 0.
type MemberError struct {
	Reason string
}

func (e *MemberError) Error() string { return e.Reason }

// rejectReader fails its first Read with a MemberError.
type rejectReader struct{ err *MemberError }

func (r rejectReader) Read([]byte) (int, error) { return 0, r.err }
