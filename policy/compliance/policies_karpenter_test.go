package compliance

import "github.com/novacron/platform/internal/mock"

// Karpenter fixtures, shaped as the cluster's Karpenter component writes its objects: the
// custom resource's inputs carry apiVersion, kind, metadata and the spec the API server receives.

func poolRequirements(instanceTypes ...any) []any {
	return []any{
		map[string]any{"key": labelInstanceType, "operator": "In", "values": instanceTypes},
		map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": []any{"on-demand"}},
		map[string]any{"key": "topology.kubernetes.io/zone", "operator": "In", "values": []any{"us-east-1a", "us-east-1b", "us-east-1c"}},
		map[string]any{"key": "kubernetes.io/os", "operator": "In", "values": []any{"linux"}},
	}
}

var (
	// The general pool: on-demand m5.xlarge, at most 10 nodes.
	generalPoolOK = map[string]any{
		"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
		"metadata": map[string]any{"name": "general"},
		"spec": map[string]any{
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"workload": "general"}},
				"spec": map[string]any{
					"nodeClassRef": map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "general"},
					"requirements": poolRequirements("m5.xlarge"),
					"expireAfter":  "720h",
				},
			},
			"disruption": map[string]any{
				"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m",
				"budgets": []any{map[string]any{"nodes": "10%"}},
			},
			"limits": map[string]any{"cpu": "40", "memory": "163840Mi"},
		},
	}
	// The GPU pool: g5.2xlarge, tainted, consolidated only when empty, at most 5 GPUs.
	mlPoolOK = set(generalPoolOK,
		"metadata.name", "ml",
		"spec.template.metadata.labels", map[string]any{"workload": "ml"},
		"spec.template.spec.nodeClassRef.name", "ml",
		"spec.template.spec.requirements", poolRequirements("g5.2xlarge"),
		"spec.template.spec.taints", []any{map[string]any{"key": "ml-workload", "value": "true", "effect": "NoSchedule"}},
		"spec.disruption.consolidationPolicy", "WhenEmpty",
		"spec.limits", map[string]any{"cpu": "40", "memory": "163840Mi", "nvidia.com/gpu": "5"},
	)
	discoveryTerms = []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "novacron-staging"}}}
	nodeClassOK    = map[string]any{
		"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
		"metadata": map[string]any{"name": "general"},
		"spec": map[string]any{
			"role":                       "novacron-staging-karpenter-node",
			"amiSelectorTerms":           []any{map[string]any{"alias": "al2023@v20260714"}},
			"subnetSelectorTerms":        discoveryTerms,
			"securityGroupSelectorTerms": discoveryTerms,
			"metadataOptions": map[string]any{
				"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": 1, "httpTokens": "required",
			},
			"blockDeviceMappings": []any{map[string]any{
				"deviceName": "/dev/xvda", "rootVolume": true,
				"ebs": map[string]any{"volumeSize": "100Gi", "volumeType": "gp3", "encrypted": true, "deleteOnTermination": true},
			}},
			"tags": set(allTags, "Name", "novacron-staging-general"),
		},
	}
)

func pool(name string, props map[string]any) *mock.Resource {
	return res(tNodePool, "nodepool-"+name, props)
}

func nodeClass(props map[string]any) *mock.Resource {
	return res(tEC2NodeClass, "ec2nodeclass-general", props)
}

// volumes replaces the node class's block device mappings by one root volume with this ebs block.
func volumes(ebs map[string]any) []any {
	return []any{map[string]any{"deviceName": "/dev/xvda", "rootVolume": true, "ebs": ebs}}
}

// The interruption queue and its policy, as the Karpenter component declares them.
var (
	queueOK       = map[string]any{"name": "novacron-staging-karpenter", "messageRetentionSeconds": 300, "sqsManagedSseEnabled": true}
	queueARN      = "arn:aws:sqs:us-east-1:123456789012:novacron-staging-karpenter"
	queuePolicyOK = doc(
		map[string]any{"Sid": "AllowEventBridgeAndSqs", "Effect": "Allow",
			"Principal": map[string]any{"Service": []any{"events.amazonaws.com", "sqs.amazonaws.com"}},
			"Action":    "sqs:SendMessage", "Resource": queueARN},
		map[string]any{"Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queueARN,
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
	)
)

func init() { policyCases = append(policyCases, karpenterCases...) }

const unboundedPool = "no requirement node.kubernetes.io/instance-type or karpenter.k8s.aws/instance-family with operator In: Karpenter may launch any instance type EC2 offers"

var karpenterCases = []policyCase{
	// --- eks-nodepool-instance-families
	{policy: "eks-nodepool-instance-families", kind: compliant, name: "m5 and g5 pools",
		resources: []*mock.Resource{pool("general", generalPoolOK), pool("ml", mlPoolOK)},
		status:    StatusPassed},
	{policy: "eks-nodepool-instance-families", kind: compliant, name: "families instead of types",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", []any{
			map[string]any{"key": labelInstanceFamily, "operator": "In", "values": []any{"m6i", "m7i"}}}))}},
	{policy: "eks-nodepool-instance-families", kind: compliant, name: "empty list allows an unbounded pool",
		cfg:       func(c *Config) { c.AllowedInstanceFamilies = []string{} },
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", del))}},
	{policy: "eks-nodepool-instance-families", kind: violating, name: "burstable type",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", poolRequirements("m5.xlarge", "t3.medium")))},
		want:      []string{"nodepool-general: instance type t3.medium (family t3) is not in allowedInstanceFamilies"}},
	{policy: "eks-nodepool-instance-families", kind: violating, name: "family requirement outside the list",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", []any{
			map[string]any{"key": labelInstanceFamily, "operator": "In", "values": []any{"m5", "x1e"}}}))},
		want: []string{"nodepool-general: instance family x1e is not in allowedInstanceFamilies"}},
	{policy: "eks-nodepool-instance-families", kind: violating, name: "only a NotIn on types bounds nothing",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", []any{
			map[string]any{"key": labelInstanceType, "operator": "NotIn", "values": []any{"t3.nano"}},
			map[string]any{"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": []any{"c", "m"}}}))},
		want: []string{"nodepool-general: " + unboundedPool}},
	{policy: "eks-nodepool-instance-families", kind: violating, name: "no requirements at all",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", del))},
		want:      []string{"nodepool-general: " + unboundedPool}},
	{policy: "eks-nodepool-instance-families", kind: violating, name: "malformed requirement",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", []any{
			map[string]any{"key": labelInstanceType, "values": []any{"m5.xlarge"}}}))},
		want: []string{"nodepool-general: spec.template.spec.requirements[0] must have a key, an operator and a list of string values"}},
	{policy: "eks-nodepool-instance-families", kind: unknownIn, name: "requirements unknown",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", unknownValue))},
		pending:   []string{"nodepool-general: spec.template.spec.requirements is not known yet"}},
	{policy: "eks-nodepool-instance-families", kind: unknownIn, name: "instance types unknown",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", []any{
			map[string]any{"key": labelInstanceType, "operator": "In", "values": []any{unknownValue}}}))},
		pending: []string{"nodepool-general: spec.template.spec.requirements[0] is not known yet"}},

	// --- eks-nodepool-gpu-tainted
	{policy: "eks-nodepool-gpu-tainted", kind: compliant, name: "tainted GPU pool beside an untainted general pool",
		resources: []*mock.Resource{pool("ml", mlPoolOK), pool("general", generalPoolOK)},
		status:    StatusPassed},
	{policy: "eks-nodepool-gpu-tainted", kind: compliant, name: "NoExecute",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.template.spec.taints",
			[]any{map[string]any{"key": "ml-workload", "value": "true", "effect": "NoExecute"}}))}},
	{policy: "eks-nodepool-gpu-tainted", kind: violating, name: "untainted GPU pool",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.template.spec.taints", del))},
		want:      []string{"nodepool-ml: GPU node pool (g5.2xlarge) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes"}},
	{policy: "eks-nodepool-gpu-tainted", kind: violating, name: "PreferNoSchedule on a GPU family",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK,
			"spec.template.spec.requirements", []any{map[string]any{"key": labelInstanceFamily, "operator": "In", "values": []any{"g6"}}},
			"spec.template.spec.taints", []any{map[string]any{"key": "ml-workload", "value": "true", "effect": "PreferNoSchedule"}}))},
		want: []string{"nodepool-ml: GPU node pool (family g6) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes"}},
	{policy: "eks-nodepool-gpu-tainted", kind: violating, name: "a GPU count requirement offers GPU types",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.template.spec.requirements", []any{
			map[string]any{"key": labelInstanceFamily, "operator": "In", "values": []any{"m5", "c5"}},
			map[string]any{"key": labelGPUCount, "operator": "Gt", "values": []any{"0"}}}))},
		want: []string{"nodepool-general: GPU node pool (karpenter.k8s.aws/instance-gpu-count Gt 0) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes"}},
	{policy: "eks-nodepool-gpu-tainted", kind: unknownIn, name: "taint effect unknown",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.template.spec.taints",
			[]any{map[string]any{"key": "ml-workload", "value": "true", "effect": unknownValue}}))},
		pending: []string{"nodepool-ml: spec.template.spec.taints[0].effect is not known yet"}},

	// --- eks-nodepool-gpu-consolidation
	{policy: "eks-nodepool-gpu-consolidation", kind: compliant, name: "GPU pool WhenEmpty, general pool consolidates underused nodes",
		resources: []*mock.Resource{pool("ml", mlPoolOK), pool("general", generalPoolOK)},
		status:    StatusPassed},
	{policy: "eks-nodepool-gpu-consolidation", kind: compliant, name: "static GPU pool ignores consolidation",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.replicas", 2, "spec.disruption.consolidationPolicy", del))}},
	{policy: "eks-nodepool-gpu-consolidation", kind: violating, name: "GPU pool repacked",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.disruption.consolidationPolicy", "WhenEmptyOrUnderutilized"))},
		want:      []string{"nodepool-ml: spec.disruption.consolidationPolicy is WhenEmptyOrUnderutilized: GPU nodes running jobs are drained to repack them"}},
	{policy: "eks-nodepool-gpu-consolidation", kind: violating, name: "Balanced also moves running pods",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.disruption.consolidationPolicy", "Balanced"))},
		want:      []string{"nodepool-ml: spec.disruption.consolidationPolicy is Balanced: GPU nodes running jobs are drained to repack them"}},
	{policy: "eks-nodepool-gpu-consolidation", kind: violating, name: "unset means the default",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.disruption.consolidationPolicy", del))},
		want:      []string{"nodepool-ml: spec.disruption.consolidationPolicy is not set, so Karpenter uses WhenEmptyOrUnderutilized: GPU nodes running jobs are drained to repack them"}},
	{policy: "eks-nodepool-gpu-consolidation", kind: unknownIn, name: "policy unknown",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.disruption.consolidationPolicy", unknownValue))},
		pending:   []string{"nodepool-ml: spec.disruption.consolidationPolicy is not known yet"}},

	// --- eks-nodepool-limits
	{policy: "eks-nodepool-limits", kind: compliant, name: "both pools bounded",
		resources: []*mock.Resource{pool("general", generalPoolOK), pool("ml", mlPoolOK)},
		status:    StatusPassed},
	{policy: "eks-nodepool-limits", kind: compliant, name: "static pool bounded by its replicas",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.replicas", 3, "spec.limits", map[string]any{"nodes": "3"}))}},
	{policy: "eks-nodepool-limits", kind: violating, name: "no limits",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.limits", del))},
		want:      []string{"nodepool-general: spec.limits is not set: Karpenter launches nodes without bound while pods are pending"}},
	{policy: "eks-nodepool-limits", kind: violating, name: "cpu only",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.limits", map[string]any{"cpu": 40}))},
		want:      []string{"nodepool-general: spec.limits lacks memory: the pool can grow without bound in that resource"}},
	{policy: "eks-nodepool-limits", kind: violating, name: "GPU pool without a GPU limit",
		resources: []*mock.Resource{pool("ml", set(mlPoolOK, "spec.limits", map[string]any{"cpu": "40", "memory": "163840Mi"}))},
		want:      []string{"nodepool-ml: spec.limits lacks nvidia.com/gpu: the pool can grow without bound in that resource"}},
	{policy: "eks-nodepool-limits", kind: violating, name: "limit of a wrong type",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.limits.cpu", true))},
		want:      []string{"nodepool-general: spec.limits[cpu] must be a quantity, got a boolean"}},
	{policy: "eks-nodepool-limits", kind: unknownIn, name: "limits unknown",
		resources: []*mock.Resource{pool("general", set(generalPoolOK, "spec.limits", unknownValue))},
		pending:   []string{"nodepool-general: spec.limits is not known yet"}},

	// --- eks-nodeclass-imdsv2
	{policy: "eks-nodeclass-imdsv2", kind: compliant, name: "tokens required",
		resources: []*mock.Resource{nodeClass(nodeClassOK)}, status: StatusPassed},
	{policy: "eks-nodeclass-imdsv2", kind: compliant, name: "unset is Karpenter's default, required",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.metadataOptions", del))}, status: StatusPassed},
	{policy: "eks-nodeclass-imdsv2", kind: violating, name: "tokens optional",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.metadataOptions.httpTokens", "optional"))},
		want:      []string{`ec2nodeclass-general: spec.metadataOptions.httpTokens is "optional": instances accept IMDSv1`}},
	{policy: "eks-nodeclass-imdsv2", kind: unknownIn, name: "tokens unknown",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.metadataOptions.httpTokens", unknownValue))},
		pending:   []string{"ec2nodeclass-general: spec.metadataOptions.httpTokens is not known yet"}},

	// --- eks-nodeclass-imds-hop-limit
	{policy: "eks-nodeclass-imds-hop-limit", kind: compliant, name: "one hop",
		resources: []*mock.Resource{nodeClass(nodeClassOK)}, status: StatusPassed},
	{policy: "eks-nodeclass-imds-hop-limit", kind: compliant, name: "unset is one hop",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.metadataOptions.httpPutResponseHopLimit", del))}},
	{policy: "eks-nodeclass-imds-hop-limit", kind: violating, name: "two hops reach pods",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.metadataOptions.httpPutResponseHopLimit", 2))},
		want:      []string{"ec2nodeclass-general: spec.metadataOptions.httpPutResponseHopLimit is 2: containers on the node can fetch the node role's credentials from IMDS"}},
	{policy: "eks-nodeclass-imds-hop-limit", kind: unknownIn, name: "hop limit unknown",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.metadataOptions.httpPutResponseHopLimit", unknownValue))},
		pending:   []string{"ec2nodeclass-general: spec.metadataOptions.httpPutResponseHopLimit is not known yet"}},

	// --- eks-nodeclass-volume-encryption
	{policy: "eks-nodeclass-volume-encryption", kind: compliant, name: "encrypted root volume",
		resources: []*mock.Resource{nodeClass(nodeClassOK)}, status: StatusPassed},
	{policy: "eks-nodeclass-volume-encryption", kind: compliant, name: "AL2023 default root volume is encrypted",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.blockDeviceMappings", del))}, status: StatusPassed},
	{policy: "eks-nodeclass-volume-encryption", kind: violating, name: "custom AMI without mappings",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.blockDeviceMappings", del,
			"spec.amiSelectorTerms", []any{map[string]any{"id": "ami-0123456789abcdef0"}}))},
		want: []string{"ec2nodeclass-general: spec.blockDeviceMappings is not set and the AMI family is custom: the root volume's encryption depends on the AMI and the account's EBS default"}},
	{policy: "eks-nodeclass-volume-encryption", kind: violating, name: "unencrypted root volume",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.blockDeviceMappings", volumes(map[string]any{"volumeSize": "100Gi", "encrypted": false})))},
		want:      []string{"ec2nodeclass-general: spec.blockDeviceMappings[0] (/dev/xvda) is not encrypted: set ebs.encrypted to true"}},
	{policy: "eks-nodeclass-volume-encryption", kind: violating, name: "encryption left to the account",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.blockDeviceMappings", volumes(map[string]any{"volumeSize": "100Gi"})))},
		want:      []string{"ec2nodeclass-general: spec.blockDeviceMappings[0] (/dev/xvda) does not set ebs.encrypted: the volume is encrypted only if the account's EBS default says so"}},
	{policy: "eks-nodeclass-volume-encryption", kind: unknownIn, name: "encryption unknown",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.blockDeviceMappings", volumes(map[string]any{"encrypted": unknownValue})))},
		pending:   []string{"ec2nodeclass-general: spec.blockDeviceMappings[0].ebs.encrypted is not known yet"}},

	// --- eks-nodeclass-no-public-ip
	{policy: "eks-nodeclass-no-public-ip", kind: compliant, name: "unset follows the private subnets",
		resources: []*mock.Resource{nodeClass(nodeClassOK)}, status: StatusPassed},
	{policy: "eks-nodeclass-no-public-ip", kind: compliant, name: "explicitly off",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.associatePublicIPAddress", false))}},
	{policy: "eks-nodeclass-no-public-ip", kind: violating, name: "public addresses",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.associatePublicIPAddress", true))},
		want:      []string{"ec2nodeclass-general: spec.associatePublicIPAddress is true: every node Karpenter launches gets a public IPv4 address"}},
	{policy: "eks-nodeclass-no-public-ip", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.associatePublicIPAddress", unknownValue))},
		pending:   []string{"ec2nodeclass-general: spec.associatePublicIPAddress is not known yet"}},

	// --- eks-nodeclass-ami-pinned (advisory, outside production)
	{policy: "eks-nodeclass-ami-pinned", kind: compliant, name: "versioned alias",
		resources: []*mock.Resource{nodeClass(nodeClassOK)}, status: StatusPassed},
	{policy: "eks-nodeclass-ami-pinned", kind: compliant, name: "AMI id",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{map[string]any{"id": "ami-0123456789abcdef0"}}))}},
	{policy: "eks-nodeclass-ami-pinned", kind: compliant, name: "production is judged by the mandatory twin", stack: "production",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{map[string]any{"alias": "al2023@latest"}}))},
		status:    StatusNotApplicable},
	{policy: "eks-nodeclass-ami-pinned", kind: violating, name: "latest in staging",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{map[string]any{"alias": "al2023@latest"}}))},
		want:      []string{`ec2nodeclass-general: spec.amiSelectorTerms[0].alias "al2023@latest" follows the newest al2023 AMI: every AMI release replaces the nodes without review`}},
	{policy: "eks-nodeclass-ami-pinned", kind: violating, name: "selection by name and owner pins nothing",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{
			map[string]any{"name": "amazon-eks-node-al2023-x86_64-standard-1.35-*", "owner": "amazon"}}))},
		want: []string{"ec2nodeclass-general: spec.amiSelectorTerms[0] selects by name, owner, not by id or versioned alias: Karpenter takes the newest matching AMI, so a new image reaches the nodes without review"}},
	{policy: "eks-nodeclass-ami-pinned", kind: violating, name: "no selector",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", del))},
		want:      []string{"ec2nodeclass-general: spec.amiSelectorTerms is not set: no AMI is pinned"}},
	{policy: "eks-nodeclass-ami-pinned", kind: unknownIn, name: "alias unknown",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{map[string]any{"alias": unknownValue}}))},
		pending:   []string{"ec2nodeclass-general: spec.amiSelectorTerms[0] is not known yet"}},

	// --- eks-nodeclass-ami-pinned-production
	{policy: "eks-nodeclass-ami-pinned-production", kind: compliant, name: "versioned alias in production", stack: "production",
		resources: []*mock.Resource{nodeClass(nodeClassOK)}, status: StatusPassed},
	{policy: "eks-nodeclass-ami-pinned-production", kind: compliant, name: "staging is judged by the advisory twin",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{map[string]any{"alias": "al2023@latest"}}))},
		status:    StatusNotApplicable},
	{policy: "eks-nodeclass-ami-pinned-production", kind: violating, name: "latest in production", stack: "production",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{map[string]any{"alias": "al2023@latest"}}))},
		want:      []string{`ec2nodeclass-general: spec.amiSelectorTerms[0].alias "al2023@latest" follows the newest al2023 AMI in production stack "production": every AMI release replaces the nodes without review`}},
	{policy: "eks-nodeclass-ami-pinned-production", kind: violating, name: "tags pin nothing", stack: "production",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", []any{map[string]any{"tags": map[string]any{"team": "platform"}}}))},
		want: []string{`ec2nodeclass-general: spec.amiSelectorTerms[0] selects by tags, not by id or versioned alias in production stack "production": ` +
			"Karpenter takes the newest matching AMI, so a new image reaches the nodes without review"}},
	{policy: "eks-nodeclass-ami-pinned-production", kind: unknownIn, name: "terms unknown", stack: "production",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.amiSelectorTerms", unknownValue))},
		pending:   []string{"ec2nodeclass-general: spec.amiSelectorTerms is not known yet"}},

	// --- eks-nodeclass-required-tags
	{policy: "eks-nodeclass-required-tags", kind: compliant, name: "cost-allocation tags",
		resources: []*mock.Resource{nodeClass(nodeClassOK)}, status: StatusPassed},
	{policy: "eks-nodeclass-required-tags", kind: compliant, name: "a value known only later counts",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.tags.Owner", unknownValue))}, status: StatusPassed},
	{policy: "eks-nodeclass-required-tags", kind: violating, name: "two tags missing",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.tags.CostCenter", del, "spec.tags.Owner", ""))},
		want:      []string{"ec2nodeclass-general: spec.tags lacks CostCenter, Owner: the AWS provider's default tags do not reach the instances, volumes and network interfaces Karpenter launches"}},
	{policy: "eks-nodeclass-required-tags", kind: violating, name: "no tags",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.tags", del))},
		want: []string{"ec2nodeclass-general: spec.tags lacks Project, Environment, ManagedBy, CostCenter, Owner: " +
			"the AWS provider's default tags do not reach the instances, volumes and network interfaces Karpenter launches"}},
	{policy: "eks-nodeclass-required-tags", kind: unknownIn, name: "tags unknown",
		resources: []*mock.Resource{nodeClass(set(nodeClassOK, "spec.tags", unknownValue))},
		pending:   []string{"ec2nodeclass-general: spec.tags is not known yet"}},

	// --- sqs-queue-encrypted (Checkov CKV_AWS_27)
	{policy: "sqs-queue-encrypted", kind: compliant, name: "SSE-SQS",
		resources: []*mock.Resource{res(tSQSQueue, "interruption", queueOK)}, status: StatusPassed},
	{policy: "sqs-queue-encrypted", kind: compliant, name: "KMS key",
		resources: []*mock.Resource{res(tSQSQueue, "interruption", set(queueOK, "sqsManagedSseEnabled", del, "kmsMasterKeyId", keyArn))}},
	{policy: "sqs-queue-encrypted", kind: violating, name: "neither",
		resources: []*mock.Resource{res(tSQSQueue, "interruption", set(queueOK, "sqsManagedSseEnabled", false))},
		want:      []string{"interruption: neither sqsManagedSseEnabled nor kmsMasterKeyId is set: encryption at rest is left to the SQS default"}},
	{policy: "sqs-queue-encrypted", kind: unknownIn, name: "key unknown",
		resources: []*mock.Resource{res(tSQSQueue, "interruption", set(queueOK, "sqsManagedSseEnabled", del, "kmsMasterKeyId", unknownValue))},
		pending:   []string{"interruption: kmsMasterKeyId is not known yet"}},

	// --- sqs-policy-no-public-principal (Checkov CKV_AWS_168, CKV_AWS_387)
	{policy: "sqs-policy-no-public-principal", kind: compliant, name: "EventBridge and SQS service principals, TLS-only deny",
		resources: []*mock.Resource{res(tSQSQueue, "interruption", queueOK), res(tSQSQueuePolicy, "interruption", map[string]any{"policy": queuePolicyOK})},
		status:    StatusPassed},
	{policy: "sqs-policy-no-public-principal", kind: compliant, name: "any principal limited to the rule's ARN",
		resources: []*mock.Resource{res(tSQSQueuePolicy, "interruption", map[string]any{"policy": doc(map[string]any{
			"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": queueARN,
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/spot"}}})})}},
	{policy: "sqs-policy-no-public-principal", kind: violating, name: "anyone may send",
		resources: []*mock.Resource{res(tSQSQueuePolicy, "interruption", map[string]any{"policy": doc(map[string]any{
			"Sid": "Open", "Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": queueARN})})},
		want: []string{"interruption: policy Statement[0] (Open) allows sqs:SendMessage to any principal without a condition that restricts the caller " +
			"(aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, kms:CallerAccount)"}},
	{policy: "sqs-policy-no-public-principal", kind: unknownIn, name: "policy unknown",
		resources: []*mock.Resource{res(tSQSQueuePolicy, "interruption", map[string]any{"policy": unknownValue})},
		pending:   []string{"interruption: policy is not known yet"}},
}
