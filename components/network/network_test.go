package network

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

func run(t *testing.T, args *VpcArgs) (*mock.Engine, error) {
	t.Helper()
	return runStack(t, "test", args)
}

func runStack(t *testing.T, stack string, args *VpcArgs) (*mock.Engine, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", stack, nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewVpc(ctx, "main", args)
		return err
	})
	return eng, err
}

func TestPlanSubnets(t *testing.T) {
	tests := []struct {
		cidr    string
		zones   int
		want    Layout
		wantErr string
	}{
		{cidr: "10.0.0.0/16", zones: 3, want: Layout{
			Private:  []string{"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"},
			Public:   []string{"10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"},
			Database: []string{"10.0.224.0/24", "10.0.225.0/24", "10.0.226.0/24"},
		}},
		{cidr: "172.20.16.0/20", zones: 2, want: Layout{
			Private:  []string{"172.20.16.0/23", "172.20.18.0/23"},
			Public:   []string{"172.20.28.0/26", "172.20.28.64/26"},
			Database: []string{"172.20.30.0/28", "172.20.30.16/28"},
		}},
		{cidr: "10.0.0.0/21", zones: 3, wantErr: "cidr prefix must be between /16 and /20, got /21"},
		{cidr: "10.0.0.0/16", zones: 7, wantErr: "azCount must be between 1 and 6, got 7"},
		{cidr: "nope", zones: 3, wantErr: `cidr must be an IPv4 network address, got "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			got, err := PlanSubnets(tt.cidr, tt.zones)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPlanSubnetsSixZonesDoNotOverlap(t *testing.T) {
	l, err := PlanSubnets("10.0.0.0/16", 6)
	require.NoError(t, err)
	all := append(append(append([]string{}, l.Private...), l.Public...), l.Database...)
	assert.Equal(t, "10.0.160.0/19", l.Private[5])
	assert.Equal(t, "10.0.212.0/22", l.Public[5])
	assert.Equal(t, "10.0.229.0/24", l.Database[5])
	seen := map[string]bool{}
	for _, c := range all {
		assert.False(t, seen[c], "duplicate %s", c)
		seen[c] = true
	}
}

func TestVpcDefaults(t *testing.T) {
	eng, err := run(t, &VpcArgs{Region: "us-east-1", AvailabilityZones: zones})
	require.NoError(t, err)

	comp := eng.Find("novacron:network:Vpc", "main")
	require.NotNil(t, comp)

	vpc := eng.Find("aws:ec2/vpc:Vpc", "main")
	require.NotNil(t, vpc)
	assert.Equal(t, comp.URN, vpc.Parent)
	assert.Equal(t, "10.0.0.0/16", vpc.Inputs["cidrBlock"].StringValue())
	assert.True(t, vpc.Inputs["enableDnsHostnames"].BoolValue())

	subnets := eng.ByType("aws:ec2/subnet:Subnet")
	require.Len(t, subnets, 9)
	public := eng.Find("aws:ec2/subnet:Subnet", "main-public-us-east-1b")
	require.NotNil(t, public)
	assert.Equal(t, "10.0.196.0/22", public.Inputs["cidrBlock"].StringValue())
	tag, ok := public.Input("tags.kubernetes.io/role/elb")
	require.True(t, ok, "public subnets carry the ELB discovery tag")
	assert.Equal(t, "1", tag.StringValue())
	private := eng.Find("aws:ec2/subnet:Subnet", "main-private-us-east-1c")
	require.NotNil(t, private)
	assert.Equal(t, "10.0.64.0/19", private.Inputs["cidrBlock"].StringValue())
	tag, ok = private.Input("tags.kubernetes.io/role/internal-elb")
	require.True(t, ok, "private subnets carry the internal ELB discovery tag")
	assert.Equal(t, "1", tag.StringValue())
	for _, s := range subnets {
		assert.False(t, s.Inputs["mapPublicIpOnLaunch"].BoolValue(), s.Name)
	}

	assert.Len(t, eng.ByType("aws:ec2/natGateway:NatGateway"), 3, "one NAT gateway per zone by default")
	assert.Len(t, eng.ByType("aws:ec2/eip:Eip"), 3)

	dsg := eng.ByType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	require.Len(t, dsg, 1)
	assert.NotContains(t, dsg[0].Inputs, "ingress")
	assert.NotContains(t, dsg[0].Inputs, "egress")

	flow := eng.ByType("aws:ec2/flowLog:FlowLog")
	require.Len(t, flow, 1)
	assert.Equal(t, "ALL", flow[0].Inputs["trafficType"].StringValue())
	assert.Contains(t, flow[0].Dependencies, vpc.URN)
	group := eng.Find("aws:cloudwatch/logGroup:LogGroup", "main-flow-logs")
	require.NotNil(t, group)
	assert.Equal(t, 90.0, group.Inputs["retentionInDays"].NumberValue())
	assert.Equal(t, "/novacron/test/vpc/main/flow-logs", group.Inputs["name"].StringValue())

	endpoint := eng.Find("aws:ec2/vpcEndpoint:VpcEndpoint", "main-s3")
	require.NotNil(t, endpoint)
	assert.Equal(t, "com.amazonaws.us-east-1.s3", endpoint.Inputs["serviceName"].StringValue())
	assert.Len(t, endpoint.Inputs["routeTableIds"].ArrayValue(), 4, "database + one private table per zone")
}

func TestVpcSingleNatGateway(t *testing.T) {
	eng, err := run(t, &VpcArgs{
		Region: "us-east-1", AvailabilityZones: zones, SingleNatGateway: true,
		CidrBlock: "10.1.0.0/16", FlowLogRetentionDays: 30,
	})
	require.NoError(t, err)
	nats := eng.ByType("aws:ec2/natGateway:NatGateway")
	require.Len(t, nats, 1)
	natURN := nats[0].URN
	for _, az := range zones {
		rt := eng.Find("aws:ec2/routeTable:RouteTable", "main-private-"+az)
		require.NotNil(t, rt)
		assert.Contains(t, rt.Dependencies, natURN, "private route table of %s routes through the single NAT", az)
	}
	group := eng.Find("aws:cloudwatch/logGroup:LogGroup", "main-flow-logs")
	require.NotNil(t, group)
	assert.Equal(t, 30.0, group.Inputs["retentionInDays"].NumberValue())
	vpc := eng.Find("aws:ec2/vpc:Vpc", "main")
	require.NotNil(t, vpc)
	assert.Equal(t, "10.1.0.0/16", vpc.Inputs["cidrBlock"].StringValue())
}

// Two stacks in one account get distinct flow-log groups (log group names are unique per account
// and region).
func TestFlowLogGroupPerStack(t *testing.T) {
	names := map[string]string{}
	for _, stack := range []string{"staging", "production"} {
		eng, err := runStack(t, stack, &VpcArgs{Region: "us-east-1", AvailabilityZones: zones, FlowLogRetentionDays: 30})
		require.NoError(t, err)
		group := eng.Find("aws:cloudwatch/logGroup:LogGroup", "main-flow-logs")
		require.NotNil(t, group)
		names[stack] = group.Inputs["name"].StringValue()
	}
	assert.Equal(t, map[string]string{
		"staging":    "/novacron/staging/vpc/main/flow-logs",
		"production": "/novacron/production/vpc/main/flow-logs",
	}, names)
}

// The flow-log group is encrypted with the key given, and only then: without one, CloudWatch
// Logs uses its own key.
func TestFlowLogKmsKey(t *testing.T) {
	const logsKey = "arn:aws:kms:us-east-1:123456789012:key/logs"
	for _, key := range []string{"", logsKey} {
		args := &VpcArgs{Region: "us-east-1", AvailabilityZones: zones}
		if key != "" {
			args.FlowLogKmsKeyArn = pulumi.String(key)
		}
		eng, err := run(t, args)
		require.NoError(t, err)
		group := eng.Find("aws:cloudwatch/logGroup:LogGroup", "main-flow-logs")
		require.NotNil(t, group)
		got, ok := group.Inputs["kmsKeyId"]
		if key == "" {
			assert.False(t, ok, "no key unless one is given")
			continue
		}
		require.True(t, ok)
		assert.Equal(t, logsKey, got.StringValue())
	}
}

func TestVpcInvalidArgs(t *testing.T) {
	tests := []struct {
		name string
		args VpcArgs
		want string
	}{
		{"one zone", VpcArgs{Region: "us-east-1", AvailabilityZones: zones[:1]},
			`network "main": availabilityZones must name between 2 and 6 zones, got 1`},
		{"zone of another region", VpcArgs{Region: "us-east-1", AvailabilityZones: []string{"us-east-1a", "eu-west-1a"}},
			`network "main": availabilityZones must be zones of region us-east-1 (such as us-east-1a), got "eu-west-1a"`},
		{"repeated zone", VpcArgs{Region: "us-east-1", AvailabilityZones: []string{"us-east-1a", "us-east-1a"}},
			`network "main": availabilityZones must not repeat a zone, got "us-east-1a" twice`},
		{"bad cidr", VpcArgs{Region: "us-east-1", AvailabilityZones: zones, CidrBlock: "10.0.0.0/8"},
			`network "main": cidrBlock must have a prefix between /16 and /20, got "10.0.0.0/8"`},
		{"retention", VpcArgs{Region: "us-east-1", AvailabilityZones: zones, FlowLogRetentionDays: 42},
			`network "main": flowLogRetentionDays must be a CloudWatch Logs retention, one of [1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653], got 42`},
		{"retention CloudWatch does not offer", VpcArgs{Region: "us-east-1", AvailabilityZones: zones, FlowLogRetentionDays: 3650},
			`network "main": flowLogRetentionDays must be a CloudWatch Logs retention`},
		{"Docker bridge range", VpcArgs{Region: "us-east-1", AvailabilityZones: zones, CidrBlock: "172.17.0.0/16"},
			`network "main": cidrBlock must not overlap 172.17.0.0/16 (the Docker bridge range EKS nodes reserve), got "172.17.0.0/16"`},
		{"link-local range", VpcArgs{Region: "us-east-1", AvailabilityZones: zones, CidrBlock: "169.254.0.0/16"},
			`network "main": cidrBlock must not overlap 169.254.0.0/16`},
		{"public range", VpcArgs{Region: "us-east-1", AvailabilityZones: zones, CidrBlock: "52.94.0.0/16"},
			`network "main": cidrBlock must lie in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10), got "52.94.0.0/16"`},
		{"no region", VpcArgs{AvailabilityZones: zones},
			`network "main": region must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, err := run(t, &tt.args)
			require.ErrorContains(t, err, tt.want)
			assert.Empty(t, eng.Resources(), "nothing is registered when the arguments are invalid")
		})
	}
}

// PrivateSubnetTags reach the private subnets only: Karpenter launches nodes in the subnets its
// discovery tag marks, which must never be the public or database ones.
func TestPrivateSubnetTags(t *testing.T) {
	eng, err := run(t, &VpcArgs{Region: "us-east-1", AvailabilityZones: zones,
		PrivateSubnetTags: map[string]string{"karpenter.sh/discovery": "novacron-test"}})
	require.NoError(t, err)
	subnets := eng.ByType("aws:ec2/subnet:Subnet")
	require.Len(t, subnets, 9)
	tagged := 0
	for _, s := range subnets {
		tier, ok := s.Input("tags.novacron.io/tier")
		require.True(t, ok, s.Name)
		v, found := s.Input("tags.karpenter.sh/discovery")
		if tier.StringValue() != "private" {
			assert.False(t, found, "%s is not for nodes", s.Name)
			continue
		}
		tagged++
		require.True(t, found, "%s carries the discovery tag", s.Name)
		assert.Equal(t, "novacron-test", v.StringValue())
		elb, ok := s.Input("tags.kubernetes.io/role/internal-elb")
		require.True(t, ok, "%s keeps the internal load-balancer tag", s.Name)
		assert.Equal(t, "1", elb.StringValue())
		name, ok := s.Input("tags.Name")
		require.True(t, ok)
		assert.Equal(t, s.Name, name.StringValue())
	}
	assert.Equal(t, len(zones), tagged, "one private subnet per zone")

	// Without extra tags the private subnets keep only their own.
	eng, err = run(t, &VpcArgs{Region: "us-east-1", AvailabilityZones: zones})
	require.NoError(t, err)
	for _, s := range eng.ByType("aws:ec2/subnet:Subnet") {
		_, found := s.Input("tags.karpenter.sh/discovery")
		assert.False(t, found, s.Name)
	}
}
