package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measurement is what one timed run of a command took and printed.
type measurement struct {
	wall   time.Duration
	maxRSS int64 // bytes; the largest of the process and its children
	stdout []byte
}

// measure runs cmd to its end and returns its wall time, peak memory and
// output. A failed run's error carries the end of what it wrote on stderr.
func measure(cmd *exec.Cmd) (measurement, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, fmt.Errorf("%s: %w: %s", cmd.Args[0], err, tail(stderr.String()))
	}
	return measurement{wall: wall, maxRSS: maxRSS(cmd.ProcessState.SysUsage()),
		stdout: stdout.Bytes()}, nil
}

// maxRSS returns the peak resident memory in bytes from a finished
// process's system usage, or 0 when there is none. Linux's wait4 reports
// it in kilobytes and takes the largest over the waited-for children too,
// so a wrapper that runs the real program still shows the program's peak.
func maxRSS(usage any) int64 {
	ru, ok := usage.(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024
}

// peakRSS returns the high-water mark of process pid's resident memory in
// bytes, read from /proc.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read peak memory: %w", err)
	}
	return parseVmHWM(b)
}

// parseVmHWM returns the VmHWM line of a /proc/PID/status file in bytes.
func parseVmHWM(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("parse VmHWM %q", rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmHWM: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmHWM line in the process status")
}

// median returns the middle of ds, or the mean of the two middle ones.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// tail returns the last few hundred bytes of a command's stderr.
func tail(s string) string {
	const n = 600
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
