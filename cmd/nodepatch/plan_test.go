package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// --- fixtures ------------------------------------------------------------------------------

const projectYAML = `name: novacron-platform
runtime: go
config:
  # The region every stack deploys to.
  aws:region: us-east-1
  kubernetesVersion:
    type: string
    description: EKS Kubernetes minor version.
    default: "1.35"
  eksAddonVersions:
    type: array
    items:
      type: string
    default: []
`

const builtinGo = `package cluster

// AddonVersions are the pins of one minor.
type AddonVersions struct {
	VpcCni, KubeProxy, CoreDNS, EbsCsiDriver, PodIdentityAgent string
	Unrelated string
}

var addonVersions = map[string]AddonVersions{
	"1.34": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.34.6-eksbuild.13", CoreDNS: "v1.13.2-eksbuild.11", EbsCsiDriver: "v1.58.0-eksbuild.1"},
	"1.35": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.35.3-eksbuild.13", CoreDNS: "v1.14.3-eksbuild.3", EbsCsiDriver: "v1.58.0-eksbuild.1", PodIdentityAgent: "v1.3.10-eksbuild.1", Unrelated: "x"},
}
`

// repo writes a checkout with Pulumi.yaml, the built-in pins and the given stack files.
func repo(t *testing.T, stacks map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "Pulumi.yaml"), projectYAML)
	write(t, filepath.Join(dir, builtinPinsDir, "addons.go"), builtinGo)
	for name, text := range stacks {
		write(t, filepath.Join(dir, "Pulumi."+name+".yaml"), text)
	}
	return dir
}

func write(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func stackText(extra string) string {
	return "# Staging overrides.\nconfig:\n  aws:region: us-east-1\n  novacron-platform:environment: staging\n" + extra
}

func loadStack(t *testing.T, name, text string) *Stack {
	t.Helper()
	s, err := LoadStack(repo(t, map[string]string{name: text}), name)
	require.NoError(t, err)
	return s
}

func ami(t *testing.T, s string) AMIRelease {
	t.Helper()
	r, err := ParseAMIRelease(s)
	require.NoError(t, err)
	return r
}

func addon(t *testing.T, s string) AddonVersion {
	t.Helper()
	v, err := ParseAddonVersion(s)
	require.NoError(t, err)
	return v
}

var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

// --- versions ------------------------------------------------------------------------------

func TestParseAMIRelease(t *testing.T) {
	for _, tt := range []struct {
		in, minor, alias, err string
		patch                 int
	}{
		{in: "1.35.3-20261120", minor: "1.35", patch: 3, alias: "al2023@v20261120"},
		{in: "1.9.0-20200101", minor: "1.9", patch: 0, alias: "al2023@v20200101"},
		{in: "1.35.12-20260229", err: "no valid build date"}, // 2026 is not a leap year
		{in: "1.35.3-2026112", err: "not an AMI release"},
		{in: "1.35-20261120", err: "not an AMI release"},
		{in: "v1.35.3-20261120", err: "not an AMI release"},
		{in: "2.0.1-20261120", err: "not an AMI release"},
		{in: "1.35.3-20261120 ", err: "not an AMI release"},
		{in: "", err: "not an AMI release"},
	} {
		r, err := ParseAMIRelease(tt.in)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.minor, r.Minor, tt.in)
		assert.Equal(t, tt.patch, r.Patch, tt.in)
		assert.Equal(t, tt.alias, r.KarpenterAlias(), tt.in)
		assert.Equal(t, tt.in, r.Raw)
	}
}

// TestAMIReleaseOrder: the build date decides, the Kubernetes patch breaks a tie.
func TestAMIReleaseOrder(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		newer bool
	}{
		{"1.35.3-20261201", "1.35.3-20261120", true},
		{"1.35.3-20261120", "1.35.3-20261201", false},
		{"1.35.4-20261120", "1.35.3-20261120", true},
		{"1.35.3-20261120", "1.35.4-20261120", false},
		{"1.35.3-20261201", "1.35.4-20261120", true}, // later build of an earlier patch
		{"1.35.4-20261120", "1.35.3-20261201", false},
		{"1.35.3-20261120", "1.35.3-20261120", false},
		{"1.35.3-20270101", "1.35.3-20261231", true},
	} {
		assert.Equal(t, tt.newer, ami(t, tt.a).NewerThan(ami(t, tt.b)), "%s newer than %s", tt.a, tt.b)
	}
}

func TestAddonVersions(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		cmp  int
	}{
		{"v1.14.3-eksbuild.3", "v1.14.3-eksbuild.3", 0},
		{"v1.14.3-eksbuild.4", "v1.14.3-eksbuild.3", 1},
		{"v1.14.3-eksbuild.10", "v1.14.3-eksbuild.9", 1}, // numeric, not lexical
		{"v1.14.4-eksbuild.1", "v1.14.3-eksbuild.9", 1},
		{"v1.15.0-eksbuild.1", "v1.14.30-eksbuild.1", 1},
		{"v2.0.0-eksbuild.1", "v1.99.99-eksbuild.99", 1},
		{"v0.8.0-eksbuild.1", "v1.0.0-eksbuild.1", -1},
	} {
		assert.Equal(t, tt.cmp, addon(t, tt.a).Compare(addon(t, tt.b)), "%s vs %s", tt.a, tt.b)
		assert.Equal(t, -tt.cmp, addon(t, tt.b).Compare(addon(t, tt.a)), "%s vs %s", tt.b, tt.a)
	}
	for _, bad := range []string{"1.14.3-eksbuild.3", "v1.14.3", "v1.14.3-eksbuild", "v1.14-eksbuild.1", "latest", ""} {
		_, err := ParseAddonVersion(bad)
		assert.ErrorContains(t, err, "not an EKS add-on version", bad)
	}
}

// --- staging ---------------------------------------------------------------------------------

func TestPlanStaging(t *testing.T) {
	builtin := map[string]AddonVersion{
		"vpc-cni":    addon(t, "v1.21.1-eksbuild.7"),
		"kube-proxy": addon(t, "v1.35.3-eksbuild.13"),
		"coredns":    addon(t, "v1.14.3-eksbuild.3"),
	}
	for _, tt := range []struct {
		name    string
		extra   string // stack file lines under config:
		amis    []string
		addons  map[string]string // add-on -> latest default for 1.35
		action  Action
		changes []Change
		ami     string
		pins    map[string]string
		err     string
	}{
		{
			name:   "a newer build of the same minor",
			extra:  "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n",
			amis:   []string{"1.35=1.35.3-20261201", "1.34=1.34.9-20261215"},
			action: ActionPropose, ami: "1.35.3-20261201",
			changes: []Change{{Key: "nodeAmiRelease", Old: "1.35.3-20261120", New: "1.35.3-20261201",
				Why: "newer recommended EKS-optimized AL2023 release for Kubernetes 1.35 (built 2026-12-01)"}},
		},
		{
			name:   "a newer patch on the same day",
			extra:  "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n",
			amis:   []string{"1.35=1.35.4-20261120"},
			action: ActionPropose, ami: "1.35.4-20261120",
		},
		{
			name:   "never back: a higher patch with an older build date",
			extra:  "  novacron-platform:nodeAmiRelease: 1.35.3-20261201\n",
			amis:   []string{"1.35=1.35.4-20261120"},
			action: ActionNone, ami: "1.35.3-20261201",
		},
		{
			name:  "never another minor: only a newer minor is published",
			extra: "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n",
			amis:  []string{"1.36=1.36.0-20261215"},
			err:   "--latest-ami: no release for Kubernetes 1.35, the minor staging runs",
		},
		{
			name:   "the pin is the recommended release",
			extra:  "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n",
			amis:   []string{"1.35=1.35.3-20261120"},
			action: ActionNone, ami: "1.35.3-20261120",
		},
		{
			name:   "no pin yet",
			amis:   []string{"1.35=1.35.3-20261120"},
			action: ActionPropose, ami: "1.35.3-20261120",
			changes: []Change{{Key: "nodeAmiRelease", New: "1.35.3-20261120",
				Why: "no pin yet; the recommended EKS-optimized AL2023 release for Kubernetes 1.35"}},
		},
		{
			name:  "add-ons: newer than the stack's pin, than the built-in pin, and not pinned anywhere",
			extra: "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.3-eksbuild.5\n",
			amis:  []string{"1.35=1.35.3-20261120"},
			addons: map[string]string{
				"coredns":        "v1.14.4-eksbuild.1",  // stack pin v1.14.3-eksbuild.5
				"kube-proxy":     "v1.35.3-eksbuild.13", // equal to built-in
				"vpc-cni":        "v1.21.1-eksbuild.8",  // built-in .7
				"metrics-server": "v0.8.0-eksbuild.1",   // no pin at all
			},
			action: ActionPropose, ami: "1.35.3-20261120",
			changes: []Change{
				{Key: "eksAddonVersions.vpc-cni", Old: "v1.21.1-eksbuild.7", New: "v1.21.1-eksbuild.8", OldFrom: "built-in", Why: "newer AWS default for Kubernetes 1.35"},
				{Key: "eksAddonVersions.coredns", Old: "v1.14.3-eksbuild.5", New: "v1.14.4-eksbuild.1", Why: "newer AWS default for Kubernetes 1.35"},
				{Key: "eksAddonVersions.metrics-server", New: "v0.8.0-eksbuild.1", Why: "no pin yet; the AWS default for Kubernetes 1.35"},
			},
			pins: map[string]string{"vpc-cni": "v1.21.1-eksbuild.8", "coredns": "v1.14.4-eksbuild.1", "metrics-server": "v0.8.0-eksbuild.1"},
		},
		{
			name:   "add-ons: never back from the stack's pin or the built-in pin",
			extra:  "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.5-eksbuild.1\n",
			amis:   []string{"1.35=1.35.3-20261120"},
			addons: map[string]string{"coredns": "v1.14.4-eksbuild.1", "vpc-cni": "v1.21.1-eksbuild.2"},
			action: ActionNone, ami: "1.35.3-20261120",
			pins: map[string]string{"coredns": "v1.14.5-eksbuild.1"},
		},
		{
			name:   "add-ons of another minor are not used",
			extra:  "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n",
			amis:   []string{"1.35=1.35.3-20261120"},
			addons: map[string]string{},
			action: ActionNone, ami: "1.35.3-20261120",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := loadStack(t, "staging", stackText(tt.extra))
			in := Inputs{Now: now, Soak: 72 * time.Hour, LatestAMI: amiFlag{}, LatestAddons: addonFlag{}}
			for _, a := range tt.amis {
				require.NoError(t, amiFlag(in.LatestAMI).Set(a))
			}
			for name, v := range tt.addons {
				require.NoError(t, addonFlag(in.LatestAddons).Set("1.35/"+name+"="+v))
			}
			require.NoError(t, addonFlag(in.LatestAddons).Set("1.34/coredns=v1.99.0-eksbuild.1"))
			p, err := PlanStaging(s, builtin, in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.action, p.Action)
			assert.Equal(t, tt.ami, p.AMI)
			if tt.changes != nil {
				assert.Equal(t, tt.changes, p.Changes)
			}
			if tt.pins != nil {
				assert.Equal(t, tt.pins, p.Addons)
			}
			if tt.action == ActionNone {
				assert.Empty(t, p.Changes)
				assert.Contains(t, p.Reason, "staging's pins are current for Kubernetes 1.35")
			} else {
				assert.Contains(t, p.Soak, "72h")
			}
		})
	}
}

// --- production ------------------------------------------------------------------------------

func TestPlanProduction(t *testing.T) {
	const (
		stagingPins = "  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n" +
			"  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.4-eksbuild.1\n    - vpc-cni=v1.21.1-eksbuild.8\n"
		prodOld = "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n" +
			"  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.3-eksbuild.3\n    - kube-proxy=v1.35.3-eksbuild.13\n"
	)
	ready := now.Add(-96 * time.Hour)
	early := now.Add(-20 * time.Hour)
	future := now.Add(time.Hour)
	for _, tt := range []struct {
		name          string
		staging, prod string
		since         *time.Time
		healthy       bool
		action        Action
		reason        []string
		changes       []Change
		err           string
	}{
		{
			name:    "soaked and healthy: exactly staging's pins",
			staging: stagingPins, prod: prodOld, since: &ready, healthy: true,
			action: ActionPropose,
			changes: []Change{
				{Key: "nodeAmiRelease", Old: "1.35.3-20261120", New: "1.35.4-20261201", Why: "staging's pin"},
				{Key: "eksAddonVersions.vpc-cni", New: "v1.21.1-eksbuild.8", Why: "staging's pin"},
				{Key: "eksAddonVersions.kube-proxy", Old: "v1.35.3-eksbuild.13", Why: "staging follows the program's built-in pin"},
				{Key: "eksAddonVersions.coredns", Old: "v1.14.3-eksbuild.3", New: "v1.14.4-eksbuild.1", Why: "staging's pin"},
			},
		},
		{
			name:    "soak exactly met",
			staging: stagingPins, prod: prodOld, since: ptr(now.Add(-72 * time.Hour)), healthy: true,
			action: ActionPropose,
		},
		{
			name:    "soak a minute short",
			staging: stagingPins, prod: prodOld, since: ptr(now.Add(-72*time.Hour + time.Minute)), healthy: true,
			action: ActionWait,
			reason: []string{"staging has held its pins for 71h of the 72h soak"},
		},
		{
			name:    "production has no pins yet",
			staging: stagingPins, prod: "", since: &ready, healthy: true,
			action: ActionPropose,
		},
		{
			name:    "soak not over",
			staging: stagingPins, prod: prodOld, since: &early, healthy: true,
			action: ActionWait,
			reason: []string{"staging has held its pins for 20h of the 72h soak", "ready at 2026-12-07T16:00:00Z"},
		},
		{
			name:    "staging unhealthy",
			staging: stagingPins, prod: prodOld, since: &ready, healthy: false,
			action: ActionWait,
			reason: []string{"staging's latest deploy since 2026-12-01T12:00:00Z has not succeeded"},
		},
		{
			name:    "both",
			staging: stagingPins, prod: prodOld, since: &early, healthy: false,
			action: ActionWait,
			reason: []string{"20h of the 72h soak", "has not succeeded"},
		},
		{
			name:    "already on staging's pins",
			staging: stagingPins, prod: stagingPins,
			action: ActionNone,
			reason: []string{"production already runs staging's pins (AMI 1.35.4-20261201)"},
		},
		{
			name:    "staging went back on the AMI: production waits for a human",
			staging: "  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n",
			prod:    "  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n",
			since:   &ready, healthy: true,
			action: ActionWait,
			reason: []string{"staging's AMI 1.35.3-20261120 is older than production's 1.35.4-20261201", "cannot go back"},
		},
		{
			name:    "staging went back on an add-on: production follows, and the body says so",
			staging: "  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.3-eksbuild.3\n",
			prod:    "  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.4-eksbuild.1\n",
			since:   &ready, healthy: true,
			action: ActionPropose,
			changes: []Change{{Key: "eksAddonVersions.coredns", Old: "v1.14.4-eksbuild.1", New: "v1.14.3-eksbuild.3",
				Why: "staging's pin; older than production's: staging went back"}},
		},
		{
			name:    "another minor in staging",
			staging: "  novacron-platform:kubernetesVersion: \"1.35\"\n  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n",
			prod:    "  novacron-platform:kubernetesVersion: \"1.34\"\n  novacron-platform:nodeAmiRelease: 1.34.6-20261120\n",
			since:   &ready, healthy: true,
			action: ActionWait,
			reason: []string{"production runs Kubernetes 1.34 and staging 1.35"},
		},
		{
			name:    "no adoption time",
			staging: stagingPins, prod: prodOld, healthy: true,
			err: "--staging-since is required for --stack production",
		},
		{
			name:    "adoption in the future",
			staging: stagingPins, prod: prodOld, since: &future, healthy: true,
			err: "--staging-since 2026-12-05T13:00:00Z is after --now 2026-12-05T12:00:00Z",
		},
		{
			name:    "staging has no AMI pin",
			staging: "", prod: prodOld, since: &ready, healthy: true,
			err: "Pulumi.staging.yaml: novacron-platform:nodeAmiRelease is not set",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := repo(t, map[string]string{"staging": stackText(tt.staging), "production": stackText(tt.prod)})
			staging, err := LoadStack(dir, "staging")
			require.NoError(t, err)
			prod, err := LoadStack(dir, "production")
			require.NoError(t, err)
			p, err := PlanProduction(prod, staging, Inputs{Now: now, Soak: 72 * time.Hour, StagingSince: tt.since, StagingHealthy: tt.healthy})
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.action, p.Action, p.Reason)
			for _, r := range tt.reason {
				assert.Contains(t, p.Reason, r)
			}
			if tt.changes != nil {
				assert.Equal(t, tt.changes, p.Changes)
			}
			switch p.Action {
			case ActionPropose:
				assert.Equal(t, staging.AMI.Raw, p.AMI)
				assert.Equal(t, staging.AddonPinStrings(), p.Addons, "exactly staging's add-on pins")
				assert.Contains(t, p.Soak, "past the 72h soak")
			case ActionWait:
				assert.Empty(t, p.Changes, "a waiting plan proposes nothing")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// --- malformed input -------------------------------------------------------------------------

func TestLoadStackRefusesMalformedPins(t *testing.T) {
	for _, tt := range []struct {
		name, extra, err string
	}{
		{"bad release", "  novacron-platform:nodeAmiRelease: latest\n",
			`Pulumi.staging.yaml: novacron-platform:nodeAmiRelease: "latest" is not an AMI release`},
		{"release of another minor", "  novacron-platform:nodeAmiRelease: 1.34.6-20261120\n",
			"Pulumi.staging.yaml: novacron-platform:nodeAmiRelease 1.34.6-20261120 is a Kubernetes 1.34 release, but the stack runs kubernetesVersion 1.35"},
		{"encrypted release", "  novacron-platform:nodeAmiRelease:\n    secure: AAABAG==\n",
			"Pulumi.staging.yaml: novacron-platform:nodeAmiRelease must be a plain string"},
		{"add-ons a plain string", "  novacron-platform:eksAddonVersions: coredns\n",
			`Pulumi.staging.yaml: novacron-platform:eksAddonVersions must be a list of "<add-on>=<version>" or a map`},
		{"add-ons a map where Pulumi.yaml declares an array", "  novacron-platform:eksAddonVersions:\n    coredns: v1.14.3-eksbuild.3\n",
			`Pulumi.staging.yaml: novacron-platform:eksAddonVersions must be a list of "<add-on>=<version>", as Pulumi.yaml declares it`},
		{"add-on entry without a version", "  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.3-eksbuild.3\n    - coredns\n",
			`Pulumi.staging.yaml: novacron-platform:eksAddonVersions[1] must be "<add-on>=<version>"`},
		{"add-on named twice", "  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.3-eksbuild.3\n    - coredns=v1.14.4-eksbuild.1\n",
			"Pulumi.staging.yaml: novacron-platform:eksAddonVersions names coredns twice"},
		{"unknown add-on", "  novacron-platform:eksAddonVersions:\n    - cordns=v1.14.3-eksbuild.3\n",
			"Pulumi.staging.yaml: novacron-platform:eksAddonVersions.cordns: unknown add-on"},
		{"bad add-on version", "  novacron-platform:eksAddonVersions:\n    - coredns=1.14.3\n",
			`Pulumi.staging.yaml: novacron-platform:eksAddonVersions.coredns: "1.14.3" is not an EKS add-on version`},
		{"kube-proxy of another minor", "  novacron-platform:eksAddonVersions:\n    - kube-proxy=v1.34.6-eksbuild.13\n",
			"Pulumi.staging.yaml: novacron-platform:eksAddonVersions.kube-proxy: kube-proxy v1.34.6-eksbuild.13 is for Kubernetes 1.34, the cluster runs 1.35"},
		{"bad kubernetesVersion", "  novacron-platform:kubernetesVersion: \"1.35.2\"\n",
			`Pulumi.staging.yaml: novacron-platform:kubernetesVersion: "1.35.2" is not a Kubernetes minor version`},
		{"not YAML", "  novacron-platform:nodeAmiRelease: [\n", "Pulumi.staging.yaml: yaml:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadStack(repo(t, map[string]string{"staging": stackText(tt.extra)}), "staging")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}

	t.Run("missing stack file", func(t *testing.T) {
		_, err := LoadStack(repo(t, nil), "staging")
		assert.ErrorContains(t, err, "Pulumi.staging.yaml: open")
	})
	t.Run("Pulumi.yaml without the kubernetesVersion default", func(t *testing.T) {
		dir := repo(t, map[string]string{"staging": stackText("")})
		write(t, filepath.Join(dir, "Pulumi.yaml"), "name: novacron-platform\nconfig:\n  aws:region: us-east-1\n")
		_, err := LoadStack(dir, "staging")
		assert.ErrorContains(t, err, "Pulumi.yaml: config key kubernetesVersion is not declared")
	})
}

func TestRunRefusesBadFlags(t *testing.T) {
	pinned := stackText("  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n")
	dir := repo(t, map[string]string{"staging": pinned, "production": pinned})
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"--stack", "prod"}, `--stack must be staging or production, got "prod"`},
		{[]string{}, "--stack must be staging or production"},
		{[]string{"--stack", "staging", "--latest-ami", "1.35"}, "invalid value \"1.35\" for flag -latest-ami"},
		{[]string{"--stack", "staging", "--latest-ami", "1.35=1.34.6-20261120"}, "release 1.34.6-20261120 is for Kubernetes 1.34, not 1.35"},
		{[]string{"--stack", "staging", "--latest-ami", "1.35=1.35.4-20261201", "--latest-ami", "1.35=1.35.5-20261202"}, "a second release for Kubernetes 1.35"},
		{[]string{"--stack", "staging", "--latest-ami", "1.35=1.35.4-2026120"}, "not an AMI release"},
		{[]string{"--stack", "staging", "--latest-addon", "coredns=v1.14.4-eksbuild.1"}, "expected <kubernetes minor>/<add-on>=<version>"},
		{[]string{"--stack", "staging", "--latest-addon", "1.35/cordns=v1.14.4-eksbuild.1"}, `unknown add-on "cordns"`},
		{[]string{"--stack", "staging", "--latest-addon", "1.35/coredns=1.14.4"}, "not an EKS add-on version"},
		{[]string{"--stack", "staging", "--latest-addon", "1.35/kube-proxy=v1.34.6-eksbuild.1"}, "kube-proxy v1.34.6-eksbuild.1 is for Kubernetes 1.34"},
		{[]string{"--stack", "staging", "--soak", "0s"}, "--soak must be positive"},
		{[]string{"--stack", "staging", "--soak", "3 days"}, "invalid value \"3 days\" for flag -soak"},
		{[]string{"--stack", "staging", "--now", "yesterday"}, "--now: parsing time"},
		{[]string{"--stack", "production", "--staging-since", "2026-12-01"}, "--staging-since: parsing time"},
		{[]string{"--stack", "staging", "extra"}, `unexpected argument "extra"`},
		{[]string{"--stack", "staging"}, "--latest-ami: no release for Kubernetes 1.35"},
		{[]string{"--stack", "production", "--staging-dir", filepath.Join(dir, "nowhere")}, "--staging-dir " + filepath.Join(dir, "nowhere") + ": reading Pulumi.yaml: open"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"--dir", dir}, tt.args...), noEnv, fixedNow, &stdout, &stderr)
		assert.Equal(t, 2, code, "%v", tt.args)
		assert.Contains(t, stderr.String(), tt.err, "%v", tt.args)
	}
}

func noEnv(string) string { return "" }

func fixedNow() time.Time { return now }

// --- editing the stack file ------------------------------------------------------------------

// TestStackFileEdits: the text changes on the pin lines only; comments, blank lines, quoting
// and order elsewhere stay byte for byte.
func TestStackFileEdits(t *testing.T) {
	const base = `# Staging keeps production's topology.
secretsprovider: awskms://alias/novacron-pulumi-secrets?region=us-east-1
encryptedkey: AQICAHh0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij==
config:
  aws:region: us-east-1

  # Who may reach the private EKS API endpoint.
  novacron-platform:clusterEndpointAllowedCidrs:
    - 10.1.0.0/16
  novacron-platform:dbEngineVersion: "17"
  novacron-platform:grafanaAdminPassword:
    secure: AAABAAAAAAAAAAAAAAAAAAAAAAAA
`
	for _, tt := range []struct {
		name string
		in   string
		edit func(f *StackFile) error
		want string
		err  string
	}{
		{
			name: "add the AMI pin at the end of config",
			in:   base,
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "Why it is here.") },
			want: base + "  # Why it is here.\n  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n",
		},
		{
			name: "change the AMI pin in place, keeping its comment",
			in:   "config:\n  novacron-platform:nodeAmiRelease: 1.35.3-20261120  # pinned\n  novacron-platform:x: y\n",
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "") },
			want: "config:\n  novacron-platform:nodeAmiRelease: 1.35.4-20261201  # pinned\n  novacron-platform:x: y\n",
		},
		{
			name: "change a double-quoted pin, keeping the quotes",
			in:   "config:\n  novacron-platform:nodeAmiRelease: \"1.35.3-20261120\" # pinned\n",
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "") },
			want: "config:\n  novacron-platform:nodeAmiRelease: \"1.35.4-20261201\" # pinned\n",
		},
		{
			name: "change a single-quoted pin",
			in:   "config:\n  novacron-platform:nodeAmiRelease: '1.35.3-20261120'\n",
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "") },
			want: "config:\n  novacron-platform:nodeAmiRelease: '1.35.4-20261201'\n",
		},
		{
			name: "add after a last key that holds a list at its own indentation",
			in:   "config:\n  novacron-platform:probeUrls:\n  - https://a/\n  - https://b/\n# trailing\n",
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "") },
			want: "config:\n  novacron-platform:probeUrls:\n  - https://a/\n  - https://b/\n  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n# trailing\n",
		},
		{
			name: "add config when the file has none",
			in:   "secretsprovider: passphrase\n\n",
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "") },
			want: "secretsprovider: passphrase\nconfig:\n  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n",
		},
		{
			name: "add entries under an empty config",
			in:   "config:\nsecretsprovider: passphrase\n",
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "") },
			want: "config:\n  novacron-platform:nodeAmiRelease: 1.35.4-20261201\nsecretsprovider: passphrase\n",
		},
		{
			name: "add the add-on map in the canonical order",
			in:   base,
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"coredns": "v1.14.4-eksbuild.1", "vpc-cni": "v1.21.1-eksbuild.8"}, addonNames, ShapeMap, "Overrides.")
			},
			want: base + "  # Overrides.\n  novacron-platform:eksAddonVersions:\n    vpc-cni: v1.21.1-eksbuild.8\n    coredns: v1.14.4-eksbuild.1\n",
		},
		{
			name: "change, add and remove add-on entries; comments on kept entries stay",
			in: "config:\n  novacron-platform:eksAddonVersions:\n    # held back: see issue 12\n    coredns: v1.14.3-eksbuild.3 # why\n" +
				"    # gone soon\n    metrics-server: v0.8.0-eksbuild.1\n  novacron-platform:x: y\n",
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"coredns": "v1.14.4-eksbuild.1", "kube-proxy": "v1.35.3-eksbuild.14"}, addonNames, ShapeMap, "")
			},
			want: "config:\n  novacron-platform:eksAddonVersions:\n    # held back: see issue 12\n    coredns: v1.14.4-eksbuild.1 # why\n" +
				"    kube-proxy: v1.35.3-eksbuild.14\n  novacron-platform:x: y\n",
		},
		{
			name: "replace every entry",
			in:   "config:\n  novacron-platform:eksAddonVersions:\n    coredns: v1.14.3-eksbuild.3\n",
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"vpc-cni": "v1.21.1-eksbuild.8"}, addonNames, ShapeMap, "")
			},
			want: "config:\n  novacron-platform:eksAddonVersions:\n    vpc-cni: v1.21.1-eksbuild.8\n",
		},
		{
			name: "remove the map with its comment",
			in:   "config:\n  novacron-platform:a: b\n  # Overrides.\n  novacron-platform:eksAddonVersions:\n    coredns: v1.14.3-eksbuild.3\n\n  # next\n  novacron-platform:x: y\n",
			edit: func(f *StackFile) error { return f.SetPins(keyAddonVersions, nil, addonNames, ShapeMap, "") },
			want: "config:\n  novacron-platform:a: b\n\n  # next\n  novacron-platform:x: y\n",
		},
		{
			name: "removing an absent map changes nothing",
			in:   base,
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{}, addonNames, ShapeList, "")
			},
			want: base,
		},
		{
			name: "add the add-on list",
			in:   base,
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"coredns": "v1.14.4-eksbuild.1", "vpc-cni": "v1.21.1-eksbuild.8"}, addonNames, ShapeList, "Overrides.")
			},
			want: base + "  # Overrides.\n  novacron-platform:eksAddonVersions:\n    - vpc-cni=v1.21.1-eksbuild.8\n    - coredns=v1.14.4-eksbuild.1\n",
		},
		{
			name: "change, add and remove list items; quotes and comments of kept items stay",
			in: "config:\n  novacron-platform:eksAddonVersions:\n    # held back: see issue 12\n    - \"coredns=v1.14.3-eksbuild.3\" # why\n" +
				"    # gone soon\n    - metrics-server=v0.8.0-eksbuild.1\n  novacron-platform:x: y\n",
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"coredns": "v1.14.4-eksbuild.1", "kube-proxy": "v1.35.3-eksbuild.14"}, addonNames, ShapeMap, "")
			},
			want: "config:\n  novacron-platform:eksAddonVersions:\n    # held back: see issue 12\n    - \"coredns=v1.14.4-eksbuild.1\" # why\n" +
				"    - kube-proxy=v1.35.3-eksbuild.14\n  novacron-platform:x: y\n",
		},
		{
			name: "a list at its key's indentation",
			in:   "config:\n  novacron-platform:eksAddonVersions:\n  - coredns=v1.14.3-eksbuild.3\n  novacron-platform:x: y\n",
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"coredns": "v1.14.3-eksbuild.3", "vpc-cni": "v1.21.1-eksbuild.8"}, addonNames, ShapeList, "")
			},
			want: "config:\n  novacron-platform:eksAddonVersions:\n  - coredns=v1.14.3-eksbuild.3\n  - vpc-cni=v1.21.1-eksbuild.8\n  novacron-platform:x: y\n",
		},
		{
			name: "an empty flow list becomes a block list",
			in:   "config:\n  novacron-platform:eksAddonVersions: [] # none yet\n  novacron-platform:x: y\n",
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"coredns": "v1.14.4-eksbuild.1"}, addonNames, ShapeList, "")
			},
			want: "config:\n  novacron-platform:eksAddonVersions: # none yet\n    - coredns=v1.14.4-eksbuild.1\n  novacron-platform:x: y\n",
		},
		{
			name: "remove the list with its comment",
			in:   "config:\n  # Overrides.\n  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.3-eksbuild.3\n  novacron-platform:x: y\n",
			edit: func(f *StackFile) error { return f.SetPins(keyAddonVersions, nil, addonNames, ShapeList, "") },
			want: "config:\n  novacron-platform:x: y\n",
		},
		{
			name: "a flow-style map is left to a human",
			in:   "config:\n  novacron-platform:eksAddonVersions: {coredns: v1.14.3-eksbuild.3}\n",
			edit: func(f *StackFile) error {
				return f.SetPins(keyAddonVersions, map[string]string{"coredns": "v1.14.3-eksbuild.3", "vpc-cni": "v1.21.1-eksbuild.8"}, addonNames, ShapeMap, "")
			},
			err: "Pulumi.staging.yaml: line 2: a flow-style collection; write it in block style or edit it by hand",
		},
		{
			name: "a block scalar is left to a human",
			in:   "config:\n  novacron-platform:nodeAmiRelease: >-\n    1.35.3-20261120\n",
			edit: func(f *StackFile) error { return f.SetString(keyNodeAMIRelease, "1.35.4-20261201", "") },
			err:  "Pulumi.staging.yaml: line 2: a block or flow value; edit it by hand",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &StackFile{Name: "Pulumi.staging.yaml", Namespace: "novacron-platform:", text: tt.in}
			err := tt.edit(f)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				assert.Equal(t, tt.in, f.Text(), "a refused edit leaves the text alone")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.Text())
		})
	}
}

// TestEditIsVerified: an edit whose text would change anything but the pin is refused.
func TestEditIsVerified(t *testing.T) {
	f := &StackFile{Name: "Pulumi.staging.yaml", Namespace: "novacron-platform:", text: "config:\n  novacron-platform:a: b\n"}
	err := f.edit(func(cfg map[string]any) { cfg["novacron-platform:nodeAmiRelease"] = "1.35.4-20261201" },
		func(lines []string, _, _ *yaml.Node) ([]string, error) {
			return append(lines[:1], "  novacron-platform:a: c", "  novacron-platform:nodeAmiRelease: 1.35.4-20261201", ""), nil
		})
	require.ErrorContains(t, err, "the edit would change more than the pins")
	assert.Equal(t, "config:\n  novacron-platform:a: b\n", f.Text())
}

// --- built-in pins ---------------------------------------------------------------------------

func TestLoadBuiltinPins(t *testing.T) {
	dir := repo(t, nil)
	pins, err := LoadBuiltinPins(dir, "1.35")
	require.NoError(t, err)
	got := map[string]string{}
	for n, v := range pins {
		got[n] = v.Raw
	}
	assert.Equal(t, map[string]string{
		"vpc-cni": "v1.21.1-eksbuild.7", "kube-proxy": "v1.35.3-eksbuild.13", "coredns": "v1.14.3-eksbuild.3",
		"aws-ebs-csi-driver": "v1.58.0-eksbuild.1", "eks-pod-identity-agent": "v1.3.10-eksbuild.1",
	}, got)

	none, err := LoadBuiltinPins(dir, "1.36")
	require.NoError(t, err)
	assert.Empty(t, none, "a minor without a row has no built-in pins")

	write(t, filepath.Join(dir, builtinPinsDir, "addons.go"), strings.Replace(builtinGo, `CoreDNS: "v1.14.3-eksbuild.3"`, `CoreDNS: "1.14.3"`, 1))
	_, err = LoadBuiltinPins(dir, "1.35")
	assert.ErrorContains(t, err, `components/cluster/addons.go: addonVersions["1.35"].CoreDNS: "1.14.3" is not an EKS add-on version`)

	write(t, filepath.Join(dir, builtinPinsDir, "addons.go"), "package cluster\n")
	_, err = LoadBuiltinPins(dir, "1.35")
	assert.ErrorContains(t, err, "built-in add-on pins: no `var addonVersions")
}

// TestThisRepository: the real stack files load, the real built-in pins are found, and adding
// or moving a pin in the real staging file touches the pin lines only.
func TestThisRepository(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, name := range []string{"staging", "production"} {
		s, err := LoadStack(root, name)
		require.NoError(t, err, name)
		pins, err := LoadBuiltinPins(root, s.KubernetesVersion)
		require.NoError(t, err)
		for _, a := range []string{"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"} {
			assert.Contains(t, pins, a, "%s: built-in pin of %s for Kubernetes %s", name, a, s.KubernetesVersion)
		}

		before := s.File.Text()
		release := s.KubernetesVersion + ".99-20991231"
		require.NoError(t, s.File.SetString(keyNodeAMIRelease, release, "comment"))
		require.NoError(t, s.File.SetPins(keyAddonVersions, map[string]string{"coredns": "v9.9.9-eksbuild.9"}, addonNames, s.AddonShape, "comment"))
		after := s.File.Text()
		for _, l := range append(newLines(before, after), newLines(after, before)...) {
			assert.Regexp(t, `^\s*(# comment|novacron-platform:nodeAmiRelease: .*|novacron-platform:eksAddonVersions:|\w[\w-]*: v\d.*-eksbuild\.\d+|- \w[\w-]*=v\d.*-eksbuild\.\d+)$`, l,
				"%s: only pin lines differ", name)
		}
		assert.Contains(t, after, "novacron-platform:nodeAmiRelease: "+release+"\n")
		assert.Regexp(t, `coredns(: |=)v9\.9\.9-eksbuild\.9\n`, after)
	}
}

// newLines are the lines of after that before does not have (as a multiset).
func newLines(before, after string) []string {
	seen := map[string]int{}
	for _, l := range strings.Split(before, "\n") {
		seen[l]++
	}
	var out []string
	for _, l := range strings.Split(after, "\n") {
		if seen[l] > 0 {
			seen[l]--
			continue
		}
		out = append(out, l)
	}
	return out
}

// --- the command, end to end -----------------------------------------------------------------

// TestRunStagingThenProduction: staging is proposed the new release and writes the outputs; the
// same proposal run again finds nothing to do; production waits for the soak, then receives
// exactly staging's pins.
func TestRunStagingThenProduction(t *testing.T) {
	orig := stackText("  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n")
	dir := repo(t, map[string]string{"staging": orig, "production": orig})
	out := filepath.Join(t.TempDir(), "output")
	env := func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return out
		}
		return ""
	}
	latest := []string{"--latest-ami", "1.35=1.35.4-20261201", "--latest-ami", "1.34=1.34.9-20261201",
		"--latest-addon", "1.35/coredns=v1.14.4-eksbuild.1", "--latest-addon", "1.35/vpc-cni=v1.21.1-eksbuild.7"}

	var stdout, stderr bytes.Buffer
	code := run(append([]string{"--dir", dir, "--stack", "staging"}, latest...), env, fixedNow, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	staging := read(t, filepath.Join(dir, "Pulumi.staging.yaml"))
	assert.Equal(t, stackText("  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n")+
		"  # EKS add-on versions that override the program's built-in pins (components/cluster);\n"+
		"  # moved by the node-image workflow, staging first (docs/patching.md).\n"+
		"  novacron-platform:eksAddonVersions:\n    - coredns=v1.14.4-eksbuild.1\n", staging)
	title := "Patch staging nodes: AMI 1.35.4-20261201, coredns v1.14.4-eksbuild.1"
	assert.True(t, strings.HasPrefix(stdout.String(), title+"\n\n"))
	for _, want := range []string{
		"| `nodeAmiRelease` | `1.35.3-20261120` | `1.35.4-20261201` |",
		"| `eksAddonVersions.coredns` | `v1.14.3-eksbuild.3` (built-in) | `v1.14.4-eksbuild.1` |",
		"`al2023@v20261201`", "releaseVersion to `1.35.4-20261201`", "updates the changed EKS add-ons in place",
		"`go run ./cmd/preflight --stack staging`", "once staging has run them for 72h",
	} {
		assert.Contains(t, stdout.String(), want)
	}
	outputs := read(t, out)
	assert.Contains(t, outputs, "action=propose\nreason=\ntitle="+title+"\nbody<<NODEPATCH_")
	assert.Contains(t, outputs, "| `nodeAmiRelease` | `1.35.3-20261120` | `1.35.4-20261201` |")
	lines := strings.Split(strings.TrimSuffix(outputs, "\n"), "\n")
	assert.Equal(t, strings.TrimPrefix(lines[3], "body<<"), lines[len(lines)-1], "the body ends with its delimiter")

	// Run again: the pins are current now.
	stdout.Reset()
	require.NoError(t, os.Remove(out))
	code = run(append([]string{"--dir", dir, "--stack", "staging"}, latest...), env, fixedNow, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), "nothing to do: staging's pins are current")
	assert.Equal(t, staging, read(t, filepath.Join(dir, "Pulumi.staging.yaml")))
	assert.Contains(t, read(t, out), "action=none\n")

	// Production, staging adopted 30h ago: waits, and its file is untouched.
	stdout.Reset()
	prodArgs := []string{"--dir", dir, "--stack", "production", "--staging-healthy", "--staging-since", "2026-12-04T06:00:00Z"}
	code = run(prodArgs, env, fixedNow, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Equal(t, "waiting: staging has held its pins for 30h of the 72h soak (since 2026-12-04T06:00:00Z; ready at 2026-12-07T06:00:00Z)\n", stdout.String())
	assert.Equal(t, orig, read(t, filepath.Join(dir, "Pulumi.production.yaml")))

	// Four days later: exactly staging's pins.
	stdout.Reset()
	code = run(append(prodArgs, "--now", "2026-12-09T12:00:00Z"), env, fixedNow, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.True(t, strings.HasPrefix(stdout.String(), "Patch production nodes: AMI 1.35.4-20261201, coredns v1.14.4-eksbuild.1\n"))
	assert.Contains(t, stdout.String(), "has held them for 126h, past the 72h soak")
	assert.Equal(t, staging, read(t, filepath.Join(dir, "Pulumi.production.yaml")),
		"production's file (a copy of staging's before) now carries staging's pins, edited the same way")

	// --dry-run writes nothing.
	dry := repo(t, map[string]string{"staging": orig})
	stdout.Reset()
	code = run(append([]string{"--dir", dry, "--stack", "staging", "--dry-run"}, latest...), env, fixedNow, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), title)
	assert.Equal(t, orig, read(t, filepath.Join(dry, "Pulumi.staging.yaml")))

	// --print-minor.
	stdout.Reset()
	require.Equal(t, 0, run([]string{"--dir", dir, "--stack", "production", "--print-minor"}, noEnv, fixedNow, &stdout, &stderr))
	assert.Equal(t, "1.35\n", stdout.String())
}

// TestRunProductionFromAnotherCheckout: --staging-dir is where staging's pins are read.
func TestRunProductionFromAnotherCheckout(t *testing.T) {
	main := repo(t, map[string]string{
		"staging":    stackText("  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n"),
		"production": stackText("  novacron-platform:nodeAmiRelease: 1.35.3-20261120\n"),
	})
	develop := repo(t, map[string]string{"staging": stackText("  novacron-platform:nodeAmiRelease: 1.35.5-20261205\n")})
	var stdout, stderr bytes.Buffer
	code := run([]string{"--dir", main, "--staging-dir", develop, "--stack", "production", "--staging-healthy",
		"--staging-since", "2026-12-01T00:00:00Z", "--soak", "48h"}, noEnv, fixedNow, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), "| `nodeAmiRelease` | `1.35.3-20261120` | `1.35.5-20261205` | staging's pin |")
	assert.Contains(t, read(t, filepath.Join(main, "Pulumi.production.yaml")), "novacron-platform:nodeAmiRelease: 1.35.5-20261205\n")
	assert.Contains(t, read(t, filepath.Join(main, "Pulumi.staging.yaml")), "1.35.3-20261120", "main's staging file is not touched")
}

func TestWriteOutputsDelimiter(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeOutputs(&b, Plan{Action: ActionWait, Reason: "a\nb"}, "", ""))
	assert.True(t, strings.HasPrefix(b.String(), "action=wait\nreason=a b\ntitle=\nbody<<NODEPATCH_"), b.String())
}

// TestProjectDefaultAMI: without the key in the stack file, the pin is Pulumi.yaml's default;
// a proposal writes the key into the stack file.
func TestProjectDefaultAMI(t *testing.T) {
	withDefault := func(def string) string {
		return projectYAML + "  nodeAmiRelease:\n    type: string\n    default: " + def + "\n"
	}
	dir := repo(t, map[string]string{"staging": stackText(""), "production": stackText("")})
	write(t, filepath.Join(dir, "Pulumi.yaml"), withDefault("1.35.3-20261120"))

	staging, err := LoadStack(dir, "staging")
	require.NoError(t, err)
	require.NotNil(t, staging.AMI)
	assert.True(t, staging.AMIDefault)
	assert.Equal(t, ShapeList, staging.AddonShape, "Pulumi.yaml declares eksAddonVersions an array")

	in := Inputs{Now: now, Soak: 72 * time.Hour, LatestAMI: amiFlag{}, LatestAddons: addonFlag{}}
	require.NoError(t, amiFlag(in.LatestAMI).Set("1.35=1.35.4-20261201"))
	p, err := PlanStaging(staging, nil, in)
	require.NoError(t, err)
	require.Equal(t, ActionPropose, p.Action)
	assert.Equal(t, []Change{{Key: "nodeAmiRelease", Old: "1.35.3-20261120", OldFrom: "Pulumi.yaml default", New: "1.35.4-20261201",
		Why: "newer recommended EKS-optimized AL2023 release for Kubernetes 1.35 (built 2026-12-01)"}}, p.Changes)
	assert.Contains(t, Body(p, ami(t, p.AMI)), "| `nodeAmiRelease` | `1.35.3-20261120` (Pulumi.yaml default) | `1.35.4-20261201` |")
	require.NoError(t, Apply(staging, p))
	assert.True(t, strings.HasSuffix(staging.File.Text(), "  novacron-platform:nodeAmiRelease: 1.35.4-20261201\n"))

	// Both stacks on the default: production has nothing to do.
	prod, err := LoadStack(dir, "production")
	require.NoError(t, err)
	staging, err = LoadStack(dir, "staging")
	require.NoError(t, err)
	p, err = PlanProduction(prod, staging, Inputs{Now: now, Soak: 72 * time.Hour})
	require.NoError(t, err)
	assert.Equal(t, ActionNone, p.Action)

	write(t, filepath.Join(dir, "Pulumi.yaml"), withDefault("1.34.6-20261120"))
	_, err = LoadStack(dir, "staging")
	assert.ErrorContains(t, err, "Pulumi.yaml: nodeAmiRelease default 1.34.6-20261120 is a Kubernetes 1.34 release, but the stack runs kubernetesVersion 1.35")
}
