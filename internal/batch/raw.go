package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"

	"github.com/tallyhq/tally/db"
)

// A raw batch is one S2 stream of frames, stored in chunks: each file is
// a start frame with its name, data frames, and an end frame. One stream
// per upload keeps an upload of thousands of small files to a few rows.
const (
	chunkSize = 1<<20 - 1<<10 // compressed bytes per stored row, so that it fits pgx's 1 MiB buffers
	frameSize = 1 << 20       // raw bytes per data frame at most

	frameFile byte = 'F'
	frameData byte = 'D'
	frameEnd  byte = 'E'
)

// chunkWriter stores what is written to it as numbered chunks of one import.
type chunkWriter struct {
	ctx      context.Context
	q        *db.Queries
	importID int64
	seq      int32
	buf      bytes.Buffer
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for w.buf.Len() >= chunkSize {
		if err := w.flush(w.buf.Next(chunkSize)); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close stores what is left.
func (w *chunkWriter) Close() error {
	if w.buf.Len() == 0 {
		return nil
	}
	return w.flush(w.buf.Next(w.buf.Len()))
}

func (w *chunkWriter) flush(data []byte) error {
	err := w.q.InsertImportChunk(w.ctx, db.InsertImportChunkParams{
		ImportID: w.importID, Seq: w.seq, Data: data})
	if err != nil {
		return fmt.Errorf("store chunk %d: %w", w.seq, err)
	}
	w.seq++
	return nil
}

// rawWriter frames files into a compressed raw batch.
type rawWriter struct {
	enc    *s2.Writer
	chunks *chunkWriter
	buf    []byte
}

func newRawWriter(enc *s2.Writer, chunks *chunkWriter) *rawWriter {
	enc.Reset(chunks)
	return &rawWriter{enc: enc, chunks: chunks, buf: make([]byte, frameSize)}
}

// file frames r as the file name and returns its size; past limit bytes it
// stops with ErrTooLarge.
func (w *rawWriter) file(name string, r io.Reader, limit int64) (int64, error) {
	if err := w.frame(frameFile, []byte(name)); err != nil {
		return 0, err
	}
	var n int64
	for {
		k, err := fill(r, w.buf)
		n += int64(k)
		if n > limit {
			return n, ErrTooLarge
		}
		if k > 0 {
			if err := w.frame(frameData, w.buf[:k]); err != nil {
				return n, err
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return n, w.frame(frameEnd, nil)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return n, ErrTruncated
		case err != nil:
			return n, fmt.Errorf("read upload: %w", err)
		}
	}
}

// fill reads into buf until it is full or r fails, and returns r's error
// as it is: io.EOF where r ended cleanly, io.ErrUnexpectedEOF where an
// upload's body ended inside a file.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (w *rawWriter) frame(kind byte, body []byte) error {
	var head [1 + binary.MaxVarintLen64]byte
	head[0] = kind
	k := 1
	if kind != frameEnd {
		k += binary.PutUvarint(head[1:], uint64(len(body)))
	}
	if _, err := w.enc.Write(head[:k]); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	if _, err := w.enc.Write(body); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	return nil
}

// close ends the stream and stores its last chunk.
func (w *rawWriter) close() error {
	if err := w.enc.Close(); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	return w.chunks.Close()
}

// chunkReader reads back the chunks of one import in order. A goroutine
// fetches the next chunks while the current one is read, so the database's
// reads overlap the parsing; it uses its own connection (the chunks were
// committed with the upload), not the import job's transaction.
type chunkReader struct {
	chunks <-chan chunk
	cur    []byte
	err    error
	stop   context.CancelFunc
}

// chunk is one fetched chunk, or the error that ended the fetching.
type chunk struct {
	data []byte
	err  error
}

// readAhead is how many chunks are fetched before they are read.
const readAhead = 1

func newChunkReader(ctx context.Context, q *db.Queries, importID int64) *chunkReader {
	ctx, stop := context.WithCancel(ctx)
	ch := make(chan chunk, readAhead)
	go fetchChunks(ctx, q, importID, ch)
	return &chunkReader{chunks: ch, stop: stop}
}

func fetchChunks(ctx context.Context, q *db.Queries, importID int64, ch chan<- chunk) {
	defer close(ch)
	for seq := int32(0); ; seq++ {
		data, err := q.GetImportChunk(ctx, db.GetImportChunkParams{ImportID: importID, Seq: seq})
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			return
		}
		if err != nil {
			err = fmt.Errorf("read chunk %d: %w", seq, err)
		}
		select {
		case ch <- chunk{data, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		c, ok := <-r.chunks
		switch {
		case !ok:
			r.err = io.EOF
		case c.err != nil:
			r.err = c.err
		default:
			r.cur = c.data
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops the fetching.
func (r *chunkReader) Close() error {
	r.stop()
	return nil
}

// rawReader reads the files of a raw batch back, one at a time.
type rawReader struct {
	br   *bufio.Reader
	body fileBody
}

func newRawReader(r io.Reader) *rawReader {
	return &rawReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next file's name and a reader of its bytes, valid until
// the following call; io.EOF after the last file.
func (r *rawReader) next() (string, io.Reader, error) {
	if err := r.body.drain(); err != nil {
		return "", nil, err
	}
	kind, err := r.br.ReadByte()
	if errors.Is(err, io.EOF) {
		return "", nil, io.EOF
	}
	if err != nil {
		return "", nil, fmt.Errorf("read raw batch: %w", err)
	}
	if kind != frameFile {
		return "", nil, fmt.Errorf("raw batch: frame %q where a file should start", kind)
	}
	name, err := r.bytes()
	if err != nil {
		return "", nil, err
	}
	r.body = fileBody{r: r}
	return string(name), &r.body, nil
}

func (r *rawReader) bytes() ([]byte, error) {
	n, err := binary.ReadUvarint(r.br)
	if err != nil || n > frameSize {
		return nil, fmt.Errorf("raw batch: bad frame length: %v", err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, fmt.Errorf("raw batch: short frame: %w", err)
	}
	return b, nil
}

// fileBody reads the data frames of one file.
type fileBody struct {
	r    *rawReader
	left uint64 // bytes left in the current data frame
	done bool
}

func (b *fileBody) Read(p []byte) (int, error) {
	for b.left == 0 {
		if b.done || b.r == nil {
			return 0, io.EOF
		}
		kind, err := b.r.br.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("raw batch: %w", io.ErrUnexpectedEOF)
		}
		switch kind {
		case frameEnd:
			b.done = true
			return 0, io.EOF
		case frameData:
			if b.left, err = binary.ReadUvarint(b.r.br); err != nil {
				return 0, fmt.Errorf("raw batch: bad frame length: %w", err)
			}
		default:
			return 0, fmt.Errorf("raw batch: frame %q inside a file", kind)
		}
	}
	n, err := b.r.br.Read(p[:min(uint64(len(p)), b.left)])
	b.left -= uint64(n)
	return n, err
}

// drain skips what is left of the file, so the next one can start.
func (b *fileBody) drain() error {
	if b.r == nil || b.done {
		return nil
	}
	_, err := io.Copy(io.Discard, b)
	return err
}
