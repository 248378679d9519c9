package importer

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// headSize is how much of a file format detection looks at.
const headSize = 64 << 10

// minBuffer is the line reader's first buffer size.
const minBuffer = 256 << 10

// lineReader splits a stream into lines with one buffer that grows only as
// far as the longest line, and never past max bytes plus the newline.
// Lines longer than max are reported as too long and skipped.
type lineReader struct {
	r     io.Reader
	buf   []byte
	start int   // first unread byte
	end   int   // end of buffered data
	max   int   // longest line accepted, without its newline
	err   error // first read error, io.EOF at the end
	bytes int64 // bytes read so far
}

// buffers holds first buffers of line readers for reuse: a tree of small
// files would otherwise allocate one per file.
var buffers = sync.Pool{New: func() any { return new([]byte) }}

func newLineReader(r io.Reader, max int) *lineReader {
	if max+1 < minBuffer {
		return &lineReader{r: r, buf: make([]byte, max+1), max: max}
	}
	buf := *buffers.Get().(*[]byte)
	if len(buf) != minBuffer {
		buf = make([]byte, minBuffer)
	}
	return &lineReader{r: r, buf: buf, max: max}
}

// release gives the buffer back for another reader, unless it grew; no line
// returned before may be used after.
func (l *lineReader) release() {
	if len(l.buf) == minBuffer {
		buf := l.buf
		buffers.Put(&buf)
	}
	l.buf, l.start, l.end = nil, 0, 0
}

// head returns the first bytes of the stream (up to headSize) without
// consuming them.
func (l *lineReader) head() []byte {
	for l.end-l.start < headSize && l.end < len(l.buf) && l.err == nil {
		l.fill()
	}
	return l.buf[l.start:min(l.end, l.start+headSize)]
}

// fill reads once into the free tail of the buffer.
func (l *lineReader) fill() {
	n, err := l.r.Read(l.buf[l.end:])
	if n < 0 || n > len(l.buf)-l.end {
		n, err = 0, errors.New("reader returned a bad count")
	}
	l.end += n
	l.bytes += int64(n)
	if err != nil && l.err == nil {
		l.err = err
	}
}

// next returns the next line without its line ending, valid until the
// next call. tooLong reports a line over the limit (line is then nil).
// ok is false at the end of the stream or on a read error (see failure).
func (l *lineReader) next() (line []byte, tooLong, ok bool) {
	scanned := l.start
	for {
		if k := bytes.IndexByte(l.buf[scanned:l.end], '\n'); k >= 0 {
			nl := scanned + k
			line = l.buf[l.start:nl]
			l.start = nl + 1
			if len(line) > l.max {
				return nil, true, true
			}
			return trimCR(line), false, true
		}
		scanned = l.end
		if l.err != nil {
			return l.last()
		}
		if l.end == len(l.buf) && !l.makeRoom() {
			return nil, l.discard(), true
		}
		scanned -= l.compact()
		l.fill()
	}
}

// last returns the final line when the stream ends without a newline.
func (l *lineReader) last() ([]byte, bool, bool) {
	if l.start == l.end || l.err != io.EOF {
		return nil, false, false
	}
	line := l.buf[l.start:l.end]
	l.start = l.end
	if len(line) > l.max {
		return nil, true, true
	}
	return trimCR(line), false, true
}

// makeRoom grows the buffer when the pending line fills it; it reports
// false when the line is already longer than the limit.
func (l *lineReader) makeRoom() bool {
	if l.start > 0 {
		return true
	}
	if len(l.buf) > l.max {
		return false
	}
	size := min(2*len(l.buf), l.max+1)
	buf := make([]byte, size)
	copy(buf, l.buf[:l.end])
	l.buf = buf
	return true
}

// compact moves the pending bytes to the front and returns the old start.
func (l *lineReader) compact() int {
	old := l.start
	if old > 0 {
		n := copy(l.buf, l.buf[l.start:l.end])
		l.start, l.end = 0, n
	}
	return old
}

// discard drops the rest of an overlong line, up to and including its
// newline, and reports true (the line was too long).
func (l *lineReader) discard() bool {
	for {
		if k := bytes.IndexByte(l.buf[l.start:l.end], '\n'); k >= 0 {
			l.start += k + 1
			return true
		}
		l.start, l.end = 0, 0
		if l.err != nil {
			return true
		}
		l.fill()
	}
}

// failure returns the read error that ended the stream, nil at a clean end.
func (l *lineReader) failure() error {
	if l.err == io.EOF {
		return nil
	}
	return l.err
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
