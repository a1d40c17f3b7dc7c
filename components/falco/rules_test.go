package falco

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// Falco default macros and lists that rules.yaml relies on. Each name was checked against
// rules/falco_rules.yaml of the falcosecurity/rules repository (the stable ruleset shipped as the
// falco-rules artifact that the falco chart installs; required_engine_version 26).
var (
	falcoDefaultMacros = []string{
		"open_read",        // evt.type in (open,openat,openat2) and evt.is_open_read=true and fd.typechar='f' ...
		"outbound",         // connect / unconnected send to a non-loopback, non-RFC 1918 address
		"container",        // container.id != host
		"spawned_process",  // evt.type in (execve, execveat) and evt.dir=<
		"proc_name_exists", // proc.name != "<NA>"
		"never_true",       // evt.num=0, the tuning placeholder
	}
	falcoDefaultLists = []string{
		"shell_binaries",       // ash, bash, csh, ksh, sh, tcsh, zsh, dash
		"sensitive_file_names", // /etc/shadow, /etc/sudoers, /etc/pam.conf, ...
	}
)

// falcoPriorities are the priorities Falco accepts (case-insensitive), from the Falco rules
// documentation.
var falcoPriorities = []string{"emergency", "alert", "critical", "error", "warning", "notice",
	"informational", "info", "debug"}

// Keys Falco understands on each kind of entry (Falco rules documentation, "Rules", "Macros",
// "Lists" and "Overriding Rules"). Anything else is a typo that Falco would reject or ignore.
var allowedKeys = map[string][]string{
	"rule": {"rule", "desc", "condition", "output", "priority", "tags", "enabled", "source",
		"exceptions", "override", "append", "warn_evttypes", "skip-if-unknown-filter",
		"capture", "capture_duration"},
	"macro": {"macro", "condition", "override", "append"},
	"list":  {"list", "items", "override", "append"},
}

type entry struct {
	kind string // rule, macro or list
	name string
	raw  map[string]any
}

// parseRulesFile decodes a Falco rules document into its entries, failing on anything that is
// not exactly one rule, macro or list with known keys.
func parseRulesFile(t *testing.T, doc string) []entry {
	t.Helper()
	var raw []map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(doc), &raw), "rules file must be a YAML sequence of maps")
	require.NotEmpty(t, raw)
	var out []entry
	for i, m := range raw {
		var kinds []string
		for _, k := range []string{"rule", "macro", "list"} {
			if _, ok := m[k]; ok {
				kinds = append(kinds, k)
			}
		}
		require.Len(t, kinds, 1, "entry %d must be exactly one of rule, macro, list: %v", i, m)
		kind := kinds[0]
		name, ok := m[kind].(string)
		require.True(t, ok && name != "", "entry %d: %s must have a name", i, kind)
		for k := range m {
			assert.Contains(t, allowedKeys[kind], k, "%s %q: unknown key", kind, name)
		}
		out = append(out, entry{kind: kind, name: name, raw: m})
	}
	return out
}

func TestRulesFileStructure(t *testing.T) {
	entries := parseRulesFile(t, RulesFile)

	var rules []string
	seen := map[string]bool{}
	for _, e := range entries {
		key := e.kind + ":" + e.name
		assert.False(t, seen[key], "%s %q defined twice", e.kind, e.name)
		seen[key] = true
		switch e.kind {
		case "rule":
			rules = append(rules, e.name)
			for _, field := range []string{"desc", "condition", "output", "priority"} {
				v, ok := e.raw[field].(string)
				assert.True(t, ok && strings.TrimSpace(v) != "", "rule %q: %s is required", e.name, field)
			}
			prio, _ := e.raw["priority"].(string)
			assert.Contains(t, falcoPriorities, strings.ToLower(prio), "rule %q: invalid priority", e.name)
			tags, _ := e.raw["tags"].([]any)
			assert.Contains(t, tags, "novacron", "rule %q: tag novacron lets operators select our rules", e.name)
			assert.True(t, strings.HasPrefix(e.name, "NovaCron "), "rule %q: name must start with NovaCron", e.name)
		case "macro":
			v, ok := e.raw["condition"].(string)
			assert.True(t, ok && strings.TrimSpace(v) != "", "macro %q: condition is required", e.name)
		case "list":
			items, ok := e.raw["items"].([]any)
			assert.True(t, ok, "list %q: items must be a sequence", e.name)
			for _, it := range items {
				checkListItem(t, e.name, it)
			}
		}
		if e.kind != "rule" {
			// A name shared with the default ruleset would silently redefine a default.
			assert.True(t, strings.HasPrefix(e.name, "novacron_"), "%s %q: must be prefixed novacron_", e.kind, e.name)
		}
	}
	assert.ElementsMatch(t, []string{
		"NovaCron crypto mining activity",
		"NovaCron unexpected outbound connection",
		"NovaCron sensitive file read",
		"NovaCron terminal shell in application container",
	}, rules)
}

// The plan's severities: mining pages (critical), the others go to Slack (warning). Falco Talon
// (components/falcotalon) matches on these priorities too.
func TestRulePriorities(t *testing.T) {
	want := map[string]string{
		"NovaCron crypto mining activity":         "CRITICAL",
		"NovaCron unexpected outbound connection": "WARNING",
		"NovaCron sensitive file read":            "WARNING",
		// Falco Talon isolates the pod; a person looks at it the same working day.
		"NovaCron terminal shell in application container": "WARNING",
	}
	for _, e := range parseRulesFile(t, RulesFile) {
		if e.kind == "rule" {
			assert.Equal(t, want[e.name], e.raw["priority"], e.name)
		}
	}
}

func checkListItem(t *testing.T, list string, it any) {
	t.Helper()
	switch v := it.(type) {
	case int:
		assert.True(t, v > 0 && v < 65536, "list %q: numeric item %d is not a port", list, v)
	case string:
		assert.NotEmpty(t, strings.TrimSpace(v), "list %q: empty item", list)
		assert.False(t, strings.ContainsAny(v, " ,()"), "list %q: item %q needs quoting", list, v)
		if strings.HasPrefix(v, `"`) || strings.HasSuffix(v, `"`) {
			assert.True(t, len(v) > 2 && strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`),
				"list %q: unbalanced quotes in %q", list, v)
		}
	default:
		t.Errorf("list %q: item %v has unsupported type %T", list, it, it)
	}
}

// Every macro and list that a condition uses exists in rules.yaml (defined before it is used) or
// in Falco's default set; every documented default is really used.
func TestConditionReferencesResolve(t *testing.T) {
	entries := parseRulesFile(t, RulesFile)
	macros := map[string]bool{}
	lists := map[string]bool{}
	for _, m := range falcoDefaultMacros {
		macros[m] = true
	}
	for _, l := range falcoDefaultLists {
		lists[l] = true
	}
	usedDefaults := map[string]bool{}
	for _, e := range entries {
		if cond, ok := e.raw["condition"].(string); ok {
			refs, err := parseCondition(cond)
			require.NoError(t, err, "%s %q: condition does not parse", e.kind, e.name)
			for _, m := range refs.macros {
				assert.True(t, macros[m], "%s %q: macro %q is not defined before use", e.kind, e.name, m)
				usedDefaults[m] = true
			}
			for _, l := range refs.lists {
				assert.True(t, lists[l], "%s %q: list %q is not defined before use", e.kind, e.name, l)
				usedDefaults[l] = true
			}
		}
		switch e.kind {
		case "macro":
			macros[e.name] = true
		case "list":
			lists[e.name] = true
		}
	}
	for _, d := range slices.Concat(falcoDefaultMacros, falcoDefaultLists) {
		assert.True(t, usedDefaults[d], "documented default %q is not used by any condition", d)
	}
}

// The reference check above is only as good as the condition parser: it must reject what Falco
// would reject and report every name it sees.
func TestParseCondition(t *testing.T) {
	tests := []struct {
		cond       string
		wantMacros []string
		wantLists  []string
		wantErr    string
	}{
		{cond: "open_read and container", wantMacros: []string{"open_read", "container"}},
		{cond: `proc.name in (a_list, b_list) and not fd.name startswith /etc/`, wantLists: []string{"a_list", "b_list"}},
		{cond: `(fd.sport in (ports) or fd.sip.name in (domains)) and never_true`,
			wantMacros: []string{"never_true"}, wantLists: []string{"ports", "domains"}},
		{cond: `proc.cmdline contains "stratum+tcp://" and proc.name exists`},
		{cond: `fd.name pmatch (paths) and fd.snet in ()`, wantLists: []string{"paths"}},
		{cond: `proc.aname[2]=sshd and evt.num != 0`},
		{cond: "(open_read and container", wantErr: "missing )"},
		{cond: "open_read container", wantErr: "unexpected"},
		{cond: "proc.name", wantErr: "expected an operator"},
		{cond: "proc.name =", wantErr: "expects a value"},
		{cond: "proc.name in a_list", wantErr: "expects ("},
		{cond: `proc.cmdline contains "unterminated`, wantErr: "unterminated"},
		{cond: "open_read and", wantErr: "unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			refs, err := parseCondition(tt.cond)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.wantMacros, refs.macros)
			assert.ElementsMatch(t, tt.wantLists, refs.lists)
		})
	}
}

func TestTuningFileOverridesListsOfRulesFile(t *testing.T) {
	a := (&FalcoArgs{
		ApplicationNamespaces: []string{"novacron", "novacron-jobs"},
		AllowedOutboundPorts:  []int{443, 8443},
		AllowedOutboundCIDRs:  []string{"52.94.0.0/16"},
	}).withDefaults()
	doc, err := tuningFile(a)
	require.NoError(t, err)

	defined := map[string]bool{}
	for _, e := range parseRulesFile(t, RulesFile) {
		if e.kind == "list" {
			defined[e.name] = true
		}
	}
	got := map[string][]any{}
	for _, e := range parseRulesFile(t, doc) {
		require.Equal(t, "list", e.kind, "the tuning file only tunes lists")
		assert.True(t, defined[e.name], "list %q is not defined in rules.yaml: Falco rejects overriding it", e.name)
		assert.Equal(t, map[string]any{"items": "replace"}, e.raw["override"], e.name)
		items, _ := e.raw["items"].([]any)
		for _, it := range items {
			checkListItem(t, e.name, it)
		}
		got[e.name] = items
	}
	assert.Equal(t, map[string][]any{
		"novacron_app_namespaces":            {"novacron", "novacron-jobs"},
		"novacron_allowed_outbound_ports":    {443, 8443},
		"novacron_allowed_outbound_networks": {`"52.94.0.0/16"`},
	}, got)
	// Falco reads rules.d in lexical order; the overrides must come after the definitions.
	assert.Less(t, rulesFileKey, tuningFileKey)
}

// --- a small parser for Falco conditions -------------------------------------------------------
//
// Grammar (Falco rules documentation, "Conditions"): expressions combine with and / or / not and
// parentheses; a primary is a macro name, or a field (a name containing a dot, optionally with
// [index]) followed by a comparison operator and a value, by a list operator (in, intersects,
// pmatch) and a parenthesised item list, or by exists. Following the convention stated in
// rules.yaml, every bare name inside an item list is a list reference.

type condRefs struct {
	macros []string
	lists  []string
}

type tokKind int

const (
	tWord tokKind = iota
	tString
	tLParen
	tRParen
	tComma
	tOp
	tEOF
)

type token struct {
	kind tokKind
	text string
}

var (
	keywords     = map[string]bool{"and": true, "or": true, "not": true}
	valueOps     = map[string]bool{"contains": true, "icontains": true, "bcontains": true, "startswith": true, "bstartswith": true, "endswith": true, "glob": true, "iglob": true, "regex": true}
	listOps      = map[string]bool{"in": true, "intersects": true, "pmatch": true}
	symbolicOps  = map[string]bool{"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}
	wordBoundary = " \t\r\n(),=!<>\"'"
)

func lexCondition(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case strings.ContainsRune(" \t\r\n", rune(c)):
			i++
		case c == '(':
			out = append(out, token{tLParen, "("})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")"})
			i++
		case c == ',':
			out = append(out, token{tComma, ","})
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at offset %d", i)
			}
			out = append(out, token{tString, s[i+1 : j]})
			i = j + 1
		case strings.ContainsRune("=!<>", rune(c)):
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if !symbolicOps[op] {
				return nil, fmt.Errorf("unknown operator %q at offset %d", op, i)
			}
			out = append(out, token{tOp, op})
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(wordBoundary, rune(s[j])) {
				j++
			}
			out = append(out, token{tWord, s[i:j]})
			i = j
		}
	}
	return append(out, token{kind: tEOF}), nil
}

type condParser struct {
	toks []token
	pos  int
	refs condRefs
}

func parseCondition(cond string) (condRefs, error) {
	toks, err := lexCondition(cond)
	if err != nil {
		return condRefs{}, err
	}
	p := &condParser{toks: toks}
	if err := p.orExpr(); err != nil {
		return condRefs{}, err
	}
	if t := p.peek(); t.kind != tEOF {
		return condRefs{}, fmt.Errorf("unexpected %q after expression", t.text)
	}
	return p.refs, nil
}

func (p *condParser) peek() token { return p.toks[p.pos] }

func (p *condParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *condParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == w
}

func (p *condParser) orExpr() error {
	if err := p.andExpr(); err != nil {
		return err
	}
	for p.isWord("or") {
		p.next()
		if err := p.andExpr(); err != nil {
			return err
		}
	}
	return nil
}

func (p *condParser) andExpr() error {
	if err := p.notExpr(); err != nil {
		return err
	}
	for p.isWord("and") {
		p.next()
		if err := p.notExpr(); err != nil {
			return err
		}
	}
	return nil
}

func (p *condParser) notExpr() error {
	if p.isWord("not") {
		p.next()
		return p.notExpr()
	}
	return p.primary()
}

func (p *condParser) primary() error {
	t := p.next()
	switch {
	case t.kind == tEOF:
		return fmt.Errorf("unexpected end of condition")
	case t.kind == tLParen:
		if err := p.orExpr(); err != nil {
			return err
		}
		if p.next().kind != tRParen {
			return fmt.Errorf("missing ) in condition")
		}
		return nil
	case t.kind == tWord && !keywords[t.text]:
		if !strings.Contains(t.text, ".") {
			p.refs.macros = append(p.refs.macros, t.text)
			if n := p.peek(); n.kind == tWord && !keywords[n.text] {
				return fmt.Errorf("unexpected %q after macro %q", n.text, t.text)
			}
			return nil
		}
		return p.comparison(t.text)
	}
	return fmt.Errorf("unexpected %q in condition", t.text)
}

func (p *condParser) comparison(field string) error {
	op := p.next()
	switch {
	case op.kind == tOp || (op.kind == tWord && valueOps[op.text]):
		v := p.next()
		if v.kind != tWord && v.kind != tString {
			return fmt.Errorf("operator %q on %s expects a value", op.text, field)
		}
		return nil
	case op.kind == tWord && op.text == "exists":
		return nil
	case op.kind == tWord && listOps[op.text]:
		if p.next().kind != tLParen {
			return fmt.Errorf("operator %q on %s expects (", op.text, field)
		}
		if p.peek().kind == tRParen {
			p.next()
			return nil
		}
		for {
			item := p.next()
			switch item.kind {
			case tWord:
				p.refs.lists = append(p.refs.lists, item.text)
			case tString:
			default:
				return fmt.Errorf("operator %q on %s: unexpected %q in item list", op.text, field, item.text)
			}
			sep := p.next()
			if sep.kind == tRParen {
				return nil
			}
			if sep.kind != tComma {
				return fmt.Errorf("operator %q on %s: missing , or ) in item list", op.text, field)
			}
		}
	}
	return fmt.Errorf("field %s: expected an operator, got %q", field, op.text)
}
