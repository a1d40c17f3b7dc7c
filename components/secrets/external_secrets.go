package secrets

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/podidentity"
	"github.com/novacron/platform/internal/validate"
)

// External Secrets Operator facts this component relies on.
const (
	// externalSecretsChartRepo is the chart repository of the External Secrets project.
	externalSecretsChartRepo = "https://charts.external-secrets.io"
	// externalSecretsAPIVersion is the API group version of ClusterSecretStore: v1 since
	// External Secrets v0.17.0, which stopped serving v1beta1 (v0.17.0 release notes). The
	// pinned chart 2.10.0 (released 2026-08-28, per the chart's release history) serves v1.
	externalSecretsAPIVersion = "external-secrets.io/v1"
	// ControllerServiceAccount is the operator controller's service account (the chart's
	// serviceAccount.name). The Pod Identity association names it: the controller's own
	// credentials are the only AWS identity of the operator.
	ControllerServiceAccount = "external-secrets"
)

// EKS cluster names: 1 to 100 letters, digits, '-' or '_', starting with a letter or digit
// (Amazon EKS API Reference, CreateCluster, name).
var clusterNameRe = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)

// externalSecretsValues are the Helm values of the operator. The controller's service account
// has a fixed name, which the Pod Identity association names, and no role annotation.
func externalSecretsValues() pulumi.Map {
	return pulumi.Map{
		"installCRDs": pulumi.Bool(true),
		"serviceAccount": pulumi.Map{
			"create": pulumi.Bool(true),
			"name":   pulumi.String(ControllerServiceAccount),
		},
	}
}

// clusterSecretStoreSpec points the store at Secrets Manager in the region, with no auth block:
// the provider then uses the controller's own credentials, which Pod Identity supplies. A store
// cannot use Pod Identity through auth.jwt.serviceAccountRef: that path exchanges a service
// account token for the role named in the account's annotation, and fails without one
// (External Secrets docs/provider/aws-access.md, "EKS Pod Identity Setup"; with no auth,
// providers/v1/aws/auth/auth.go loads the SDK's default chain). The region is given, so the SDK never
// asks the instance metadata service for it.
func clusterSecretStoreSpec(region string) pulumi.Map {
	return pulumi.Map{
		"provider": pulumi.Map{
			"aws": pulumi.Map{
				"service": pulumi.String("SecretsManager"),
				"region":  pulumi.String(region),
			},
		},
	}
}

// ExternalSecretsArgs connects the External Secrets Operator to the cluster.
type ExternalSecretsArgs struct {
	// ClusterName is the EKS cluster's name, as the cluster's output: the Pod Identity
	// association waits for the cluster. Required.
	ClusterName pulumi.StringInput
	// ClusterNameValue is the same name as a plain string; the role's trust policy pins it.
	// Required.
	ClusterNameValue string
	// ExtraReadableSecretArns are secrets created elsewhere that the operator may also read (for
	// example the RDS-managed master user secret). Default: none.
	ExtraReadableSecretArns pulumi.StringArrayInput
}

// ExternalSecrets is what InstallExternalSecrets created.
type ExternalSecrets struct {
	// RoleArn is the operator controller's role ARN (EKS Pod Identity).
	RoleArn pulumi.StringOutput
	// ClusterSecretStoreName is the name ExternalSecrets use in secretStoreRef.
	ClusterSecretStoreName string
}

// Validate reports every problem with the arguments.
func (e *ExternalSecretsArgs) Validate() validate.Problems {
	var p validate.Problems
	if e.ClusterName == nil {
		p.Addf("clusterName", "must be set: the operator's role is associated with a service account of the cluster")
	}
	if !clusterNameRe.MatchString(e.ClusterNameValue) {
		p.Addf("clusterNameValue", "must be an EKS cluster name (the role's trust policy pins it), got %q", e.ClusterNameValue)
	}
	return p
}

// InstallExternalSecrets installs the External Secrets Operator, its controller's Pod Identity
// role and association, and the ClusterSecretStore, as children of the component (so their
// names and URNs do not depend on when they are created). opts are added to each of them: pass
// the cluster's Kubernetes provider with pulumi.Providers. The AWS resources use the
// component's AWS provider.
func (s *Secrets) InstallExternalSecrets(ctx *pulumi.Context, args *ExternalSecretsArgs,
	opts ...pulumi.ResourceOption) (*ExternalSecrets, error) {
	name := s.name
	if args == nil {
		args = &ExternalSecretsArgs{}
	}
	if err := args.Validate().Err("secrets", name); err != nil {
		return nil, err
	}
	if s.installed {
		return nil, fmt.Errorf("secrets %q: the External Secrets Operator is already installed", name)
	}
	s.installed = true
	a := s.args
	parent := append([]pulumi.ResourceOption{pulumi.Parent(s)}, opts...)
	ns := a.ExternalSecretsNamespace

	// The role keeps the name it had under IRSA, so the move updates its trust policy in place;
	// its read policy keeps its own name too, and is created here rather than by NewRole.
	role, err := podidentity.NewRole(ctx, name+"-external-secrets", podidentity.Binding{
		ClusterName:      args.ClusterName,
		ClusterNameValue: args.ClusterNameValue,
		Namespace:        ns,
		ServiceAccount:   ControllerServiceAccount,
	}, nil, nil, parent...)
	if err != nil {
		return nil, err
	}

	readable := pulumi.All(s.secretArns.ToStringArrayOutput(), orEmpty(args.ExtraReadableSecretArns), s.SecretsKeyArn).
		ApplyT(func(v []any) (string, error) {
			return externalSecretsPolicy{
				Region:        s.region,
				SecretArns:    append(append([]string{}, v[0].([]string)...), v[1].([]string)...),
				SecretsKeyArn: v[2].(string),
			}.document()
		}).(pulumi.StringOutput)
	readPolicy, err := iam.NewRolePolicy(ctx, name+"-external-secrets-read", &iam.RolePolicyArgs{
		Role:   role.Role.Name,
		Policy: readable,
	}, parent...)
	if err != nil {
		return nil, err
	}

	namespace, err := corev1.NewNamespace(ctx, name+"-external-secrets", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(ns),
			Labels: pulumi.StringMap{
				// The chart's pods run as non-root with a read-only root filesystem and
				// RuntimeDefault seccomp, which the restricted profile requires.
				"pod-security.kubernetes.io/enforce": pulumi.String("restricted"),
			},
		},
	}, parent...)
	if err != nil {
		return nil, err
	}

	// The controller must start with its association in place (the webhook only gives
	// credentials to pods created after it) and its policy attached.
	ready := append([]pulumi.Resource{readPolicy}, role.Ready...)
	release, err := helmv3.NewRelease(ctx, name+"-external-secrets", &helmv3.ReleaseArgs{
		Name:      pulumi.String("external-secrets"),
		Chart:     pulumi.String("external-secrets"),
		Version:   pulumi.String(a.ExternalSecretsChartVersion),
		Namespace: namespace.Metadata.Name().Elem(),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{
			Repo: pulumi.String(externalSecretsChartRepo),
		},
		Values: externalSecretsValues(),
	}, append(parent, pulumi.DependsOn(ready))...)
	if err != nil {
		return nil, err
	}

	// After the release: it installs the CRD, and its controller holds the credentials.
	if _, err := apiextensions.NewCustomResource(ctx, name+"-cluster-secret-store", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(externalSecretsAPIVersion),
		Kind:       pulumi.String("ClusterSecretStore"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(a.ClusterSecretStoreName)},
		OtherFields: map[string]any{
			"spec": clusterSecretStoreSpec(s.region),
		},
	}, append(parent, pulumi.DependsOn([]pulumi.Resource{release}))...); err != nil {
		return nil, err
	}
	return &ExternalSecrets{RoleArn: role.Role.Arn, ClusterSecretStoreName: a.ClusterSecretStoreName}, nil
}
