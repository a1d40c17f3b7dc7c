package monitoring

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runbookDir holds one page per alert, relative to this package.
var runbookDir = filepath.Join("..", "..", "docs", "runbooks")

// runbookSections are the questions every page answers, as level-2 headings.
var runbookSections = []string{"## Meaning", "## Confirm", "## Mitigate", "## Escalate"}

// alertRunbook is an alert and the runbook_url it carries.
type alertRunbook struct {
	alert, url string
}

// runbookProblems compares alerts with the runbook pages (file name to content; README.md is the
// index): every alert needs runbook_url <base>/<alert>.md and that page, every page an alert,
// its heading and sections, and a line in the index.
func runbookProblems(alerts []alertRunbook, base string, pages map[string]string) []string {
	var problems []string
	known := map[string]bool{}
	for _, a := range alerts {
		known[a.alert] = true
		file := a.alert + ".md"
		switch {
		case a.url == "":
			problems = append(problems, a.alert+" has no runbook_url")
		case a.url != RunbookURL(base, a.alert):
			problems = append(problems, fmt.Sprintf("%s: runbook_url %q does not point at %s under %s", a.alert, a.url, file, base))
		}
		if _, ok := pages[file]; !ok {
			problems = append(problems, fmt.Sprintf("%s: docs/runbooks/%s is missing", a.alert, file))
		}
	}
	index := pages["README.md"]
	files := make([]string, 0, len(pages))
	for f := range pages {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		if file == "README.md" {
			continue
		}
		alert, isMarkdown := strings.CutSuffix(file, ".md")
		if !isMarkdown || !known[alert] {
			problems = append(problems, fmt.Sprintf("docs/runbooks/%s has no alert", file))
			continue
		}
		content := pages[file]
		if !strings.HasPrefix(content, "# "+alert+"\n") {
			problems = append(problems, fmt.Sprintf("docs/runbooks/%s does not start with the heading # %s", file, alert))
		}
		for _, section := range runbookSections {
			if !slices.Contains(strings.Split(content, "\n"), section) {
				problems = append(problems, fmt.Sprintf("docs/runbooks/%s has no %q section", file, section))
			}
		}
		if !strings.Contains(index, "]("+file+")") {
			problems = append(problems, fmt.Sprintf("docs/runbooks/README.md does not link %s", file))
		}
	}
	return problems
}

// readRunbooks loads every file of docs/runbooks.
func readRunbooks(t *testing.T) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(runbookDir)
	require.NoError(t, err)
	pages := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		content, err := os.ReadFile(filepath.Join(runbookDir, e.Name()))
		require.NoError(t, err)
		pages[e.Name()] = string(content)
	}
	return pages
}

// definedAlerts are the alerts of PrometheusRuleGroups with every group on, and the heartbeat:
// the chart defines Watchdog, but this stack routes it, and its page is what the heartbeat
// service links to.
func definedAlerts(s RuleSettings) []alertRunbook {
	var out []alertRunbook
	for _, g := range PrometheusRuleGroups(s) {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, alertRunbook{r.Alert, r.Annotations["runbook_url"]})
			}
		}
	}
	return append(out, alertRunbook{AlertWatchdog, RunbookURL(s.RunbookBaseURL, AlertWatchdog)})
}

func TestEveryAlertHasARunbookAndEveryRunbookAnAlert(t *testing.T) {
	s := fullRuleSettings()
	alerts := definedAlerts(s)
	require.Len(t, alerts, len(novacronAlerts)+1)
	assert.Empty(t, runbookProblems(alerts, s.RunbookBaseURL, readRunbooks(t)))
}

// The check fails on doctored inputs, in both directions.
func TestRunbookCheckCatchesEachGap(t *testing.T) {
	s := fullRuleSettings()
	base := s.RunbookBaseURL
	actual := readRunbooks(t)
	alerts := definedAlerts(s)
	require.Empty(t, runbookProblems(alerts, base, actual))

	withPages := func(change func(map[string]string)) map[string]string {
		pages := map[string]string{}
		for k, v := range actual {
			pages[k] = v
		}
		change(pages)
		return pages
	}
	withAlerts := func(change func([]alertRunbook) []alertRunbook) []alertRunbook {
		return change(slices.Clone(alerts))
	}
	tests := []struct {
		name   string
		alerts []alertRunbook
		pages  map[string]string
		want   string
	}{
		{"an alert without runbook_url", withAlerts(func(a []alertRunbook) []alertRunbook {
			a[0].url = ""
			return a
		}), actual, AlertErrorBudgetFastBurn + " has no runbook_url"},
		{"a runbook_url naming another page", withAlerts(func(a []alertRunbook) []alertRunbook {
			a[0].url = RunbookURL(base, AlertErrorBudgetSlowBurn)
			return a
		}), actual, AlertErrorBudgetFastBurn + `: runbook_url "` + RunbookURL(base, AlertErrorBudgetSlowBurn) + `" does not point at`},
		{"a runbook_url under another base", withAlerts(func(a []alertRunbook) []alertRunbook {
			a[0].url = RunbookURL("https://runbooks.prometheus-operator.dev/runbooks/general", a[0].alert)
			return a
		}), actual, "does not point at " + AlertErrorBudgetFastBurn + ".md"},
		{"a new alert without a page", withAlerts(func(a []alertRunbook) []alertRunbook {
			return append(a, alertRunbook{"NovaCronSomethingNew", RunbookURL(base, "NovaCronSomethingNew")})
		}), actual, "NovaCronSomethingNew: docs/runbooks/NovaCronSomethingNew.md is missing"},
		{"a page whose alert was removed", withAlerts(func(a []alertRunbook) []alertRunbook {
			return slices.DeleteFunc(a, func(x alertRunbook) bool { return x.alert == AlertEndpointDown })
		}), actual, "docs/runbooks/" + AlertEndpointDown + ".md has no alert"},
		{"a stray page", alerts, withPages(func(p map[string]string) { p["NovaCronOldAlert.md"] = "# NovaCronOldAlert\n" }),
			"docs/runbooks/NovaCronOldAlert.md has no alert"},
		{"a page without a section", alerts, withPages(func(p map[string]string) {
			p[AlertVolumeFillingUp+".md"] = strings.Replace(p[AlertVolumeFillingUp+".md"], "## Escalate", "## Later", 1)
		}), `docs/runbooks/` + AlertVolumeFillingUp + `.md has no "## Escalate" section`},
		{"a page titled for another alert", alerts, withPages(func(p map[string]string) {
			p[AlertWarningEscalated+".md"] = "# Escalation\n" + p[AlertWarningEscalated+".md"]
		}), "does not start with the heading # " + AlertWarningEscalated},
		{"a page missing from the index", alerts, withPages(func(p map[string]string) {
			p["README.md"] = strings.ReplaceAll(p["README.md"], "("+AlertTempoDiscardingSpans+".md)", "")
		}), "README.md does not link " + AlertTempoDiscardingSpans + ".md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := runbookProblems(tt.alerts, base, tt.pages)
			require.Len(t, problems, 1, "%v", problems)
			assert.Contains(t, problems[0], tt.want)
		})
	}
}
