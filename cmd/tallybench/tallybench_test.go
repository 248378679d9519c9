package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"syscall"
	"testing"
	"time"
)

// sample returns totals with two models.
func sample() expected {
	return expected{Files: 2, Lines: 10, Events: 3, Duplicates: 4, Skipped: 3,
		Models: []modelTotals{
			{Model: "a", Events: 1, InputTokens: 10, CacheReadTokens: 20,
				CacheWrite5mTokens: 30, CacheWrite1hTokens: 40, OutputTokens: 50},
			{Model: "b", Events: 2, InputTokens: 1, OutputTokens: 2},
		}}
}

// summaryOf returns the summary that matches exp exactly.
func summaryOf(exp expected) summary {
	return summary{Files: exp.Files, Lines: exp.Lines, Events: exp.Events,
		Duplicates: exp.Duplicates, Skipped: exp.Skipped, Rejected: exp.Rejected,
		Models: slices.Clone(exp.Models)}
}

func TestDiffSummary(t *testing.T) {
	t.Run("exact_totals_have_no_difference", func(t *testing.T) {
		if d := diffSummary(sample(), summaryOf(sample())); len(d) != 0 {
			t.Errorf("got %q, want none", d)
		}
	})
	t.Run("model_order_does_not_matter", func(t *testing.T) {
		s := summaryOf(sample())
		slices.Reverse(s.Models)
		if d := diffSummary(sample(), s); len(d) != 0 {
			t.Errorf("got %q, want none", d)
		}
	})
	t.Run("names_each_wrong_count_and_token", func(t *testing.T) {
		s := summaryOf(sample())
		s.Duplicates++
		s.Models[0].CacheWrite1hTokens -= 2
		want := []string{"duplicates: got 5, want 4 (+1)",
			"model a: cache_write_1h_tokens: got 38, want 40 (-2)"}
		if d := diffSummary(sample(), s); !slices.Equal(d, want) {
			t.Errorf("got %q, want %q", d, want)
		}
	})
	t.Run("reports_missing_and_unknown_models", func(t *testing.T) {
		s := summaryOf(sample())
		s.Models[1].Model = "c"
		want := []string{"model b: missing", "model c: not in the corpus"}
		if d := diffSummary(sample(), s); !slices.Equal(d, want) {
			t.Errorf("got %q, want %q", d, want)
		}
	})
}

func TestParseCCUsage(t *testing.T) {
	t.Run("sums_days_and_models_including_1m_names", func(t *testing.T) {
		in := `{"daily":[{"modelBreakdowns":[
			{"modelName":"a","inputTokens":10,"cacheReadTokens":20,
			 "cacheCreationTokens":30,"outputTokens":50},
			{"modelName":"a[1m]","cacheCreationTokens":40}]},
			{"modelBreakdowns":[{"modelName":"b","inputTokens":1,"outputTokens":2}]}],
			"totals":{"inputTokens":11}}`
		got, err := parseCCUsage([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if want := sums(sample().Models); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("names_each_wrong_kind", func(t *testing.T) {
		want := sums(sample().Models)
		got := want
		got.CacheWrite += 7
		d := diffSums(want, got)
		if len(d) != 1 || d[0] != "cache creation (5m+1h): got 77, want 70 (+7)" {
			t.Errorf("got %q", d)
		}
	})
}

func TestMaxRSS(t *testing.T) {
	t.Run("reads_kilobytes_from_rusage", func(t *testing.T) {
		if got := maxRSS(&syscall.Rusage{Maxrss: 1500}); got != 1500*1024 {
			t.Errorf("got %d, want %d", got, 1500*1024)
		}
	})
	t.Run("is_zero_without_rusage", func(t *testing.T) {
		if got := maxRSS(nil); got != 0 {
			t.Errorf("got %d, want 0", got)
		}
	})
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\ttally\nVmPeak:\t 1000 kB\nVmHWM:\t   123456 kB\nVmRSS:\t 100 kB\n"
	got, err := parseVmHWM([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if got != 123456*1024 {
		t.Errorf("got %d, want %d", got, 123456*1024)
	}
	if _, err := parseVmHWM([]byte("Name:\ttally\n")); err == nil {
		t.Error("got no error for a status without VmHWM")
	}
}

func TestMedian(t *testing.T) {
	s := time.Second
	cases := []struct {
		in   []time.Duration
		want time.Duration
	}{{nil, 0}, {[]time.Duration{3 * s, 1 * s, 2 * s}, 2 * s},
		{[]time.Duration{4 * s, 1 * s, 2 * s, 3 * s}, 2500 * time.Millisecond}}
	for _, c := range cases {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v): got %v, want %v", c.in, got, c.want)
		}
	}
}

func TestWriteGeneric(t *testing.T) {
	write := func(seed uint64) ([]byte, expected) {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		exp := writeGeneric(w, 500, seed)
		w.Flush()
		return buf.Bytes(), exp
	}
	a, exp := write(1)

	t.Run("is_deterministic", func(t *testing.T) {
		if b, _ := write(1); !bytes.Equal(a, b) {
			t.Error("the same seed gave different files")
		}
	})
	t.Run("totals_match_the_lines", func(t *testing.T) {
		got := expected{Files: 1, Bytes: int64(len(a))}
		byModel := map[string]*modelTotals{}
		for _, line := range bytes.SplitAfter(a, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var r struct {
				Model     string `json:"model"`
				Input     int64  `json:"input_tokens"`
				CacheRead int64  `json:"cache_read_tokens"`
				Output    int64  `json:"output_tokens"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatalf("line %d: %v", got.Lines+1, err)
			}
			got.Lines++
			got.Events++
			if byModel[r.Model] == nil {
				byModel[r.Model] = &modelTotals{Model: r.Model}
			}
			add(byModel[r.Model], modelTotals{Events: 1, InputTokens: r.Input,
				CacheReadTokens: r.CacheRead, OutputTokens: r.Output})
		}
		for _, m := range byModel {
			got.Models = append(got.Models, *m)
		}
		if d := diffSummary(exp, summaryOf(got)); len(d) != 0 {
			t.Errorf("differences: %q", d)
		}
		if got.Bytes != exp.Bytes {
			t.Errorf("bytes: got %d, want %d", got.Bytes, exp.Bytes)
		}
	})
}

func TestGrouped(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000",
		1234567: "1,234,567", -50000: "-50,000"} {
		if got := grouped(in); got != want {
			t.Errorf("grouped(%d): got %q, want %q", in, got, want)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, u := range []string{"postgres://postgres@127.0.0.1:5432/postgres",
		"postgres://localhost/x", "postgres://[::1]:5432/x", "postgres://127.0.0.2/x"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"postgres://db.example.com/x", "postgres://10.0.0.1/x",
		"postgres:///x"} {
		if err := checkLoopback(u); err == nil {
			t.Errorf("%s: got no error", u)
		}
	}
}
