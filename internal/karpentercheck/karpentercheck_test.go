package karpentercheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/karpenter-provider-aws/pkg/apis"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	clocktesting "k8s.io/utils/clock/testing"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// The documents under test: the goldens of components/karpenter, which its own test keeps equal
// to Manifests for a production-like and a Spot configuration.
var (
	productionGolden = filepath.Join("..", "..", "components", "karpenter", "testdata", "manifests.golden.yaml")
	spotGolden       = filepath.Join("..", "..", "components", "karpenter", "testdata", "manifests-spot.golden.yaml")
)

// objects are the decoded documents of one file.
type objects struct {
	pools   map[string]*karpv1.NodePool
	classes map[string]*awsv1.EC2NodeClass
	kinds   []string // kind/name of every document, in order
}

func load(t *testing.T, path string) objects {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	docs, err := Split(data)
	require.NoError(t, err)
	objs := objects{pools: map[string]*karpv1.NodePool{}, classes: map[string]*awsv1.EC2NodeClass{}}
	for _, d := range docs {
		objs.kinds = append(objs.kinds, d.Kind+"/"+d.Name)
		switch d.APIVersion + " " + d.Kind {
		case NodePoolAPIVersion + " " + NodePoolKind:
			np, err := DecodeNodePool(d.Raw)
			require.NoError(t, err, d.Name)
			objs.pools[np.Name] = np
		case EC2NodeClassAPIVersion + " " + EC2NodeClassKind:
			nc, err := DecodeEC2NodeClass(d.Raw)
			require.NoError(t, err, d.Name)
			objs.classes[nc.Name] = nc
		// The floor's objects are built-in kinds: the same strict decoding into k8s.io/api.
		case "scheduling.k8s.io/v1 PriorityClass":
			require.NoError(t, Strict(d.Raw, &schedulingv1.PriorityClass{}), d.Name)
		case "apps/v1 Deployment":
			require.NoError(t, Strict(d.Raw, &appsv1.Deployment{}), d.Name)
		default:
			assert.Fail(t, "unexpected document", "%s %s %s", d.APIVersion, d.Kind, d.Name)
		}
	}
	return objs
}

// checkNodePool asserts what the types alone do not: Karpenter's runtime validation (restricted
// labels and requirement keys, well-known values, taints), and, mirroring the CRD's enum,
// pattern and CEL rules (which live only in the CRD, not in the Go types), the consolidation
// policy, the budgets and the class reference.
func checkNodePool(np *karpv1.NodePool, classes map[string]*awsv1.EC2NodeClass) error {
	errs := []error{np.RuntimeValidate(context.Background())}
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	d := np.Spec.Disruption
	if !slices.Contains([]karpv1.ConsolidationPolicy{
		karpv1.ConsolidationPolicyWhenEmpty, karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized, karpv1.ConsolidationPolicyBalanced,
	}, d.ConsolidationPolicy) {
		add("consolidationPolicy %q is not one of the CRD's enum", d.ConsolidationPolicy)
	}
	if d.ConsolidateAfter.Duration == nil {
		add("consolidateAfter is Never: idle nodes would never be removed")
	}
	reasons := []karpv1.DisruptionReason{karpv1.DisruptionReasonUnderutilized, karpv1.DisruptionReasonEmpty, karpv1.DisruptionReasonDrifted}
	for i, b := range d.Budgets {
		if !budgetNodes.MatchString(b.Nodes) {
			add("budget %d: nodes %q does not match the CRD's pattern", i, b.Nodes)
		}
		// CRD rule: 'schedule' must be set with 'duration'.
		if (b.Schedule == nil) != (b.Duration == nil) {
			add("budget %d: schedule and duration must be set together", i)
		}
		// Karpenter fails closed (no disruption at all) on a schedule its cron parser refuses.
		if _, err := b.IsActive(clocktesting.NewFakeClock(time.Now())); err != nil {
			add("budget %d: %v", i, err)
		}
		for _, r := range b.Reasons {
			if !slices.Contains(reasons, r) {
				add("budget %d: reason %q is not one of %v", i, r, reasons)
			}
		}
	}

	ref := np.Spec.Template.Spec.NodeClassRef
	switch {
	case ref == nil:
		add("no nodeClassRef")
	case ref.Group != apis.Group || ref.Kind != EC2NodeClassKind:
		add("nodeClassRef is %s, want %s %s", ref.GroupKind(), apis.Group, EC2NodeClassKind)
	case classes[ref.Name] == nil:
		add("nodeClassRef names EC2NodeClass %q, which the file does not define", ref.Name)
	}
	for name, q := range np.Spec.Limits {
		if q.Sign() <= 0 {
			add("limit %s is %s", name, q.String())
		}
	}
	return errors.Join(errs...)
}

// budgetNodes is the NodePool CRD's pattern for a budget's nodes (karpenter.sh_nodepools.yaml).
var budgetNodes = regexp.MustCompile(`^((100|[0-9]{1,2})%|[0-9]+)$`)

// pinnedAlias is an AL2023 alias pinned to one release (the CRD also accepts "latest").
var pinnedAlias = regexp.MustCompile(`^al2023@v[0-9]{8}$`)

// checkEC2NodeClass asserts the platform's invariants through the typed object, and the CRD's
// CEL rules that matter here (role xor instance profile, alias alone, restricted tags).
func checkEC2NodeClass(nc *awsv1.EC2NodeClass) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	s := nc.Spec
	if (s.Role == "") == (s.InstanceProfile == nil) {
		add("exactly one of role and instanceProfile must be set")
	}
	if len(s.AMISelectorTerms) != 1 || !pinnedAlias.MatchString(s.AMISelectorTerms[0].Alias) {
		add("amiSelectorTerms must be one AL2023 alias pinned to a release, got %+v", s.AMISelectorTerms)
	} else if nc.AMIFamily() != awsv1.AMIFamilyAL2023 {
		// Alias() exits the process on a malformed alias: only called once the pattern matched.
		add("AMI family %s, want %s", nc.AMIFamily(), awsv1.AMIFamilyAL2023)
	}
	m := s.MetadataOptions
	switch {
	case m == nil:
		add("no metadataOptions")
	case deref(m.HTTPTokens) != "required" || deref(m.HTTPEndpoint) != "enabled" || deref(m.HTTPPutResponseHopLimit) != 1:
		add("IMDS must be v2 only with a hop limit of 1, got tokens %q endpoint %q hops %d",
			deref(m.HTTPTokens), deref(m.HTTPEndpoint), deref(m.HTTPPutResponseHopLimit))
	}
	roots := 0
	for _, bdm := range s.BlockDeviceMappings {
		if !bdm.RootVolume {
			continue
		}
		roots++
		if e := bdm.EBS; e == nil || !deref(e.Encrypted) || deref(e.VolumeType) != "gp3" || e.VolumeSize == nil || e.VolumeSize.Sign() <= 0 {
			add("root volume must be encrypted gp3 with a size, got %+v", bdm.EBS)
		}
	}
	if roots != 1 {
		add("want one root volume, got %d", roots)
	}
	for k := range s.Tags {
		for _, p := range awsv1.RestrictedTagPatterns {
			if p.MatchString(k) {
				add("tag %q is restricted (%s)", k, p)
			}
		}
	}
	for _, terms := range [][]map[string]string{selectorTags(s.SubnetSelectorTerms), sgSelectorTags(s.SecurityGroupSelectorTerms)} {
		if len(terms) == 0 || slices.ContainsFunc(terms, func(t map[string]string) bool { return len(t) == 0 }) {
			add("subnet and security group selectors must select by tag")
		}
	}
	return errors.Join(errs...)
}

func selectorTags(terms []awsv1.SubnetSelectorTerm) []map[string]string {
	out := make([]map[string]string, len(terms))
	for i, t := range terms {
		out[i] = t.Tags
	}
	return out
}

func sgSelectorTags(terms []awsv1.SecurityGroupSelectorTerm) []map[string]string {
	out := make([]map[string]string, len(terms))
	for i, t := range terms {
		out[i] = t.Tags
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func TestGoldensDecodeStrictlyAndCheck(t *testing.T) {
	for _, path := range []string{productionGolden, spotGolden} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			objs := load(t, path)
			assert.Equal(t, []string{
				"PriorityClass/capacity-floor",
				"EC2NodeClass/general", "NodePool/general", "Deployment/capacity-floor-general",
				"EC2NodeClass/ml", "NodePool/ml",
			}, objs.kinds)
			referenced := map[string]bool{}
			for name, np := range objs.pools {
				assert.NoError(t, checkNodePool(np, objs.classes), name)
				if np.Spec.Template.Spec.NodeClassRef != nil {
					referenced[np.Spec.Template.Spec.NodeClassRef.Name] = true
				}
			}
			for name, nc := range objs.classes {
				assert.NoError(t, checkEC2NodeClass(nc), name)
				assert.True(t, referenced[name], "EC2NodeClass %s is used by no NodePool", name)
			}
		})
	}
}

// Instance sizes of the golden pools (EC2 User Guide, instance type specifications): m5.xlarge
// 4 vCPUs and 16 GiB; g5.2xlarge 8 vCPUs, 32 GiB and one NVIDIA A10G.
var nodeSizes = map[string]corev1.ResourceList{
	"m5.xlarge":  {corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi")},
	"g5.2xlarge": {corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), "nvidia.com/gpu": resource.MustParse("1")},
}

// times multiplies a node's resources by n.
func times(node corev1.ResourceList, n int) corev1.ResourceList {
	out := corev1.ResourceList{}
	for name, q := range node {
		total := q.DeepCopy()
		total.Mul(int64(n))
		out[name] = total
	}
	return out
}

func TestProductionPools(t *testing.T) {
	objs := load(t, productionGolden)
	tests := []struct {
		pool     string
		policy   karpv1.ConsolidationPolicy
		nodeType string
		maxNodes int
		limits   map[corev1.ResourceName]string
		taints   []corev1.Taint
	}{
		{"general", karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized, "m5.xlarge", 10,
			map[corev1.ResourceName]string{"cpu": "40", "memory": "160Gi"}, nil},
		{"ml", karpv1.ConsolidationPolicyWhenEmpty, "g5.2xlarge", 5,
			map[corev1.ResourceName]string{"cpu": "40", "memory": "160Gi", "nvidia.com/gpu": "5"},
			[]corev1.Taint{{Key: "ml-workload", Value: "true", Effect: corev1.TaintEffectNoSchedule}}},
	}
	for _, tt := range tests {
		t.Run(tt.pool, func(t *testing.T) {
			np := objs.pools[tt.pool]
			require.NotNil(t, np)
			spec := np.Spec.Template.Spec
			assert.Equal(t, tt.policy, np.Spec.Disruption.ConsolidationPolicy)
			require.NotNil(t, np.Spec.Disruption.ConsolidateAfter.Duration)
			assert.Equal(t, 5*time.Minute, *np.Spec.Disruption.ConsolidateAfter.Duration)
			require.NotNil(t, spec.ExpireAfter.Duration)
			assert.Equal(t, 30*24*time.Hour, *spec.ExpireAfter.Duration)
			assert.Equal(t, tt.taints, spec.Taints)
			assert.Equal(t, map[string]string{"workload": tt.pool}, np.Spec.Template.Labels)

			// Limits: the quantities parse to exactly MaxNodes of the type, and admit no more.
			require.Len(t, np.Spec.Limits, len(tt.limits))
			for name, want := range tt.limits {
				got := np.Spec.Limits[name]
				assert.Zero(t, got.Cmp(resource.MustParse(want)), "%s: %s, want %s", name, got.String(), want)
			}
			assert.NoError(t, np.Spec.Limits.ExceededBy(times(nodeSizes[tt.nodeType], tt.maxNodes)))
			assert.Error(t, np.Spec.Limits.ExceededBy(times(nodeSizes[tt.nodeType], tt.maxNodes+1)))

			byKey := map[string][]string{}
			for _, r := range spec.Requirements {
				assert.Equal(t, corev1.NodeSelectorOpIn, r.Operator, r.Key)
				byKey[r.Key] = r.Values
			}
			assert.Equal(t, []string{tt.nodeType}, byKey[corev1.LabelInstanceTypeStable])
			assert.Equal(t, []string{karpv1.CapacityTypeOnDemand}, byKey[karpv1.CapacityTypeLabelKey])
			assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, byKey[corev1.LabelTopologyZone])
			assert.Equal(t, []string{"linux"}, byKey[corev1.LabelOSStable])

			nc := objs.classes[spec.NodeClassRef.Name]
			require.NotNil(t, nc)
			assert.Equal(t, &awsv1.Alias{Family: awsv1.AMIFamilyAL2023, Version: "v20261120"}, nc.Alias())
			assert.Equal(t, "novacron-production-karpenter-node", nc.Spec.Role)
			// Karpenter names each instance after its node when no Name tag is given.
			assert.NotContains(t, nc.Spec.Tags, "Name")
			root := nc.Spec.BlockDeviceMappings[0]
			assert.Zero(t, root.EBS.VolumeSize.Cmp(resource.MustParse("100Gi")))
			assert.Equal(t, "/dev/xvda", deref(root.DeviceName))
		})
	}
}

// Karpenter's own budget arithmetic over the parsed budgets: at most 10% of the nodes at once,
// and drift (a new AMI) only inside the 02:00-06:00 UTC window.
func TestBudgetsHoldDriftToTheWindow(t *testing.T) {
	objs := load(t, productionGolden)
	at := func(hhmm string) *clocktesting.FakeClock {
		ts, err := time.Parse(time.RFC3339, "2026-11-24T"+hhmm+":00Z")
		require.NoError(t, err)
		return clocktesting.NewFakeClock(ts)
	}
	tests := []struct {
		at                   string
		drifted, consolidate int // nodes of 10 that may be disrupted
	}{
		{"01:59", 0, 1},
		{"02:00", 1, 1},
		{"03:30", 1, 1},
		{"05:59", 1, 1},
		{"06:00", 0, 1},
		{"12:00", 0, 1},
		{"23:59", 0, 1},
	}
	for _, pool := range []string{"general", "ml"} {
		np := objs.pools[pool]
		require.NotNil(t, np)
		require.Len(t, np.Spec.Disruption.Budgets, 2)
		drift := np.Spec.Disruption.Budgets[1]
		assert.Equal(t, "0 6 * * *", deref(drift.Schedule))
		require.NotNil(t, drift.Duration)
		assert.Equal(t, 20*time.Hour, drift.Duration.Duration)
		assert.Equal(t, []karpv1.DisruptionReason{karpv1.DisruptionReasonDrifted}, drift.Reasons)
		pct := karpv1.GetIntStrFromValue(np.Spec.Disruption.Budgets[0].Nodes)
		assert.Equal(t, intstr.FromString("10%"), pct)

		for _, tt := range tests {
			c := at(tt.at)
			got, err := np.GetAllowedDisruptionsByReason(c, 10, karpv1.DisruptionReasonDrifted)
			require.NoError(t, err)
			assert.Equal(t, tt.drifted, got, "%s at %s: drifted nodes", pool, tt.at)
			for _, r := range []karpv1.DisruptionReason{karpv1.DisruptionReasonUnderutilized, karpv1.DisruptionReasonEmpty} {
				got, err := np.GetAllowedDisruptionsByReason(c, 10, r)
				require.NoError(t, err)
				assert.Equal(t, tt.consolidate, got, "%s at %s: %s nodes", pool, tt.at, r)
			}
		}
	}
}

func TestSpotPool(t *testing.T) {
	np := load(t, spotGolden).pools["general"]
	require.NotNil(t, np)
	for _, r := range np.Spec.Template.Spec.Requirements {
		switch r.Key {
		case karpv1.CapacityTypeLabelKey:
			// Spot first; on-demand stays allowed as the fallback.
			assert.Equal(t, []string{karpv1.CapacityTypeSpot, karpv1.CapacityTypeOnDemand}, r.Values)
		case corev1.LabelInstanceTypeStable:
			assert.Equal(t, []string{"m5.xlarge", "m6i.xlarge", "m7i.xlarge"}, r.Values)
		}
	}
}

// The checks must be able to fail: doctored copies of the production documents are refused,
// either by the strict decoding or, for what only the CRD or the controller enforces, by the
// checks above.
func TestDoctoredDocumentsFail(t *testing.T) {
	data, err := os.ReadFile(productionGolden)
	require.NoError(t, err)
	docs, err := Split(data)
	require.NoError(t, err)
	var pool, class string
	for _, d := range docs {
		switch {
		case d.Kind == NodePoolKind && d.Name == "general":
			pool = string(d.Raw)
		case d.Kind == EC2NodeClassKind && d.Name == "general":
			class = string(d.Raw)
		}
	}
	require.NotEmpty(t, pool)
	require.NotEmpty(t, class)

	const (
		decode = "decode" // the strict decoding refuses it
		check  = "check"  // it decodes; the checks refuse it
	)
	tests := []struct {
		name, kind, old, new, stage string
	}{
		{"misspelt field", NodePoolKind, "consolidationPolicy:", "consolidationPolcy:", decode},
		{"field in the wrong case", NodePoolKind, "consolidateAfter:", "consolidateafter:", decode},
		{"misspelt template field", NodePoolKind, "expireAfter:", "expiresAfter:", decode},
		{"duplicate field", NodePoolKind, "    consolidateAfter: 5m\n", "    consolidateAfter: 5m\n    consolidateAfter: 10m\n", decode},
		{"budget nodes as a number", NodePoolKind, `nodes: "0"`, "nodes: 0", decode},
		{"duration in words", NodePoolKind, "consolidateAfter: 5m", "consolidateAfter: 5 minutes", decode},
		{"limit that is no quantity", NodePoolKind, `cpu: "40"`, "cpu: forty", decode},
		// ConsolidationPolicy is a plain string in Go; its enum is only in the CRD.
		{"unknown consolidation policy", NodePoolKind, "consolidationPolicy: WhenEmptyOrUnderutilized", "consolidationPolicy: WhenUnderutilized", check},
		{"budget percentage above 100", NodePoolKind, "nodes: 10%", "nodes: 150%", check},
		{"schedule cron cannot parse", NodePoolKind, "schedule: 0 6 * * *", "schedule: 0 25 * * *", check},
		{"wrong class kind", NodePoolKind, "    kind: EC2NodeClass\n", "    kind: NodeClass\n", check},
		{"class not in the file", NodePoolKind, "kind: EC2NodeClass\n        name: general\n", "kind: EC2NodeClass\n        name: gpu\n", check},
		{"restricted label", NodePoolKind, "workload: general", "karpenter.sh/workload: general", check},
		{"unknown capacity type", NodePoolKind, "- on-demand", "- preemptible", check},
		{"hop limit as a string", EC2NodeClassKind, "httpPutResponseHopLimit: 1", `httpPutResponseHopLimit: "1"`, decode},
		{"encrypted as a string", EC2NodeClassKind, "encrypted: true", `encrypted: "true"`, decode},
		{"volume size in GB", EC2NodeClassKind, "volumeSize: 100Gi", "volumeSize: 100GB", decode},
		{"misspelt selector", EC2NodeClassKind, "amiSelectorTerms:", "amiSelectorTerm:", decode},
		{"IMDSv1 allowed", EC2NodeClassKind, "httpTokens: required", "httpTokens: optional", check},
		{"hop limit 2", EC2NodeClassKind, "httpPutResponseHopLimit: 1", "httpPutResponseHopLimit: 2", check},
		{"unencrypted root", EC2NodeClassKind, "encrypted: true", "encrypted: false", check},
		{"AMI follows latest", EC2NodeClassKind, "alias: al2023@v20261120", "alias: al2023@latest", check},
		{"restricted tag", EC2NodeClassKind, "CostCenter: platform", "kubernetes.io/cluster/novacron-production: owned", check},
	}
	// The untouched documents pass both stages: each failure below is the doctoring's.
	np, err := DecodeNodePool([]byte(pool))
	require.NoError(t, err)
	nc, err := DecodeEC2NodeClass([]byte(class))
	require.NoError(t, err)
	classes := map[string]*awsv1.EC2NodeClass{"general": nc}
	require.NoError(t, checkNodePool(np, classes))
	require.NoError(t, checkEC2NodeClass(nc))

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := map[string]string{NodePoolKind: pool, EC2NodeClassKind: class}[tt.kind]
			require.Equal(t, 1, strings.Count(base, tt.old), "the doctoring must apply exactly once")
			doc := []byte(strings.Replace(base, tt.old, tt.new, 1))
			var decodeErr, checkErr error
			if tt.kind == NodePoolKind {
				var got *karpv1.NodePool
				if got, decodeErr = DecodeNodePool(doc); decodeErr == nil {
					checkErr = checkNodePool(got, classes)
				}
			} else {
				var got *awsv1.EC2NodeClass
				if got, decodeErr = DecodeEC2NodeClass(doc); decodeErr == nil {
					checkErr = checkEC2NodeClass(got)
				}
			}
			if tt.stage == decode {
				assert.Error(t, decodeErr)
				return
			}
			require.NoError(t, decodeErr, "decodes: the Go types do not enforce this")
			assert.Error(t, checkErr)
		})
	}
}
