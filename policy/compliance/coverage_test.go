package compliance

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const coveragePath = "../COVERAGE.md"

// coverageRow is one anchor of policy/COVERAGE.md.
type coverageRow struct {
	ruleSet, anchor, status, note string
	policies                      []string
}

var (
	backticked   = regexp.MustCompile("`([a-z0-9-]+)`")
	coverageHead = regexp.MustCompile(`^## (.+)$`)
)

// readCoverage parses the anchor tables (one per "## <rule set>" section) and returns the rows
// and the whole text.
func readCoverage(t *testing.T) ([]coverageRow, string) {
	t.Helper()
	raw, err := os.ReadFile(coveragePath)
	require.NoError(t, err)
	text := string(raw)
	var rows []coverageRow
	section := ""
	for _, line := range strings.Split(text, "\n") {
		if m := coverageHead.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 6 || !strings.HasPrefix(line, "|") {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch cells[3] {
		case "covered", "not applicable", "not covered":
		default:
			continue // header, separator or the counts table
		}
		r := coverageRow{ruleSet: section, anchor: cells[0], status: cells[3], note: cells[5]}
		for _, m := range backticked.FindAllStringSubmatch(cells[4], -1) {
			r.policies = append(r.policies, m[1])
		}
		rows = append(rows, r)
	}
	return rows, text
}

// TestCoverageNamesRealPolicies keeps policy/COVERAGE.md honest about the pack: every policy it
// cites exists, every policy appears in it, a covered anchor names a policy that runs, and an
// anchor that is not covered says why.
func TestCoverageNamesRealPolicies(t *testing.T) {
	rows, text := readCoverage(t)
	require.NotEmpty(t, rows, "no anchor rows found in %s", coveragePath)

	seen := map[string]bool{}
	for _, r := range rows {
		assert.False(t, seen[r.ruleSet+" "+r.anchor], "%s is listed twice", r.anchor)
		seen[r.ruleSet+" "+r.anchor] = true
		for _, p := range r.policies {
			assert.NotNil(t, PolicyByName(p), "%s cites policy %q, which the pack does not have", r.anchor, p)
		}
		switch r.status {
		case "covered":
			assert.NotEmpty(t, r.policies, "%s is covered but names no policy", r.anchor)
		default:
			assert.NotEmpty(t, r.note, "%s is %s without a reason", r.anchor, r.status)
		}
	}
	// Names in the rest of the document (the list of policies without an anchor) exist too.
	for _, m := range backticked.FindAllStringSubmatch(text, -1) {
		if strings.Count(m[1], "-") >= 1 && looksLikePolicy(m[1]) {
			assert.NotNil(t, PolicyByName(m[1]), "%s mentions policy %q, which the pack does not have", coveragePath, m[1])
		}
	}
	for _, p := range Policies() {
		assert.True(t, strings.Contains(text, "`"+p.Name+"`"), "policy %s is missing from %s", p.Name, coveragePath)
	}
}

// looksLikePolicy tells policy names from other backticked words (types, properties) by the
// prefixes the pack uses.
func looksLikePolicy(s string) bool {
	for _, prefix := range []string{"s3-", "kms-", "iam-", "eks-", "rds-", "ecr-", "network-", "logs-", "secretsmanager-",
		"k8s-", "helm-", "backup-", "required-", "compliance-", "cloudtrail-", "config-", "guardduty-", "securityhub-",
		"accessanalyzer-", "cloudwatch-", "data-", "sqs-"} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// TestCoverageCountsMatchTheRows recomputes the "now" counts at the top of policy/COVERAGE.md
// from its rows.
func TestCoverageCountsMatchTheRows(t *testing.T) {
	rows, text := readCoverage(t)
	type counts struct{ total, covered, notApplicable, notCovered int }
	by := map[string]*counts{"Both": {}}
	for _, r := range rows {
		if by[r.ruleSet] == nil {
			by[r.ruleSet] = &counts{}
		}
		for _, c := range []*counts{by[r.ruleSet], by["Both"]} {
			c.total++
			switch r.status {
			case "covered":
				c.covered++
			case "not applicable":
				c.notApplicable++
			default:
				c.notCovered++
			}
		}
	}
	require.Len(t, by, 3, "expected the Checkov and Pulumi tables")
	for set, c := range by {
		want := fmt.Sprintf("| %s, now | %d | %d | %d | %d | %.0f%% |", set, c.total, c.covered, c.notApplicable, c.notCovered,
			100*float64(c.covered+c.notApplicable)/float64(c.total))
		assert.True(t, strings.Contains(text, want), "the counts of %s do not match its rows: want the line %s", set, want)
	}
}
