package importer

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// member is one archive member: a regular file unless typ says otherwise.
type member struct {
	name, body string
	typ        byte // tar type flag; for zip, tar.TypeSymlink makes a symlink
}

func tarBytes(t *testing.T, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: m.typ}
		if m.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size, h.Linkname = 0, "target.jsonl"
		}
		must(t, tw.WriteHeader(h))
		if h.Typeflag == tar.TypeReg {
			_, err := tw.Write([]byte(m.body))
			must(t, err)
		}
	}
	must(t, tw.Close())
	return buf.Bytes()
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, err := zw.Write(b)
	must(t, err)
	must(t, zw.Close())
	return buf.Bytes()
}

func zipBytes(t *testing.T, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		h.SetMode(0o644)
		if m.typ == tar.TypeSymlink {
			h.SetMode(fs.ModeSymlink | 0o777)
		}
		w, err := zw.CreateHeader(h)
		must(t, err)
		_, err = w.Write([]byte(m.body))
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

func writeFile(t *testing.T, name string, body []byte) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(name), 0o755))
	must(t, os.WriteFile(name, body, 0o644))
}

// walkRead runs Walk with ReadFile into a Memory and returns the names fn
// saw, without the root prefix (names are not cleaned: a member named
// "../x" keeps its name).
func walkRead(t *testing.T, root string, paths []string, lim Limits) ([]string, Stats, error) {
	t.Helper()
	var names []string
	var st Stats
	m := NewMemory()
	o := Options{Limits: lim}
	ctx := context.Background()
	err := Walk(ctx, paths, lim, func(name string, r io.Reader) error {
		names = append(names, strings.TrimPrefix(name, root+string(filepath.Separator)))
		return o.ReadFile(ctx, name, r, m, &st)
	})
	checkBalance(t, st)
	return names, st, err
}

// rejectsByFile maps the rejected files (relative to root) to reasons.
func rejectsByFile(root string, st Stats) map[string]string {
	out := map[string]string{}
	for _, r := range st.Rejects {
		out[strings.TrimPrefix(r.File, root+string(filepath.Separator))] = r.Reason
	}
	return out
}

var oneCall = lines(cc{session: sessA, msg: "m1", req: "r1", out: 5}.line())

func TestWalk(t *testing.T) {
	t.Run("folders_gz_and_archives_with_unsafe_members", func(t *testing.T) {
		root := t.TempDir()
		call := func(msg string) string {
			return lines(cc{session: sessA, msg: msg, out: 1}.line())
		}
		writeFile(t, filepath.Join(root, "b", "c.jsonl"), []byte(call("m2")))
		writeFile(t, filepath.Join(root, "a.jsonl"), []byte(call("m1")))
		writeFile(t, filepath.Join(root, "d.jsonl.gz"), gzipBytes(t, []byte(call("m3"))))
		writeFile(t, filepath.Join(root, "e.tar.gz"), gzipBytes(t, tarBytes(t,
			member{name: "./x/s.jsonl", body: call("m4")},
			member{name: "../evil.jsonl", body: call("m5")},
			member{name: "/abs.jsonl", body: call("m6")},
			member{name: "x/link.jsonl", typ: tar.TypeSymlink},
			member{name: "x/hard.jsonl", typ: tar.TypeLink},
			member{name: "x/dev", typ: tar.TypeChar},
			member{name: "x/dir/", typ: tar.TypeDir},
			member{name: "x/inner.zip", body: "PK"},
			member{name: "x/z.jsonl.gz", body: string(gzipBytes(t, []byte(call("m7"))))},
		)))
		writeFile(t, filepath.Join(root, "f.zip"), zipBytes(t,
			member{name: "m.jsonl", body: call("m8")},
			member{name: "sub/../../up.jsonl", body: call("m9")},
			member{name: "ln.jsonl", body: "a.jsonl", typ: tar.TypeSymlink},
		))
		writeFile(t, filepath.Join(root, "notes.txt"), []byte("hello\n"))
		names, st, err := walkRead(t, root, []string{root}, Limits{})
		must(t, err)
		want := "a.jsonl b/c.jsonl d.jsonl.gz e.tar.gz/x/s.jsonl e.tar.gz/../evil.jsonl " +
			"e.tar.gz//abs.jsonl e.tar.gz/x/link.jsonl e.tar.gz/x/hard.jsonl e.tar.gz/x/dev " +
			"e.tar.gz/x/inner.zip e.tar.gz/x/z.jsonl.gz f.zip/m.jsonl f.zip/sub/../../up.jsonl " +
			"f.zip/ln.jsonl notes.txt"
		if got := strings.Join(names, " "); got != want {
			t.Errorf("names got\n%s\nwant\n%s", got, want)
		}
		// 15 files (the tar's folder is none). Read: m1 m2 m3 m4 m7 m8.
		// Refused whole: traversal, absolute, symlink, hard link, device,
		// nested archive (6 in the tar), traversal and symlink (2 in the
		// zip), and notes.txt of unknown format: 9.
		wantCounts(t, st, counts{Files: 15, Lines: 15, Events: 6, Rejected: 9})
		rej := rejectsByFile(root, st)
		for name, reason := range map[string]string{
			"e.tar.gz/../evil.jsonl":   "member path with .. not read",
			"e.tar.gz//abs.jsonl":      "absolute member path not read",
			"e.tar.gz/x/link.jsonl":    "symlink member not read",
			"e.tar.gz/x/hard.jsonl":    "hard link member not read",
			"e.tar.gz/x/dev":           "device member not read",
			"e.tar.gz/x/inner.zip":     "nested archive not read",
			"f.zip/sub/../../up.jsonl": "member path with .. not read",
			"f.zip/ln.jsonl":           "symlink member not read",
			"notes.txt":                ErrUnknownFormat.Error(),
		} {
			if rej[name] != reason {
				t.Errorf("reject of %s got %q, want %q", name, rej[name], reason)
			}
		}
	})
	t.Run("symlinks_on_disk_stay_inside", func(t *testing.T) {
		root, outside := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(root, "in.jsonl"), []byte(oneCall))
		writeFile(t, filepath.Join(root, "sub", "x.jsonl"), []byte(oneCall))
		writeFile(t, filepath.Join(outside, "secret.jsonl"), []byte(oneCall))
		must(t, os.Symlink(filepath.Join(root, "in.jsonl"), filepath.Join(root, "link-in.jsonl")))
		secret := filepath.Join(outside, "secret.jsonl")
		must(t, os.Symlink(secret, filepath.Join(root, "link-out")))
		must(t, os.Symlink(filepath.Join(root, "sub"), filepath.Join(root, "link-dir")))
		must(t, os.Symlink(filepath.Join(root, "nothing"), filepath.Join(root, "link-broken")))
		_, st, err := walkRead(t, root, []string{root}, Limits{})
		must(t, err)
		// in.jsonl, link-in.jsonl (a copy: duplicate), sub/x.jsonl
		// (duplicate); link-broken, link-dir, link-out refused.
		wantCounts(t, st, counts{Files: 6, Lines: 6, Events: 1, Duplicates: 2, Rejected: 3})
		rej := rejectsByFile(root, st)
		if !strings.HasPrefix(rej["link-out"], "symlink leads outside") ||
			rej["link-dir"] != "symlinked folder not followed" ||
			rej["link-broken"] != "broken symlink" {
			t.Errorf("rejects got %v", rej)
		}
	})
	t.Run("a_symlinked_folder_named_is_read", func(t *testing.T) {
		real, home := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(real, "p", "s.jsonl"), []byte(oneCall))
		link := filepath.Join(home, "projects")
		must(t, os.Symlink(real, link))
		_, st, err := walkRead(t, real, []string{link}, Limits{})
		must(t, err)
		wantCounts(t, st, counts{Files: 1, Lines: 1, Events: 1})
		files, refused, err := ListFiles([]string{link}, Limits{})
		must(t, err)
		if len(files) != 1 || len(refused) != 0 {
			t.Errorf("ListFiles got %v, refusing %v; want one file", files, refused)
		}
	})
	t.Run("list_files_names_what_it_refuses", func(t *testing.T) {
		root, outside := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(root, "in.jsonl"), []byte(oneCall))
		writeFile(t, filepath.Join(outside, "secret.jsonl"), []byte(oneCall))
		must(t, os.Symlink(filepath.Join(outside, "secret.jsonl"),
			filepath.Join(root, "link-out")))
		files, refused, err := ListFiles([]string{root}, Limits{})
		must(t, err)
		if len(files) != 1 || len(refused) != 1 ||
			!strings.HasPrefix(refused[0].Reason, "symlink leads outside") {
			t.Errorf("ListFiles got %v, refusing %v", files, refused)
		}
	})
	t.Run("missing_path_is_an_error", func(t *testing.T) {
		_, _, err := walkRead(t, "/", []string{filepath.Join(t.TempDir(), "nope")}, Limits{})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error got %v, want not exist", err)
		}
	})
}

func TestWalkLimits(t *testing.T) {
	// A call line padded to 1000 bytes, and a very compressible file.
	padded := cc{session: sessA, msg: "m1", out: 1}.line()
	padded = strings.Replace(padded, `"text":"hi"`, `"text":"`+strings.Repeat("x",
		999-len(padded)+2)+`"`, 1) + "\n"
	var bomb bytes.Buffer
	for bomb.Len() < 8<<20 {
		bomb.WriteString(`{"type":"user","sessionId":"s","message":{"content":"zzzzzzzz"}}` + "\n")
	}
	lim := Limits{MaxRatio: 10}
	t.Run("gzip_bomb_past_the_rejects_kept", func(t *testing.T) {
		var bad bytes.Buffer
		for bad.Len() < 8<<20 {
			bad.WriteString(`{"occurred_at":"2026-11-03T10:00:00Z","provider":"openai",` +
				`"model":"gpt-5","request_id":"r"}` + "\n")
		}
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "b.jsonl.gz"), gzipBytes(t, bad.Bytes()))
		_, st, err := walkRead(t, root, []string{root}, Limits{MaxRatio: 10, MaxRejects: 5})
		must(t, err)
		last := st.Rejects[len(st.Rejects)-1]
		if len(st.Rejects) != 6 || !last.EndsFile ||
			!strings.Contains(last.Reason, "compression ratio above 10") {
			t.Errorf("rejects got %v, want 5 bad lines and the ratio reject", st.Rejects)
		}
	})
	t.Run("gzip_bomb", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "b.jsonl.gz"), gzipBytes(t, bomb.Bytes()))
		_, st, err := walkRead(t, root, []string{root}, lim)
		must(t, err)
		if st.Rejected != 1 ||
			!strings.Contains(st.Rejects[0].Reason, "compression ratio above 10") {
			t.Errorf("rejects got %v, want the ratio reject", st.Rejects)
		}
		// The guard trips just past 1 MiB out: far fewer lines than the file's.
		all := int64(bytes.Count(bomb.Bytes(), []byte("\n")))
		if st.Lines >= all/2 || st.Skipped == 0 {
			t.Errorf("lines got %d of %d, want some read before the guard tripped", st.Lines, all)
		}
	})
	t.Run("tar_gz_and_zip_bombs", func(t *testing.T) {
		root := t.TempDir()
		big := member{name: "big.jsonl", body: bomb.String()}
		after := member{name: "after.jsonl", body: oneCall}
		writeFile(t, filepath.Join(root, "b.tgz"), gzipBytes(t, tarBytes(t, big, after)))
		writeFile(t, filepath.Join(root, "c.zip"), zipBytes(t, big, after))
		names, st, err := walkRead(t, root, []string{root}, lim)
		must(t, err)
		// The tar stops at the bomb; zip members are independent.
		want := "b.tgz/big.jsonl c.zip/big.jsonl c.zip/after.jsonl"
		if got := strings.Join(names, " "); got != want {
			t.Errorf("names got %s, want %s", got, want)
		}
		if st.Rejected != 2 || st.Events != 1 {
			t.Errorf("got %d rejects %v and %d events, want 2 and 1", st.Rejected, st.Rejects,
				st.Events)
		}
	})
	t.Run("total_bytes", func(t *testing.T) {
		root := t.TempDir()
		for _, n := range []string{"1", "2", "3"} {
			writeFile(t, filepath.Join(root, n+".jsonl"),
				[]byte(strings.Replace(padded, `"id":"m1"`, `"id":"m`+n+`"`, 1)))
		}
		_, st, err := walkRead(t, root, []string{root}, Limits{MaxTotalBytes: 2500})
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("error got %v, want ErrLimit", err)
		}
		// 1000 + 1000 fit; the third file crosses 2500 and is refused whole.
		wantCounts(t, st, counts{Files: 3, Lines: 3, Events: 2, Rejected: 1})
		wantRejects(t, st, "0:run exceeds 2500 uncompressed bytes")
	})
	t.Run("max_files", func(t *testing.T) {
		root := t.TempDir()
		for _, n := range []string{"1", "2", "3"} {
			writeFile(t, filepath.Join(root, n+".jsonl"), []byte(oneCall))
		}
		names, _, err := walkRead(t, root, []string{root}, Limits{MaxFiles: 2})
		if !errors.Is(err, ErrLimit) || len(names) != 2 {
			t.Errorf("got %v after %v, want ErrLimit after 2 files", err, names)
		}
	})
}

func TestWalkUpload(t *testing.T) {
	ctx := context.Background()
	upload := func(name string, body []byte, lim Limits) ([]string, Stats, error) {
		var names []string
		var st Stats
		o := Options{}
		fn := func(n string, r io.Reader) error {
			names = append(names, n)
			return o.ReadFile(ctx, n, r, NewMemory(), &st)
		}
		err := WalkUpload(ctx, name, bytes.NewReader(body), lim, fn)
		return names, st, err
	}
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"up.jsonl", []byte(oneCall), "up.jsonl"},
		{"up.jsonl.gz", gzipBytes(t, []byte(oneCall)), "up.jsonl.gz"},
		{"up.tar.gz", gzipBytes(t, tarBytes(t, member{name: "p/s.jsonl", body: oneCall})),
			"up.tar.gz/p/s.jsonl"},
		{"up.zip", zipBytes(t, member{name: "p/s.jsonl", body: oneCall}), "up.zip/p/s.jsonl"},
	}
	for _, c := range cases {
		names, st, err := upload(c.name, c.body, Limits{})
		must(t, err)
		if strings.Join(names, " ") != c.want || st.Events != 1 {
			t.Errorf("%s got %v %+v, want %s with one event", c.name, names, st, c.want)
		}
	}
	big := zipBytes(t, member{name: "p/s.jsonl", body: strings.Repeat(oneCall, 100)})
	if _, _, err := upload("big.zip", big, Limits{MaxTotalBytes: 100}); !errors.Is(err, ErrLimit) {
		t.Errorf("spooling over the limit got %v, want ErrLimit", err)
	}
	if _, st, err := upload("bad.zip", []byte("not a zip"), Limits{}); err != nil ||
		st.Rejected != 1 {
		t.Errorf("broken zip got %v %+v, want one reject", err, st)
	}
}
