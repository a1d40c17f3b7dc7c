package falcotalon

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/components/falco"
)

// --- Talon's rule schema ------------------------------------------------------------------------
//
// Talon's Go module is not served by the module proxy, so these structs mirror its rule file
// schema at v0.3.0 (falcosecurity/falco-talon, internal/rules/rules.go: the yaml keys of Action,
// Rule, Match and Output) and decode strictly: a key Talon does not know is an error.

type specOutput struct {
	Target     string         `yaml:"target"`
	Parameters map[string]any `yaml:"parameters"`
}

type specAction struct {
	Action             string         `yaml:"action"`
	Description        string         `yaml:"description"`
	Actionner          string         `yaml:"actionner"`
	Continue           string         `yaml:"continue"`
	IgnoreErrors       string         `yaml:"ignore_errors"`
	AdditionalContexts []string       `yaml:"additional_contexts"`
	Parameters         map[string]any `yaml:"parameters"`
	Output             specOutput     `yaml:"output"`
}

type specMatch struct {
	Rules        []string `yaml:"rules"`
	Priority     string   `yaml:"priority"`
	Source       string   `yaml:"source"`
	Tags         []string `yaml:"tags"`
	OutputFields []string `yaml:"output_fields"`
}

type specRule struct {
	Rule        string       `yaml:"rule"`
	Description string       `yaml:"description"`
	Continue    string       `yaml:"continue"`
	DryRun      string       `yaml:"dry_run"`
	Notifiers   []string     `yaml:"notifiers"`
	Match       specMatch    `yaml:"match"`
	Actions     []specAction `yaml:"actions"`
}

// Parameters of the actionners the rules use (actionners/kubernetes/<name>/<name>.go, v0.3.0,
// the mapstructure keys of each Parameters struct).
type terminateParams struct {
	MinHealthyReplicas   string `yaml:"min_healthy_replicas"`
	IgnoreDaemonsets     bool   `yaml:"ignore_daemonsets"`
	IgnoreStatefulsets   bool   `yaml:"ignore_statefulsets"`
	IgnoreStandalonePods bool   `yaml:"ignore_standalone_pods"`
	GracePeriodSeconds   int    `yaml:"grace_period_seconds"`
}

type labelParams struct {
	Labels map[string]string `yaml:"labels"`
	Level  string            `yaml:"level"`
}

type networkPolicyParams struct {
	AllowCIDR       []string `yaml:"allow_cidr"`
	AllowNamespaces []string `yaml:"allow_namespaces"`
}

// The checks Talon makes when it loads a rule (isValid in internal/rules/rules.go, v0.3.0).
var (
	priorityPattern    = regexp.MustCompile(`(?i)^(<|>)?(=)?(Debug|Informational|Notice|Warning|Error|Critical|Alert|Emergency|)$`)
	actionnerPattern   = regexp.MustCompile(`^[a-z]+:[a-z]+$`)
	outputFieldPattern = regexp.MustCompile(`(?i)^[a-z0-9.\[\]]*(!)?(=)`)
	boolStrings        = []string{"", "true", "false"}
)

// chartActions are the action names of the chart's own rules.yaml (falco-talon 0.4.1), which the
// rules are appended to.
var chartActions = []string{"Terminate Pod", "Label Pod as Suspicious"}

// testingT is what the loader needs from a test; a recorder stands in for it when a test checks
// that the loader rejects a document.
type testingT interface {
	require.TestingT
	Helper()
}

func strictDecode(t testingT, what string, in, out any) {
	t.Helper()
	b, err := yaml.Marshal(in)
	require.NoError(t, err)
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	require.NoError(t, d.Decode(out), "%s does not fit Talon's schema", what)
}

// loadRules decodes a Talon rules document strictly, applies Talon's load-time checks, and
// resolves each rule's actions against the action definitions the way Talon does (a rule's
// action takes the definition's actionner and parameters).
func loadRules(t testingT, doc string) []specRule {
	t.Helper()
	var nodes []yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(doc), &nodes), "the rules file is a YAML sequence")
	actions := map[string]specAction{}
	var rules []specRule
	for i := range nodes {
		var keys map[string]any
		require.NoError(t, nodes[i].Decode(&keys))
		switch {
		case keys["rule"] != nil:
			var r specRule
			strictDecode(t, fmt.Sprintf("entry %d", i), keys, &r)
			rules = append(rules, r)
		case keys["action"] != nil:
			var a specAction
			strictDecode(t, fmt.Sprintf("entry %d", i), keys, &a)
			require.NotContains(t, actions, a.Action, "action %q defined twice (Talon would merge them)", a.Action)
			require.NotContains(t, chartActions, a.Action, "action %q would merge with the chart's", a.Action)
			actions[a.Action] = a
		default:
			require.Fail(t, "not an action or a rule", "entry %d: %v", i, keys)
		}
	}
	seen := map[string]bool{}
	for i, r := range rules {
		require.NotEmpty(t, r.Rule, "rule %d: name", i)
		require.False(t, seen[r.Rule], "rule %q defined twice (Talon would merge them)", r.Rule)
		seen[r.Rule] = true
		assert.Contains(t, boolStrings, r.Continue, "rule %q: continue", r.Rule)
		assert.Contains(t, boolStrings, r.DryRun, "rule %q: dry_run", r.Rule)
		assert.Regexp(t, priorityPattern, r.Match.Priority, "rule %q: priority", r.Rule)
		for _, f := range r.Match.OutputFields {
			for _, kv := range strings.Split(strings.ReplaceAll(f, ", ", ","), ",") {
				assert.Regexp(t, outputFieldPattern, kv, "rule %q: output field", r.Rule)
			}
		}
		require.NotEmpty(t, r.Actions, "rule %q: no action", r.Rule)
		for n, a := range r.Actions {
			def, ok := actions[a.Action]
			require.True(t, ok, "rule %q: action %q is not defined", r.Rule, a.Action)
			if a.Actionner == "" {
				a.Actionner = def.Actionner
			}
			if a.Parameters == nil {
				a.Parameters = def.Parameters
			}
			assert.Regexp(t, actionnerPattern, a.Actionner, "rule %q: action %q", r.Rule, a.Action)
			assert.Contains(t, boolStrings, a.Continue)
			assert.Contains(t, boolStrings, a.IgnoreErrors)
			checkParameters(t, a)
			r.Actions[n] = a
		}
	}
	return rules
}

func checkParameters(t testingT, a specAction) {
	t.Helper()
	what := fmt.Sprintf("parameters of %q", a.Action)
	switch a.Actionner {
	case actionnerTerminate:
		var p terminateParams
		strictDecode(t, what, a.Parameters, &p)
		assert.Positive(t, p.GracePeriodSeconds, "%s: a grace period is set", what)
	case actionnerLabel:
		var p labelParams
		strictDecode(t, what, a.Parameters, &p)
		assert.NotEmpty(t, p.Labels, "%s: labels is required", what)
		assert.Equal(t, "pod", p.Level, "%s: label the pod, never the node", what)
	case actionnerNetworkPolicy:
		var p networkPolicyParams
		if a.Parameters != nil {
			strictDecode(t, what, a.Parameters, &p)
		}
		assert.Empty(t, p.AllowCIDR, "%s: isolation allows no egress", what)
		assert.Empty(t, p.AllowNamespaces, "%s: isolation allows no egress", what)
	default:
		t.Errorf("%s: actionner %q is not one the component means to use", what, a.Actionner)
	}
}

// --- Talon's matching ---------------------------------------------------------------------------
//
// An event matches a rule when (CompareRule in internal/rules/rules.go, v0.3.0; docs "Rules",
// match): its Falco rule is one of match.rules (or the list is empty); one of the output_fields
// entries holds (every key=value in it equals the event's field, no key!=value does); its priority
// compares as match.priority says (no comparator: equal); its source equals match.source (empty:
// any; an event without source is "syscall"); and it carries every tag of one match.tags entry.

type falcoEvent struct {
	Rule         string
	Priority     string
	Source       string
	OutputFields map[string]any
	Tags         []string
}

var priorityRank = map[string]int{"debug": 1, "informational": 2, "notice": 3, "warning": 4,
	"error": 5, "critical": 6, "alert": 7, "emergency": 8}

func matches(r specRule, e falcoEvent) bool {
	m := r.Match
	if len(m.Rules) > 0 && !slices.Contains(m.Rules, e.Rule) {
		return false
	}
	if len(m.OutputFields) > 0 && !slices.ContainsFunc(m.OutputFields, func(entry string) bool {
		for _, kv := range strings.Split(strings.ReplaceAll(entry, ", ", ","), ",") {
			key, want, negated := strings.Cut(kv, "!=")
			if !negated {
				key, want, _ = strings.Cut(kv, "=")
			}
			got, present := e.OutputFields[key]
			equal := present && fmt.Sprint(got) == strings.ReplaceAll(want, `"`, "")
			if equal == negated {
				return false
			}
		}
		return true
	}) {
		return false
	}
	if m.Priority != "" {
		level := strings.TrimLeft(m.Priority, "<>=")
		cmp := m.Priority[:len(m.Priority)-len(level)]
		got, want := priorityRank[strings.ToLower(e.Priority)], priorityRank[strings.ToLower(level)]
		ok := map[string]bool{">": got > want, ">=": got >= want, "<": got < want, "<=": got <= want, "": got == want, "=": got == want}[cmp]
		if !ok {
			return false
		}
	}
	source := e.Source
	if source == "" {
		source = "syscall"
	}
	if m.Source != "" && m.Source != source {
		return false
	}
	if len(m.Tags) > 0 && !slices.ContainsFunc(m.Tags, func(entry string) bool {
		for _, tag := range strings.Split(strings.ReplaceAll(entry, " ", ""), ",") {
			if !slices.Contains(e.Tags, tag) {
				return false
			}
		}
		return true
	}) {
		return false
	}
	return true
}

// The matcher above must be able to say no, for each of the reasons Talon says no.
func TestMatcher(t *testing.T) {
	rule := specRule{Match: specMatch{
		Rules:        []string{"R"},
		Priority:     ">=Warning",
		OutputFields: []string{"k8s.ns.name=a, k8s.pod.name!=keep", "k8s.ns.name=b"},
	}}
	ev := func(mod func(*falcoEvent)) falcoEvent {
		e := falcoEvent{Rule: "R", Priority: "Warning", OutputFields: map[string]any{"k8s.ns.name": "a", "k8s.pod.name": "p"}}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	tests := []struct {
		name string
		e    falcoEvent
		want bool
	}{
		{"match", ev(nil), true},
		{"higher priority", ev(func(e *falcoEvent) { e.Priority = "Critical" }), true},
		{"second alternative", ev(func(e *falcoEvent) { e.OutputFields["k8s.ns.name"] = "b"; e.OutputFields["k8s.pod.name"] = "keep" }), true},
		{"other rule", ev(func(e *falcoEvent) { e.Rule = "S" }), false},
		{"lower priority", ev(func(e *falcoEvent) { e.Priority = "Notice" }), false},
		{"other namespace", ev(func(e *falcoEvent) { e.OutputFields["k8s.ns.name"] = "kube-system" }), false},
		{"excluded pod", ev(func(e *falcoEvent) { e.OutputFields["k8s.pod.name"] = "keep" }), false},
		{"field missing", ev(func(e *falcoEvent) { delete(e.OutputFields, "k8s.ns.name") }), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, matches(rule, tt.e), tt.name)
	}
	assert.False(t, matches(specRule{Match: specMatch{Source: "k8s_audit"}}, ev(nil)), "source defaults to syscall")
	assert.False(t, matches(specRule{Match: specMatch{Tags: []string{"a, b"}}}, ev(func(e *falcoEvent) { e.Tags = []string{"a"} })))
	assert.True(t, matches(specRule{Match: specMatch{Tags: []string{"c", "a, b"}}}, ev(func(e *falcoEvent) { e.Tags = []string{"b", "a"} })))
}

// --- the rules ----------------------------------------------------------------------------------

func renderedRules(t *testing.T, a *TalonArgs) []specRule {
	t.Helper()
	doc, err := rulesFile(a.withDefaults())
	require.NoError(t, err)
	return loadRules(t, doc)
}

// falcoRule is one rule of components/falco/rules.yaml.
type falcoRule struct {
	Rule     string   `yaml:"rule"`
	Priority string   `yaml:"priority"`
	Output   string   `yaml:"output"`
	Tags     []string `yaml:"tags"`
}

func falcoRules(t *testing.T) map[string]falcoRule {
	t.Helper()
	var entries []falcoRule
	require.NoError(t, yaml.Unmarshal([]byte(falco.RulesFile), &entries))
	out := map[string]falcoRule{}
	for _, e := range entries {
		if e.Rule != "" {
			out[e.Rule] = e
		}
	}
	require.NotEmpty(t, out)
	return out
}

// Every Falco rule Talon matches exists in components/falco/rules.yaml, Talon's priority threshold
// is exactly that rule's priority, and every output field Talon matches on is in that rule's
// output (otherwise Falco would not send it and the rule could never match).
func TestTalonRulesFollowTheFalcoRules(t *testing.T) {
	fr := falcoRules(t)
	rules := renderedRules(t, baseArgs())
	require.Len(t, rules, 2)
	for _, r := range rules {
		require.NotEmpty(t, r.Match.Rules, "rule %q must name its Falco rules: an empty list matches every event", r.Rule)
		require.NotEmpty(t, r.Match.OutputFields, "rule %q must be restricted to the application namespaces", r.Rule)
		for _, name := range r.Match.Rules {
			f, ok := fr[name]
			require.True(t, ok, "Talon rule %q matches Falco rule %q, which components/falco/rules.yaml does not define", r.Rule, name)
			assert.Equal(t, ">="+strings.ToLower(f.Priority), strings.ToLower(r.Match.Priority), "Talon rule %q: threshold must be Falco rule %q's priority", r.Rule, name)
			for _, entry := range r.Match.OutputFields {
				for _, kv := range strings.Split(entry, ",") {
					key := strings.TrimSpace(strings.FieldsFunc(kv, func(c rune) bool { return c == '=' || c == '!' })[0])
					assert.Contains(t, f.Output, "%"+key, "Falco rule %q does not output %s, which Talon rule %q matches on", name, key, r.Rule)
				}
			}
		}
	}
	// The constants the component exports agree with the Falco rules.
	assert.Equal(t, strings.ToUpper(MinerFalcoPriority), fr[MinerFalcoRule].Priority)
	assert.Equal(t, strings.ToUpper(ShellFalcoPriority), fr[ShellFalcoRule].Priority)
}

// Each action is tested against its rule: a Falco event as falcosidekick forwards it, and the
// actions (actionner and parameters) of the Talon rules it matches.
func TestEachActionAgainstItsRule(t *testing.T) {
	rules := renderedRules(t, baseArgs())
	event := func(rule, priority, ns string) falcoEvent {
		return falcoEvent{Rule: rule, Priority: priority, Source: "syscall", Tags: []string{"novacron"},
			OutputFields: map[string]any{"k8s.ns.name": ns, "k8s.pod.name": "api-7d9f", "proc.name": "xmrig"}}
	}
	type step struct {
		actionner string
		params    map[string]any
	}
	tests := []struct {
		name string
		ev   falcoEvent
		want []step
	}{
		{
			name: "miner in an application namespace is terminated",
			ev:   event(MinerFalcoRule, "Critical", "novacron"),
			want: []step{{actionnerTerminate, map[string]any{"grace_period_seconds": 10, "ignore_daemonsets": true}}},
		},
		{
			name: "miner in the second application namespace too",
			ev:   event(MinerFalcoRule, "Critical", "novacron-jobs"),
			want: []step{{actionnerTerminate, map[string]any{"grace_period_seconds": 10, "ignore_daemonsets": true}}},
		},
		{
			name: "terminal shell is labelled, then isolated",
			ev:   event(ShellFalcoRule, "Warning", "novacron"),
			want: []step{
				{actionnerLabel, map[string]any{"level": "pod", "labels": map[string]any{"novacron.io/quarantine": "terminal-shell"}}},
				{actionnerNetworkPolicy, nil},
			},
		},
		{name: "miner in kube-system: nothing", ev: event(MinerFalcoRule, "Critical", "kube-system")},
		{name: "shell in kube-system: nothing", ev: event(ShellFalcoRule, "Warning", "kube-system")},
		{name: "shell in falco: nothing", ev: event(ShellFalcoRule, "Warning", "falco")},
		{name: "event without a namespace (host): nothing", ev: func() falcoEvent {
			e := event(MinerFalcoRule, "Critical", "")
			delete(e.OutputFields, "k8s.ns.name")
			return e
		}()},
		{name: "other Falco rule: nothing", ev: event("NovaCron unexpected outbound connection", "Warning", "novacron")},
		{name: "default-ruleset shell rule: nothing", ev: event("Terminal shell in container", "Notice", "novacron")},
		{name: "miner rule at a lower priority: nothing", ev: event(MinerFalcoRule, "Warning", "novacron")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []step
			matched := 0
			for _, r := range rules {
				if !matches(r, tt.ev) {
					continue
				}
				matched++
				for _, a := range r.Actions {
					got = append(got, step{a.Actionner, a.Parameters})
				}
			}
			assert.LessOrEqual(t, matched, 1, "at most one Talon rule acts on an event")
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDryRun(t *testing.T) {
	for _, r := range renderedRules(t, baseArgs()) {
		assert.Empty(t, r.DryRun, r.Rule)
	}
	args := baseArgs()
	args.DryRun = true
	for _, r := range renderedRules(t, args) {
		assert.Equal(t, "true", r.DryRun, r.Rule)
	}
}

// The strict loader must reject what Talon would reject or silently ignore.
func TestLoaderRejectsBadRules(t *testing.T) {
	good := func() string {
		doc, err := rulesFile(baseArgs().withDefaults())
		require.NoError(t, err)
		return doc
	}()
	for name, doc := range map[string]string{
		"unknown rule key":      strings.Replace(good, "match:", "matches:", 1),
		"unknown match key":     strings.Replace(good, "output_fields:", "outputfields:", 1),
		"unknown parameter":     strings.Replace(good, "grace_period_seconds:", "grace_period:", 1),
		"bad priority":          strings.Replace(good, ">=Critical", ">=Severe", 1),
		"undefined action":      strings.Replace(good, "- action: NovaCron isolate pod egress\n", "- action: NovaCron isolate pod\n", 1),
		"chart's action name":   strings.Replace(good, "action: NovaCron terminate pod", "action: Terminate Pod", 1),
		"unused actionner":      strings.Replace(good, "kubernetes:label", "kubernetes:exec", 1),
		"label on the node":     strings.Replace(good, "level: pod", "level: node", 1),
		"isolation with egress": strings.Replace(good, "actionner: kubernetes:networkpolicy", "actionner: kubernetes:networkpolicy\n  parameters:\n    allow_cidr: [0.0.0.0/0]", 1),
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, good, doc, "the mutation must apply")
			rec := &recorder{}
			rec.run(func() { loadRules(rec, doc) })
			assert.NotEmpty(t, rec.errors, "loadRules accepted: %s", name)
		})
	}
	rec := &recorder{}
	rec.run(func() { loadRules(rec, good) })
	assert.Empty(t, rec.errors, "the rendered rules load cleanly")
}

// recorder collects failures instead of failing the test; FailNow stops the function under test.
type recorder struct{ errors []string }

type failNow struct{}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) FailNow() { panic(failNow{}) }
func (r *recorder) Helper()  {}

func (r *recorder) run(f func()) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(failNow); !ok {
				panic(v)
			}
		}
	}()
	f()
}
