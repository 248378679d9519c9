package ui

// ImportsView is the list of imports: the viewer's own, or everyone's.
type ImportsView struct {
	Shell
	All     bool // the list holds everyone's imports
	Imports []ImportRow
	Capped  string // when set, a note that only the latest are shown
}

// ImportRow is one import in the list. Counts and cost are "" until it is
// done.
type ImportRow struct {
	ID         int64
	Href       string
	When       string
	Uploader   string
	Source     string // host and OS user, "build-01 · erin"
	Claimed    bool
	Files      string
	Bytes      string
	Status     string // queued, running, done or failed
	Events     string
	Duplicates string
	Rejected   string
	Cost       string
	Unpriced   string // "3 unpriced" when some events have no price
}

// ImportFormView is the upload form.
type ImportFormView struct {
	Shell
	Action  string // the form's action, with the CSRF token in its query
	MaxSize string // the largest upload accepted, "2 GiB"
	BaseURL string // for the CLI example
	Formats []Option
	Form    ImportForm
}

// ImportForm is the upload form's input and its errors. Files cannot be
// kept after an error; everything else is.
type ImportForm struct {
	Mine   bool
	Host   string
	OSUser string
	Format string
	Errors []FieldError
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// ImportView is one import: its progress until it is done, then what it
// stored.
type ImportView struct {
	Shell
	ID       int64
	Status   string // queued, running, done or failed
	Uploader string
	When     string
	Source   string
	Claimed  bool
	Format   string
	Error    string // why it failed

	Files []FileRow // the upload's first files
	// FilesNote says that the table leaves files out, if it does.
	FilesNote string

	Working   bool // queued or running: the page refreshes itself
	Retrying  bool // queued again after an attempt failed
	BytesRead string
	Bytes     string
	Percent   int

	Done    bool
	Counts  []Count
	Models  []ImportModelRow
	Total   Money
	Rejects []RejectRow
	// RejectsNote says how many rejects the table leaves out, if any.
	RejectsNote string
}

// Count is one figure of an import's summary.
type Count struct {
	Label  string
	Value  string
	TestID string
}

// Money is an amount as pages show it, with its exact value for a title.
type Money struct {
	Text  string // "$1,234.56"
	Exact string // "$1234.5612345"
}

// ImportModelRow is one model's share of an import.
type ImportModelRow struct {
	Model        string
	Events       string
	Input        string
	CacheRead    string
	CacheWrite5m string
	CacheWrite1h string
	Output       string
	Cost         Money // zero when Unpriced
	Unpriced     bool
}

// FileRow is one file of an upload.
type FileRow struct {
	Name string
	Size string
}

// RejectRow is one line that could not be read.
type RejectRow struct {
	File   string
	Line   string
	Reason string
}
