// Package static holds tally's CSS (and later htmx and icons), embedded in
// the binary and served under a path that contains a hash of each file, so
// browsers may cache them for a year and a new build is fetched at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sync"
)

//go:embed *.css
var files embed.FS

// Prefix is where the files are served.
const Prefix = "/static/"

// hashes maps each file's name to the first 12 hex digits of its SHA-256.
var hashes = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[name] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return out
})

// Path returns the URL path of file name, for example
// "/static/3fa1c09e2b4d/app.css". It panics for a file that is not embedded,
// which a test of any page catches.
func Path(name string) string {
	h, ok := hashes()[name]
	if !ok {
		panic("static: no file " + name)
	}
	return Prefix + h + "/" + name
}

// Handler serves GET /static/{hash}/{name}: the file when the hash is its
// current one, with a year's immutable caching; 404 otherwise.
func Handler() http.Handler {
	server := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		h, ok := hashes()[name]
		if !ok || r.PathValue("hash") != h || path.Clean(name) != name {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		server.ServeHTTP(w, r2)
	})
}
