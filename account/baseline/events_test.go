package baseline

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// matches evaluates an EventBridge event pattern against an event, for the pattern features the
// routes use (Amazon EventBridge User Guide, "Event patterns"): every field of the pattern must be
// in the event; a list of values matches when one of them matches (exact strings and numbers, or
// {"numeric": [op, value, ...]}); a field whose event value is a list matches when one element
// matches (Security Hub sends its findings as a list); nested objects match recursively.
// EventBridge matches each field against any element of such a list independently; this matcher
// asks one element to match every field, which is the same for the events Security Hub sends
// (one finding per "Findings - Imported" event) but not for a list of several findings, so the
// cases with several findings only ever expect a page.
func matches(pattern, event any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		if list, ok := event.([]any); ok {
			for _, e := range list {
				if matches(p, e) {
					return true
				}
			}
			return false
		}
		ev, ok := event.(map[string]any)
		if !ok {
			return false
		}
		for k, sub := range p {
			v, present := ev[k]
			if !present || !matches(sub, v) {
				return false
			}
		}
		return true
	case []any:
		values, isList := event.([]any)
		if !isList {
			values = []any{event}
		}
		for _, want := range p {
			for _, v := range values {
				if matchValue(want, v) {
					return true
				}
			}
		}
		return false
	}
	return false
}

func matchValue(want, got any) bool {
	if m, ok := want.(map[string]any); ok {
		ops, ok := m["numeric"].([]any)
		n, isNum := got.(float64)
		if !ok || !isNum {
			return false
		}
		for i := 0; i+1 < len(ops); i += 2 {
			bound := ops[i+1].(float64)
			var ok bool
			switch ops[i] {
			case ">=":
				ok = n >= bound
			case ">":
				ok = n > bound
			case "<=":
				ok = n <= bound
			case "<":
				ok = n < bound
			case "=":
				ok = n == bound
			}
			if !ok {
				return false
			}
		}
		return true
	}
	return want == got
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v), s)
	return v
}

// guardDutyFinding is a GuardDuty finding event of the documented shape, with a severity.
func guardDutyFinding(severity string) string {
	return `{"version":"0","id":"c8c4daa7","detail-type":"GuardDuty Finding","source":"aws.guardduty",
	"account":"123456789012","region":"us-east-1","resources":[],
	"detail":{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","type":"CryptoCurrency:EC2/BitcoinTool.B!DNS",
	"severity":` + severity + `,"title":"EC2 instance querying a domain name associated with Bitcoin activity"}}`
}

// securityHubFindings is a Security Hub "Findings - Imported" event with one finding per
// (label, workflow status, record state).
func securityHubFindings(findings ...[3]string) string {
	return importedFindings("Security Hub", findings...)
}

// importedFindings is the same event for findings another product sent to Security Hub.
func importedFindings(product string, findings ...[3]string) string {
	var list []any
	for _, f := range findings {
		list = append(list, map[string]any{
			"ProductName":   product,
			"SchemaVersion": "2018-10-08",
			"Severity":      map[string]any{"Label": f[0], "Normalized": 70},
			"Workflow":      map[string]any{"Status": f[1]},
			"RecordState":   f[2],
			"Title":         "sample",
		})
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
		"account": "123456789012", "region": "us-east-1",
		"detail": map[string]any{"findings": list},
	})
	return string(b)
}

func TestFindingRoutesMatchOnlyHighSeverity(t *testing.T) {
	routes := map[string]FindingRoute{}
	for _, r := range FindingRoutes {
		routes[r.Name] = r
	}
	require.Len(t, routes, 2)
	tests := []struct {
		name  string
		route string
		event string
		want  bool
	}{
		{"guardduty severity 8 pages", "guardduty-high", guardDutyFinding("8"), true},
		{"guardduty severity 7.0 pages", "guardduty-high", guardDutyFinding("7.0"), true},
		{"guardduty critical 9.5 pages", "guardduty-high", guardDutyFinding("9.5"), true},
		{"guardduty severity 6.9 does not", "guardduty-high", guardDutyFinding("6.9"), false},
		{"guardduty severity 5 does not", "guardduty-high", guardDutyFinding("5"), false},
		{"guardduty severity as text does not", "guardduty-high", guardDutyFinding(`"8"`), false},
		{"a security hub event is not a guardduty finding", "guardduty-high", securityHubFindings([3]string{"CRITICAL", "NEW", "ACTIVE"}), false},
		{"security hub critical new pages", "securityhub-high", securityHubFindings([3]string{"CRITICAL", "NEW", "ACTIVE"}), true},
		{"security hub high new pages", "securityhub-high", securityHubFindings([3]string{"HIGH", "NEW", "ACTIVE"}), true},
		{"one high finding among low ones pages", "securityhub-high", securityHubFindings([3]string{"LOW", "NEW", "ACTIVE"}, [3]string{"HIGH", "NEW", "ACTIVE"}), true},
		{"security hub medium does not", "securityhub-high", securityHubFindings([3]string{"MEDIUM", "NEW", "ACTIVE"}), false},
		{"an acknowledged high finding does not page again", "securityhub-high", securityHubFindings([3]string{"HIGH", "NOTIFIED", "ACTIVE"}), false},
		{"a resolved high finding does not", "securityhub-high", securityHubFindings([3]string{"HIGH", "RESOLVED", "ACTIVE"}), false},
		{"an archived high finding does not", "securityhub-high", securityHubFindings([3]string{"HIGH", "NEW", "ARCHIVED"}), false},
		{"a guardduty event is not a security hub finding", "securityhub-high", guardDutyFinding("9"), false},
		{"a guardduty finding imported into security hub pages once, through its own route", "securityhub-high",
			importedFindings("GuardDuty", [3]string{"HIGH", "NEW", "ACTIVE"}), false},
		{"an inspector image finding is triaged, not paged", "securityhub-high",
			importedFindings("Inspector", [3]string{"CRITICAL", "NEW", "ACTIVE"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pattern, err := routes[tt.route].PatternJSON()
			require.NoError(t, err)
			assert.Equal(t, tt.want, matches(decode(t, pattern), decode(t, tt.event)))
		})
	}
}

func TestFindingRoutePatternsGolden(t *testing.T) {
	for _, r := range FindingRoutes {
		pattern, err := r.PatternJSON()
		require.NoError(t, err)
		assertGoldenJSON(t, "event-pattern-"+r.Name+".json", pattern)
	}
}
