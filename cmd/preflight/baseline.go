package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// SettingChange is one setting that differs from the baseline.
type SettingChange struct {
	Name   string `json:"name"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Change is a resource present in both reports whose settings or inputs differ.
type Change struct {
	Ref
	Settings []SettingChange `json:"settings,omitempty"`
	// InputsChanged is true when the inputs differ, shown settings or not.
	InputsChanged bool `json:"inputsChanged"`
}

// CostChange is the monthly cost of one item before and after.
type CostChange struct {
	Name     string  `json:"name"`
	Item     string  `json:"item"`
	Before   float64 `json:"beforeUSD"`
	After    float64 `json:"afterUSD"`
	DeltaUSD float64 `json:"deltaUSD"`
}

// BaselineDiff compares the report with an earlier one of the same stack.
type BaselineDiff struct {
	File    string   `json:"file"`
	Stack   string   `json:"stack"`
	Added   []Ref    `json:"added"`
	Removed []Ref    `json:"removed"`
	Changed []Change `json:"changed"`

	CostBeforeUSD float64 `json:"costBeforeUSD"`
	CostAfterUSD  float64 `json:"costAfterUSD"`
	CostDeltaUSD  float64 `json:"costDeltaUSD"`
	// CostChanges lists the fixed cost lines whose amount changed, appeared or went away.
	CostChanges []CostChange `json:"costChanges"`

	CriticalPathBeforeMinutes float64 `json:"criticalPathBeforeMinutes"`
	CriticalPathAfterMinutes  float64 `json:"criticalPathAfterMinutes"`
	MandatoryBefore           int     `json:"mandatoryBefore"`
	MandatoryAfter            int     `json:"mandatoryAfter"`
}

// readBaseline reads an earlier JSON report; it must be of this schema version.
func readBaseline(path string) (*Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline: %v", err)}
	}
	var head struct {
		SchemaVersion int    `json:"schemaVersion"`
		Tool          string `json:"tool"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is not a preflight JSON report: %v", path, err)}
	}
	if head.Tool != ToolName || head.SchemaVersion != SchemaVersion {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s is not a %s report of schema version %d (tool %q, version %d)",
			path, ToolName, SchemaVersion, head.Tool, head.SchemaVersion)}
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&r); err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s: %v", path, err)}
	}
	if r.Cost == nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--baseline %s has no cost section", path)}
	}
	return &r, nil
}

func compare(file string, before, after *Report) *BaselineDiff {
	d := &BaselineDiff{
		File: file, Stack: before.Stack,
		Added: []Ref{}, Removed: []Ref{}, Changed: []Change{}, CostChanges: []CostChange{},
		CostBeforeUSD: before.Cost.TotalMonthlyUSD, CostAfterUSD: after.Cost.TotalMonthlyUSD,
		CriticalPathBeforeMinutes: before.Deploy.TotalMinutes, CriticalPathAfterMinutes: after.Deploy.TotalMinutes,
		MandatoryBefore: before.Policy.Mandatory, MandatoryAfter: after.Policy.Mandatory,
	}
	d.CostDeltaUSD = round2(d.CostAfterUSD - d.CostBeforeUSD)

	old := map[string]Entry{}
	for _, e := range before.Inventory.Resources {
		old[e.URN] = e
	}
	seen := map[string]bool{}
	for _, e := range after.Inventory.Resources {
		seen[e.URN] = true
		prev, ok := old[e.URN]
		if !ok {
			d.Added = append(d.Added, Ref{URN: e.URN, Type: e.Type, Name: e.Name})
			continue
		}
		c := Change{Ref: Ref{URN: e.URN, Type: e.Type, Name: e.Name}, InputsChanged: prev.InputsHash != e.InputsHash}
		c.Settings = settingChanges(prev.Settings, e.Settings)
		if c.InputsChanged || len(c.Settings) > 0 {
			d.Changed = append(d.Changed, c)
		}
	}
	for _, e := range before.Inventory.Resources {
		if !seen[e.URN] {
			d.Removed = append(d.Removed, Ref{URN: e.URN, Type: e.Type, Name: e.Name})
		}
	}

	type key struct{ urn, item string }
	amounts := func(r *Report) map[key]float64 {
		m := map[key]float64{}
		for _, l := range r.Cost.Fixed() {
			m[key{l.URN, l.Item}] += l.MonthlyUSD
		}
		return m
	}
	names := map[string]string{}
	for _, r := range []*Report{before, after} {
		for _, l := range r.Cost.Lines {
			names[l.URN] = l.Name
		}
	}
	b, a := amounts(before), amounts(after)
	keys := map[key]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	for k := range keys {
		if delta := round2(a[k] - b[k]); math.Abs(delta) >= 0.005 {
			d.CostChanges = append(d.CostChanges, CostChange{Name: names[k.urn], Item: k.item, Before: b[k], After: a[k], DeltaUSD: delta})
		}
	}
	sort.Slice(d.CostChanges, func(i, j int) bool {
		x, y := d.CostChanges[i], d.CostChanges[j]
		if math.Abs(x.DeltaUSD) != math.Abs(y.DeltaUSD) {
			return math.Abs(x.DeltaUSD) > math.Abs(y.DeltaUSD)
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Item < y.Item
	})
	return d
}

func settingChanges(before, after []Setting) []SettingChange {
	b := map[string]string{}
	for _, s := range before {
		b[s.Name] = s.Value
	}
	a := map[string]string{}
	var order []string
	for _, s := range after {
		a[s.Name] = s.Value
		order = append(order, s.Name)
	}
	for _, s := range before {
		if _, ok := a[s.Name]; !ok {
			order = append(order, s.Name)
		}
	}
	var out []SettingChange
	for _, name := range order {
		if b[name] != a[name] {
			out = append(out, SettingChange{Name: name, Before: b[name], After: a[name]})
		}
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
