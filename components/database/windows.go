package database

import (
	"regexp"

	"github.com/novacron/platform/internal/validate"
)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

var (
	backupWindowRe      = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$`)
	maintenanceWindowRe = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])$`)
	weekdays            = map[string]int{"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
)

// window is a span of minutes on a cycle (a day for the backup window, a week for the
// maintenance window); it may wrap past the end of the cycle, as RDS windows may cross midnight
// or the end of the week.
type window struct {
	start, length int
}

// parseBackupWindow parses "hh24:mi-hh24:mi" (minutes of the day).
func parseBackupWindow(p *validate.Problems, s string) (window, bool) {
	m := backupWindowRe.FindStringSubmatch(s)
	if m == nil {
		p.Addf("backupWindow", `must be "hh24:mi-hh24:mi" in UTC such as "03:00-04:00", got %q`, s)
		return window{}, false
	}
	start := atoi(m[1])*60 + atoi(m[2])
	end := atoi(m[3])*60 + atoi(m[4])
	w := window{start: start, length: mod(end-start, minutesPerDay)}
	if w.length < minWindowMinutes {
		p.Addf("backupWindow", "must be at least %d minutes long, got %d minutes (%q)", minWindowMinutes, w.length, s)
		return window{}, false
	}
	return w, true
}

// parseMaintenanceWindow parses a lowercase "ddd:hh24:mi-ddd:hh24:mi" (minutes of the week,
// Monday 00:00 = 0).
func parseMaintenanceWindow(p *validate.Problems, s string) (window, bool) {
	m := maintenanceWindowRe.FindStringSubmatch(s)
	if m == nil {
		p.Addf("maintenanceWindow", `must be "ddd:hh24:mi-ddd:hh24:mi" in UTC such as "sun:04:00-sun:05:00", got %q`, s)
		return window{}, false
	}
	start := weekdays[m[1]]*minutesPerDay + atoi(m[2])*60 + atoi(m[3])
	end := weekdays[m[4]]*minutesPerDay + atoi(m[5])*60 + atoi(m[6])
	w := window{start: start, length: mod(end-start, minutesPerWeek)}
	if w.length < minWindowMinutes {
		p.Addf("maintenanceWindow", "must be at least %d minutes long, got %d minutes (%q)", minWindowMinutes, w.length, s)
		return window{}, false
	}
	return w, true
}

// overlapsWeekly reports whether the daily window d (repeated on each of the seven days)
// shares at least one minute with the weekly window w. Windows that only touch ("03:00-04:00"
// and "sun:04:00-sun:05:00") do not overlap.
func (d window) overlapsWeekly(w window) bool {
	for day := range 7 {
		if overlapOnCycle(window{start: day*minutesPerDay + d.start, length: d.length}, w, minutesPerWeek) {
			return true
		}
	}
	return false
}

// overlapOnCycle reports whether two half-open spans on a cycle of n minutes intersect: one of
// them must start inside the other.
func overlapOnCycle(a, b window, n int) bool {
	return mod(b.start-a.start, n) < a.length || mod(a.start-b.start, n) < b.length
}

func mod(a, n int) int {
	return ((a % n) + n) % n
}

// atoi converts a string the regular expressions above proved to be digits.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
