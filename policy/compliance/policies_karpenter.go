package compliance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Karpenter launches the cluster's nodes from NodePools (what may run: instance types, taints,
// limits, disruption) and EC2NodeClasses (how an instance is built: AMI, metadata options,
// volumes, tags). The node group and launch template policies do not see those instances, so
// these policies judge the two objects, read as karpenter.sh/v1 and karpenter.k8s.aws/v1 in the
// karpenter-crd chart 1.14.1 (pkg/apis/crds in aws/karpenter-provider-aws v1.14.1).

// Well-known labels a NodePool requirement may restrict (Karpenter docs, "NodePools",
// "Well-Known Labels"; pkg/apis/v1/labels.go in aws/karpenter-provider-aws v1.14.1).
const (
	labelInstanceType    = "node.kubernetes.io/instance-type"
	labelInstanceFamily  = "karpenter.k8s.aws/instance-family"
	labelGPUCount        = "karpenter.k8s.aws/instance-gpu-count"
	labelGPUManufacturer = "karpenter.k8s.aws/instance-gpu-manufacturer"
)

// GPU limit resources a GPU pool may bound (the NVIDIA and AMD device plugins' resource names).
var gpuLimitResources = []string{"nvidia.com/gpu", "amd.com/gpu"}

// nodeClassEncryptedDefaults are the AMI families for which Karpenter gives an EC2NodeClass
// without blockDeviceMappings an encrypted root volume (DefaultEBS, Encrypted true, in
// pkg/providers/amifamily/resolver.go at v1.14.1). A Custom family gets the AMI's own mappings.
var nodeClassEncryptedDefaults = []string{"al2", "al2023", "bottlerocket", "windows2019", "windows2022", "windows2025"}

func init() {
	register(
		&Policy{
			Name:        "eks-nodepool-instance-families",
			Area:        "eks",
			Description: "Karpenter NodePools restrict their instance types to allowed instance families.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Give the NodePool a requirement node.kubernetes.io/instance-type (or karpenter.k8s.aws/instance-family) with operator In and values of allowedInstanceFamilies only.",
			Controls:    join(soc2("A1.1"), iso("A.8.9")),
			Types:       []string{tNodePool},
			checkResource: func(c *run, r *Resource) {
				if len(c.cfg.AllowedInstanceFamilies) == 0 {
					return
				}
				reqs, ok := nodePoolRequirements(c, r)
				if !ok {
					return
				}
				restricted := false
				for _, q := range reqs {
					if q.operator != "In" {
						continue
					}
					switch q.key {
					case labelInstanceType:
						restricted = true
						for _, t := range q.values {
							if f := instanceFamily(t); !slices.Contains(c.cfg.AllowedInstanceFamilies, f) {
								c.violation(r, "instance type %s (family %s) is not in allowedInstanceFamilies", t, f)
							}
						}
					case labelInstanceFamily:
						restricted = true
						for _, f := range q.values {
							if !slices.Contains(c.cfg.AllowedInstanceFamilies, f) {
								c.violation(r, "instance family %s is not in allowedInstanceFamilies", f)
							}
						}
					}
				}
				if !restricted {
					c.violation(r, "no requirement %s or %s with operator In: Karpenter may launch any instance type EC2 offers", labelInstanceType, labelInstanceFamily)
				}
			},
		},
		&Policy{
			Name:        "eks-nodepool-gpu-tainted",
			Area:        "eks",
			Description: "Karpenter NodePools that offer GPU instance types taint their nodes NoSchedule or NoExecute.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Add a taint (for example ml-workload=true:NoSchedule) under spec.template.spec.taints and a matching toleration to GPU workloads.",
			Controls:    join(soc2("A1.1"), iso("A.8.6")),
			Types:       []string{tNodePool},
			checkResource: func(c *run, r *Resource) {
				gpu, ok := nodePoolGPUs(c, r)
				if !ok || len(gpu) == 0 {
					return
				}
				// startupTaints are removed once the node is ready and do not count.
				taints, _, ok := c.listField(r, "spec.template.spec.taints")
				if !ok {
					return
				}
				for i, t := range taints {
					effect, st := asString(at(t, "effect"))
					if st == unknown {
						c.cannotCheck(r, "spec.template.spec.taints[%d].effect is not known yet", i)
						return
					}
					if effect == "NoSchedule" || effect == "NoExecute" {
						return
					}
				}
				c.violation(r, "GPU node pool (%s) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes", strings.Join(gpu, ", "))
			},
		},
		&Policy{
			Name:        "eks-nodepool-gpu-consolidation",
			Area:        "eks",
			Description: "Karpenter NodePools that offer GPU instance types consolidate only empty nodes (WhenEmpty), so running jobs are not evicted to repack them.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set spec.disruption.consolidationPolicy to WhenEmpty on the GPU pool.",
			Controls:    join(soc2("A1.1"), iso("A.8.6")),
			Types:       []string{tNodePool},
			checkResource: func(c *run, r *Resource) {
				gpu, ok := nodePoolGPUs(c, r)
				if !ok || len(gpu) == 0 || staticNodePool(r) {
					return
				}
				policy, set, ok := c.stringField(r, "spec.disruption.consolidationPolicy")
				switch {
				case !ok:
				case !set:
					// The CRD's default (karpenter.sh_nodepools.yaml at v1.14.1).
					c.violation(r, "spec.disruption.consolidationPolicy is not set, so Karpenter uses WhenEmptyOrUnderutilized: GPU nodes running jobs are drained to repack them")
				case policy != "WhenEmpty":
					// Balanced also moves the pods of underused nodes, when the saving outweighs
					// the disruption (kubernetes-sigs/karpenter designs/balanced-consolidation.md).
					c.violation(r, "spec.disruption.consolidationPolicy is %s: GPU nodes running jobs are drained to repack them", policy)
				}
			},
		},
		&Policy{
			Name:        "eks-nodepool-limits",
			Area:        "eks",
			Description: "Karpenter NodePools set limits on cpu and memory (and on GPUs when they offer GPU instance types), so a pool cannot grow without bound.",
			Level:       Mandatory,
			Severity:    Medium,
			// Without spec.limits Karpenter launches as many nodes as pending pods ask for
			// (Karpenter docs, "NodePools", spec.limits).
			Remediation: "Set spec.limits.cpu and spec.limits.memory (and nvidia.com/gpu on a GPU pool) to the pool's largest intended size.",
			Controls:    join(soc2("A1.1"), iso("A.8.6")),
			Types:       []string{tNodePool},
			checkResource: func(c *run, r *Resource) {
				// A static pool's size is its replicas; the CRD allows only limits.nodes there.
				if staticNodePool(r) {
					return
				}
				limits := r.get("spec.limits")
				switch {
				case limits.IsComputed():
					c.cannotCheck(r, "spec.limits is not known yet")
					return
				case limits.IsNull():
					c.violation(r, "spec.limits is not set: Karpenter launches nodes without bound while pods are pending")
					return
				case !limits.IsMap():
					c.violation(r, "spec.limits must be an object, got a %s", kind(limits))
					return
				}
				var missing []string
				for _, resource := range []string{"cpu", "memory"} {
					if !limitSet(c, r, limits, resource) {
						missing = append(missing, resource)
					}
				}
				if gpu, ok := nodePoolGPUs(c, r); ok && len(gpu) > 0 {
					if !slices.ContainsFunc(gpuLimitResources, func(res string) bool { return limitSet(c, r, limits, res) }) {
						missing = append(missing, "nvidia.com/gpu")
					}
				}
				if len(missing) > 0 {
					c.violation(r, "spec.limits lacks %s: the pool can grow without bound in that resource", strings.Join(missing, ", "))
				}
			},
		},
		&Policy{
			Name:        "eks-nodeclass-imdsv2",
			Area:        "eks",
			Description: "Karpenter EC2NodeClasses require IMDSv2 (metadataOptions.httpTokens = required, the default).",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Set spec.metadataOptions.httpTokens to required, or leave it unset.",
			Controls:    join(soc2("CC6.1"), iso("A.8.9"), pci("2.2.6"), cisAWS("5.6")),
			Types:       []string{tEC2NodeClass},
			checkResource: func(c *run, r *Resource) {
				// Unset is required, whether metadataOptions is left out or not
				// (karpenter.k8s.aws_ec2nodeclasses.yaml at v1.14.1, metadataOptions defaults).
				tokens, set, ok := c.stringField(r, "spec.metadataOptions.httpTokens")
				if ok && set && tokens != "required" {
					c.violation(r, "spec.metadataOptions.httpTokens is %q: instances accept IMDSv1", tokens)
				}
			},
		},
		&Policy{
			Name:        "eks-nodeclass-imds-hop-limit",
			Area:        "eks",
			Description: "Karpenter EC2NodeClasses keep the IMDS response hop limit at 1 (the default), so containers cannot reach the node's credentials.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Set spec.metadataOptions.httpPutResponseHopLimit to 1, or leave it unset; give pods AWS access through EKS Pod Identity.",
			Controls:    join(soc2("CC6.1"), iso("A.8.9"), pci("2.2.6")),
			Types:       []string{tEC2NodeClass},
			checkResource: func(c *run, r *Resource) {
				// Unset is 1 (same CRD defaults as above).
				hops, set, ok := c.numberField(r, "spec.metadataOptions.httpPutResponseHopLimit")
				if ok && set && hops > 1 {
					c.violation(r, "spec.metadataOptions.httpPutResponseHopLimit is %d: containers on the node can fetch the node role's credentials from IMDS", int(hops))
				}
			},
		},
		&Policy{
			Name:        "eks-nodeclass-volume-encryption",
			Area:        "eks",
			Description: "Karpenter EC2NodeClasses encrypt the nodes' EBS volumes (blockDeviceMappings ebs.encrypted, or Karpenter's encrypted default root volume).",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Set ebs.encrypted to true on every EBS block device mapping of the EC2NodeClass.",
			Controls:    join(soc2("CC6.1"), iso("A.8.24"), pci("3.5.1"), cisAWS("2.2.1"), gdpr("Art. 32")),
			Types:       []string{tEC2NodeClass},
			checkResource: func(c *run, r *Resource) {
				mappings, _, ok := c.listField(r, "spec.blockDeviceMappings")
				if !ok {
					return
				}
				if len(mappings) == 0 {
					family, ok := nodeClassAMIFamily(c, r)
					if !ok {
						return
					}
					if !slices.Contains(nodeClassEncryptedDefaults, family) {
						c.violation(r, "spec.blockDeviceMappings is not set and the AMI family is %s: the root volume's encryption depends on the AMI and the account's EBS default", family)
					}
					return
				}
				for i, m := range mappings {
					ebs := at(m, "ebs")
					if ebs.IsNull() {
						continue
					}
					device, _ := asString(at(m, "deviceName"))
					enc, st := asBool(at(ebs, "encrypted"))
					switch st {
					case unknown:
						c.cannotCheck(r, "spec.blockDeviceMappings[%d].ebs.encrypted is not known yet", i)
					case wrongType:
						c.violation(r, "spec.blockDeviceMappings[%d].ebs.encrypted must be a boolean, got a %s", i, kind(at(ebs, "encrypted")))
					case absent:
						c.violation(r, "spec.blockDeviceMappings[%d] (%s) does not set ebs.encrypted: the volume is encrypted only if the account's EBS default says so", i, device)
					default:
						if !enc {
							c.violation(r, "spec.blockDeviceMappings[%d] (%s) is not encrypted: set ebs.encrypted to true", i, device)
						}
					}
				}
			},
		},
		&Policy{
			Name:        "eks-nodeclass-no-public-ip",
			Area:        "eks",
			Description: "Karpenter EC2NodeClasses do not give nodes a public IPv4 address.",
			Level:       Mandatory,
			Severity:    High,
			// Unset follows the subnet's MapPublicIpOnLaunch, which
			// network-subnet-no-public-ip-on-launch keeps off.
			Remediation: "Remove spec.associatePublicIPAddress (or set it to false) and select private subnets only.",
			Controls:    join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1"), cisEKS("5.4.3")),
			Types:       []string{tEC2NodeClass},
			checkResource: func(c *run, r *Resource) {
				if public, ok := c.boolField(r, "spec.associatePublicIPAddress", false); ok && public {
					c.violation(r, "spec.associatePublicIPAddress is true: every node Karpenter launches gets a public IPv4 address")
				}
			},
		},
		&Policy{
			Name:              "eks-nodeclass-ami-pinned",
			Area:              "eks",
			Description:       "Outside production, Karpenter EC2NodeClasses pin the node AMI (an alias with a version, or an AMI id) rather than follow the newest image.",
			Level:             Advisory,
			Severity:          Medium,
			Remediation:       "Select the AMI by an alias with a version (al2023@v20260714) or by id, and move the pin in a reviewed change.",
			Controls:          join(soc2("CC8.1"), iso("A.8.32"), pci("6.5.1")),
			Types:             []string{tEC2NodeClass},
			NonProductionOnly: true,
			checkResource:     func(c *run, r *Resource) { checkAMIPinned(c, r, "") },
		},
		&Policy{
			Name:        "eks-nodeclass-ami-pinned-production",
			Area:        "eks",
			Description: "In production, Karpenter EC2NodeClasses pin the node AMI (an alias with a version, or an AMI id) rather than follow the newest image.",
			Level:       Mandatory,
			Severity:    Medium,
			// An unpinned selector drifts every node to each new AMI release as it appears,
			// untested: Karpenter's docs do not recommend "latest" for production and say that
			// of several matching AMIs it takes the newest (website/content/en/docs/concepts/
			// nodeclasses.md at v1.14.1, spec.amiSelectorTerms).
			Remediation:    "Select the AMI by an alias with a version (al2023@v20260714) or by id, tested in staging first, and move the pin in a reviewed change.",
			Controls:       join(soc2("CC8.1"), iso("A.8.32"), pci("6.5.1")),
			Types:          []string{tEC2NodeClass},
			ProductionOnly: true,
			checkResource: func(c *run, r *Resource) {
				checkAMIPinned(c, r, fmt.Sprintf(" in production stack %q", c.stack))
			},
		},
		&Policy{
			Name:        "eks-nodeclass-required-tags",
			Area:        "eks",
			Description: "Karpenter EC2NodeClasses tag the instances, volumes and network interfaces they launch with the required tags.",
			Level:       Mandatory,
			Severity:    Low,
			// Karpenter tags what it launches with spec.tags and its own keys only; the AWS
			// provider's default tags never reach those resources.
			Remediation: "Set the required tags (requiredTags) in the EC2NodeClass's spec.tags.",
			Controls:    join(soc2("CC6.1"), iso("A.5.9"), pci("12.5.1")),
			Types:       []string{tEC2NodeClass},
			checkResource: func(c *run, r *Resource) {
				tags := r.get("spec.tags")
				switch {
				case tags.IsComputed():
					c.cannotCheck(r, "spec.tags is not known yet")
					return
				case !tags.IsNull() && !tags.IsMap():
					c.violation(r, "spec.tags must be an object, got a %s", kind(tags))
					return
				}
				var missing []string
				for _, key := range c.cfg.RequiredTags {
					// Tag keys may hold dots, so no dotted path here. Unknown values count.
					var v property.Value
					if tags.IsMap() {
						v = tags.AsMap().Get(key)
					}
					if _, st := asString(v); st == absent || st == wrongType {
						missing = append(missing, key)
					}
				}
				if len(missing) > 0 {
					c.violation(r, "spec.tags lacks %s: the AWS provider's default tags do not reach the instances, volumes and network interfaces Karpenter launches", strings.Join(missing, ", "))
				}
			},
		},
	)
}

// requirement is one NodePool requirement (a node selector term with minValues, which the
// policies do not read).
type requirement struct {
	key, operator string
	values        []string
}

// nodePoolRequirements reads spec.template.spec.requirements. ok is false when the caller must
// stop: a value is unknown (noted) or malformed (reported).
func nodePoolRequirements(c *run, r *Resource) ([]requirement, bool) {
	const path = "spec.template.spec.requirements"
	items, _, ok := c.listField(r, path)
	if !ok {
		return nil, false
	}
	out := make([]requirement, 0, len(items))
	for i, it := range items {
		key, kst := asString(at(it, "key"))
		op, ost := asString(at(it, "operator"))
		values, vst := asStrings(at(it, "values"))
		switch {
		case kst == unknown || ost == unknown || vst == unknown:
			c.cannotCheck(r, "%s[%d] is not known yet", path, i)
			return nil, false
		case kst != present || ost != present || vst == wrongType:
			c.violation(r, "%s[%d] must have a key, an operator and a list of string values", path, i)
			return nil, false
		}
		out = append(out, requirement{key: key, operator: op, values: values})
	}
	return out, true
}

// nodePoolGPUs lists what makes the pool offer GPU instances: instance types or families of
// gpuInstanceFamilies, or a GPU requirement. ok is false when the caller must stop. Each caller
// reads the requirements itself, so that a malformed one is reported by every policy it defeats.
func nodePoolGPUs(c *run, r *Resource) (gpu []string, ok bool) {
	reqs, ok := nodePoolRequirements(c, r)
	if !ok {
		return nil, false
	}
	for _, q := range reqs {
		switch {
		case q.key == labelInstanceType && q.operator == "In":
			for _, t := range q.values {
				if slices.Contains(c.cfg.GPUInstanceFamilies, instanceFamily(t)) {
					gpu = append(gpu, t)
				}
			}
		case q.key == labelInstanceFamily && q.operator == "In":
			for _, f := range q.values {
				if slices.Contains(c.cfg.GPUInstanceFamilies, f) {
					gpu = append(gpu, "family "+f)
				}
			}
		case q.key == labelGPUManufacturer && q.operator == "In" && len(q.values) > 0:
			gpu = append(gpu, labelGPUManufacturer+" "+strings.Join(q.values, "/"))
		case q.key == labelGPUCount && requiresGPUs(q):
			gpu = append(gpu, labelGPUCount+" "+q.operator+" "+strings.Join(q.values, "/"))
		}
	}
	return gpu, true
}

// requiresGPUs reports whether an instance-gpu-count requirement admits only types with GPUs.
func requiresGPUs(q requirement) bool {
	switch q.operator {
	case "Exists", "Gt":
		return true
	case "Gte", "In":
		if len(q.values) == 0 {
			return false
		}
		for _, v := range q.values {
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				return false
			}
		}
		return true
	}
	return false
}

// staticNodePool reports a NodePool with spec.replicas: a fixed number of nodes, on which
// Karpenter ignores consolidation and accepts only limits.nodes (karpenter.sh_nodepools.yaml).
func staticNodePool(r *Resource) bool {
	return !r.get("spec.replicas").IsNull()
}

// limitSet reports whether the limits object carries resource, a quantity as a string or a
// number; a value of another type is reported (and counts as set, so it is reported once).
func limitSet(c *run, r *Resource, limits property.Value, resource string) bool {
	v := limits.AsMap().Get(resource)
	switch {
	case v.IsNull():
		return false
	case v.IsComputed():
		// Known later; it is set.
		return true
	case v.IsString() && v.AsString() != "", v.IsNumber():
		return true
	}
	c.violation(r, "spec.limits[%s] must be a quantity, got a %s", resource, kind(v))
	return true
}

// nodeClassAMIFamily returns the lowercase AMI family of an EC2NodeClass: spec.amiFamily, or the
// family of its alias term (the CRD infers amiFamily from the alias). "custom" when neither says.
func nodeClassAMIFamily(c *run, r *Resource) (string, bool) {
	family, set, ok := c.stringField(r, "spec.amiFamily")
	if !ok {
		return "", false
	}
	if set {
		return strings.ToLower(family), true
	}
	terms, _, ok := c.listField(r, "spec.amiSelectorTerms")
	if !ok {
		return "", false
	}
	for i, t := range terms {
		alias, st := asString(at(t, "alias"))
		switch st {
		case unknown:
			c.cannotCheck(r, "spec.amiSelectorTerms[%d].alias is not known yet", i)
			return "", false
		case present:
			f, _, _ := strings.Cut(alias, "@")
			return strings.ToLower(f), true
		}
	}
	return "custom", true
}

// checkAMIPinned reports the AMI selector terms of an EC2NodeClass that follow new images: an
// alias whose version is "latest", or a term without an id or alias (a name, tags, an owner or an
// SSM parameter: Karpenter picks the newest AMI that matches; Karpenter docs, "NodeClasses",
// spec.amiSelectorTerms). where is added after the finding.
func checkAMIPinned(c *run, r *Resource, where string) {
	const path = "spec.amiSelectorTerms"
	terms, _, ok := c.listField(r, path)
	if !ok {
		return
	}
	if len(terms) == 0 {
		c.violation(r, "%s is not set%s: no AMI is pinned", path, where)
		return
	}
	for i, t := range terms {
		alias, ast := asString(at(t, "alias"))
		_, ist := asString(at(t, "id"))
		switch {
		case ast == unknown || ist == unknown:
			c.cannotCheck(r, "%s[%d] is not known yet", path, i)
		case ast == wrongType || ist == wrongType:
			c.violation(r, "%s[%d].alias and .id must be strings", path, i)
		case ast == present:
			// Alias versions are "latest" or a release (al2023@v20260714), checked against the
			// alias pattern family@version (ec2nodeclass.go at v1.14.1).
			family, version, _ := strings.Cut(alias, "@")
			if version == "" || version == "latest" {
				c.violation(r, "%s[%d].alias %q follows the newest %s AMI%s: every AMI release replaces the nodes without review", path, i, alias, family, where)
			}
		case ist == present:
		default:
			var by []string
			for _, k := range []string{"name", "owner", "tags", "ssmParameter"} {
				if !at(t, k).IsNull() {
					by = append(by, k)
				}
			}
			c.violation(r, "%s[%d] selects by %s, not by id or versioned alias%s: Karpenter takes the newest matching AMI, so a new image reaches the nodes without review",
				path, i, orNothing(strings.Join(by, ", ")), where)
		}
	}
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
