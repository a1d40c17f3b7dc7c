package secrets

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/irsa"
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
	// storeServiceAccount is the service account whose token the ClusterSecretStore exchanges
	// for the IRSA role (JWT auth); no pod runs as it.
	storeServiceAccount = "secrets-manager-reader"
	// roleArnAnnotation is read by External Secrets' JWT auth (and by the EKS pod identity
	// webhook) to find the role to assume.
	roleArnAnnotation = "eks.amazonaws.com/role-arn"
)

// externalSecretsValues are the Helm values of the operator. The controller's own service
// account gets no role annotation: AWS access goes only through the store's service account.
func externalSecretsValues() pulumi.Map {
	return pulumi.Map{
		"installCRDs": pulumi.Bool(true),
		"serviceAccount": pulumi.Map{
			"create": pulumi.Bool(true),
			"name":   pulumi.String("external-secrets"),
		},
	}
}

// clusterSecretStoreSpec points the store at Secrets Manager in the region and authenticates
// with the store service account's token.
func clusterSecretStoreSpec(region, namespace string) pulumi.Map {
	return pulumi.Map{
		"provider": pulumi.Map{
			"aws": pulumi.Map{
				"service": pulumi.String("SecretsManager"),
				"region":  pulumi.String(region),
				"auth": pulumi.Map{
					"jwt": pulumi.Map{
						"serviceAccountRef": pulumi.Map{
							"name":      pulumi.String(storeServiceAccount),
							"namespace": pulumi.String(namespace),
						},
					},
				},
			},
		},
	}
}

// ExternalSecretsArgs connects the External Secrets Operator to the cluster.
type ExternalSecretsArgs struct {
	// OidcProviderArn is the ARN of the cluster's IAM OIDC provider. Required.
	OidcProviderArn pulumi.StringInput
	// OidcIssuer is the cluster's OIDC issuer URL. Required.
	OidcIssuer pulumi.StringInput
	// ExtraReadableSecretArns are secrets created elsewhere that the operator may also read (for
	// example the RDS-managed master user secret). Default: none.
	ExtraReadableSecretArns pulumi.StringArrayInput
}

// ExternalSecrets is what InstallExternalSecrets created.
type ExternalSecrets struct {
	// RoleArn is the operator's IRSA role ARN.
	RoleArn pulumi.StringOutput
	// ClusterSecretStoreName is the name ExternalSecrets use in secretStoreRef.
	ClusterSecretStoreName string
}

// Validate reports every problem with the arguments.
func (e *ExternalSecretsArgs) Validate() validate.Problems {
	var p validate.Problems
	if e.OidcProviderArn == nil {
		p.Addf("oidcProviderArn", "must be set: the operator's role trusts the cluster's OIDC provider")
	}
	if e.OidcIssuer == nil {
		p.Addf("oidcIssuer", "must be set: the operator's role is limited to one service account of the cluster's issuer")
	}
	return p
}

// InstallExternalSecrets installs the External Secrets Operator, its IRSA role and the
// ClusterSecretStore, as children of the component (so their names and URNs do not depend on
// when they are created). opts are added to each of them: pass the cluster's Kubernetes provider
// with pulumi.Providers. The AWS resources use the component's AWS provider.
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

	role, err := iam.NewRole(ctx, name+"-external-secrets", &iam.RoleArgs{
		Description: pulumi.String("External Secrets Operator: read the platform's Secrets Manager secrets"),
		AssumeRolePolicy: irsa.AssumeRolePolicy(irsa.Cluster{
			OidcProviderArn: args.OidcProviderArn,
			OidcIssuer:      args.OidcIssuer,
		}, ns, storeServiceAccount),
	}, parent...)
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
	if _, err := iam.NewRolePolicy(ctx, name+"-external-secrets-read", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: readable,
	}, parent...); err != nil {
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

	account, err := corev1.NewServiceAccount(ctx, name+"-secrets-manager-reader", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(storeServiceAccount),
			Namespace:   namespace.Metadata.Name().Elem(),
			Annotations: pulumi.StringMap{roleArnAnnotation: role.Arn},
		},
		// Only the operator requests tokens for it; no pod mounts one.
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent...)
	if err != nil {
		return nil, err
	}

	release, err := helmv3.NewRelease(ctx, name+"-external-secrets", &helmv3.ReleaseArgs{
		Name:      pulumi.String("external-secrets"),
		Chart:     pulumi.String("external-secrets"),
		Version:   pulumi.String(a.ExternalSecretsChartVersion),
		Namespace: namespace.Metadata.Name().Elem(),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{
			Repo: pulumi.String(externalSecretsChartRepo),
		},
		Values: externalSecretsValues(),
	}, parent...)
	if err != nil {
		return nil, err
	}

	// After the release (it installs the CRD) and the service account (the store checks it).
	if _, err := apiextensions.NewCustomResource(ctx, name+"-cluster-secret-store", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(externalSecretsAPIVersion),
		Kind:       pulumi.String("ClusterSecretStore"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(a.ClusterSecretStoreName)},
		OtherFields: map[string]any{
			"spec": clusterSecretStoreSpec(s.region, ns),
		},
	}, append(parent, pulumi.DependsOn([]pulumi.Resource{release, account}))...); err != nil {
		return nil, err
	}
	return &ExternalSecrets{RoleArn: role.Arn, ClusterSecretStoreName: a.ClusterSecretStoreName}, nil
}
