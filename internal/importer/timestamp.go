package importer

import (
	"errors"
	"time"
)

var (
	errTime  = errors.New("not an RFC 3339 time")
	errEpoch = errors.New("outside the years 2000 to 2199, when no model call happens")
)

// parseTime parses an RFC 3339 date-time (with Z or a numeric offset, and
// any number of fractional digits) into UTC. Impossible dates and times,
// such as February 30 or 24:00, are refused, and so are years no call can
// have happened in, which only a broken clock or a placeholder writes.
func parseTime(s []byte) (time.Time, error) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, errTime
	}
	if s[10] != 'T' && s[10] != 't' && s[10] != ' ' {
		return time.Time{}, errTime
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	hour, ok4 := num(s[11:13])
	minute, ok5 := num(s[14:16])
	sec, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, errTime
	}
	if year < 2000 || year >= 2200 {
		return time.Time{}, errEpoch
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, errTime
	}
	nsec, rest, ok := fraction(s[19:])
	if !ok {
		return time.Time{}, errTime
	}
	off, ok := offset(rest)
	if !ok {
		return time.Time{}, errTime
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), nil
}

// fraction reads an optional ".ddd" and returns nanoseconds and the rest.
func fraction(s []byte) (int, []byte, bool) {
	if len(s) == 0 || s[0] != '.' {
		return 0, s, true
	}
	i, nsec, scale := 1, 0, 100000000
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		nsec += int(s[i]-'0') * scale
		scale /= 10
	}
	return nsec, s[i:], i > 1
}

// offset reads "Z" or "±hh:mm" and returns the offset in seconds.
func offset(s []byte) (int, bool) {
	if len(s) == 1 && (s[0] == 'Z' || s[0] == 'z') {
		return 0, true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, false
	}
	h, ok1 := num(s[1:3])
	m, ok2 := num(s[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

func num(s []byte) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
