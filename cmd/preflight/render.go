package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/novacron/platform/internal/deploy"
	"github.com/novacron/platform/internal/pricing"
)

// Output formats.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// Formats lists the accepted --format values.
var Formats = []string{FormatText, FormatJSON, FormatMarkdown, FormatCompliance}

// Write renders the report in format.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	case FormatMarkdown:
		return writeMarkdown(w, r)
	case FormatCompliance:
		return writeCompliance(w, r)
	case FormatText, "":
		return writeText(w, r)
	}
	return &UsageError{Msg: fmt.Sprintf("--format %q is not one of %s", format, strings.Join(Formats, ", "))}
}

// notComputable stands for an amount or a quantity that is not a finite number. The pricing
// never produces one from a configuration that loads; this keeps "NaN" and "+Inf" out of the
// report if it ever did.
const notComputable = "n/a"

// money prints dollars with thousands separators, rounded to cents: $4,467.60. A negative
// amount that rounds to zero prints as $0.00, and every finite amount prints in full, however
// large (no integer conversion that could overflow).
func money(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return notComputable
	}
	if math.Abs(x) < 1e15 {
		// Cents are exact below 2^53 cents: round the way the pricing does (half away from zero).
		x = math.Round(x*100) / 100
	}
	digits := strconv.FormatFloat(math.Abs(x), 'f', 2, 64)
	whole, frac, _ := strings.Cut(digits, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	s := "$" + b.String() + "." + frac
	if x < 0 && digits != "0.00" {
		s = "-" + s
	}
	return s
}

// signedMoney prints a delta with its sign; zero is +$0.00.
func signedMoney(x float64) string {
	m := money(x)
	if m == notComputable || strings.HasPrefix(m, "-") {
		return m
	}
	return "+" + m
}

// unitPrice prints "$0.192/hour"; small prices keep their digits.
func unitPrice(usd float64, unit string) string {
	if math.IsNaN(usd) || math.IsInf(usd, 0) {
		return notComputable + "/" + unit
	}
	return "$" + strconv.FormatFloat(usd, 'f', -1, 64) + "/" + unit
}

// minutes prints at least one and at most two decimals: 25.0, 12.5, 0.25.
func minutes(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return notComputable
	}
	if math.Abs(x) < 0.005 {
		x = 0 // no "-0.0"
	}
	return strings.TrimSuffix(strconv.FormatFloat(x, 'f', 2, 64), "0")
}

func quantity(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return notComputable
	case x == math.Trunc(x):
		return strconv.FormatFloat(x+0, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func settingsText(ss []Setting) string {
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		parts = append(parts, s.Name+": "+s.Value)
	}
	return strings.Join(parts, "; ")
}

func summaryLine(r *Report) string {
	s := r.Summary
	cost := money(s.MonthlyUSD) + "/month"
	if !r.Cost.PricesAvailable {
		cost = "no prices for " + r.Region
	} else if s.UnpricedItems > 0 {
		// Name what is missing: an unpriced line can be the largest one (a database class without
		// a price-list record), and a bare count reads like a rounding note.
		cost += fmt.Sprintf(", not counting %s without a price (%s)",
			plural(s.UnpricedItems, "item", "items"), strings.Join(unpricedNames(r.Cost), ", "))
	}
	return fmt.Sprintf("%s (%d components, %d providers, %d cloud resources) · %s · %s · critical path %s min",
		plural(s.Resources, "resource", "resources"), s.Components, s.Providers, s.CloudResources,
		plural(s.MandatoryViolations, "mandatory violation", "mandatory violations"), cost, minutes(s.CriticalPathMinutes))
}

// unpricedNames lists the resources with an unpriced line, each once, in line order.
func unpricedNames(c *pricing.Estimate) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range c.Unpriced() {
		if !seen[l.Name] {
			seen[l.Name] = true
			out = append(out, l.Name)
		}
	}
	return out
}

// usagePrice is the unit price of a usage-based line, or says that the table has none; a note
// that already says so is not repeated.
func usagePrice(l pricing.Line, none string) string {
	if l.NoCharge() {
		return l.Note
	}
	if l.UnitPriceUSD > 0 {
		return joinNonEmpty(unitPrice(l.UnitPriceUSD, l.Unit), l.Note)
	}
	if strings.Contains(l.Note, "unit price not in the table") {
		return l.Note
	}
	return joinNonEmpty(none, l.Note)
}

func costHeading(c *pricing.Estimate) string {
	if !c.PricesAvailable {
		return fmt.Sprintf("no prices for region %s: the price table covers %s, so quantities are listed without amounts",
			c.Region, strings.Join(pricing.Regions(), ", "))
	}
	return fmt.Sprintf("on-demand list prices for %s, table of %s, %d hours a month", c.Region, c.PriceTableDate, c.HoursPerMonth)
}

func lineQuantity(l pricing.Line) string {
	if l.Quantity == 0 && l.Kind != pricing.Fixed {
		return ""
	}
	q := quantity(l.Quantity) + " " + l.Unit
	if l.UnitPriceUSD > 0 {
		q += " × " + unitPrice(l.UnitPriceUSD, l.Unit)
	}
	return q
}

func durationText(d deploy.Duration) string {
	s := minutes(d.Minutes) + " min"
	if d.High > 0 {
		s += fmt.Sprintf(" (%s–%s)", minutes(d.Low), minutes(d.High))
	} else if d.Low > 0 {
		s += fmt.Sprintf(" (at least %s)", minutes(d.Low))
	}
	return s
}

// writeText renders the report for a person at a terminal.
func writeText(w io.Writer, r *Report) error {
	p := &printer{w: w}
	p.f("Preflight of stack %s (project %s, region %s)\n", r.Stack, r.Project, r.Region)
	p.f("Evaluated offline: the program ran under the mock engine, without credentials, Pulumi CLI or network.\n")
	p.f("%s\n", summaryLine(r))
	if len(r.SecretsNotSet) > 0 {
		p.f("Secrets not set in Pulumi.%s.yaml (placeholders used here; set them with `pulumi config set --secret` before `pulumi up`): %s\n",
			r.Stack, strings.Join(r.SecretsNotSet, ", "))
	}

	p.f("\n1. Resources by component\n")
	for _, e := range r.Inventory.Resources {
		line := strings.Repeat("  ", e.Depth+1) + e.Type + "  " + e.Name
		if e.Protect {
			line += "  [protected]"
		}
		if len(e.Settings) > 0 {
			line += "  (" + settingsText(e.Settings) + ")"
		}
		p.f("%s\n", line)
	}
	p.f("\n  Count by type:\n")
	for _, c := range r.Inventory.CountsByType {
		p.f("  %5d  %s\n", c.Count, c.Type)
	}

	pol := r.Policy
	p.f("\n2. Policy verdict (%s %s", pol.Pack, pol.PackVersion)
	if pol.ConfigFile != "" {
		p.f(", settings %s", pol.ConfigFile)
	} else {
		p.f(", default settings")
	}
	p.f(")\n")
	p.f("  %d mandatory, %d advisory, %d checks pending (values known only after creation)\n",
		pol.Mandatory, pol.Advisory, pol.Pending)
	for _, v := range pol.Violations {
		where := "stack"
		if v.Resource != nil {
			where = v.Resource.Type + " " + v.Resource.Name
		}
		p.f("  %-9s %-8s %s (%s): %s\n", v.Level, v.Severity, v.Policy, where, oneLine(v.Message))
	}
	if len(pol.Exceptions) > 0 {
		p.f("  %d exception(s) in the settings, left out of their policy and of the score:\n", len(pol.Exceptions))
		for _, e := range pol.Exceptions {
			p.f("  exempt    %s (%s %s): %s\n", e.Policy, e.Type, e.Name, oneLine(e.Reason))
		}
	}
	p.f("  Compliance score by framework (controls checked on this stack):\n")
	for _, f := range pol.Frameworks {
		score := "n/a"
		if f.Checked > 0 {
			score = strconv.FormatFloat(f.Score, 'f', 1, 64) + "%"
		}
		p.f("    %-28s %6s  %d of %d checked controls passed, %d in scope", f.Framework, score, f.Passed, f.Checked, f.InScope)
		if len(f.FailedControls) > 0 {
			p.f("; failed %s", strings.Join(f.FailedControls, ", "))
		}
		p.f("\n")
	}

	c := r.Cost
	p.f("\n3. Estimated monthly cost (%s)\n", costHeading(c))
	for _, l := range c.Fixed() {
		p.f("  %12s  %-55s %-32s %s\n", money(l.MonthlyUSD), l.Item, l.Name, lineQuantity(l))
	}
	if c.PricesAvailable {
		p.f("  %12s  total of %s\n", money(c.TotalMonthlyUSD), plural(len(c.Fixed()), "priced item", "priced items"))
	}
	if lines := c.Unpriced(); len(lines) > 0 {
		p.f("  Without a price, not in the total:\n")
		for _, l := range lines {
			p.f("    %-55s %-32s %s\n", l.Item, l.Name, joinNonEmpty(lineQuantity(l), l.Note))
		}
	}
	if lines := c.UsageBased(); len(lines) > 0 {
		p.f("  Usage-based, not in the total (unit price only):\n")
		for _, l := range lines {
			p.f("    %-55s %-32s %s\n", l.Item, l.Name, usagePrice(l, "unit price not in the table"))
		}
	}
	if n := countAll(c.NotModelled); n > 0 {
		p.f("  Not priced: %s of %s with no charge of their own in the model (IAM, security groups, Kubernetes objects, ...).\n",
			plural(n, "resource", "resources"), plural(len(c.NotModelled), "type", "types"))
	}
	if len(c.Prices) > 0 {
		p.f("  Prices used:\n")
		for _, pr := range c.Prices {
			p.f("    %-34s %-16s as of %s; %s\n", pr.ID, unitPrice(pr.USD, pr.Unit), pr.AsOf, pr.Source)
		}
	}

	d := r.Deploy
	p.f("\n4. Deployment critical path: %s min (%s–%s on the published ranges)\n", minutes(d.TotalMinutes),
		minutes(d.LowMinutes), minutes(d.HighMinutes))
	p.f("  %7s %7s  resource\n", "start", "takes")
	for _, s := range d.CriticalPath {
		p.f("  %7s %7s  %s %s  [%s]\n", minutes(s.StartMinutes), minutes(s.Minutes), s.Type, s.Name, s.DurationID)
	}
	p.f("  Creation times used:\n")
	for _, du := range d.Durations {
		p.f("    %-28s %-20s %s\n", du.ID, durationText(du), du.Source)
	}
	if len(d.FalseSerialisations) == 0 {
		p.f("  No resource waits on something whose outputs it does not use.\n")
	} else {
		p.f("  Waits on something whose outputs it does not use (explicit dependsOn), %d:\n", len(d.FalseSerialisations))
		for _, fs := range d.FalseSerialisations {
			p.f("    %-8s %s %s waits on %s %s; removing it saves %s min; %s\n", fs.Verdict, fs.Type, fs.Name,
				fs.WaitsOn.Type, fs.WaitsOn.Name, minutes(fs.SavingMinutes), fs.Hint)
		}
	}

	writeCapacityText(p, r.Capacity)

	if b := r.Baseline; b != nil {
		p.f("\nCompared with %s\n", b.File)
		p.f("  cost %s → %s (%s a month%s); critical path %s → %s min; mandatory violations %d → %d\n",
			money(b.CostBeforeUSD), money(b.CostAfterUSD), signedMoney(b.CostDeltaUSD), unpricedDelta(b),
			minutes(b.CriticalPathBeforeMinutes), minutes(b.CriticalPathAfterMinutes), b.MandatoryBefore, b.MandatoryAfter)
		writeUpgradeText(p, b.Upgrade)
		for _, a := range b.Added {
			p.f("  + %s %s\n", a.Type, a.Name)
		}
		for _, a := range b.Removed {
			p.f("  - %s %s%s\n", a.Type, a.Name, protectedText(a))
		}
		for _, ch := range b.Changed {
			p.f("  ~ %s %s%s\n", ch.Type, ch.Name, changeText(ch))
		}
		for _, cc := range b.CostChanges {
			p.f("  %12s  %s %s (%s → %s)\n", signedMoney(cc.DeltaUSD), cc.Item, cc.Name, money(cc.Before), money(cc.After))
		}
	}
	return p.err
}

// unpricedDelta warns that the totals compared leave out lines without a price.
func unpricedDelta(b *BaselineDiff) string {
	if b.UnpricedBefore == 0 && b.UnpricedAfter == 0 {
		return ""
	}
	return fmt.Sprintf(", leaving out %s without a price before, %d after",
		plural(b.UnpricedBefore, "item", "items"), b.UnpricedAfter)
}

func protectedText(r Removal) string {
	if !r.Protected {
		return ""
	}
	return ": protected, `pulumi up` refuses to delete it until it is unprotected"
}

func changeText(c Change) string {
	var parts []string
	for _, s := range c.Settings {
		parts = append(parts, fmt.Sprintf("%s %q → %q", s.Name, s.Before, s.After))
	}
	if len(parts) == 0 && c.InputsChanged {
		return ": inputs changed"
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

func countAll(tc []pricing.TypeCount) int {
	n := 0
	for _, t := range tc {
		n += t.Count
	}
	return n
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = oneLine(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	return s
}

// writeMarkdown renders the report for a pull request comment or a job summary. Headings start
// at level 4: the CI workflow puts its own level-3 title above.
func writeMarkdown(w io.Writer, r *Report) error {
	p := &printer{w: w}
	p.f("Stack **%s** (project `%s`, region `%s`), evaluated offline.\n\n", r.Stack, r.Project, r.Region)
	p.f("**Summary:** %s\n", cell(summaryLine(r)))
	if len(r.SecretsNotSet) > 0 {
		p.f("\nSecrets not set in `Pulumi.%s.yaml` (placeholders used here; set them with `pulumi config set --secret` before `pulumi up`): %s\n",
			r.Stack, "`"+strings.Join(r.SecretsNotSet, "`, `")+"`")
	}

	p.f("\n#### 1. Resources\n\n")
	p.f("<details><summary>Resource tree (%s)</summary>\n\n```text\n", plural(len(r.Inventory.Resources), "resource", "resources"))
	for _, e := range r.Inventory.Resources {
		line := strings.Repeat("  ", e.Depth) + e.Type + "  " + e.Name
		if e.Protect {
			line += "  [protected]"
		}
		p.f("%s\n", line)
	}
	p.f("```\n\n</details>\n\n")
	p.f("| Resource | Type | Settings |\n|---|---|---|\n")
	for _, e := range r.Inventory.Resources {
		if len(e.Settings) == 0 || e.Kind == KindProvider {
			continue
		}
		name := e.Name
		if e.Protect {
			name += " (protected)"
		}
		p.f("| %s | `%s` | %s |\n", cell(name), e.Type, cell(settingsText(e.Settings)))
	}
	p.f("\n<details><summary>Count by type</summary>\n\n| Count | Type |\n|---:|---|\n")
	for _, c := range r.Inventory.CountsByType {
		p.f("| %d | `%s` |\n", c.Count, c.Type)
	}
	p.f("\n</details>\n")

	pol := r.Policy
	settings := "default settings"
	if pol.ConfigFile != "" {
		settings = "settings `" + pol.ConfigFile + "`"
	}
	p.f("\n#### 2. Policy verdict\n\n")
	p.f("Pack `%s` %s, %s: **%d mandatory**, %d advisory, %d checks pending.\n\n", pol.Pack, pol.PackVersion, settings,
		pol.Mandatory, pol.Advisory, pol.Pending)
	if len(pol.Violations) > 0 {
		p.f("| Level | Severity | Policy | Resource | Message |\n|---|---|---|---|---|\n")
		for _, v := range pol.Violations {
			where := "stack"
			if v.Resource != nil {
				where = v.Resource.Name + " (`" + v.Resource.Type + "`)"
			}
			p.f("| %s | %s | `%s` | %s | %s |\n", v.Level, v.Severity, v.Policy, cell(where), cell(v.Message))
		}
		p.f("\n")
	}
	if len(pol.Exceptions) > 0 {
		p.f("Exceptions in the settings, left out of their policy and of the score:\n\n")
		p.f("| Policy | Resource | Reason |\n|---|---|---|\n")
		for _, e := range pol.Exceptions {
			p.f("| `%s` | %s | %s |\n", e.Policy, cell(e.Name+" (`"+e.Type+"`)"), cell(e.Reason))
		}
		p.f("\n")
	}
	p.f("| Framework | Score | Passed / checked | In scope | Failed controls |\n|---|---:|---:|---:|---|\n")
	for _, f := range pol.Frameworks {
		score := "n/a"
		if f.Checked > 0 {
			score = strconv.FormatFloat(f.Score, 'f', 1, 64) + "%"
		}
		p.f("| %s | %s | %d / %d | %d | %s |\n", f.Framework, score, f.Passed, f.Checked, f.InScope,
			cell(strings.Join(f.FailedControls, ", ")))
	}

	c := r.Cost
	p.f("\n#### 3. Estimated monthly cost\n\n%s.\n\n", upperFirst(costHeading(c)))
	p.f("| Item | Resource | Quantity | Monthly |\n|---|---|---|---:|\n")
	for _, l := range c.Fixed() {
		p.f("| %s | %s | %s | %s |\n", cell(l.Item), cell(l.Name), cell(lineQuantity(l)), money(l.MonthlyUSD))
	}
	if c.PricesAvailable {
		p.f("| **Total** | | | **%s** |\n", money(c.TotalMonthlyUSD))
	}
	if lines := c.Unpriced(); len(lines) > 0 {
		p.f("\nWithout a price, not in the total:\n\n| Item | Resource | Why |\n|---|---|---|\n")
		for _, l := range lines {
			p.f("| %s | %s | %s |\n", cell(l.Item), cell(l.Name), cell(joinNonEmpty(lineQuantity(l), l.Note)))
		}
	}
	if lines := c.UsageBased(); len(lines) > 0 {
		p.f("\n<details><summary>Usage-based, not in the total (%d)</summary>\n\n| Item | Resource | Unit price |\n|---|---|---|\n", len(lines))
		for _, l := range lines {
			p.f("| %s | %s | %s |\n", cell(l.Item), cell(l.Name), cell(usagePrice(l, "not in the table")))
		}
		p.f("\n</details>\n")
	}
	if len(c.Prices) > 0 {
		p.f("\n<details><summary>Prices and sources</summary>\n\n| Price | Unit price | As of | Source |\n|---|---|---|---|\n")
		for _, pr := range c.Prices {
			p.f("| `%s` | %s | %s | %s |\n", pr.ID, unitPrice(pr.USD, pr.Unit), pr.AsOf, cell(pr.Source))
		}
		p.f("\n</details>\n")
	}

	d := r.Deploy
	p.f("\n#### 4. Deployment critical path\n\n**%s min** (%s–%s min on the published ranges).\n\n",
		minutes(d.TotalMinutes), minutes(d.LowMinutes), minutes(d.HighMinutes))
	p.f("| Start (min) | Takes (min) | Resource | Type |\n|---:|---:|---|---|\n")
	for _, s := range d.CriticalPath {
		p.f("| %s | %s | %s | `%s` |\n", minutes(s.StartMinutes), minutes(s.Minutes), cell(s.Name), s.Type)
	}
	if len(d.FalseSerialisations) == 0 {
		p.f("\nNo resource waits on something whose outputs it does not use.\n")
	} else {
		var review, ordering []deploy.Wait
		for _, fs := range d.FalseSerialisations {
			if fs.Verdict == deploy.Review {
				review = append(review, fs)
			} else {
				ordering = append(ordering, fs)
			}
		}
		waits := func(ws []deploy.Wait) {
			p.f("| Resource | Waits on | Saves (min) | Hint |\n|---|---|---:|---|\n")
			for _, fs := range ws {
				p.f("| %s | %s | %s | %s |\n", cell(fs.Name+" ("+shortType(fs.Type)+")"),
					cell(fs.WaitsOn.Name+" ("+shortType(fs.WaitsOn.Type)+")"), minutes(fs.SavingMinutes), cell(fs.Hint))
			}
		}
		p.f("\nWaits on something whose outputs it does not use (explicit `dependsOn`): %d to review, %d for ordering.\n",
			len(review), len(ordering))
		if len(review) > 0 {
			p.f("\n")
			waits(review)
		}
		if len(ordering) > 0 {
			p.f("\n<details><summary>Ordering without data flow (%d)</summary>\n\n", len(ordering))
			waits(ordering)
			p.f("\n</details>\n")
		}
	}
	p.f("\n<details><summary>Creation times</summary>\n\n| Figure | Minutes | Source |\n|---|---|---|\n")
	for _, du := range d.Durations {
		p.f("| `%s` | %s | %s |\n", du.ID, durationText(du), cell(du.Source))
	}
	p.f("\n</details>\n")

	writeCapacityMarkdown(p, r.Capacity)

	if b := r.Baseline; b != nil {
		p.f("\n#### Compared with the baseline\n\n")
		p.f("Cost %s → %s (**%s** a month%s); critical path %s → %s min; mandatory violations %d → %d.\n",
			money(b.CostBeforeUSD), money(b.CostAfterUSD), signedMoney(b.CostDeltaUSD), unpricedDelta(b),
			minutes(b.CriticalPathBeforeMinutes), minutes(b.CriticalPathAfterMinutes), b.MandatoryBefore, b.MandatoryAfter)
		writeUpgradeMarkdown(p, b.Upgrade)
		if len(b.Added)+len(b.Removed)+len(b.Changed) > 0 {
			p.f("\n| Change | Resource | Type | Detail |\n|---|---|---|---|\n")
			for _, a := range b.Added {
				p.f("| added | %s | `%s` | |\n", cell(a.Name), a.Type)
			}
			for _, a := range b.Removed {
				p.f("| removed | %s | `%s` | %s |\n", cell(a.Name), a.Type, cell(strings.TrimPrefix(protectedText(a), ": ")))
			}
			for _, ch := range b.Changed {
				p.f("| changed | %s | `%s` | %s |\n", cell(ch.Name), ch.Type, cell(strings.TrimPrefix(changeText(ch), ": ")))
			}
		}
		if len(b.CostChanges) > 0 {
			p.f("\n| Cost item | Resource | Before | After | Delta |\n|---|---|---:|---:|---:|\n")
			for _, cc := range b.CostChanges {
				p.f("| %s | %s | %s | %s | %s |\n", cell(cc.Item), cell(cc.Name), money(cc.Before), money(cc.After), signedMoney(cc.DeltaUSD))
			}
		}
	}
	return p.err
}

// shortType is the last part of a type token: "aws:iam/role:Role" → "Role".
func shortType(typ string) string {
	if i := strings.LastIndex(typ, ":"); i >= 0 {
		return typ[i+1:]
	}
	return typ
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
