package cluster

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/podidentity"
	"github.com/novacron/platform/internal/validate"
)

// AddonVersions are the EKS add-on versions pinned for one Kubernetes minor version.
type AddonVersions struct {
	VpcCni, KubeProxy, CoreDNS, EbsCsiDriver, PodIdentityAgent, MetricsServer string
}

// Add-on names, as EKS names them.
const (
	addonVpcCni           = "vpc-cni"
	addonKubeProxy        = "kube-proxy"
	addonCoreDNS          = "coredns"
	addonEbsCsiDriver     = "aws-ebs-csi-driver"
	addonPodIdentityAgent = "eks-pod-identity-agent"
	addonMetricsServer    = "metrics-server"
)

// AddonNames are the managed add-ons every cluster gets.
var AddonNames = []string{addonVpcCni, addonKubeProxy, addonCoreDNS, addonEbsCsiDriver, addonPodIdentityAgent, addonMetricsServer}

// byName returns the pinned version of an add-on.
func (v AddonVersions) byName(name string) string {
	return map[string]string{
		addonVpcCni: v.VpcCni, addonKubeProxy: v.KubeProxy, addonCoreDNS: v.CoreDNS,
		addonEbsCsiDriver: v.EbsCsiDriver, addonPodIdentityAgent: v.PodIdentityAgent, addonMetricsServer: v.MetricsServer,
	}[name]
}

// resolvedAddonVersions is the row of kubernetesVersion with a stack's overrides applied.
func resolvedAddonVersions(kubernetesVersion string, overrides map[string]string) map[string]string {
	row := addonVersions[kubernetesVersion]
	out := make(map[string]string, len(AddonNames))
	for _, name := range AddonNames {
		out[name] = row.byName(name)
		if v, ok := overrides[name]; ok {
			out[name] = v
		}
	}
	return out
}

// addonVersionPattern is an EKS add-on version: an upstream release and an EKS build.
var addonVersionPattern = regexp.MustCompile(`^v([0-9]+)\.([0-9]+)\.[0-9]+-eksbuild\.[0-9]+$`)

// checkAddonVersions checks a stack's add-on overrides: known add-ons, EKS's version format, and
// kube-proxy of the cluster's own minor (Kubernetes version skew policy: kube-proxy must not be
// newer than the API server, and EKS publishes one kube-proxy line per minor).
func checkAddonVersions(kubernetesVersion string, overrides map[string]string) validate.Problems {
	var p validate.Problems
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		v := overrides[name]
		m := addonVersionPattern.FindStringSubmatch(v)
		switch {
		case !slices.Contains(AddonNames, name):
			p.Addf("addonVersions", "names an add-on the cluster does not install, %q (known: %v)", name, AddonNames)
		case m == nil:
			p.Addf("addonVersions", "%s must be an EKS add-on version such as v1.2.3-eksbuild.4, got %q", name, v)
		case name == addonKubeProxy && "1."+m[2] != kubernetesVersion:
			p.Addf("addonVersions", "kube-proxy must be of the cluster's minor %s, got %q", kubernetesVersion, v)
		}
	}
	return p
}

// addonVersions pins every managed add-on per Kubernetes minor version, so that moving
// kubernetesVersion moves the add-ons with it: EKS never upgrades an add-on by itself, and an
// add-on without addonVersion keeps whatever version it was created with.
//
// Sources, checked in August 2026 (confirm before adding a row with
// `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>
// --query 'addons[].addonVersions[].addonVersion'`):
//   - vpc-cni: Amazon EKS User Guide, "Amazon VPC CNI versions" (v1.21.1-eksbuild.7 for 1.29 to
//     1.35). The guide asks for one VPC CNI minor version per update, which one build across
//     these rows respects.
//   - kube-proxy and coredns: Amazon EKS User Guide, "kube-proxy versions" and "CoreDNS
//     versions" (the tables that already list 1.36). kube-proxy's minor always equals the
//     cluster's (Kubernetes version skew policy: kube-proxy must not be newer than the API server).
//   - aws-ebs-csi-driver: the driver supports every Kubernetes version EKS supports
//     (kubernetes-sigs/aws-ebs-csi-driver README); v1.58.0-eksbuild.1 is the EKS build that
//     ministryofjustice/analytical-platform#10190 deployed on EKS 1.34 in May 2026.
//   - eks-pod-identity-agent v1.3.10-eksbuild.2 and metrics-server v0.8.1-eksbuild.4: the
//     builds pinned for 1.30 to 1.35 in published EKS configurations of 2026 (AWS publishes no
//     version table for these two; confirm with the command above). The agent supports every
//     EKS version; metrics-server 0.8 supports Kubernetes 1.31 and later (metrics-server README,
//     compatibility matrix).
//
// A kubernetesVersion without a row is refused by Validate: upgrading Kubernetes is a reviewed
// change to this table, not a config edit that leaves the add-ons behind.
var addonVersions = map[string]AddonVersions{
	"1.33": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.33.10-eksbuild.13", CoreDNS: "v1.12.4-eksbuild.18", EbsCsiDriver: "v1.58.0-eksbuild.1",
		PodIdentityAgent: "v1.3.10-eksbuild.2", MetricsServer: "v0.8.1-eksbuild.4"},
	"1.34": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.34.6-eksbuild.13", CoreDNS: "v1.13.2-eksbuild.11", EbsCsiDriver: "v1.58.0-eksbuild.1",
		PodIdentityAgent: "v1.3.10-eksbuild.2", MetricsServer: "v0.8.1-eksbuild.4"},
	"1.35": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.35.3-eksbuild.13", CoreDNS: "v1.14.3-eksbuild.3", EbsCsiDriver: "v1.58.0-eksbuild.1",
		PodIdentityAgent: "v1.3.10-eksbuild.2", MetricsServer: "v0.8.1-eksbuild.4"},
}

// AddonVersionsFor returns the add-on versions pinned for a Kubernetes minor version.
func AddonVersionsFor(kubernetesVersion string) (AddonVersions, bool) {
	v, ok := addonVersions[kubernetesVersion]
	return v, ok
}

// SupportedKubernetesVersions are the minor versions with pinned add-on versions, oldest first.
func SupportedKubernetesVersions() []string {
	return slices.Sorted(maps.Keys(addonVersions))
}

// addonSpec is one managed add-on.
type addonSpec struct {
	name, version string
	// namespace, serviceAccount and policyArn give the add-on its own Pod Identity role with one
	// AWS managed policy; an add-on that calls no AWS API has none.
	namespace, serviceAccount, policyArn string
	// configuration is the add-on's configurationValues JSON, "" for none.
	configuration string
}

// newAddon installs an EKS add-on at its pinned version. An add-on that calls AWS APIs gets its
// own role through EKS Pod Identity (the add-on's podIdentityAssociations; vpc-cni from
// v1.15.5-eksbuild.1 and the EBS CSI driver from v1.26.0-eksbuild.1, EKS User Guide, "Pod
// Identity support reference") instead of borrowing the node role's permissions.
func newAddon(ctx *pulumi.Context, c *Cluster, name string, spec addonSpec,
	parent pulumi.ResourceOption, waitFor []pulumi.Resource,
) (*awseks.Addon, error) {
	if spec.version == "" {
		return nil, fmt.Errorf("cluster %q: no pinned version for add-on %s", name, spec.name)
	}
	args := &awseks.AddonArgs{
		ClusterName:  c.ClusterName,
		AddonName:    pulumi.String(spec.name),
		AddonVersion: pulumi.String(spec.version),
		// EKS installs vpc-cni, kube-proxy and coredns itself when the cluster is created; take
		// them over, and keep them ours on every version change.
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
	}
	if spec.configuration != "" {
		args.ConfigurationValues = pulumi.String(spec.configuration)
	}
	deps := waitFor
	if spec.policyArn != "" {
		trust, err := podidentity.TrustPolicy(c.clusterNameValue, spec.namespace, spec.serviceAccount).Render()
		if err != nil {
			return nil, err
		}
		role, err := iam.NewRole(ctx, name+"-"+spec.name, &iam.RoleArgs{AssumeRolePolicy: pulumi.String(trust)}, parent)
		if err != nil {
			return nil, err
		}
		attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-"+spec.name, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(spec.policyArn),
		}, parent)
		if err != nil {
			return nil, err
		}
		args.PodIdentityAssociations = awseks.AddonPodIdentityAssociationArray{awseks.AddonPodIdentityAssociationArgs{
			RoleArn: role.Arn, ServiceAccount: pulumi.String(spec.serviceAccount),
		}}
		deps = append([]pulumi.Resource{attachment}, waitFor...)
	}
	// Only the add-on waits for waitFor; its role does not need to.
	return awseks.NewAddon(ctx, name+"-"+spec.name, args, parent, pulumi.DependsOn(deps))
}
