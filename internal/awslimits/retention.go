package awslimits

import (
	"slices"

	"github.com/novacron/platform/internal/validate"
)

// LogRetentionDays are the only retention periods CloudWatch Logs accepts for a log group
// (CloudWatch Logs API Reference, PutRetentionPolicy, retentionInDays). 0, "never expire", is
// left out on purpose: every log group of ours expires.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
	1096, 1827, 2192, 2557, 2922, 3288, 3653}

// CheckLogRetention records a problem unless days is a CloudWatch Logs retention value.
func CheckLogRetention(p *validate.Problems, field string, days int) {
	if !slices.Contains(LogRetentionDays, days) {
		p.Addf(field, "must be a CloudWatch Logs retention, one of %v, got %d", LogRetentionDays, days)
	}
}
