package stacks

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/components/backup"
	"github.com/novacron/platform/components/cluster"
	"github.com/novacron/platform/components/database"
	"github.com/novacron/platform/components/falco"
	"github.com/novacron/platform/components/falcotalon"
	"github.com/novacron/platform/components/gatekeeper"
	"github.com/novacron/platform/components/ingress"
	"github.com/novacron/platform/components/monitoring"
	"github.com/novacron/platform/components/netpol"
	"github.com/novacron/platform/components/network"
	"github.com/novacron/platform/components/registry"
	"github.com/novacron/platform/components/secrets"
	"github.com/novacron/platform/components/storage"
	"github.com/novacron/platform/components/telemetry"
)

// Platform is everything one stack builds.
type Platform struct {
	Network         *network.Vpc
	Cluster         *cluster.Cluster
	Database        *database.Postgres
	Secrets         *secrets.Secrets
	Registry        *registry.Repositories
	Buckets         map[string]*storage.Bucket
	Backup          *backup.Plan
	Monitoring      *monitoring.Stack
	Telemetry       *telemetry.Pipelines
	Falco           *falco.Falco
	Talon           *falcotalon.Talon
	Gatekeeper      *gatekeeper.Gatekeeper
	NetworkPolicies *netpol.NetworkPolicies
	Ingress         *ingress.LoadBalancerController
}

// Run is the Pulumi program: load and validate the stack's configuration, build the platform,
// export its outputs. Invalid configuration stops it before any resource is registered.
func Run(ctx *pulumi.Context) error {
	cfg, err := Load(ctx.Stack(), contextSource{ctx})
	if err != nil {
		return err
	}
	p, err := Deploy(ctx, cfg)
	if err != nil {
		return err
	}
	p.export(ctx, cfg)
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

	// The keys come first: the network, the cluster and the database encrypt their log groups
	// with the logs key, and CloudWatch Logs checks the key when a group is created with it.
	// The External Secrets Operator, which needs the cluster, is added to the same component
	// once the cluster exists (deployData).
	secretsArgs := cfg.Services.Secrets
	sec, err := secrets.NewSecrets(ctx, "secrets", &secretsArgs, onAWS)
	if err != nil {
		return nil, err
	}

	netArgs := cfg.Network
	netArgs.FlowLogKmsKeyArn = sec.LogsKeyArn
	vpc, err := network.NewVpc(ctx, "network", &netArgs, onAWS)
	if err != nil {
		return nil, err
	}

	clusterArgs := cfg.Cluster
	clusterArgs.VpcId = vpc.VpcId
	clusterArgs.PrivateSubnetIds = vpc.PrivateSubnetIds
	clusterArgs.LogsKmsKeyArn = sec.LogsKeyArn
	eks, err := cluster.NewCluster(ctx, "cluster", &clusterArgs, onAWS)
	if err != nil {
		return nil, err
	}

	dbArgs := cfg.Database
	dbArgs.VpcId = vpc.VpcId
	dbArgs.SubnetIds = vpc.DatabaseSubnetIds
	dbArgs.AllowedSecurityGroupIds = pulumi.StringArray{eks.NodeSecurityGroupId}
	dbArgs.LogsKmsKeyArn = sec.LogsKeyArn
	db, err := database.NewPostgres(ctx, "postgres", &dbArgs, onAWS)
	if err != nil {
		return nil, err
	}

	p := &Platform{Network: vpc, Cluster: eks, Database: db, Secrets: sec}
	if err := p.deployData(ctx, cfg, awsProvider); err != nil {
		return nil, err
	}
	if err := p.deployInCluster(ctx, cfg, awsProvider); err != nil {
		return nil, err
	}
	return p, nil
}

// deployData installs the External Secrets Operator and creates the registry, buckets and
// backups.
func (p *Platform) deployData(ctx *pulumi.Context, cfg *Config, awsProvider *aws.Provider) error {
	s := cfg.Services
	onAWS := pulumi.Providers(awsProvider)
	sec := p.Secrets

	if _, err := sec.InstallExternalSecrets(ctx, &secrets.ExternalSecretsArgs{
		ClusterName:      p.Cluster.ClusterName,
		ClusterNameValue: cfg.Cluster.ClusterName,
	}, pulumi.Providers(p.Cluster.Provider)); err != nil {
		return err
	}

	registryArgs := s.Registry
	registryArgs.KmsKeyArn = sec.DataKeyArn
	registryArgs.NodeRoleArn = p.Cluster.NodeRoleArn
	var err error
	if p.Registry, err = registry.NewRepositories(ctx, "registry", &registryArgs, onAWS); err != nil {
		return err
	}

	logsArgs := s.LogsBucket
	logs, err := storage.NewBucket(ctx, "logs", &logsArgs, onAWS)
	if err != nil {
		return err
	}
	p.Buckets = map[string]*storage.Bucket{"logs": logs}
	var backedUp pulumi.StringArray
	for _, b := range s.Buckets {
		args := b.Args
		args.KmsKeyArn = sec.DataKeyArn
		args.AccessLogsBucket = logs.BucketName
		if p.Buckets[b.Name], err = storage.NewBucket(ctx, b.Name, &args, onAWS); err != nil {
			return err
		}
		if args.Backup {
			backedUp = append(backedUp, p.Buckets[b.Name].BucketArn)
		}
	}

	backupArgs := s.Backup
	backupArgs.KmsKeyArn = sec.DataKeyArn
	backupArgs.BucketArns = backedUp
	p.Backup, err = backup.NewPlan(ctx, "backup", &backupArgs, onAWS)
	return err
}

// deployInCluster installs what runs inside Kubernetes. Everything created through the
// cluster's provider waits for the system node groups and the storage class, because the
// provider does; AWS resources of these components (IAM roles) do not wait.
func (p *Platform) deployInCluster(ctx *pulumi.Context, cfg *Config, awsProvider *aws.Provider) error {
	s := cfg.Services
	inCluster := []pulumi.ResourceOption{pulumi.Providers(p.Cluster.Provider)}

	monArgs := s.Monitoring
	monArgs.GrafanaAdminPassword = secretInput(cfg.Secrets.GrafanaAdminPassword)
	monArgs.PagerDutyRoutingKey = secretInput(cfg.Secrets.PagerDutyRoutingKey)
	monArgs.SlackWebhookURL = secretInput(cfg.Secrets.SlackWebhookURL)
	monArgs.HeartbeatURL = secretInput(cfg.Secrets.HeartbeatURL)
	mon, err := monitoring.NewStack(ctx, "monitoring", &monArgs, inCluster...)
	if err != nil {
		return err
	}
	p.Monitoring = mon

	telArgs := s.Telemetry
	telArgs.LogsKmsKeyArn = p.Secrets.LogsKeyArn
	telArgs.ClusterName, telArgs.ClusterNameValue = p.Cluster.ClusterName, cfg.Cluster.ClusterName
	telArgs.AccessLogsBucket = p.Buckets["logs"].BucketName
	// The charts' ServiceMonitors need the Prometheus Operator CRDs of kube-prometheus-stack.
	telArgs.WaitFor = []pulumi.Resource{mon.KubePrometheusStack}
	if p.Telemetry, err = telemetry.NewPipelines(ctx, "telemetry", &telArgs,
		pulumi.Providers(awsProvider, p.Cluster.Provider)); err != nil {
		return err
	}

	npArgs := s.NetworkPolicies
	if p.NetworkPolicies, err = netpol.NewNetworkPolicies(ctx, "network-policies", &npArgs, inCluster...); err != nil {
		return err
	}

	// Admission policies: images only from this stack's ECR repositories (and the configured
	// extra registries). The registry host names the account, which only the provider knows.
	caller, err := aws.GetCallerIdentity(ctx, nil, pulumi.Provider(awsProvider))
	if err != nil {
		return err
	}
	gkArgs := s.Gatekeeper
	gkArgs.ImageRegistries = append([]string{fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s",
		caller.AccountId, cfg.Region, strings.TrimSuffix(s.Registry.NamePrefix, "/"))}, gkArgs.ImageRegistries...)
	// Its PodMonitor needs the Prometheus Operator CRDs.
	gkArgs.WaitFor = []pulumi.Resource{mon.KubePrometheusStack}
	if p.Gatekeeper, err = gatekeeper.NewGatekeeper(ctx, "gatekeeper", &gkArgs,
		append(inCluster, pulumi.DependsOn(p.NetworkPolicies.Resources))...); err != nil {
		return err
	}

	// Talon acts in the application namespaces (Roles there), which the NetworkPolicies
	// component creates; Falco's falcosidekick posts to it.
	talonArgs := s.Talon
	talonArgs.SlackWebhookURL = secretInput(cfg.Secrets.SlackWebhookURL)
	// Its ServiceMonitor needs the Prometheus Operator CRDs.
	talonArgs.WaitFor = []pulumi.Resource{mon.KubePrometheusStack}
	if p.Talon, err = falcotalon.NewTalon(ctx, "falco-talon", &talonArgs,
		append(inCluster, pulumi.DependsOn(p.NetworkPolicies.Resources))...); err != nil {
		return err
	}

	falcoArgs := s.Falco
	falcoArgs.AlertmanagerURL = mon.AlertmanagerURL
	falcoArgs.TalonURL = p.Talon.URL
	if p.Falco, err = falco.NewFalco(ctx, "falco", &falcoArgs, inCluster...); err != nil {
		return err
	}

	ingressArgs := s.Ingress
	ingressArgs.ClusterName = p.Cluster.ClusterName
	ingressArgs.VpcId = p.Network.VpcId
	ingressArgs.ClusterNameValue = cfg.Cluster.ClusterName
	p.Ingress, err = ingress.NewLoadBalancerController(ctx, "ingress", &ingressArgs,
		pulumi.Providers(awsProvider, p.Cluster.Provider))
	return err
}

// secretInput turns a secret config value into a secret output: it stays encrypted in state and
// masked in every diff and log.
func secretInput(v SecretString) pulumi.StringInput {
	return pulumi.ToSecret(pulumi.String(string(v))).(pulumi.StringOutput)
}

// contextSource reads config the way the Pulumi CLI hands it to the program.
type contextSource struct{ ctx *pulumi.Context }

func (c contextSource) Get(key string) (string, bool) { return c.ctx.GetConfig(key) }
func (c contextSource) IsSecret(key string) bool      { return c.ctx.IsConfigSecret(key) }

// databaseReaderEndpoint is where read-only clients connect, "address:port": the reader
// endpoint of a Multi-AZ DB cluster, which RDS spreads over its two readable standbys. An
// instance has no readable copy (its Multi-AZ standby serves no reads), so the output is empty
// rather than the writer's address under another name.
func (p *Platform) databaseReaderEndpoint(cfg *Config) pulumi.StringOutput {
	if cfg.Database.Deployment == database.DeploymentCluster {
		return p.Database.ReaderEndpoint
	}
	return pulumi.String("").ToStringOutput()
}

func (p *Platform) export(ctx *pulumi.Context, cfg *Config) {
	ctx.Export("vpcId", p.Network.VpcId)
	ctx.Export("publicSubnetIds", p.Network.PublicSubnetIds)
	ctx.Export("privateSubnetIds", p.Network.PrivateSubnetIds)
	ctx.Export("databaseSubnetIds", p.Network.DatabaseSubnetIds)
	ctx.Export("clusterName", p.Cluster.ClusterName)
	ctx.Export("clusterEndpoint", p.Cluster.Endpoint)
	ctx.Export("kubeconfig", p.Cluster.Kubeconfig)
	ctx.Export("nodeGroupNames", p.Cluster.NodeGroupNames)
	ctx.Export("databaseEndpoint", p.Database.Endpoint)
	ctx.Export("databaseReaderEndpoint", p.databaseReaderEndpoint(cfg))
	ctx.Export("databaseSecretArn", p.Database.MasterSecretArn)
	ctx.Export("repositoryUrls", p.Registry.RepositoryUrls)
	buckets := pulumi.StringMap{}
	for name, b := range p.Buckets {
		buckets[name] = b.BucketName
	}
	ctx.Export("bucketNames", buckets)
	ctx.Export("backupVaultArn", p.Backup.VaultArn)
	ctx.Export("grafanaAdminSecretName", p.Monitoring.GrafanaAdminSecretName)
	ctx.Export("otlpGrpcEndpoint", p.Telemetry.OtlpGrpcEndpoint)
	ctx.Export("otlpHttpEndpoint", p.Telemetry.OtlpHttpEndpoint)
	ctx.Export("loadBalancerControllerRoleArn", p.Ingress.RoleArn)
}
