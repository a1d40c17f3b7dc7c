package network

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/awslimits"
	"github.com/novacron/platform/internal/validate"
)

// Defaults for VpcArgs.
const (
	DefaultCidrBlock            = "10.0.0.0/16"
	DefaultFlowLogRetentionDays = 90
)

// FlowLogRetentionValues are the retention periods CloudWatch Logs accepts (PutRetentionPolicy API
// reference); 0 (never expire) is deliberately not offered.
var FlowLogRetentionValues = awslimits.LogRetentionDays

// VpcArgs configures a Vpc.
type VpcArgs struct {
	// Region is the AWS region the VPC lives in; every availability zone must belong to it.
	// Required.
	Region string
	// AvailabilityZones are the zones to spread subnets over, by name (no data-source lookup, so
	// a preview is deterministic). Between 2 and 6. Required.
	AvailabilityZones []string
	// CidrBlock is the VPC's IPv4 range, a /16 to /20 inside 10.0.0.0/8, 172.16.0.0/12,
	// 192.168.0.0/16 or 100.64.0.0/10, clear of 172.17.0.0/16 (the Docker bridge range EKS warns
	// about) and 169.254.0.0/16. Default: "10.0.0.0/16".
	CidrBlock string
	// SingleNatGateway routes every private subnet through one NAT gateway instead of one per
	// zone: cheaper, but a zone outage then cuts egress for all zones. Default: false.
	SingleNatGateway bool
	// FlowLogRetentionDays is how long VPC flow logs are kept in CloudWatch Logs; one of
	// FlowLogRetentionValues. Default: 90.
	FlowLogRetentionDays int
	// FlowLogKmsKeyArn encrypts the flow-log group with a customer-managed key; its key policy
	// must let the region's CloudWatch Logs principal use it (Amazon CloudWatch Logs User Guide,
	// "Encrypt log data in CloudWatch Logs using AWS Key Management Service"). CloudWatch Logs
	// encrypts with a service key when it is nil. Default: nil.
	FlowLogKmsKeyArn pulumi.StringInput
	// PrivateSubnetTags are extra tags of the private subnets, such as the discovery tag by
	// which Karpenter finds where to launch nodes ("karpenter.sh/discovery": the cluster name).
	// Default: none.
	PrivateSubnetTags map[string]string
}

func (a *VpcArgs) withDefaults() VpcArgs {
	out := *a
	if out.CidrBlock == "" {
		out.CidrBlock = DefaultCidrBlock
	}
	if out.FlowLogRetentionDays == 0 {
		out.FlowLogRetentionDays = DefaultFlowLogRetentionDays
	}
	return out
}

// Validate reports every problem with the plain arguments, after defaults are applied.
func (a *VpcArgs) Validate() validate.Problems {
	args := a.withDefaults()
	var p validate.Problems
	p.NotEmpty("region", args.Region)
	if n := len(args.AvailabilityZones); n < 2 || n > maxZones {
		p.Addf("availabilityZones", "must name between 2 and %d zones, got %d", maxZones, n)
	}
	seen := map[string]bool{}
	for _, az := range args.AvailabilityZones {
		switch {
		case seen[az]:
			p.Addf("availabilityZones", "must not repeat a zone, got %q twice", az)
		case args.Region != "" && !isZoneOf(az, args.Region):
			p.Addf("availabilityZones", "must be zones of region %s (such as %sa), got %q", args.Region, args.Region, az)
		}
		seen[az] = true
	}
	if prefix, ok := p.CIDR("cidrBlock", args.CidrBlock); ok {
		if b := prefix.Bits(); b < MinPrefix || b > MaxPrefix {
			p.Addf("cidrBlock", "must have a prefix between /%d and /%d, got %q", MinPrefix, MaxPrefix, args.CidrBlock)
		} else {
			// Private ranges only, clear of the Docker bridge and link-local ranges (awslimits
			// cites the VPC User Guide and the EKS networking requirements).
			awslimits.CheckVPCCIDR(&p, "cidrBlock", prefix)
		}
	}
	awslimits.CheckLogRetention(&p, "flowLogRetentionDays", args.FlowLogRetentionDays)
	return p
}

// isZoneOf reports whether az is a zone name of region: the region name plus one letter.
func isZoneOf(az, region string) bool {
	suffix, ok := strings.CutPrefix(az, region)
	return ok && len(suffix) == 1 && suffix[0] >= 'a' && suffix[0] <= 'z'
}

// Vpc is a VPC with public, private and database subnets in each zone, NAT, flow logs and an S3
// gateway endpoint.
type Vpc struct {
	pulumi.ResourceState

	VpcId             pulumi.StringOutput      `pulumi:"vpcId"`
	PublicSubnetIds   pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIds  pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	DatabaseSubnetIds pulumi.StringArrayOutput `pulumi:"databaseSubnetIds"`
	// Layout holds the subnet CIDRs. They are computed from the arguments, so they are known
	// before deployment (NetworkPolicies use the database CIDRs).
	Layout Layout
}

// NewVpc creates the network.
func NewVpc(ctx *pulumi.Context, name string, args *VpcArgs, opts ...pulumi.ResourceOption) (*Vpc, error) {
	if args == nil {
		args = &VpcArgs{}
	}
	if err := args.Validate().Err("network", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	layout, err := PlanSubnets(a.CidrBlock, len(a.AvailabilityZones))
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}

	v := &Vpc{Layout: layout}
	if err := ctx.RegisterComponentResource("novacron:network:Vpc", name, v, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(v)
	nameTag := func(suffix string) pulumi.StringMap {
		return pulumi.StringMap{"Name": pulumi.String(name + "-" + suffix)}
	}

	vpc, err := ec2.NewVpc(ctx, name, &ec2.VpcArgs{
		CidrBlock:          pulumi.String(a.CidrBlock),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true), // EKS nodes and RDS endpoints need DNS hostnames
		Tags:               nameTag("vpc"),
	}, parent)
	if err != nil {
		return nil, err
	}

	// Adopting the default security group with no rules leaves it empty: nothing that is put in
	// it by mistake can talk to anything (CIS AWS Foundations 5.4).
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  nameTag("default-deny"),
	}, parent); err != nil {
		return nil, err
	}

	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(), Tags: nameTag("igw"),
	}, parent)
	if err != nil {
		return nil, err
	}
	publicRoutes, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{
			CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID(),
		}},
		Tags: nameTag("public"),
	}, parent)
	if err != nil {
		return nil, err
	}
	// The database tier has no route out of the VPC at all.
	databaseRoutes, err := ec2.NewRouteTable(ctx, name+"-database", &ec2.RouteTableArgs{
		VpcId: vpc.ID(), Tags: nameTag("database"),
	}, parent)
	if err != nil {
		return nil, err
	}

	var publicIDs, privateIDs, databaseIDs pulumi.StringArray
	var natIDs []pulumi.IDOutput
	endpointRouteTables := pulumi.StringArray{databaseRoutes.ID()}
	for i, az := range a.AvailabilityZones {
		public, err := newSubnet(ctx, name, "public", az, layout.Public[i], vpc, publicRoutes, parent,
			pulumi.StringMap{"kubernetes.io/role/elb": pulumi.String("1")})
		if err != nil {
			return nil, err
		}
		publicIDs = append(publicIDs, public.ID())

		if !a.SingleNatGateway || i == 0 {
			eip, err := ec2.NewEip(ctx, fmt.Sprintf("%s-nat-%s", name, az), &ec2.EipArgs{
				Domain: pulumi.String("vpc"), Tags: nameTag("nat-" + az),
			}, parent)
			if err != nil {
				return nil, err
			}
			nat, err := ec2.NewNatGateway(ctx, fmt.Sprintf("%s-nat-%s", name, az), &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     public.ID(),
				Tags:         nameTag("nat-" + az),
			}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return nil, err
			}
			natIDs = append(natIDs, nat.ID())
		}

		privateRoutes, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-%s", name, az), &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{
				CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: natIDs[len(natIDs)-1],
			}},
			Tags: nameTag("private-" + az),
		}, parent)
		if err != nil {
			return nil, err
		}
		endpointRouteTables = append(endpointRouteTables, privateRoutes.ID())
		private, err := newSubnet(ctx, name, "private", az, layout.Private[i], vpc, privateRoutes, parent,
			privateSubnetTags(a.PrivateSubnetTags))
		if err != nil {
			return nil, err
		}
		privateIDs = append(privateIDs, private.ID())

		database, err := newSubnet(ctx, name, "database", az, layout.Database[i], vpc, databaseRoutes, parent, nil)
		if err != nil {
			return nil, err
		}
		databaseIDs = append(databaseIDs, database.ID())
	}

	// S3 traffic (image layers, backups, logs) stays on the AWS network and off the NAT bill.
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String("com.amazonaws." + a.Region + ".s3"),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   endpointRouteTables,
		Tags:            nameTag("s3"),
	}, parent); err != nil {
		return nil, err
	}

	if err := newFlowLogs(ctx, name, a, vpc, parent); err != nil {
		return nil, err
	}

	v.VpcId = vpc.ID().ToStringOutput()
	v.PublicSubnetIds = publicIDs.ToStringArrayOutput()
	v.PrivateSubnetIds = privateIDs.ToStringArrayOutput()
	v.DatabaseSubnetIds = databaseIDs.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(v, pulumi.Map{
		"vpcId":             v.VpcId,
		"publicSubnetIds":   v.PublicSubnetIds,
		"privateSubnetIds":  v.PrivateSubnetIds,
		"databaseSubnetIds": v.DatabaseSubnetIds,
	}); err != nil {
		return nil, err
	}
	return v, nil
}

func newSubnet(ctx *pulumi.Context, name, tier, az, cidr string, vpc *ec2.Vpc, routes *ec2.RouteTable,
	parent pulumi.ResourceOption, tags pulumi.StringMap,
) (*ec2.Subnet, error) {
	subnetName := fmt.Sprintf("%s-%s-%s", name, tier, az)
	allTags := pulumi.StringMap{"Name": pulumi.String(subnetName), "novacron.io/tier": pulumi.String(tier)}
	for k, v := range tags {
		allTags[k] = v
	}
	subnet, err := ec2.NewSubnet(ctx, subnetName, &ec2.SubnetArgs{
		VpcId:            vpc.ID(),
		CidrBlock:        pulumi.String(cidr),
		AvailabilityZone: pulumi.String(az),
		// Nothing gets a public address by accident: load balancers and NAT gateways bring their own.
		MapPublicIpOnLaunch: pulumi.Bool(false),
		Tags:                allTags,
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, subnetName, &ec2.RouteTableAssociationArgs{
		SubnetId: subnet.ID(), RouteTableId: routes.ID(),
	}, parent); err != nil {
		return nil, err
	}
	return subnet, nil
}

// flowLogGroupName is the CloudWatch Logs group of a Vpc's flow logs:
// "/novacron/<stack>/vpc/<name>/flow-logs".
func flowLogGroupName(stack, name string) string {
	return "/novacron/" + stack + "/vpc/" + name + "/flow-logs"
}

// newFlowLogs sends every accepted and rejected flow of the VPC to CloudWatch Logs.
func newFlowLogs(ctx *pulumi.Context, name string, a VpcArgs, vpc *ec2.Vpc, parent pulumi.ResourceOption) error {
	// Log group names are unique per account and region: the stack keeps two stacks that share
	// an account (staging and production) from colliding.
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(flowLogGroupName(ctx.Stack(), name)),
		RetentionInDays: pulumi.Int(a.FlowLogRetentionDays),
		KmsKeyId:        a.FlowLogKmsKeyArn,
	}, parent)
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(flowLogsTrustPolicy),
	}, parent)
	if err != nil {
		return err
	}
	// Least privilege: the role may write to this one log group and nothing else.
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":   "Allow",
				"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				"Resource": []string{arn, arn + ":*"},
			}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role: role.Name, Policy: policy,
	}, parent); err != nil {
		return err
	}
	_, err = ec2.NewFlowLog(ctx, name, &ec2.FlowLogArgs{
		VpcId:                  vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
	}, parent)
	return err
}

// flowLogsTrustPolicy lets only the VPC Flow Logs service assume the delivery role.
const flowLogsTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
	`"Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// privateSubnetTags are the private subnets' own tags: the internal load-balancer role, which the
// AWS Load Balancer Controller discovers them by, and the extra tags.
func privateSubnetTags(extra map[string]string) pulumi.StringMap {
	tags := pulumi.StringMap{"kubernetes.io/role/internal-elb": pulumi.String("1")}
	for k, v := range extra {
		tags[k] = pulumi.String(v)
	}
	return tags
}
