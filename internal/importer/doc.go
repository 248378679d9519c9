// Package importer reads usage files and turns every line into exactly one
// of: an event (a model call, usage.Event), a duplicate of a call already
// taken, a skip (a line without usage), or a reject (file, line number,
// reason). It reads Claude Code session logs, Codex CLI rollouts and
// tally's generic CSV / JSON Lines format (FORMATS.md B.1, B.2, B.11),
// from plain files, folders, .gz files and tar or zip archives.
//
// Lines are streamed through one bounded buffer and validated as strict
// JSON in a single pass that also records the members of the top two
// object levels; only lines of a usage-bearing type are looked into
// further, so Claude Code transcripts, whose lines are mostly message
// content, are read at about the speed of the validation.
//
// The copies of one call within a file are merged with usage.Merge before
// a Sink sees them; the Sink merges across files. Walk with ReadFile reads
// files one at a time; Options.ReadAll parses files on several cores and
// hands them to the Sink in the same order, so results never depend on
// scheduling.
package importer
