package compliance

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// IAM fixtures: documents as the provider receives them, JSON strings (what the components pass)
// or objects.

const (
	eksIssuer   = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789"
	eksProvider = "arn:aws:iam::123456789012:oidc-provider/" + eksIssuer
	ghProvider  = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
)

func doc(statements ...map[string]any) string {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func allow(action any, resource any) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": action, "Resource": resource}
}

func with(s map[string]any, kv ...any) map[string]any { return set(s, kv...) }

func rolePolicy(name string, policy any) *mock.Resource {
	return res(tIAMRolePolicy, name, map[string]any{"role": "r", "policy": policy})
}

func role(name string, trust any) *mock.Resource {
	return res(tIAMRole, name, map[string]any{"assumeRolePolicy": trust})
}

func irsaTrust(conds map[string]any) string {
	return doc(map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Federated": eksProvider},
		"Action": "sts:AssumeRoleWithWebIdentity", "Condition": conds,
	})
}

func ghTrust(conds map[string]any) string {
	return doc(map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Federated": ghProvider},
		"Action": "sts:AssumeRoleWithWebIdentity", "Condition": conds,
	})
}

var irsaOK = irsaTrust(map[string]any{"StringEquals": map[string]any{
	eksIssuer + ":sub": "system:serviceaccount:kube-system:cluster-autoscaler",
	eksIssuer + ":aud": "sts.amazonaws.com",
}})

// autoscalerPolicyDoc is the shape of the cluster-autoscaler's policy: reads on "*", writes
// bounded by a resource tag condition.
var autoscalerPolicyDoc = doc(
	allow([]any{"autoscaling:DescribeAutoScalingGroups", "ec2:DescribeLaunchTemplateVersions", "eks:DescribeNodegroup"}, "*"),
	with(allow([]any{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}, "*"),
		"Condition", map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/k8s.io/cluster-autoscaler/novacron": "owned"}}),
)

func exempt(policy, resource string) func(*Config) {
	return func(c *Config) {
		c.IAMExceptions = append(c.IAMExceptions, IAMException{Policy: policy, Resource: resource, Reason: "test"})
	}
}

func init() { policyCases = append(policyCases, iamCases...) }

var iamCases = []policyCase{
	{policy: iamNoAdminActions, kind: compliant, name: "scoped actions",
		resources: []*mock.Resource{rolePolicy("ca", autoscalerPolicyDoc)}},
	{policy: iamNoAdminActions, kind: compliant, name: "service wildcard on one bucket",
		resources: []*mock.Resource{rolePolicy("p", doc(allow("s3:*", "arn:aws:s3:::b/*")))}},
	{policy: iamNoAdminActions, kind: violating, name: "star action, string document",
		resources: []*mock.Resource{rolePolicy("p", doc(allow("*", "*")))},
		want:      []string{`p: policy Statement[0] allows every action ("*")`}},
	{policy: iamNoAdminActions, kind: violating, name: "iam:* and *:* as an object document",
		resources: []*mock.Resource{res(tIAMPolicy, "p", map[string]any{"policy": map[string]any{
			"Version":   "2012-10-17",
			"Statement": []any{allow([]any{"iam:*"}, "arn:aws:iam::123456789012:role/x"), with(allow("*:*", "*"), "Sid", "All")},
		}})},
		want: []string{
			`p: policy Statement[0] allows every IAM action ("iam:*")`,
			`p: policy Statement[1] (All) allows every action ("*:*")`,
		}},
	{policy: iamNoAdminActions, kind: violating, name: "NotAction on every resource, role inline policy",
		resources: []*mock.Resource{res(tIAMRole, "r", map[string]any{"assumeRolePolicy": irsaOK, "inlinePolicies": []any{
			map[string]any{"name": "x", "policy": doc(map[string]any{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
		}})},
		want: []string{"r: inlinePolicies[0].policy Statement[0] allows every action except iam:* on every resource"}},
	{policy: iamNoAdminActions, kind: violating, name: "not JSON",
		resources: []*mock.Resource{rolePolicy("p", "{not json")},
		want:      []string{"p: policy is not a JSON policy document"}},
	{policy: iamNoAdminActions, kind: compliant, name: "Deny of everything",
		resources: []*mock.Resource{rolePolicy("p", doc(map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*"}))}},
	{policy: iamNoAdminActions, kind: unknownIn, name: "document unknown",
		resources: []*mock.Resource{rolePolicy("p", unknownValue)},
		pending:   []string{"p: policy is not known yet"}},
	{policy: iamNoAdminActions, kind: unknownIn, name: "object document with an unknown ARN",
		resources: []*mock.Resource{res(tIAMPolicy, "p", map[string]any{"policy": map[string]any{
			"Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": unknownOutput}},
		}})},
		pending: []string{"p: policy is not known yet"}},

	{policy: iamNoUnconstrainedWrites, kind: compliant, name: "reads on *, writes conditioned",
		resources: []*mock.Resource{rolePolicy("ca", autoscalerPolicyDoc)}},
	{policy: iamNoUnconstrainedWrites, kind: compliant, name: "writes on named resources",
		resources: []*mock.Resource{rolePolicy("p", doc(allow([]any{"logs:CreateLogStream", "logs:PutLogEvents"}, "arn:aws:logs:us-east-1:123456789012:log-group:x:*")))}},
	{policy: iamNoUnconstrainedWrites, kind: violating, name: "writes, service wildcard and secret reads on *",
		resources: []*mock.Resource{rolePolicy("p", doc(
			allow([]any{"ec2:CreateSecurityGroup", "ec2:DescribeVpcs", "s3:*", "ec2:Describe*"}, "*"),
			allow([]any{"secretsmanager:GetSecretValue", "ssm:GetParameter*", "ecr:GetAuthorizationToken", "sts:GetSessionToken"}, []any{"*"}),
		))},
		want: []string{
			"p: policy Statement[0] allows write actions on every resource without a condition: ec2:CreateSecurityGroup, s3:*",
			"p: policy Statement[1] allows reading data, secrets or credentials on every resource without a condition: secretsmanager:GetSecretValue, ssm:GetParameter*, sts:GetSessionToken",
		}},
	{policy: iamNoUnconstrainedWrites, kind: violating, name: "NotResource counts as every resource",
		resources: []*mock.Resource{rolePolicy("p", doc(map[string]any{"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:kms:us-east-1:123456789012:key/x"}))},
		want:      []string{"p: policy Statement[0] allows write actions on every resource without a condition: kms:Decrypt"}},
	{policy: iamNoUnconstrainedWrites, kind: compliant, name: "exempted by iamExceptions", cfg: exempt(iamNoUnconstrainedWrites, "p"),
		resources: []*mock.Resource{rolePolicy("p", doc(allow("ec2:CreateSecurityGroup", "*")))}},
	{policy: iamNoUnconstrainedWrites, kind: violating, name: "an exception names another resource", cfg: exempt(iamNoUnconstrainedWrites, "other"),
		resources: []*mock.Resource{rolePolicy("p", doc(allow("ec2:CreateSecurityGroup", "*")))},
		want:      []string{"p: policy Statement[0] allows write actions on every resource without a condition: ec2:CreateSecurityGroup"}},
	{policy: iamNoUnconstrainedWrites, kind: unknownIn, name: "document unknown",
		resources: []*mock.Resource{res(tIAMUserPolicy, "p", map[string]any{"policy": unknownOutput})},
		pending:   []string{"p: policy is not known yet"}},

	{policy: iamNoPrivilegeEscalation, kind: compliant, name: "PassRole alone",
		resources: []*mock.Resource{rolePolicy("p", doc(allow([]any{"iam:PassRole", "iam:GetRole"}, "*")))}},
	{policy: iamNoPrivilegeEscalation, kind: compliant, name: "escalation actions on named roles",
		resources: []*mock.Resource{rolePolicy("p", doc(allow([]any{"iam:PutRolePolicy", "iam:PassRole", "ec2:RunInstances"}, "arn:aws:iam::123456789012:role/app-*")))}},
	{policy: iamNoPrivilegeEscalation, kind: compliant, name: "escalation action denied",
		resources: []*mock.Resource{rolePolicy("p", doc(allow("iam:PutRolePolicy", "*"), map[string]any{"Effect": "Deny", "Action": "iam:Put*Policy", "Resource": "*"}))}},
	{policy: iamNoPrivilegeEscalation, kind: violating, name: "PassRole with RunInstances across statements, wildcard",
		resources: []*mock.Resource{rolePolicy("p", doc(allow("iam:PassRole", "*"), allow("ec2:Run*", "*")))},
		want:      []string{"p: policy allows privilege escalation on every resource without a condition: CreateEC2WithExistingIP (iam:passrole + ec2:runinstances)"}},
	{policy: iamNoPrivilegeEscalation, kind: violating, name: "policy versions and trust updates",
		resources: []*mock.Resource{res(tIAMGroupPolicy, "p", map[string]any{"policy": doc(allow([]any{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:UpdateAssumeRolePolicy"}, "*"))})},
		want: []string{"p: policy allows privilege escalation on every resource without a condition: CreateNewPolicyVersion (iam:createpolicyversion); " +
			"CreatePolicyVersionThenUpdateAssumeRolePolicy (iam:createpolicyversion + iam:updateassumerolepolicy); " +
			"SetExistingDefaultPolicyVersion (iam:setdefaultpolicyversion); UpdateRolePolicyToAssumeIt (iam:updateassumerolepolicy)"}},
	{policy: iamNoPrivilegeEscalation, kind: unknownIn, name: "document unknown",
		resources: []*mock.Resource{rolePolicy("p", unknownValue)},
		pending:   []string{"p: policy is not known yet"}},

	{policy: iamNoAdminManagedPolicies, kind: compliant, name: "EKS worker policy",
		resources: []*mock.Resource{res(tIAMRolePolicyAttachment, "a", map[string]any{"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"})}},
	{policy: iamNoAdminManagedPolicies, kind: compliant, name: "customer policy named like an admin one",
		resources: []*mock.Resource{res(tIAMRolePolicyAttachment, "a", map[string]any{"role": "r", "policyArn": "arn:aws:iam::123456789012:policy/AdministratorAccess"})}},
	{policy: iamNoAdminManagedPolicies, kind: violating, name: "AdministratorAccess, PowerUserAccess and IAMFullAccess",
		resources: []*mock.Resource{
			res(tIAMRolePolicyAttachment, "a", map[string]any{"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
			res(tIAMUserPolicyAttachment, "b", map[string]any{"user": "u", "policyArn": "arn:aws-us-gov:iam::aws:policy/PowerUserAccess"}),
			res(tIAMRole, "c", map[string]any{"assumeRolePolicy": irsaOK, "managedPolicyArns": []any{"arn:aws:iam::aws:policy/IAMFullAccess"}}),
		},
		want: []string{
			"a: attaches the AWS managed policy AdministratorAccess, which grants administrator-level access",
			"b: attaches the AWS managed policy PowerUserAccess, which grants administrator-level access",
			"c: attaches the AWS managed policy IAMFullAccess, which grants administrator-level access",
		}},
	{policy: iamNoAdminManagedPolicies, kind: compliant, name: "exempted deploy role", cfg: exempt(iamNoAdminManagedPolicies, "a"),
		resources: []*mock.Resource{res(tIAMRolePolicyAttachment, "a", map[string]any{"role": "r", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"})}},
	{policy: iamNoAdminManagedPolicies, kind: unknownIn, name: "policy ARN of a policy being created",
		resources: []*mock.Resource{res(tIAMRolePolicyAttachment, "a", map[string]any{"role": "r", "policyArn": unknownValue})},
		pending:   []string{"a: policyArn is not known yet"}},

	{policy: iamTrustRestricted, kind: compliant, name: "service principal and a named role",
		resources: []*mock.Resource{role("r", doc(
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:role/ops"}, "Action": "sts:AssumeRole"},
		))}},
	{policy: iamTrustRestricted, kind: compliant, name: "whole account narrowed by aws:PrincipalArn",
		resources: []*mock.Resource{role("r", doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "123456789012"},
			"Action": "sts:AssumeRole", "Condition": map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci-*"}}}))}},
	{policy: iamTrustRestricted, kind: violating, name: "any principal, whole accounts",
		resources: []*mock.Resource{role("r", doc(
			map[string]any{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-1"}}},
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": []any{"arn:aws:iam::210987654321:root", "123456789012"}}, "Action": "sts:AssumeRole",
				"Condition": map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": true}}},
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": "sts:AssumeRole"},
		))},
		want: []string{
			`r: assumeRolePolicy Statement[0] lets any principal ("*") assume the role`,
			"r: assumeRolePolicy Statement[1] lets every principal of account 210987654321 assume the role without a condition on aws:PrincipalArn or sts:ExternalId",
			"r: assumeRolePolicy Statement[1] lets every principal of account 123456789012 assume the role without a condition on aws:PrincipalArn or sts:ExternalId",
			`r: assumeRolePolicy Statement[2] lets any principal ("*") assume the role`,
		}},
	{policy: iamTrustRestricted, kind: unknownIn, name: "trust unknown",
		resources: []*mock.Resource{role("r", unknownValue)},
		pending:   []string{"r: assumeRolePolicy is not known yet"}},

	{policy: iamOIDCTrustPinned, kind: compliant, name: "IRSA with aud and exact sub",
		resources: []*mock.Resource{role("r", irsaOK)}},
	{policy: iamOIDCTrustPinned, kind: compliant, name: "GitHub environments and pull requests",
		resources: []*mock.Resource{role("r", ghTrust(map[string]any{"StringEquals": map[string]any{
			"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
			"token.actions.githubusercontent.com:sub": []any{"repo:acme/platform:environment:production", "repo:acme/platform:pull_request"},
		}}))}},
	{policy: iamOIDCTrustPinned, kind: violating, name: "IRSA without aud, sub with StringLike",
		resources: []*mock.Resource{role("r", irsaTrust(map[string]any{"StringLike": map[string]any{
			eksIssuer + ":sub": "system:serviceaccount:kube-system:*",
		}}))},
		want: []string{
			"r: assumeRolePolicy Statement[0] trusts " + eksIssuer + " without StringEquals " + eksIssuer + ":aud = sts.amazonaws.com",
			"r: assumeRolePolicy Statement[0] trusts " + eksIssuer + " without StringEquals on " + eksIssuer + ":sub: any identity of the issuer may assume the role",
		}},
	{policy: iamOIDCTrustPinned, kind: violating, name: "IRSA sub wildcard under StringEquals, wrong audience",
		resources: []*mock.Resource{role("r", irsaTrust(map[string]any{"StringEquals": map[string]any{
			eksIssuer + ":sub": "system:serviceaccount:*:*", eksIssuer + ":aud": "sts.amazonaws.com.evil",
		}}))},
		want: []string{
			"r: assumeRolePolicy Statement[0] trusts " + eksIssuer + " without StringEquals " + eksIssuer + ":aud = sts.amazonaws.com",
			`r: assumeRolePolicy Statement[0]: ` + eksIssuer + `:sub "system:serviceaccount:*:*" holds a wildcard`,
		}},
	{policy: iamOIDCTrustPinned, kind: violating, name: "GitHub subject without a repository",
		resources: []*mock.Resource{role("r", ghTrust(map[string]any{"StringEquals": map[string]any{
			"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
			"token.actions.githubusercontent.com:sub": "environment:production",
		}}))},
		want: []string{`r: assumeRolePolicy Statement[0]: token.actions.githubusercontent.com:sub "environment:production" does not name one repository (repo:<owner>/<name>:...)`}},
	{policy: iamOIDCTrustPinned, kind: violating, name: "GitHub trust without conditions",
		resources: []*mock.Resource{role("r", doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": ghProvider}, "Action": "sts:AssumeRoleWithWebIdentity"}))},
		want: []string{
			"r: assumeRolePolicy Statement[0] trusts token.actions.githubusercontent.com without StringEquals token.actions.githubusercontent.com:aud = sts.amazonaws.com",
			"r: assumeRolePolicy Statement[0] trusts token.actions.githubusercontent.com without StringEquals on token.actions.githubusercontent.com:sub: any identity of the issuer may assume the role",
		}},
	{policy: iamOIDCTrustPinned, kind: unknownIn, name: "issuer not known yet",
		resources: []*mock.Resource{role("r", unknownOutput)},
		pending:   []string{"r: assumeRolePolicy is not known yet"}},
}

func TestGrantsWrite(t *testing.T) {
	for action, want := range map[string]bool{
		"ec2:DescribeInstances": false, "ec2:Describe*": false, "s3:GetObject": false, "s3:Get*": false,
		"ecr:BatchCheckLayerAvailability": false, "iam:ListRoles": false,
		"ec2:*": true, "*": true, "s3:Put*": true, "ec2:De*": true, "kms:Decrypt": true, "iam:PassRole": true,
		"sts:AssumeRole": true, "s3:Getaway": true,
	} {
		assert.Equal(t, want, grantsWrite(action), action)
	}
}

func TestIAMExceptionsValidation(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"compliance-settings": {"iamExceptions": [
		{"policy": "iam-no-unconstrained-writes", "resource": "ingress-policy", "reason": "upstream controller policy"}]}}`))
	require.NoError(t, err)
	assert.Equal(t, []IAMException{{Policy: iamNoUnconstrainedWrites, Resource: "ingress-policy", Reason: "upstream controller policy"}}, cfg.IAMExceptions)

	for raw, msg := range map[string]string{
		`{"policy": "rds-storage-encrypted", "resource": "x", "reason": "r"}`:        `iamExceptions[0]: policy "rds-storage-encrypted" is not an IAM policy`,
		`{"policy": "iam-no-admin-actions", "resource": "", "reason": "r"}`:          "iamExceptions[0]: resource must name the exempted resource",
		`{"policy": "iam-no-admin-actions", "resource": "x", "reason": " "}`:         "iamExceptions[0] (iam-no-admin-actions, x): reason must say why",
		`{"policy": "iam-no-admin-actions", "resource": "x", "reason": "r", "y": 1}`: `unknown field "y"`,
	} {
		_, err := ParseConfig([]byte(`{"compliance-settings": {"iamExceptions": [` + raw + `]}}`))
		assert.ErrorContains(t, err, msg, raw)
	}
}

// Every IAM exception in the stacks' configuration names a policy and a reason (ParseConfig
// checks that), and the platform fixture's exempted resource really needs it: without the
// exception it fails. (stacks/compliance_test.go checks every exception against the real program.)
func TestStackIAMExceptionsAreNeeded(t *testing.T) {
	for _, stack := range []string{"production", "staging"} {
		cfg, err := LoadConfigFile("../config." + stack + ".json")
		require.NoError(t, err)
		var iam []PolicyException
		for _, e := range append(slices.Clone(cfg.Exceptions), cfg.IAMExceptions...) {
			if slices.Contains(iamPolicyNames, e.Policy) {
				iam = append(iam, e)
			}
		}
		require.NotEmpty(t, iam, stack)
		bare := cfg
		bare.Exceptions, bare.IAMExceptions = []PolicyException{}, []IAMException{}
		rep := Evaluate(platform(stack, nil), stack, bare)
		for _, e := range iam {
			var hit bool
			for _, v := range rep.Violations {
				hit = hit || (v.Policy == e.Policy && v.Name == e.Resource)
			}
			assert.True(t, hit, "%s: exception %s/%s is not needed by the platform fixture", stack, e.Policy, e.Resource)
		}
	}
}

// controllerPolicyDoc is the AWS Load Balancer Controller's policy as the ingress component sends
// it; empty when the file cannot be read (TestStackIAMExceptionsAreNeeded then fails).
func controllerPolicyDoc() string {
	b, err := os.ReadFile("../../components/ingress/iam_policy.json")
	if err != nil {
		return ""
	}
	return string(b)
}
