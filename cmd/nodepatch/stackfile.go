package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// StackFile is a Pulumi stack file (Pulumi.<stack>.yaml) that the tool reads and edits.
//
// Edits are located with the yaml.v3 node tree (line and column of each key and value) and
// applied to the text line by line, so that everything else in the file (comments, blank lines,
// quoting, key order, encrypted values) stays byte for byte: the pull request's diff is the pins
// and nothing else. Re-encoding the whole tree would drop blank lines and re-space comments.
// Every edit is checked: the edited text must parse to exactly the old document with that one
// change.
type StackFile struct {
	// Name is how messages name the file, e.g. "Pulumi.staging.yaml".
	Name string
	// Namespace prefixes the project's keys, "novacron-platform:".
	Namespace string
	text      string
	mode      os.FileMode
}

// LoadStackFile reads a stack file; project is the project name from Pulumi.yaml.
func LoadStackFile(path, name, project string) (*StackFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &StackFile{Name: name, Namespace: project + ":", text: string(b), mode: info.Mode().Perm()}
	if _, _, err := f.parse(); err != nil {
		return nil, err
	}
	return f, nil
}

// Text is the file's current content.
func (f *StackFile) Text() string { return f.text }

// Save writes the file back with its original permissions.
func (f *StackFile) Save(path string) error {
	if err := os.WriteFile(path, []byte(f.text), f.mode); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// parse returns the root mapping and the config mapping (nil when the file has no config: or
// an empty one).
func (f *StackFile) parse() (root, config *yaml.Node, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(f.text), &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if doc.Kind == 0 { // empty file
		return nil, nil, nil
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: not a YAML mapping", f.Name)
	}
	root = doc.Content[0]
	_, cfg := lookup(root, "config")
	switch {
	case cfg == nil || cfg.Tag == "!!null":
		return root, nil, nil
	case cfg.Kind != yaml.MappingNode:
		return nil, nil, fmt.Errorf("%s: config is not a mapping", f.Name)
	}
	return root, cfg, nil
}

// lookup finds key in a mapping node.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// key names a project key as the stack file spells it, "novacron-platform:nodeAmiRelease".
func (f *StackFile) key(k string) string { return f.Namespace + k }

// String reads a plain string key of the project namespace; ok is false when it is absent.
func (f *StackFile) String(k string) (value string, ok bool, err error) {
	_, cfg, err := f.parse()
	if err != nil {
		return "", false, err
	}
	_, v := lookup(cfg, f.key(k))
	if v == nil || v.Tag == "!!null" {
		return "", false, nil
	}
	if v.Kind != yaml.ScalarNode {
		return "", false, fmt.Errorf("%s: %s must be a plain string (not encrypted, not a list or map)", f.Name, f.key(k))
	}
	return v.Value, true, nil
}

// Shape is how a stack file spells a pin collection: a map of add-on to version, or a list of
// "<add-on>=<version>" strings.
type Shape int

// The two shapes of eksAddonVersions.
const (
	ShapeMap Shape = iota
	ShapeList
)

// String says what the shape looks like, for messages.
func (s Shape) String() string {
	if s == ShapeList {
		return `a list of "<add-on>=<version>"`
	}
	return "a map of add-on name to version"
}

// Pins reads a pin collection of the project namespace in either shape; present is false when
// the key is absent.
func (f *StackFile) Pins(k string) (pins map[string]string, shape Shape, present bool, err error) {
	_, cfg, err := f.parse()
	if err != nil {
		return nil, 0, false, err
	}
	full := f.key(k)
	_, v := lookup(cfg, full)
	if v == nil || v.Tag == "!!null" {
		return nil, 0, false, nil
	}
	pins = map[string]string{}
	switch v.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			name, val := v.Content[i].Value, v.Content[i+1]
			if val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
				return nil, 0, false, fmt.Errorf("%s: %s.%s must be a version string", f.Name, full, name)
			}
			pins[name] = val.Value
		}
		return pins, ShapeMap, true, nil
	case yaml.SequenceNode:
		for i, item := range v.Content {
			name, version, ok := strings.Cut(item.Value, "=")
			if item.Kind != yaml.ScalarNode || !ok || name == "" || version == "" {
				return nil, 0, false, fmt.Errorf("%s: %s[%d] must be \"<add-on>=<version>\" such as \"coredns=v1.14.3-eksbuild.3\"", f.Name, full, i)
			}
			if _, dup := pins[name]; dup {
				return nil, 0, false, fmt.Errorf("%s: %s names %s twice", f.Name, full, name)
			}
			pins[name] = version
		}
		return pins, ShapeList, true, nil
	}
	return nil, 0, false, fmt.Errorf("%s: %s must be %s or %s", f.Name, full, ShapeList, ShapeMap)
}

// SetString sets a plain string key of the project namespace, adding it at the end of config:
// (with comment as its head comment) when absent.
func (f *StackFile) SetString(k, value, comment string) error {
	full := f.key(k)
	return f.edit(func(cfg map[string]any) { cfg[full] = value }, func(lines []string, root, cfg *yaml.Node) ([]string, error) {
		if _, v := lookup(cfg, full); v != nil {
			return f.replaceScalar(lines, v, value)
		}
		return f.appendEntry(lines, root, cfg, entryLines(comment, full+": "+scalar(value)))
	})
}

// SetPins makes a pin collection of the project namespace hold exactly want, in the given
// shape (an existing value keeps its own): entries change in place, new ones are added at the
// end in order, unwanted ones are removed; an empty want removes the key.
func (f *StackFile) SetPins(k string, want map[string]string, order []string, shape Shape, comment string) error {
	full := f.key(k)
	current, have, present, err := f.Pins(k)
	if err != nil {
		return err
	}
	if present {
		shape = have
	}
	item := func(name, version string) string {
		if shape == ShapeList {
			return "- " + scalar(name+"="+version)
		}
		return name + ": " + scalar(version)
	}
	if len(want) == 0 {
		if !present {
			return nil
		}
		return f.edit(func(cfg map[string]any) { delete(cfg, full) }, func(lines []string, _, cfg *yaml.Node) ([]string, error) {
			kn, _ := lookup(cfg, full)
			return deleteLines(lines, kn.Line, blockEnd(lines, kn.Line, leading(lines[kn.Line-1]))), nil
		})
	}
	if !present {
		body := entryLines(comment, full+":")
		var list []any
		m := map[string]any{}
		for _, name := range order {
			if v, ok := want[name]; ok {
				body = append(body, "  "+item(name, v))
				list = append(list, name+"="+v)
				m[name] = v
			}
		}
		return f.edit(func(cfg map[string]any) {
			if shape == ShapeList {
				cfg[full] = list
			} else {
				cfg[full] = m
			}
		}, func(lines []string, root, cfg *yaml.Node) ([]string, error) {
			return f.appendEntry(lines, root, cfg, body)
		})
	}
	for _, name := range order {
		v, ok := want[name]
		if !ok || current[name] == v {
			continue
		}
		_, exists := current[name]
		err := f.edit(func(cfg map[string]any) { cfg[full] = setPin(cfg[full], shape, name, v) },
			func(lines []string, _, cfg *yaml.Node) ([]string, error) {
				kn, coll := lookup(cfg, full)
				if n := pinNode(coll, name); exists && n != nil {
					text := v
					if shape == ShapeList {
						text = name + "=" + v
					}
					return f.replaceScalar(lines, n, text)
				}
				return f.appendItem(lines, kn, coll, item(name, v))
			})
		if err != nil {
			return err
		}
	}
	// Removals come last: want is not empty, so the collection never goes empty in between.
	for _, name := range sortedKeys(current) {
		if _, ok := want[name]; ok {
			continue
		}
		err := f.edit(func(cfg map[string]any) { cfg[full] = setPin(cfg[full], shape, name, "") },
			func(lines []string, _, cfg *yaml.Node) ([]string, error) {
				_, coll := lookup(cfg, full)
				n := pinNode(coll, name)
				if n == nil {
					return nil, errors.New("internal: removing an absent pin")
				}
				last := n.Line
				if shape == ShapeMap {
					last = blockEnd(lines, n.Line, leading(lines[n.Line-1]))
				}
				return deleteLines(lines, n.Line, last), nil
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// pinNode is the node that carries an add-on's pin: the value of a map entry, or the list
// item "<add-on>=<version>".
func pinNode(coll *yaml.Node, name string) *yaml.Node {
	if coll == nil {
		return nil
	}
	switch coll.Kind {
	case yaml.MappingNode:
		_, v := lookup(coll, name)
		return v
	case yaml.SequenceNode:
		for _, it := range coll.Content {
			if strings.HasPrefix(it.Value, name+"=") {
				return it
			}
		}
	}
	return nil
}

// setPin is the decoded collection with one pin set (version "" removes it), for checking edits.
func setPin(coll any, shape Shape, name, version string) any {
	if shape == ShapeMap {
		m, _ := coll.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		if version == "" {
			delete(m, name)
		} else {
			m[name] = version
		}
		return m
	}
	list, _ := coll.([]any)
	out := make([]any, 0, len(list)+1)
	found := false
	for _, it := range list {
		if s, _ := it.(string); strings.HasPrefix(s, name+"=") {
			found = true
			if version == "" {
				continue
			}
			it = name + "=" + version
		}
		out = append(out, it)
	}
	if !found && version != "" {
		out = append(out, name+"="+version)
	}
	return out
}

// edit applies one text change and proves it: the new text must parse to the old document
// with want applied to its config, and to nothing else.
func (f *StackFile) edit(want func(cfg map[string]any), change func(lines []string, root, cfg *yaml.Node) ([]string, error)) error {
	root, cfg, err := f.parse()
	if err != nil {
		return err
	}
	lines, err := change(strings.Split(f.text, "\n"), root, cfg)
	if err != nil {
		return err
	}
	next := strings.Join(lines, "\n")
	expected, err := decode(f.text)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	c, _ := expected["config"].(map[string]any)
	if c == nil {
		c = map[string]any{}
		expected["config"] = c
	}
	want(c)
	got, err := decode(next)
	if err != nil {
		return fmt.Errorf("%s: the edit would break the file (%w); edit it by hand", f.Name, err)
	}
	if !reflect.DeepEqual(expected, got) {
		return fmt.Errorf("%s: the edit would change more than the pins; edit it by hand", f.Name)
	}
	f.text = next
	return nil
}

func decode(text string) (map[string]any, error) {
	out := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// entryLines is an entry line (or lines) with an optional head comment above it, unindented;
// the caller indents.
func entryLines(comment string, entry ...string) []string {
	var out []string
	for _, c := range strings.Split(comment, "\n") {
		if c != "" {
			out = append(out, "# "+c)
		}
	}
	return append(out, entry...)
}

// scalar renders a string as a YAML scalar: plain when it reads back as the same string,
// double-quoted otherwise (the versions here never need escapes).
func scalar(s string) string {
	b, err := yaml.Marshal(s)
	if err != nil {
		return `"` + s + `"`
	}
	return strings.TrimSuffix(string(b), "\n")
}

func indent(lines []string, n int) []string {
	pad := strings.Repeat(" ", n)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = pad + l
	}
	return out
}

func insertAt(lines []string, at int, add []string) []string {
	out := make([]string, 0, len(lines)+len(add))
	out = append(out, lines[:at]...)
	out = append(out, add...)
	return append(out, lines[at:]...)
}

// replaceScalar swaps the text of a one-line scalar value for value, keeping its quoting and
// anything after it on the line (a comment).
func (f *StackFile) replaceScalar(lines []string, v *yaml.Node, value string) ([]string, error) {
	if v.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("%s: line %d: expected a version string", f.Name, v.Line)
	}
	line := lines[v.Line-1]
	start := v.Column - 1
	if start >= len(line) {
		return nil, fmt.Errorf("%s: line %d: cannot locate the value; edit it by hand", f.Name, v.Line)
	}
	var end int
	var text string
	switch v.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		q := line[start]
		end = -1
		for i := start + 1; i < len(line); i++ {
			if q == '"' && line[i] == '\\' {
				i++
				continue
			}
			if line[i] == q {
				if q == '\'' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				end = i + 1
				break
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("%s: line %d: a quoted value over several lines; edit it by hand", f.Name, v.Line)
		}
		text = string(q) + value + string(q)
	case 0:
		end = len(line)
		if i := strings.Index(line[start:], " #"); i >= 0 {
			end = start + i
		}
		for end > start && (line[end-1] == ' ' || line[end-1] == '\t') {
			end--
		}
		text = scalar(value)
	default:
		return nil, fmt.Errorf("%s: line %d: a block or flow value; edit it by hand", f.Name, v.Line)
	}
	out := append([]string(nil), lines...)
	out[v.Line-1] = line[:start] + text + line[end:]
	return out, nil
}

// blockEnd is the last line (1-based) of the entry whose key is on line start at column
// indent (0-based): the lines after it that are blank or indented deeper belong to it, as do
// sequence items at the key's own indentation.
func blockEnd(lines []string, start, indent int) int {
	last := start
	for j := start + 1; j <= len(lines); j++ {
		l := lines[j-1]
		t := strings.TrimLeft(l, " ")
		if strings.TrimSpace(t) == "" {
			continue
		}
		in := len(l) - len(t)
		if in > indent || (in == indent && (strings.HasPrefix(t, "- ") || t == "-")) {
			last = j
			continue
		}
		break
	}
	return last
}

// leading is the indentation of a line.
func leading(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// appendItem adds one line at the end of the block collection coll (a mapping or a sequence)
// whose key is mk. An empty or null collection gets it under its key; an empty flow collection
// ("[]", "{}") on the key's line is turned into a block one.
func (f *StackFile) appendItem(lines []string, mk, coll *yaml.Node, line string) ([]string, error) {
	if mk == nil {
		return nil, errors.New("internal: extending a collection without a key")
	}
	keyIndent := leading(lines[mk.Line-1])
	if coll != nil && (coll.Kind == yaml.MappingNode || coll.Kind == yaml.SequenceNode) && len(coll.Content) > 0 {
		if coll.Style&yaml.FlowStyle != 0 {
			return nil, fmt.Errorf("%s: line %d: a flow-style collection; write it in block style or edit it by hand", f.Name, coll.Line)
		}
		first := coll.Content[0]
		col := leading(lines[first.Line-1])
		last := coll.Content[len(coll.Content)-1].Line
		if coll.Kind == yaml.MappingNode {
			last = blockEnd(lines, coll.Content[len(coll.Content)-2].Line, col)
		}
		return insertAt(lines, last, indent([]string{line}, col)), nil
	}
	out := append([]string(nil), lines...)
	if coll != nil && coll.Style&yaml.FlowStyle != 0 && coll.Line == mk.Line {
		// "key: []" becomes "key:" followed by the item.
		l := out[mk.Line-1]
		start := coll.Column - 1
		end := strings.IndexAny(l[start:], "]}")
		if end < 0 {
			return nil, fmt.Errorf("%s: line %d: cannot locate the empty collection; edit it by hand", f.Name, mk.Line)
		}
		out[mk.Line-1] = strings.TrimRight(l[:start], " ") + l[start+end+1:]
	} else if coll != nil && coll.Line == mk.Line && coll.Tag != "!!null" {
		return nil, fmt.Errorf("%s: line %d: %s has a value on its line; edit it by hand", f.Name, mk.Line, mk.Value)
	}
	return insertAt(out, mk.Line, indent([]string{line}, keyIndent+2)), nil
}

// appendEntry adds entry lines (already indented relative to each other) at the end of
// config:, creating config: when absent.
func (f *StackFile) appendEntry(lines []string, root, cfg *yaml.Node, entry []string) ([]string, error) {
	if cfg != nil {
		if len(cfg.Content) == 0 || cfg.Style&yaml.FlowStyle != 0 {
			return nil, fmt.Errorf("%s: line %d: config is not a block mapping; edit it by hand", f.Name, cfg.Line)
		}
		col := leading(lines[cfg.Content[0].Line-1])
		end := blockEnd(lines, cfg.Content[len(cfg.Content)-2].Line, col)
		return insertAt(lines, end, indent(entry, col)), nil
	}
	if ck, cv := lookup(root, "config"); ck != nil {
		if cv != nil && cv.Tag != "!!null" {
			return nil, fmt.Errorf("%s: line %d: config is not a block mapping; edit it by hand", f.Name, ck.Line)
		}
		return insertAt(lines, ck.Line, indent(entry, 2)), nil
	}
	// No config: at all; add it at the end of the file.
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	add := append([]string{"config:"}, indent(entry, 2)...)
	return append(append(lines, add...), ""), nil
}

// deleteLines removes lines first..last (1-based) and the comment lines right above first at
// its indentation (its head comment).
func deleteLines(lines []string, first, last int) []string {
	col := leading(lines[first-1])
	for first > 1 {
		l := lines[first-2]
		if strings.HasPrefix(strings.TrimLeft(l, " "), "#") && leading(l) == col {
			first--
			continue
		}
		break
	}
	out := append([]string(nil), lines[:first-1]...)
	return append(out, lines[last:]...)
}
