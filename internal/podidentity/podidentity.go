// Package podidentity gives a Kubernetes service account an IAM role through EKS Pod Identity:
// the role trusts the EKS Pod Identity service principal, only for sessions tagged with this
// cluster, namespace and service account, and an association binds the role to that service
// account. Unlike IRSA it needs no OIDC provider, and a role's trust policy does not change
// with the cluster's OIDC issuer.
package podidentity

import (
	"path"
	"strings"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/iamdoc"
)

// ServicePrincipal is the principal EKS Pod Identity assumes roles as.
const ServicePrincipal = "pods.eks.amazonaws.com"

// TrustPolicy lets EKS Pod Identity assume the role for one service account of one cluster.
// The agent tags every session with the cluster, namespace and service account (EKS User
// Guide, "Grant pods access to AWS resources based on tags": eks-cluster-name,
// kubernetes-namespace, kubernetes-service-account), so requiring those tags keeps another
// association, in this cluster or another of the account, from using the role.
func TrustPolicy(clusterName, namespace, serviceAccount string) iamdoc.Document {
	return iamdoc.New(iamdoc.Statement{
		Sid:       "EksPodIdentity",
		Effect:    "Allow",
		Principal: iamdoc.Service(ServicePrincipal),
		Action:    []string{"sts:AssumeRole", "sts:TagSession"},
		Condition: iamdoc.Conditions{"StringEquals": {
			"aws:RequestTag/eks-cluster-name":           clusterName,
			"aws:RequestTag/kubernetes-namespace":       namespace,
			"aws:RequestTag/kubernetes-service-account": serviceAccount,
		}},
	})
}

// Binding names the service account a role is for.
type Binding struct {
	// ClusterName is the cluster's name, as an output so that the association waits for it.
	ClusterName    pulumi.StringInput
	Namespace      string
	ServiceAccount string
	// ClusterNameValue is the same name as a plain string, for the trust policy.
	ClusterNameValue string
}

// Role is an IAM role bound to a service account, and what a workload must wait for before it
// can fetch credentials.
type Role struct {
	Role        *iam.Role
	Association *awseks.PodIdentityAssociation
	// Ready holds the association and the role's policies.
	Ready []pulumi.Resource
}

// NewRole creates a role with the Pod Identity trust policy for b, attaches an inline policy
// (JSON, nil for none) and AWS managed policies, and associates it with the service account.
func NewRole(ctx *pulumi.Context, name string, b Binding, inlinePolicy pulumi.StringInput, managedPolicyArns []string,
	opts ...pulumi.ResourceOption,
) (*Role, error) {
	trust, err := TrustPolicy(b.ClusterNameValue, b.Namespace, b.ServiceAccount).Render()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{AssumeRolePolicy: pulumi.String(trust)}, opts...)
	if err != nil {
		return nil, err
	}
	out := &Role{Role: role}
	if inlinePolicy != nil {
		rp, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{Role: role.Name, Policy: inlinePolicy}, opts...)
		if err != nil {
			return nil, err
		}
		out.Ready = append(out.Ready, rp)
	}
	for _, arn := range managedPolicyArns {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-"+policyName(arn), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(arn),
		}, opts...)
		if err != nil {
			return nil, err
		}
		out.Ready = append(out.Ready, att)
	}
	out.Association, err = awseks.NewPodIdentityAssociation(ctx, name, &awseks.PodIdentityAssociationArgs{
		ClusterName:    b.ClusterName,
		Namespace:      pulumi.String(b.Namespace),
		ServiceAccount: pulumi.String(b.ServiceAccount),
		RoleArn:        role.Arn,
	}, opts...)
	if err != nil {
		return nil, err
	}
	out.Ready = append(out.Ready, out.Association)
	return out, nil
}

// policyName is the last path element of a policy ARN, lowercased for a resource name.
func policyName(arn string) string {
	return strings.ToLower(path.Base(arn))
}
