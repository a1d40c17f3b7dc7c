package ingress

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
	"github.com/novacron/platform/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func baseArgs() *LoadBalancerControllerArgs {
	return &LoadBalancerControllerArgs{
		ClusterName:      pulumi.String("novacron-production"),
		ClusterNameValue: "novacron-production",
		Region:           "us-east-1",
		VpcId:            pulumi.String("vpc-0abc"),
	}
}

func TestValidate(t *testing.T) {
	withCert := baseArgs()
	withCert.CertificateDomain = "novacron.example.com"
	withCert.CertificateAlternativeNames = []string{"*.novacron.example.com"}
	withCert.HostedZoneId = pulumi.String("Z123")

	badCert := baseArgs()
	badCert.CertificateDomain = "Novacron.Example.com"
	badCert.CertificateAlternativeNames = []string{"ok.example.com", "bad_name.example.com"}

	sansOnly := baseArgs()
	sansOnly.CertificateAlternativeNames = []string{"x.example.com"}

	tests := []struct {
		name string
		args *LoadBalancerControllerArgs
		want validate.Problems
	}{
		{name: "minimal", args: baseArgs()},
		{name: "with certificate", args: withCert},
		{name: "nil", want: validate.Problems{{Field: "args", Message: "must be set"}}},
		{name: "empty", args: &LoadBalancerControllerArgs{ChartVersion: "v3", ReplicaCount: 20}, want: validate.Problems{
			{Field: "clusterName", Message: "must be set"},
			{Field: "vpcId", Message: "must be set"},
			{Field: "clusterNameValue", Message: `must be an EKS cluster name (the role's trust policy pins it), got ""`},
			{Field: "region", Message: `must be an AWS region such as us-east-1, got ""`},
			{Field: "chartVersion", Message: `must be a chart version such as 3.5.0, got "v3"`},
			{Field: "replicaCount", Message: "must be between 1 and 10, got 20"},
		}},
		{name: "bad certificate", args: badCert, want: validate.Problems{
			{Field: "certificateDomain", Message: `must be a lowercase DNS name (optionally *.-prefixed), got "Novacron.Example.com"`},
			{Field: "certificateAlternativeNames[1]", Message: `must be a lowercase DNS name (optionally *.-prefixed), got "bad_name.example.com"`},
			{Field: "hostedZoneId", Message: "must be set when certificateDomain is set"},
		}},
		{name: "cluster name not a cluster name", args: func() *LoadBalancerControllerArgs {
			a := baseArgs()
			a.ClusterNameValue = "-novacron"
			return a
		}(), want: validate.Problems{
			{Field: "clusterNameValue", Message: `must be an EKS cluster name (the role's trust policy pins it), got "-novacron"`},
		}},
		{name: "alternative names without domain", args: sansOnly, want: validate.Problems{
			{Field: "certificateAlternativeNames", Message: "need certificateDomain"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.args.Validate())
		})
	}
}

// --- the controller's IAM policy ---------------------------------------------------------------

type policyDoc struct {
	Version   string
	Statement []statement
}

type statement struct {
	Sid       string
	Effect    string
	Action    []string
	Resource  any
	Condition map[string]map[string]any
}

func parsePolicy(t *testing.T, doc string) policyDoc {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	var p policyDoc
	require.NoError(t, dec.Decode(&p), "the controller policy must be valid JSON with known keys only")
	return p
}

func resources(s statement) []string {
	switch r := s.Resource.(type) {
	case string:
		return []string{r}
	case []any:
		var out []string
		for _, e := range r {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// Statements that may mutate without a tag condition or a narrower resource, and why:
var unconditionedMutations = map[string]string{
	// CreateSecurityGroup is also authorised against the VPC, which carries no controller tag.
	"CreateSecurityGroups": "the VPC resource cannot carry the request tag",
	// The ALB's ARN is the resource; association state is read before any change.
	"AssociateWafAndShield": "WAFv2 and Shield act on the controller's own load balancers",
	// Listeners and rules are reached through the controller's tagged load balancers.
	"ManageListenersAndRules": "listeners and rules are not tagged on every controller version",
}

func TestControllerPolicyDocument(t *testing.T) {
	p := parsePolicy(t, ControllerPolicy)
	assert.Equal(t, "2012-10-17", p.Version)
	actionRe := regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`)
	sids := map[string]bool{}
	allowed := map[string]bool{}
	for _, s := range p.Statement {
		require.NotEmpty(t, s.Sid)
		assert.False(t, sids[s.Sid], "duplicate Sid %s", s.Sid)
		sids[s.Sid] = true
		assert.Equal(t, "Allow", s.Effect, s.Sid)
		require.NotEmpty(t, s.Action, s.Sid)
		assert.True(t, slices.IsSorted(s.Action), "%s: keep actions sorted so diffs stay readable", s.Sid)
		res := resources(s)
		require.NotEmpty(t, res, s.Sid)
		for _, r := range res {
			assert.True(t, r == "*" || strings.HasPrefix(r, "arn:aws:"), "%s: resource %q", s.Sid, r)
		}
		mutating := false
		for _, a := range s.Action {
			assert.Regexp(t, actionRe, a, "%s: no wildcard or malformed action", s.Sid)
			assert.False(t, strings.HasPrefix(a, "waf-regional:"), "%s: WAF Classic is not used", s.Sid)
			allowed[a] = true
			verb := strings.SplitN(a, ":", 2)[1]
			if !strings.HasPrefix(verb, "Describe") && !strings.HasPrefix(verb, "Get") && !strings.HasPrefix(verb, "List") {
				mutating = true
			}
		}
		if mutating && slices.Equal(res, []string{"*"}) && len(s.Condition) == 0 {
			assert.Contains(t, unconditionedMutations, s.Sid,
				"%s mutates any resource without a condition; scope it or justify it in unconditionedMutations", s.Sid)
		}
	}
	for sid := range unconditionedMutations {
		assert.True(t, sids[sid], "unconditionedMutations names unknown statement %s", sid)
	}

	// What the controller calls in normal operation (creating an ALB for an Ingress with
	// IP targets, HTTPS listener and rules) must be allowed.
	for _, a := range []string{
		"iam:CreateServiceLinkedRole", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
		"ec2:GetSecurityGroupsForVpc", "ec2:CreateSecurityGroup", "ec2:CreateTags",
		"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
		"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
		"elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags",
		"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
		"elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:ModifyListenerAttributes",
		"elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:DescribeCapacityReservation",
		"acm:DescribeCertificate", "acm:ListCertificates", "wafv2:GetWebACLForResource", "shield:GetSubscriptionState",
	} {
		assert.True(t, allowed[a], "controller needs %s", a)
	}

	// IAM counts a managed policy's size without whitespace; the limit is 6,144 characters.
	compact := &bytes.Buffer{}
	require.NoError(t, json.Compact(compact, []byte(ControllerPolicy)))
	assert.LessOrEqual(t, compact.Len(), 6144)
}

// --- under the mock engine ---------------------------------------------------------------------

// fakeACM answers what AWS computes for a DNS-validated certificate and a Route53 record.
func fakeACM(args pulumi.MockResourceArgs, out resource.PropertyMap) {
	switch args.TypeToken {
	case "aws:acm/certificate:Certificate":
		names := []string{args.Inputs["domainName"].StringValue()}
		if sans, ok := args.Inputs["subjectAlternativeNames"]; ok {
			for _, v := range sans.ArrayValue() {
				names = append(names, v.StringValue())
			}
		}
		// In reverse order: ACM promises none, so the records must be matched by domain name.
		var opts []any
		for _, n := range slices.Backward(names) {
			base := strings.TrimPrefix(n, "*.")
			opts = append(opts, map[string]any{
				"domainName":          n,
				"resourceRecordName":  "_abc." + base + ".",
				"resourceRecordType":  "CNAME",
				"resourceRecordValue": "_def." + base + ".acm-validations.aws.",
			})
		}
		out["domainValidationOptions"] = resource.NewPropertyValue(opts)
	case "aws:route53/record:Record":
		out["fqdn"] = args.Inputs["name"]
	}
}

func run(t *testing.T, a *LoadBalancerControllerArgs) *mock.Engine {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", fakeACM)
	require.NoError(t, eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		awsProvider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		_, err = NewLoadBalancerController(ctx, "lbc", a, pulumi.Providers(awsProvider, k8s))
		return err
	}))
	return eng
}

func TestControllerResources(t *testing.T) {
	eng := run(t, baseArgs())

	comp := eng.Find("novacron:ingress:LoadBalancerController", "lbc")
	require.NotNil(t, comp)
	role := eng.Find("aws:iam/role:Role", "lbc-role")
	policy := eng.Find("aws:iam/policy:Policy", "lbc-policy")
	attachment := eng.Find("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-policy-attachment")
	association := eng.Find("aws:eks/podIdentityAssociation:PodIdentityAssociation", "lbc-role")
	release := eng.Find("kubernetes:helm.sh/v3:Release", "lbc-release")
	for _, r := range []*mock.Resource{role, policy, attachment, association, release} {
		require.NotNil(t, r)
		assert.Equal(t, comp.URN, r.Parent, r.Name)
	}
	for _, r := range []*mock.Resource{role, policy, attachment, association} {
		assert.Contains(t, r.Provider, "pulumi:providers:aws::aws", r.Name)
	}
	assert.Contains(t, release.Provider, "pulumi:providers:kubernetes::k8s")
	assert.Empty(t, eng.ByType("aws:iam/rolePolicy:RolePolicy"), "the permissions are the managed policy, not an inline one")

	// Trust: EKS Pod Identity only, and only for sessions tagged with this cluster and the
	// controller's service account.
	var trust map[string]any
	require.NoError(t, json.Unmarshal([]byte(mocktest.Value(t, role, "assumeRolePolicy").(string)), &trust))
	require.Len(t, trust["Statement"], 1)
	stmt := trust["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, "Allow", stmt["Effect"])
	assert.Equal(t, map[string]any{"Service": "pods.eks.amazonaws.com"}, stmt["Principal"])
	assert.ElementsMatch(t, []any{"sts:AssumeRole", "sts:TagSession"}, stmt["Action"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{
		"aws:RequestTag/eks-cluster-name":           "novacron-production",
		"aws:RequestTag/kubernetes-namespace":       "kube-system",
		"aws:RequestTag/kubernetes-service-account": "aws-load-balancer-controller",
	}}, stmt["Condition"])
	assert.NotContains(t, mocktest.Value(t, role, "assumeRolePolicy"), "AssumeRoleWithWebIdentity")

	assert.JSONEq(t, ControllerPolicy, mocktest.Value(t, policy, "policy").(string))
	assert.Contains(t, attachment.Dependencies, role.URN)
	assert.Contains(t, attachment.Dependencies, policy.URN)

	// The association binds the role to the service account the chart creates.
	values := mocktest.Value(t, release, "values").(map[string]any)
	sa := values["serviceAccount"].(map[string]any)
	assert.Equal(t, "novacron-production", mocktest.Value(t, association, "clusterName"))
	assert.Equal(t, mocktest.Value(t, release, "namespace"), mocktest.Value(t, association, "namespace"))
	assert.Equal(t, sa["name"], mocktest.Value(t, association, "serviceAccount"))
	assert.Equal(t, true, sa["create"])
	assert.Equal(t, "arn:aws:iam:us-east-1:123456789012:lbc-role", mocktest.Value(t, association, "roleArn"),
		"the role's ARN as the mock computes it")
	assert.Contains(t, association.Dependencies, role.URN)

	assert.Contains(t, release.Dependencies, attachment.URN, "the controller must start with its permissions attached")
	assert.Contains(t, release.Dependencies, association.URN, "pods created before the association get no credentials")

	assert.Equal(t, "aws-load-balancer-controller", mocktest.Value(t, release, "chart"))
	assert.Equal(t, DefaultChartVersion, mocktest.Value(t, release, "version"))
	assert.Equal(t, "kube-system", mocktest.Value(t, release, "namespace"))
	assert.Equal(t, "https://aws.github.io/eks-charts", mocktest.Value(t, release, "repositoryOpts.repo"))

	assert.Equal(t, "novacron-production", values["clusterName"])
	// Pods cannot reach the instance metadata service (hop limit 1): region and VPC are given.
	assert.Equal(t, "us-east-1", values["region"])
	assert.Equal(t, "vpc-0abc", values["vpcId"])
	assert.EqualValues(t, 2, values["replicaCount"])
	assert.Equal(t, false, values["enableServiceMutatorWebhook"],
		"the Service mutator webhook (failurePolicy Fail) blocks other releases' Services while the controller starts")
	assert.Equal(t, "aws-load-balancer-controller", sa["name"])
	assert.NotContains(t, sa, "annotations")
	assert.Empty(t, roleArnAnnotations(values, "values"), "Pod Identity needs no IRSA annotation")

	assert.Empty(t, eng.ByType("aws:acm/certificate:Certificate"), "no certificate without a domain")
	assert.Empty(t, eng.ByType("aws:route53/record:Record"))
}

// roleArnAnnotations lists where v holds the IRSA annotation key, at any depth.
func roleArnAnnotations(v any, path string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "eks.amazonaws.com/role-arn" {
				out = append(out, path+"."+k)
			}
			out = append(out, roleArnAnnotations(e, path+"."+k)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, roleArnAnnotations(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case string:
		if strings.Contains(v, "eks.amazonaws.com/role-arn") {
			out = append(out, path)
		}
	}
	return out
}

// The walk above must be able to fail.
func TestRoleArnAnnotationsFinds(t *testing.T) {
	assert.Equal(t, []string{"v.serviceAccount.annotations.eks.amazonaws.com/role-arn"}, roleArnAnnotations(map[string]any{
		"serviceAccount": map[string]any{"annotations": map[string]any{"eks.amazonaws.com/role-arn": "arn"}},
	}, "v"))
	assert.Equal(t, []string{"v.extra[0]"}, roleArnAnnotations(map[string]any{"extra": []any{"eks.amazonaws.com/role-arn: x"}}, "v"))
}

func TestValuesGolden(t *testing.T) {
	eng := run(t, baseArgs())
	v, ok := eng.Find("kubernetes:helm.sh/v3:Release", "lbc-release").Input("values")
	require.True(t, ok)
	require.False(t, v.ContainsSecrets())
	b, err := yaml.Marshal(v.Mappable())
	require.NoError(t, err)
	path := filepath.Join("testdata", "values.golden.yaml")
	if *update {
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	golden, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")
	var want, got map[string]any
	require.NoError(t, yaml.Unmarshal(golden, &want))
	require.NoError(t, yaml.Unmarshal(b, &got))
	assert.Equal(t, want, got)
}

func TestCertificateWithDNSValidation(t *testing.T) {
	a := baseArgs()
	a.CertificateDomain = "novacron.example.com"
	a.CertificateAlternativeNames = []string{"*.novacron.example.com", "api.other.example.com"}
	a.HostedZoneId = pulumi.String("Z0123456789")
	eng := run(t, a)

	comp := eng.Find("novacron:ingress:LoadBalancerController", "lbc")
	cert := eng.Find("aws:acm/certificate:Certificate", "lbc-cert")
	require.NotNil(t, cert)
	assert.Equal(t, comp.URN, cert.Parent)
	assert.Equal(t, "novacron.example.com", mocktest.Value(t, cert, "domainName"))
	assert.Equal(t, []any{"*.novacron.example.com", "api.other.example.com"}, mocktest.Value(t, cert, "subjectAlternativeNames"))
	assert.Equal(t, "DNS", mocktest.Value(t, cert, "validationMethod"))
	assert.Equal(t, "ENABLED", mocktest.Value(t, cert, "options.certificateTransparencyLoggingPreference"))

	// The wildcard shares its base name's record: two records for three names.
	records := eng.ByType("aws:route53/record:Record")
	require.Len(t, records, 2)
	var fqdns []any
	for _, base := range []string{"novacron.example.com", "api.other.example.com"} {
		r := eng.Find("aws:route53/record:Record", "lbc-cert-validation-"+base)
		require.NotNil(t, r, base)
		assert.Equal(t, "Z0123456789", mocktest.Value(t, r, "zoneId"))
		assert.Equal(t, "_abc."+base+".", mocktest.Value(t, r, "name"))
		assert.Equal(t, "CNAME", mocktest.Value(t, r, "type"))
		assert.Equal(t, []any{"_def." + base + ".acm-validations.aws."}, mocktest.Value(t, r, "records"))
		assert.EqualValues(t, 60, mocktest.Value(t, r, "ttl"))
		assert.Equal(t, true, mocktest.Value(t, r, "allowOverwrite"), "the record may already exist for another certificate of the name")
		fqdns = append(fqdns, "_abc."+base+".")
	}
	validation := eng.Find("aws:acm/certificateValidation:CertificateValidation", "lbc-cert-validation")
	require.NotNil(t, validation)
	assert.Equal(t, fqdns, mocktest.Value(t, validation, "validationRecordFqdns"))
	assert.Equal(t, "arn:aws:acm:us-east-1:123456789012:lbc-cert", mocktest.Value(t, validation, "certificateArn"))
}

func TestRejectsBadArgsBeforeRegistering(t *testing.T) {
	eng := mock.NewEngine("novacron-platform", "test", nil)
	a := baseArgs()
	a.CertificateDomain = "novacron.example.com"
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewLoadBalancerController(ctx, "lbc", a)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ingress "lbc": hostedZoneId must be set when certificateDomain is set`)
	assert.Empty(t, eng.Resources())
}
