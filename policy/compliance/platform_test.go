package compliance

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// platform builds a stack shaped like the real program (DESIGN §1), compliant with the pack.
// As in the stack files, production's database is a Multi-AZ DB cluster and staging's a Multi-AZ
// instance; both are named "db". Each mutate function may change one resource's properties by
// name.
func platform(stack string, mutate map[string]func(map[string]any) map[string]any) []*mock.Resource {
	props := func(name string, p map[string]any) map[string]any {
		if f := mutate[name]; f != nil {
			return f(deepCopy(p).(map[string]any))
		}
		return p
	}
	provider := awsProvider(set(allTags, "Environment", stack))
	database := []*mock.Resource{res(tRDSParameterGroup, "main-pg", pgOK), res(tRDSInstance, "db", props("db", rdsOK))}
	if stack == "production" {
		database = []*mock.Resource{cpg(cpgOK), res(tRDSCluster, "db", props("db", rdsClusterOK))}
	}

	vpc := res(tVpc, "main", props("main", map[string]any{"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": true}))
	flowLogs := res("aws:cloudwatch/logGroup:LogGroup", "main-flow-logs", map[string]any{"retentionInDays": 365, "kmsKeyId": keyArn})
	flow := dependsOn(res(tFlowLog, "main-flow", map[string]any{"vpcId": "main-id", "trafficType": "ALL",
		"logDestinationType": "cloud-watch-logs"}), vpc, flowLogs)
	aws := []*mock.Resource{
		vpc, flowLogs, flow,
		dependsOn(res("aws:ec2/subnet:Subnet", "main-private-0", map[string]any{"vpcId": "main-id", "cidrBlock": "10.0.0.0/19"}), vpc),
		dependsOn(res("aws:ec2/internetGateway:InternetGateway", "main-igw", map[string]any{"vpcId": "main-id"}), vpc),
		res("aws:ec2/eip:Eip", "main-nat-0", map[string]any{"domain": "vpc"}),
		res("aws:ec2/natGateway:NatGateway", "main-nat-0", map[string]any{"subnetId": "main-public-0-id"}),
		res("aws:ec2/routeTable:RouteTable", "main-private-0", map[string]any{"vpcId": "main-id"}),
		res("aws:ec2/route:Route", "main-private-0-nat", map[string]any{"routeTableId": "rt", "destinationCidrBlock": "0.0.0.0/0"}),
		res("aws:ec2/routeTableAssociation:RouteTableAssociation", "main-private-0", map[string]any{"routeTableId": "rt", "subnetId": "s"}),
		res(tDefaultSG, "main-default", map[string]any{"vpcId": "main-id"}),
		res("aws:ec2/vpcEndpoint:VpcEndpoint", "main-s3", map[string]any{"vpcId": "main-id", "serviceName": "com.amazonaws.us-east-1.s3",
			"vpcEndpointType": "Gateway"}),

		res(tKMSKey, "cluster-secrets", map[string]any{"enableKeyRotation": true, "deletionWindowInDays": 30, "policy": keyPolicyOK, "description": "EKS secrets"}),
		res("aws:iam/role:Role", "cluster-node", map[string]any{"assumeRolePolicy": `{"Version":"2012-10-17","Statement":[]}`}),
		res(tIAMRole, "cluster-karpenter-controller", map[string]any{"assumeRolePolicy": podIdentityTrust}),
		res(tIAMRolePolicy, "cluster-karpenter-controller", map[string]any{"role": "cluster-karpenter-controller", "policy": karpenterControllerPolicyDoc}),
		res(tSQSQueue, "cluster-karpenter-interruption", queueOK),
		res(tSQSQueuePolicy, "cluster-karpenter-interruption", map[string]any{"queueUrl": "q", "policy": queuePolicyOK}),
		res(tIAMPolicy, "ingress-policy", map[string]any{"policy": controllerPolicyDoc()}),
		res(tIAMRolePolicyAttachment, "ingress-policy-attachment", map[string]any{"role": "ingress-role", "policyArn": "ingress-policy-arn"}),
		res(tLaunchTemplate, "cluster-system", props("system-lt", launchTemplateOK)),
		res(tNodeGroup, "cluster-system", props("system", systemNodeGroupOK)),
		res(tEKSAddon, "vpc-cni", map[string]any{"addonName": "vpc-cni", "clusterName": "novacron",
			"configurationValues": `{"enableNetworkPolicy":"true"}`}),
		res(tSecurityGroup, "db", map[string]any{"vpcId": "main-id", "description": "database"}),
		res(tSGIngressRule, "db-from-nodes", map[string]any{"securityGroupId": "db-id", "ipProtocol": "tcp",
			"fromPort": 5432, "toPort": 5432, "referencedSecurityGroupId": "nodes-id", "description": "PostgreSQL from the nodes"}),

		res(tKMSKey, "db", map[string]any{"enableKeyRotation": true, "policy": keyPolicyOK, "description": "database"}),
		res(tBackupVault, "backup", vaultOK),
		res(tBackupPlan, "backup", planOK),

		res(tECRRepository, "app", map[string]any{"imageTagMutability": "IMMUTABLE", "encryptionConfigurations": ecrOK["encryptionConfigurations"],
			"imageScanningConfiguration": map[string]any{"scanOnPush": true}}),
		res(tRepositoryPolicy, "app-policy", map[string]any{"repository": "app", "policy": repositoryPolicyOK}),
	}
	aws = append(aws, database...)
	aws = append(aws, withParts(bucketWith("artifacts", sseOK, pabOK, versioningOK, bucketPolicyOK), ownershipOK, lifecycleOK, loggingOK)...)
	secretRes := res(tSecret, "grafana-admin", map[string]any{"kmsKeyId": keyArn, "description": "Grafana admin"})
	aws = append(aws, secretRes, dependsOn(res(tSecretRotation, "grafana-admin", map[string]any{"secretId": "grafana-admin-id",
		"rotationRules": map[string]any{"automaticallyAfterDays": 30}}), secretRes))

	out := using(provider, aws...)
	ns := namespace("novacron")
	out = append(out,
		component(tEKSComponent, "cluster", props("cluster", eksClusterOK)),
		ns,
		dependsOn(networkPolicy("default-deny", "novacron", defaultDenySpec), ns),
		dependsOn(networkPolicy("allow-dns", "novacron", allowDNSSpec), ns),
		release("monitoring", "kube-prometheus-stack", "88.5.3", map[string]any{
			"grafana": map[string]any{"admin": map[string]any{"existingSecret": "grafana-admin"}},
		}),
		release("falco", "falco", "9.1.0", map[string]any{"tolerations": []any{map[string]any{"key": "ml-workload", "operator": "Exists"}}}),
		// Karpenter's pools: the cluster's nodes besides the system group.
		res(tEC2NodeClass, "cluster-karpenter-ec2nodeclass-general", props("general-class", nodeClassOK)),
		res(tEC2NodeClass, "cluster-karpenter-ec2nodeclass-ml", props("ml-class", set(nodeClassOK, "metadata.name", "ml"))),
		res(tNodePool, "cluster-karpenter-nodepool-general", props("general-pool", generalPoolOK)),
		res(tNodePool, "cluster-karpenter-nodepool-ml", props("ml-pool", mlPoolOK)),
	)
	return out
}

// podIdentityTrust lets the karpenter service account of kube-system assume the controller role
// through EKS Pod Identity.
var podIdentityTrust = doc(map[string]any{
	"Sid": "EksPodIdentity", "Effect": "Allow", "Principal": map[string]any{"Service": "pods.eks.amazonaws.com"},
	"Action": []any{"sts:AssumeRole", "sts:TagSession"},
	"Condition": map[string]any{"StringEquals": map[string]any{
		"aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "karpenter",
	}},
})

// karpenterControllerPolicyDoc is the shape of the Karpenter controller's policy: launches bound
// by the cluster's tags, reads bound to the region, the node role passed to EC2 only.
var karpenterControllerPolicyDoc = doc(
	with(allow([]any{"ec2:RunInstances", "ec2:CreateFleet"}, "arn:aws:ec2:us-east-1:*:launch-template/*"),
		"Condition", map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/kubernetes.io/cluster/novacron": "owned"}}),
	with(allow([]any{"ec2:TerminateInstances"}, "arn:aws:ec2:us-east-1:*:instance/*"),
		"Condition", map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/kubernetes.io/cluster/novacron": "owned"}}),
	with(allow([]any{"ec2:DescribeInstanceTypes", "ec2:DescribeSubnets", "ec2:DescribeImages"}, "*"),
		"Condition", map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "us-east-1"}}),
	with(allow("iam:PassRole", "arn:aws:iam::123456789012:role/novacron-karpenter-node"),
		"Condition", map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ec2.amazonaws.com"}}),
	allow("pricing:GetProducts", "*"),
)

func TestCompliantPlatform(t *testing.T) {
	for _, stack := range []string{"production", "staging"} {
		t.Run(stack, func(t *testing.T) {
			cfg, err := LoadConfigFile("../config." + stack + ".json")
			require.NoError(t, err)
			rep := Evaluate(platform(stack, nil), stack, cfg)
			assert.Empty(t, rep.Violations)
			assert.Empty(t, rep.Pending)
			for _, p := range rep.Policies {
				want := StatusPassed
				if PolicyByName(p.Name).skips(stack == "production") || PolicyByName(p.Name).Area == "account" {
					want = StatusNotApplicable
				}
				assert.Equal(t, want, p.Status, p.Name)
			}
			for _, f := range rep.Frameworks {
				if stack == "production" {
					assert.Equal(t, accountOnlyControls(f.Framework), f.NotChecked, f.Framework)
				}
				assert.Equal(t, 100.0, f.Score, f.Framework)
			}
			require.NoError(t, CheckMandatory(platform(stack, nil), stack, "../config."+stack+".json"))
		})
	}
}

// A broken copy of each stack: unencrypted RDS, public endpoint open to 0.0.0.0/0 and an
// untainted GPU pool produce exactly these mandatory violations.
func TestBrokenPlatform(t *testing.T) {
	dbType := map[string]string{"production": tRDSCluster, "staging": tRDSInstance}
	for _, stack := range []string{"production", "staging"} {
		t.Run(stack, func(t *testing.T) {
			broken := platform(stack, map[string]func(map[string]any) map[string]any{
				"db":      func(p map[string]any) map[string]any { return set(p, "storageEncrypted", false) },
				"cluster": func(p map[string]any) map[string]any { return set(p, "publicAccessCidrs", []any{"0.0.0.0/0"}) },
				"ml-pool": func(p map[string]any) map[string]any { return set(p, "spec.template.spec.taints", del) },
			})
			cfg, err := LoadConfigFile("../config." + stack + ".json")
			require.NoError(t, err)
			rep := Evaluate(broken, stack, cfg)
			var got []string
			for _, v := range rep.Mandatory() {
				got = append(got, v.Policy+" "+v.Type+" "+v.Name+": "+v.Message)
			}
			assert.ElementsMatch(t, []string{
				"rds-storage-encrypted " + dbType[stack] + " db: storageEncrypted is not true: storage, automated backups and snapshots are unencrypted",
				"eks-endpoint-access eks:index:Cluster cluster: the public API endpoint is open to 0.0.0.0/0",
				"eks-nodepool-gpu-tainted kubernetes:karpenter.sh/v1:NodePool cluster-karpenter-nodepool-ml: GPU node pool (g5.2xlarge) has no NoSchedule or NoExecute taint: general workloads can be scheduled on GPU nodes",
			}, got)
			assert.Len(t, rep.Violations, 3, "no advisory violation either")

			err = CheckMandatory(broken, stack, "../config."+stack+".json")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "3 mandatory policy violation(s)")

			failed := map[Framework][]string{}
			for _, f := range rep.Frameworks {
				failed[f.Framework] = f.FailedControls
				assert.Equal(t, f.InScope, f.Checked+len(f.NotChecked))
				if stack == "production" {
					assert.Equal(t, accountOnlyControls(f.Framework), f.NotChecked, "every platform control is checked in production")
				}
				assert.Equal(t, f.Checked-len(f.FailedControls), f.Passed)
			}
			assert.Equal(t, map[Framework][]string{
				SOC2:     {"A1.1", "CC6.1", "CC6.6"},
				ISO27001: {"A.8.6", "A.8.20", "A.8.24"},
				PCIDSS:   {"1.3.1", "3.5.1"},
				CISAWS:   {"2.3.1"},
				CISEKS:   {"5.4.1", "5.4.2"},
				GDPR:     {"Art. 32"},
			}, failed)
		})
	}
}

// accountOnlyControls are the controls of f that only account-baseline policies cover: a platform
// stack has nothing for them to check (policies_account_test.go checks them on a baseline).
func accountOnlyControls(f Framework) []string {
	platform, account := map[string]bool{}, map[string]bool{}
	for _, p := range Policies() {
		for _, c := range p.Controls {
			if c.Framework != f {
				continue
			}
			if p.Area == "account" {
				account[c.ID] = true
			} else {
				platform[c.ID] = true
			}
		}
	}
	var out []string
	for id := range account {
		if !platform[id] {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, compareControlIDs)
	return out
}
