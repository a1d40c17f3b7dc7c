package stacks

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/components/cluster"
	"github.com/novacron/platform/components/database"
	"github.com/novacron/platform/components/network"
)

// Platform is everything one stack builds.
type Platform struct {
	Network  *network.Vpc
	Cluster  *cluster.Cluster
	Database *database.Postgres
}

// Run is the Pulumi program: load and validate the stack's configuration, build the platform,
// export its outputs. Invalid configuration stops it before any resource is registered.
func Run(ctx *pulumi.Context) error {
	cfg, err := Load(ctx.Stack(), func(key string) (string, bool) { return ctx.GetConfig(key) })
	if err != nil {
		return err
	}
	p, err := Deploy(ctx, cfg)
	if err != nil {
		return err
	}
	p.export(ctx)
	return nil
}

// Deploy composes the components for a loaded configuration.
func Deploy(ctx *pulumi.Context, cfg *Config) (*Platform, error) {
	// One explicit provider carries the region and the common tags to every AWS resource, and
	// lets the policy pack see those tags.
	awsProvider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region: pulumi.String(cfg.Region),
		DefaultTags: aws.ProviderDefaultTagsArgs{
			Tags: pulumi.ToStringMap(cfg.Tags),
		},
	})
	if err != nil {
		return nil, err
	}
	onAWS := pulumi.Providers(awsProvider)

	netArgs := cfg.Network
	vpc, err := network.NewVpc(ctx, "network", &netArgs, onAWS)
	if err != nil {
		return nil, err
	}

	clusterArgs := cfg.Cluster
	clusterArgs.VpcId = vpc.VpcId
	clusterArgs.PrivateSubnetIds = vpc.PrivateSubnetIds
	eks, err := cluster.NewCluster(ctx, "cluster", &clusterArgs, onAWS)
	if err != nil {
		return nil, err
	}

	dbArgs := cfg.Database
	dbArgs.VpcId = vpc.VpcId
	dbArgs.SubnetIds = vpc.DatabaseSubnetIds
	dbArgs.AllowedSecurityGroupIds = pulumi.StringArray{eks.NodeSecurityGroupId}
	db, err := database.NewPostgres(ctx, "postgres", &dbArgs, onAWS)
	if err != nil {
		return nil, err
	}

	return &Platform{Network: vpc, Cluster: eks, Database: db}, nil
}

func (p *Platform) export(ctx *pulumi.Context) {
	ctx.Export("vpcId", p.Network.VpcId)
	ctx.Export("publicSubnetIds", p.Network.PublicSubnetIds)
	ctx.Export("privateSubnetIds", p.Network.PrivateSubnetIds)
	ctx.Export("databaseSubnetIds", p.Network.DatabaseSubnetIds)
	ctx.Export("clusterName", p.Cluster.ClusterName)
	ctx.Export("clusterEndpoint", p.Cluster.Endpoint)
	ctx.Export("kubeconfig", p.Cluster.Kubeconfig)
	ctx.Export("nodeGroupNames", p.Cluster.NodeGroupNames)
	ctx.Export("databaseEndpoint", p.Database.Endpoint)
	ctx.Export("databaseSecretArn", p.Database.MasterSecretArn)
}
