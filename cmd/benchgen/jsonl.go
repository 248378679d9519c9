package main

import (
	"bytes"
	"fmt"
	"os"
)

// chunkSize is how many bytes a file buffers before handing them over.
const chunkSize = 1 << 20

// chunk is a filled buffer for the sink to write, and maybe the file's end.
type chunk struct {
	f    *os.File
	data []byte
	last bool // close f after writing
}

// sink writes chunks on its own goroutine, so generating lines overlaps the
// write system calls. A fixed set of buffers keeps memory flat.
type sink struct {
	jobs chan chunk
	free chan []byte
	done chan error
}

// newSink starts a sink with n buffers.
func newSink(n int) *sink {
	s := &sink{jobs: make(chan chunk, n), free: make(chan []byte, n), done: make(chan error, 1)}
	for range n {
		s.free <- make([]byte, 0, chunkSize+64<<10)
	}
	go s.run()
	return s
}

// run writes chunks until the job queue closes and reports the first error.
func (s *sink) run() {
	var first error
	for c := range s.jobs {
		if first == nil {
			first = writeChunk(c)
		} else if c.last {
			c.f.Close()
		}
		s.free <- c.data[:0]
	}
	s.done <- first
}

// writeChunk writes one chunk and closes its file after the last.
func writeChunk(c chunk) error {
	if _, err := c.f.Write(c.data); err != nil {
		c.f.Close()
		return fmt.Errorf("write %s: %w", c.f.Name(), err)
	}
	if !c.last {
		return nil
	}
	if err := c.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", c.f.Name(), err)
	}
	return nil
}

// wait drains the queue and returns the first write error.
func (s *sink) wait() error {
	close(s.jobs)
	return <-s.done
}

// jsonlFile is one transcript being written. Every line goes through emit,
// which counts it in the tally under the class its writer gave it.
type jsonlFile struct {
	f    *os.File
	buf  []byte
	sink *sink
	t    *tally
	rec  *recording // non-nil when a resumed copy will replay this file
}

// recording keeps a file's lines and classes so a resumed session can
// replay them.
type recording struct {
	data    []byte
	ends    []int
	classes []class
}

// newJSONLFile returns a file that writes through s.
func newJSONLFile(f *os.File, s *sink, t *tally) *jsonlFile {
	return &jsonlFile{f: f, buf: <-s.free, sink: s, t: t}
}

// emit writes line plus a newline.
func (j *jsonlFile) emit(line []byte, c class) {
	j.buf = append(j.buf, line...)
	j.buf = append(j.buf, '\n')
	j.t.line(c, len(line)+1)
	if j.rec != nil {
		j.rec.data = append(j.rec.data, line...)
		j.rec.ends = append(j.rec.ends, len(j.rec.data))
		j.rec.classes = append(j.rec.classes, c)
	}
	if len(j.buf) >= chunkSize {
		j.sink.jobs <- chunk{f: j.f, data: j.buf}
		j.buf = <-j.sink.free
	}
}

// close hands the rest of the file to the sink, which closes it. Write
// errors surface from the sink's wait.
func (j *jsonlFile) close() {
	j.sink.jobs <- chunk{f: j.f, data: j.buf, last: true}
	j.buf = nil
}

// replay writes the first n recorded lines again with the session id
// changed to the writer's, as a resumed session copies its history. Copies
// of calls are duplicates; lines without usage stay skipped.
func (w *writer) replay(rec *recording, oldID string, n int) {
	from := []byte(`"sessionId":"` + oldID + `"`)
	to := []byte(`"sessionId":"` + w.s.id + `"`)
	start := 0
	for i := range n {
		line := rec.data[start:rec.ends[i]]
		start = rec.ends[i]
		c := rec.classes[i]
		if c == classEvent {
			c = classDuplicate
		}
		w.out.emit(bytes.Replace(line, from, to, 1), c)
	}
}
