package monitoring

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSlackChannel(t *testing.T) {
	tests := []struct {
		channel string
		ok      bool
	}{
		{"#novacron-alerts", true},
		{"#novacron_staging-alerts-2", true},
		{"#" + strings.Repeat("a", 80), true},
		{"C0123456789", true},
		{"G01ABCDEF23", true},
		{"", true}, // the default, "#novacron-alerts"
		{"#", false},
		{"novacron-alerts", false},
		{"#Novacron-Alerts", false},
		{"#novacron alerts", false},
		{"#novacron.alerts", false},
		{"#" + strings.Repeat("a", 81), false},
		{"#alertes-é", false},
		{"@oncall", false},
		{"c0123456789", false},
		{"C0123", false},
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			args := StackArgs{SlackChannel: tt.channel}
			var got []string
			for _, p := range args.Validate() {
				if p.Field == "slackChannel" {
					got = append(got, p.Message)
				}
			}
			if tt.ok {
				assert.Empty(t, got)
				return
			}
			if assert.Len(t, got, 1) {
				assert.Contains(t, got[0], "must be a Slack channel")
			}
		})
	}
}
