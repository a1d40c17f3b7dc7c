package main

import (
	"fmt"
	"maps"
	"strings"
	"time"
)

// Inputs are the facts from outside the repository: what AWS publishes, and how staging fares.
type Inputs struct {
	Now  time.Time
	Soak time.Duration
	// LatestAMI is the recommended AL2023 release per Kubernetes minor ("1.35").
	LatestAMI map[string]AMIRelease
	// LatestAddons is the default version of each add-on per Kubernetes minor.
	LatestAddons map[string]map[string]AddonVersion
	// StagingSince is when staging adopted its current pins; nil when unknown.
	StagingSince *time.Time
	// StagingHealthy says staging's latest deploy since StagingSince succeeded.
	StagingHealthy bool
}

// Action is what a plan asks for.
type Action string

// The three outcomes of a plan.
const (
	ActionPropose Action = "propose" // edit the stack file and open or update the pull request
	ActionWait    Action = "wait"    // production: staging's pins have not earned promotion yet
	ActionNone    Action = "none"    // nothing to do
)

// Change is one pin moving.
type Change struct {
	// Key is "nodeAmiRelease" or "eksAddonVersions.<add-on>".
	Key string
	// Old is the pin before, "" when the stack had none; New the pin after, "" when removed.
	Old, New string
	// OldFrom says where Old comes from when the stack file does not set it: "built-in" (the
	// program's add-on table) or "Pulumi.yaml default".
	OldFrom string
	// Why is the reason, for the pull request.
	Why string
}

// Plan is the outcome for one stack.
type Plan struct {
	Stack  string
	Action Action
	// Reason says why there is nothing to do or what the plan waits for.
	Reason  string
	Changes []Change
	// AMI is nodeAmiRelease after the change.
	AMI string
	// Addons is eksAddonVersions after the change; empty removes the key.
	Addons map[string]string
	// Soak is the soak figures, for the pull request.
	Soak string
}

// PlanStaging proposes, for staging, the newest AMI release of its own Kubernetes minor and the
// default version of each add-on, wherever they are newer than what staging runs. It never
// changes the minor and never goes back.
func PlanStaging(s *Stack, builtin map[string]AddonVersion, in Inputs) (Plan, error) {
	minor := s.KubernetesVersion
	p := Plan{Stack: s.Name, AMI: "", Addons: s.AddonPinStrings()}
	latest, ok := in.LatestAMI[minor]
	if !ok {
		return Plan{}, fmt.Errorf("--latest-ami: no release for Kubernetes %s, the minor %s runs; pass --latest-ami %s=<release>", minor, s.Name, minor)
	}
	switch {
	case s.AMI == nil:
		p.AMI = latest.Raw
		p.Changes = append(p.Changes, Change{Key: keyNodeAMIRelease, New: latest.Raw,
			Why: fmt.Sprintf("no pin yet; the recommended EKS-optimized AL2023 release for Kubernetes %s", minor)})
	case latest.NewerThan(*s.AMI):
		p.AMI = latest.Raw
		p.Changes = append(p.Changes, Change{Key: keyNodeAMIRelease, Old: s.AMI.Raw, New: latest.Raw, OldFrom: defaultFrom(s.AMIDefault),
			Why: fmt.Sprintf("newer recommended EKS-optimized AL2023 release for Kubernetes %s (built %s)", minor, latest.Date.Format("2006-01-02"))})
	default:
		p.AMI = s.AMI.Raw
	}

	for _, name := range addonNames {
		want, ok := in.LatestAddons[minor][name]
		if !ok {
			continue
		}
		cur, pinned := s.Addons[name]
		from := ""
		if !pinned {
			if cur, pinned = builtin[name]; pinned {
				from = "built-in"
			}
		}
		if pinned && want.Compare(cur) <= 0 {
			continue
		}
		c := Change{Key: keyAddonVersions + "." + name, New: want.Raw, OldFrom: from,
			Why: fmt.Sprintf("newer AWS default for Kubernetes %s", minor)}
		if pinned {
			c.Old = cur.Raw
		} else {
			c.Why = fmt.Sprintf("no pin yet; the AWS default for Kubernetes %s", minor)
		}
		p.Addons[name] = want.Raw
		p.Changes = append(p.Changes, c)
	}

	if len(p.Changes) == 0 {
		p.Action = ActionNone
		p.Reason = fmt.Sprintf("staging's pins are current for Kubernetes %s: AMI %s (recommended: %s), add-ons at or above the AWS defaults",
			minor, p.AMI, latest.Raw)
		return p, nil
	}
	p.Action = ActionPropose
	p.Soak = fmt.Sprintf("Staging takes this first. Production is proposed the same pins once staging has run them for %s "+
		"and its latest deploy since has succeeded.", hours(in.Soak))
	return p, nil
}

// PlanProduction proposes, for production, exactly staging's pins, once staging has held them
// for the soak time and has been deployed successfully since.
func PlanProduction(prod, staging *Stack, in Inputs) (Plan, error) {
	if staging.AMI == nil {
		return Plan{}, fmt.Errorf("%s: %s is not set: staging has no AMI pin to promote",
			staging.File.Name, staging.File.key(keyNodeAMIRelease))
	}
	p := Plan{Stack: prod.Name, AMI: staging.AMI.Raw, Addons: staging.AddonPinStrings()}
	if prod.KubernetesVersion != staging.KubernetesVersion {
		p.Action = ActionWait
		p.Reason = fmt.Sprintf("production runs Kubernetes %s and staging %s: staging's pins are for another minor; upgrade production's kubernetesVersion first",
			prod.KubernetesVersion, staging.KubernetesVersion)
		return p, nil
	}

	// A managed node group cannot move to an earlier AMI (EKS API Reference,
	// UpdateNodegroupVersion: "You cannot roll back a node group to an earlier Kubernetes
	// version or AMI version"), so a merged downgrade would fail production's deploy at the
	// system node group. Rolling production back is a reviewed manual step (docs/patching.md).
	if prod.AMI != nil && prod.AMI.NewerThan(*staging.AMI) {
		p.Action = ActionWait
		p.Reason = fmt.Sprintf("staging's AMI %s is older than production's %s (staging rolled back): a managed node group cannot go back "+
			"to an earlier AMI, so production rolls back by hand (docs/patching.md, Rolling back), or waits for a newer release", staging.AMI.Raw, prod.AMI.Raw)
		return p, nil
	}
	back := "older than production's: staging went back"
	switch {
	case prod.AMI == nil:
		p.Changes = append(p.Changes, Change{Key: keyNodeAMIRelease, New: staging.AMI.Raw, Why: "staging's pin"})
	case prod.AMI.Raw != staging.AMI.Raw:
		p.Changes = append(p.Changes, Change{Key: keyNodeAMIRelease, Old: prod.AMI.Raw, OldFrom: defaultFrom(prod.AMIDefault),
			New: staging.AMI.Raw, Why: "staging's pin"})
	}
	for _, name := range addonNames {
		cur, inProd := prod.Addons[name]
		want, inStaging := staging.Addons[name]
		c := Change{Key: keyAddonVersions + "." + name, Old: cur.Raw, New: want.Raw, Why: "staging's pin"}
		switch {
		case !inProd && !inStaging, inProd && inStaging && cur.Raw == want.Raw:
			continue
		case !inStaging:
			c.Why = "staging follows the program's built-in pin"
		case inProd && cur.Compare(want) > 0:
			c.Why += "; " + back
		}
		p.Changes = append(p.Changes, c)
	}
	if len(p.Changes) == 0 {
		p.Action = ActionNone
		p.Reason = "production already runs staging's pins (AMI " + p.AMI + ")"
		return p, nil
	}

	if in.StagingSince == nil {
		return Plan{}, fmt.Errorf("--staging-since is required for --stack production: production's pins differ from staging's")
	}
	since := in.StagingSince.UTC()
	if since.After(in.Now) {
		return Plan{}, fmt.Errorf("--staging-since %s is after --now %s", since.Format(time.RFC3339), in.Now.UTC().Format(time.RFC3339))
	}
	held := in.Now.Sub(since)
	var waits []string
	if held < in.Soak {
		waits = append(waits, fmt.Sprintf("staging has held its pins for %s of the %s soak (since %s; ready at %s)",
			hours(held), hours(in.Soak), since.Format(time.RFC3339), since.Add(in.Soak).Format(time.RFC3339)))
	}
	if !in.StagingHealthy {
		waits = append(waits, fmt.Sprintf("staging's latest deploy since %s has not succeeded", since.Format(time.RFC3339)))
	}
	if len(waits) > 0 {
		p.Action = ActionWait
		p.Reason = strings.Join(waits, "; ")
		p.Changes = nil
		return p, nil
	}
	p.Action = ActionPropose
	p.Soak = fmt.Sprintf("Staging adopted these pins at %s (commit time on develop) and has held them for %s, past the %s soak; "+
		"its latest deploy since then succeeded.", since.Format(time.RFC3339), hours(held), hours(in.Soak))
	return p, nil
}

func defaultFrom(isDefault bool) string {
	if isDefault {
		return "Pulumi.yaml default"
	}
	return ""
}

// hours formats a duration in whole hours, "72h"; under an hour in minutes.
func hours(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh", int(d.Hours()))
}

// Apply writes the plan's pins into the stack file (in memory; Save writes it).
func Apply(s *Stack, p Plan) error {
	if p.Action != ActionPropose {
		return nil
	}
	amiChanged, addonsChanged := false, false
	for _, c := range p.Changes {
		if c.Key == keyNodeAMIRelease {
			amiChanged = true
		} else {
			addonsChanged = true
		}
	}
	if amiChanged {
		if err := s.File.SetString(keyNodeAMIRelease, p.AMI,
			"EKS-optimized AL2023 AMI release of every node (system node group and Karpenter pools);\n"+
				"moved by the node-image workflow, staging first (docs/patching.md)."); err != nil {
			return err
		}
	}
	if addonsChanged {
		if err := s.File.SetPins(keyAddonVersions, maps.Clone(p.Addons), addonNames, s.AddonShape,
			"EKS add-on versions that override the program's built-in pins (components/cluster);\n"+
				"moved by the node-image workflow, staging first (docs/patching.md)."); err != nil {
			return err
		}
	}
	return nil
}

// Title is the pull request's title: the stack and the pins it moves to. A closed pull request
// with the same title means the same proposal was turned down.
func Title(p Plan) string {
	var parts []string
	for _, c := range p.Changes {
		switch {
		case c.Key == keyNodeAMIRelease:
			parts = append(parts, "AMI "+c.New)
		case c.New == "":
			parts = append(parts, strings.TrimPrefix(c.Key, keyAddonVersions+".")+" built-in")
		default:
			parts = append(parts, strings.TrimPrefix(c.Key, keyAddonVersions+".")+" "+c.New)
		}
	}
	return fmt.Sprintf("Patch %s nodes: %s", p.Stack, strings.Join(parts, ", "))
}

// Body is the pull request's description.
func Body(p Plan, ami AMIRelease) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Moves the node pins of `%s` in `Pulumi.%s.yaml` (docs/patching.md).\n\n", p.Stack, p.Stack)
	b.WriteString("| Pin | Now | Proposed | Why |\n| --- | --- | --- | --- |\n")
	for _, c := range p.Changes {
		old := code(c.Old)
		if c.OldFrom != "" {
			old += " (" + c.OldFrom + ")"
		}
		neu := code(c.New)
		if c.New == "" {
			neu = "built-in (pin removed)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Key, old, neu, c.Why)
	}
	b.WriteString("\nOn merge, the deploy of this stack:\n\n")
	for _, c := range p.Changes {
		if c.Key == keyNodeAMIRelease {
			fmt.Fprintf(&b, "- points the Karpenter EC2NodeClass at `%s`; Karpenter replaces drifted nodes within the NodePool disruption budgets, "+
				"inside the stack's maintenance window;\n", ami.KarpenterAlias())
			fmt.Fprintf(&b, "- sets the `system` managed node group's releaseVersion to `%s`, which EKS rolls a third of the nodes at a time;\n", ami.Raw)
			break
		}
	}
	for _, c := range p.Changes {
		if c.Key != keyNodeAMIRelease {
			b.WriteString("- updates the changed EKS add-ons in place.\n")
			break
		}
	}
	fmt.Fprintf(&b, "\n**Soak.** %s\n\n", p.Soak)
	fmt.Fprintf(&b, "Read the resulting diff offline: `go run ./cmd/preflight --stack %s`\n\n", p.Stack)
	b.WriteString("Closing this pull request skips this proposal; the workflow proposes the next release again.\n")
	return b.String()
}

func code(s string) string {
	if s == "" {
		return "none"
	}
	return "`" + s + "`"
}
