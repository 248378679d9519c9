package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/tallyhq/tally/db"
)

// chunkSize is the size of one stored chunk of compressed raw bytes.
const chunkSize = 4 << 20

// chunkWriter stores what is written to it as numbered chunks of one file.
type chunkWriter struct {
	ctx    context.Context
	q      *db.Queries
	fileID int64
	seq    int32
	buf    bytes.Buffer
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
		FileID: w.fileID, Seq: w.seq, Data: data})
	if err != nil {
		return fmt.Errorf("store chunk %d: %w", w.seq, err)
	}
	w.seq++
	return nil
}

// storeRaw compresses r into the chunks of file fileID and returns the
// number of raw bytes read. It stops with errTooLarge past limit bytes.
func storeRaw(ctx context.Context, q *db.Queries, fileID int64, r io.Reader,
	limit int64) (int64, error) {
	cw := &chunkWriter{ctx: ctx, q: q, fileID: fileID}
	enc, err := zstd.NewWriter(cw, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1))
	if err != nil {
		return 0, fmt.Errorf("zstd writer: %w", err)
	}
	n, err := io.Copy(enc, io.LimitReader(r, limit+1))
	if err != nil {
		return n, fmt.Errorf("read upload: %w", err)
	}
	if n > limit {
		return n, errTooLarge
	}
	if err := enc.Close(); err != nil {
		return n, fmt.Errorf("compress: %w", err)
	}
	return n, cw.Close()
}

// chunkReader reads back the chunks of one file in order.
type chunkReader struct {
	ctx    context.Context
	q      *db.Queries
	fileID int64
	seq    int32
	cur    []byte
	done   bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.done {
			return 0, io.EOF
		}
		data, err := r.q.GetImportChunk(r.ctx, db.GetImportChunkParams{
			FileID: r.fileID, Seq: r.seq})
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			r.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read chunk %d: %w", r.seq, err)
		}
		r.cur = data
		r.seq++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// openRaw returns a reader of file fileID's raw bytes.
func openRaw(ctx context.Context, q *db.Queries, fileID int64) (io.ReadCloser, error) {
	dec, err := zstd.NewReader(&chunkReader{ctx: ctx, q: q, fileID: fileID},
		zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, fmt.Errorf("zstd reader: %w", err)
	}
	return dec.IOReadCloser(), nil
}
