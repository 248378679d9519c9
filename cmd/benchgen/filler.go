package main

import (
	"math/bits"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// filler is a pool of text, already escaped for a JSON string, that content
// blocks copy slices from. Slices start and end on word boundaries, so an
// escape sequence or a UTF-8 character is never cut.
type filler struct {
	text   []byte
	bounds []int // offsets where a word starts
	sig    []byte
}

// fillerWords returns the vocabulary: code-ish words plus tokens that need
// escaping (quotes, backslashes, tabs) and non-ASCII text.
func fillerWords() []string {
	plain := strings.Fields(`the a to of and in is for that this with func return err nil
		if else range struct type package import context string int64 bool map
		handler request response session import usage token cache model call
		let me check the file first then run tests again looks like build passes
		fixed updated refactor parse decode encode value field line record batch
		server client query rows scan insert update delete select where order by
		TestImport ParseLine readFile io.Reader bufio.Scanner json.Unmarshal
		t.Fatalf go test ./... -run -count=1 -race
		src/internal/importer/claude.go:142 cmd/tally/main.go 0x1f 200 404 3.14`)
	special := []string{
		`\"quoted\"`, `\"id\":`, `C:\\Users\\dev\\repo`, `\\n`, `a\tb`, `\"\"`,
		`naïve`, `café`, `Grüße`, `→`, `✓`, `…`, `日本語`, `テスト`, `汉字`,
		`🚀`, `👍`, `\u00e9t\u00e9`, `\u001b[1m`, `{\"ok\":true}`, `λ`, `Ωmega`,
		`fmt.Errorf(\"parse: %w\", err)`,
	}
	return append(plain, special...)
}

// newFiller builds a pool of about size bytes from rng.
func newFiller(rng *rand.Rand, size int) *filler {
	words := fillerWords()
	f := &filler{text: make([]byte, 0, size+64)}
	for len(f.text) < size {
		f.bounds = append(f.bounds, len(f.text))
		f.text = append(f.text, words[rng.IntN(len(words))]...)
		switch r := rng.IntN(12); {
		case r == 0:
			f.text = append(f.text, `\n`...)
		case r == 1:
			f.text = append(f.text, `.\n\n`...)
		default:
			f.text = append(f.text, ' ')
		}
	}

	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	f.sig = make([]byte, 16<<10)
	for i := range f.sig {
		f.sig[i] = b64[rng.IntN(len(b64))]
	}
	return f
}

// appendText appends about n bytes of escaped text (at least one word).
func (f *filler) appendText(b []byte, rng *rand.Rand, n int) []byte {
	n = max(1, min(n, len(f.text)/2))
	limit := sort.SearchInts(f.bounds, len(f.text)-n-64)
	i := f.bounds[rng.IntN(max(1, limit))]
	j := sort.SearchInts(f.bounds, i+n)
	end := len(f.text)
	if j < len(f.bounds) {
		end = f.bounds[j]
	}
	return append(b, f.text[i:end]...)
}

// appendSig appends a base64 thinking signature of about n bytes.
func (f *filler) appendSig(b []byte, rng *rand.Rand, n int) []byte {
	n = min(n, len(f.sig)/2)
	i := rng.IntN(len(f.sig) - n)
	b = append(b, f.sig[i:i+n]...)
	return append(b, "=="...)
}

// idSource makes identifiers. Message and request ids embed a counter, so
// no two calls can collide whatever the seed.
type idSource struct {
	rng *rand.Rand
	n   uint64
}

// base58 is the alphabet of Anthropic-style ids.
const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// next returns prefix + 24 characters, as in msg_01… and req_011C…. The
// first 7 are the counter scrambled by a bijection modulo 58^7, so they
// are unique yet look random; the rest are random.
func (d *idSource) next(prefix string) string {
	const span = 58 * 58 * 58 * 58 * 58 * 58 * 58
	const prime = 1_000_000_007 // coprime to 58, so multiplying is a bijection
	d.n++
	hi, lo := bits.Mul64(d.n, prime)
	_, v := bits.Div64(hi, lo, span)

	b := make([]byte, 0, len(prefix)+24)
	b = append(b, prefix...)
	for k := 0; k < 7; k++ {
		b = append(b, base58[v%58])
		v /= 58
	}
	for len(b) < cap(b) {
		b = append(b, base58[d.rng.IntN(58)])
	}
	return string(b)
}

// uuid returns a random version-4 UUID.
func (d *idSource) uuid() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	hi, lo := d.rng.Uint64(), d.rng.Uint64()
	for i, k := 0, 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			b[i] = '-'
			continue
		}
		var nib uint64
		if k < 16 {
			nib = hi >> (4 * k) & 15
		} else {
			nib = lo >> (4 * (k - 16)) & 15
		}
		b[i] = hex[nib]
		k++
	}
	b[14] = '4'
	b[19] = hex[8+d.rng.IntN(4)]
	return string(b)
}

// hexID returns n random lowercase hex digits, as in agent ids.
func (d *idSource) hexID(n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[d.rng.IntN(16)]
	}
	return string(b)
}

// appendInt appends v in decimal.
func appendInt(b []byte, v int64) []byte {
	return strconv.AppendInt(b, v, 10)
}
