package cluster

import (
	"fmt"
	"maps"
	"slices"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/irsa"
)

// AddonVersions are the EKS add-on versions pinned for one Kubernetes minor version.
type AddonVersions struct {
	VpcCni, KubeProxy, CoreDNS, EbsCsiDriver string
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
//
// A kubernetesVersion without a row is refused by Validate: upgrading Kubernetes is a reviewed
// change to this table, not a config edit that leaves the add-ons behind.
var addonVersions = map[string]AddonVersions{
	"1.33": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.33.10-eksbuild.13", CoreDNS: "v1.12.4-eksbuild.18", EbsCsiDriver: "v1.58.0-eksbuild.1"},
	"1.34": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.34.6-eksbuild.13", CoreDNS: "v1.13.2-eksbuild.11", EbsCsiDriver: "v1.58.0-eksbuild.1"},
	"1.35": {VpcCni: "v1.21.1-eksbuild.7", KubeProxy: "v1.35.3-eksbuild.13", CoreDNS: "v1.14.3-eksbuild.3", EbsCsiDriver: "v1.58.0-eksbuild.1"},
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
	// namespace, serviceAccount and policyArn give the add-on its own IRSA role with one AWS
	// managed policy; an add-on that calls no AWS API has none.
	namespace, serviceAccount, policyArn string
	// configuration is the add-on's configurationValues JSON, "" for none.
	configuration string
}

// newAddon installs an EKS add-on at its pinned version. An add-on that calls AWS APIs gets its
// own IRSA role with one AWS managed policy instead of borrowing the node role's permissions.
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
		role, err := iam.NewRole(ctx, name+"-"+spec.name, &iam.RoleArgs{
			AssumeRolePolicy: irsa.AssumeRolePolicy(c.IRSA(), spec.namespace, spec.serviceAccount),
		}, parent)
		if err != nil {
			return nil, err
		}
		attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-"+spec.name, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(spec.policyArn),
		}, parent)
		if err != nil {
			return nil, err
		}
		args.ServiceAccountRoleArn = role.Arn
		deps = append([]pulumi.Resource{attachment}, waitFor...)
	}
	// Only the add-on waits for waitFor; its role does not need to.
	return awseks.NewAddon(ctx, name+"-"+spec.name, args, parent, pulumi.DependsOn(deps))
}
