package stacks

import (
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/components/backup"
	"github.com/novacron/platform/components/cluster"
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

// BucketConfig is one data bucket: its logical name (the resource name and the key in outputs)
// and its arguments.
type BucketConfig struct {
	Name string
	Args storage.BucketArgs
}

// Services are the in-cluster and data services of a stack.
type Services struct {
	Monitoring      monitoring.StackArgs
	Telemetry       telemetry.PipelinesArgs
	Falco           falco.FalcoArgs
	Talon           falcotalon.TalonArgs
	Gatekeeper      gatekeeper.GatekeeperArgs
	NetworkPolicies netpol.NetworkPoliciesArgs
	Ingress         ingress.LoadBalancerControllerArgs
	Secrets         secrets.SecretsArgs
	Registry        registry.RepositoriesArgs
	// Buckets are the data buckets; each logs its access to the logs bucket.
	Buckets []BucketConfig
	// LogsBucket receives the data buckets' server access logs.
	LogsBucket storage.BucketArgs
	Backup     backup.PlanArgs
}

// mlTaint is the taint of the GPU pool, and systemTaint the system node group's; node-level
// agents (metrics, logs, Falco) tolerate both, so every node is watched.
var (
	mlTaint     = struct{ key, value, effect string }{"ml-workload", "true", "NoSchedule"}
	systemTaint = struct{ key, value, effect string }{cluster.SystemTaintKey, "true", "NoSchedule"}
)

// wired stands in, during validation, for an input the composition connects later (a key ARN,
// a role ARN, the cluster's OIDC provider): config does not provide them, so they are not
// config problems.
var wired = pulumi.String("wired-by-the-composition")

// Config values checked here rather than by a component: names and identifiers that the
// components take as given, and that AWS or Kubernetes would reject only halfway through an
// update.
var (
	bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$`)
	dnsLabelPattern   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	roleArnPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	principalPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$`)
	hostedZonePattern = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	// reservedNamespaces are Kubernetes' own and the platform's: application NetworkPolicies
	// (default deny) there would cut off DNS, the add-ons or the monitoring stack.
	reservedNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease",
		"monitoring", "falco", "external-secrets", "telemetry", "falco-talon", "gatekeeper-system"}
)

// matches reports a problem for key unless every value matches pattern.
func (r *reader) matches(key string, pattern *regexp.Regexp, what string, values ...string) {
	for _, v := range values {
		if v != "" && !pattern.MatchString(v) {
			r.fail(key, "must be %s, got %q", what, v)
		}
	}
}

func (r *reader) services(cfg *Config) Services {
	var s Services
	appNamespaces := r.strings("applicationNamespaces")
	for _, ns := range appNamespaces {
		switch {
		case !dnsLabelPattern.MatchString(ns):
			r.fail("applicationNamespaces", "must be Kubernetes namespace names (RFC 1123 labels), got %q", ns)
		case slices.Contains(reservedNamespaces, ns):
			r.fail("applicationNamespaces", "must not include %q: it is Kubernetes' or the platform's own, and a default-deny policy there breaks it", ns)
		}
	}

	s.Monitoring = monitoring.StackArgs{
		KubePrometheusStackVersion: r.str("kubePrometheusStackVersion"),
		BlackboxExporterVersion:    r.str("blackboxExporterVersion"),
		PrometheusRetention:        r.str("prometheusRetention"),
		PrometheusStorageSize:      r.str("prometheusStorageSize"),
		StorageClassName:           "fast-ssd",
		GrafanaStorageSize:         r.str("grafanaStorageSize"),
		ProbeURLs:                  r.strings("probeUrls"),
		NodeTolerations: []monitoring.Toleration{
			{Key: mlTaint.key, Value: mlTaint.value, Effect: mlTaint.effect},
			{Key: systemTaint.key, Value: systemTaint.value, Effect: systemTaint.effect},
		},
		APINamespaces:              appNamespaces,
		SlackChannel:               r.str("slackChannel"),
		WebhookURL:                 r.optionalStr("alertWebhookUrl"),
		DisableControlPlaneMetrics: !r.boolean("eksControlPlaneMetrics"),
		HeartbeatInterval:          r.str("heartbeatInterval"),
		WarningEscalationAfter:     r.str("warningEscalationAfter"),
		CapacityForecastHorizon:    r.str("capacityForecastHorizon"),
		RunbookBaseURL:             r.str("runbookBaseUrl"),
		// The pipelines' Service names are fixed, so Grafana's data sources and the pipeline
		// alerts are known before the pipelines exist.
		TelemetryNamespace: telemetry.DefaultNamespace,
		LokiURL:            telemetry.LokiURL(telemetry.DefaultNamespace),
		TempoURL:           telemetry.TempoURL(telemetry.DefaultNamespace),
		// Falco Talon is deployed in every stack: its scrape target must stay up.
		FalcoTalonNamespace: falcotalon.DefaultNamespace,
	}
	s.Telemetry = telemetry.PipelinesArgs{
		Environment:              cfg.Environment,
		Region:                   cfg.Region,
		LokiChartVersion:         r.str("lokiChartVersion"),
		TempoChartVersion:        r.str("tempoChartVersion"),
		CollectorChartVersion:    r.str("otelCollectorChartVersion"),
		LogsRetentionDays:        r.positive("lokiRetentionDays"),
		TracesRetentionDays:      r.positive("tempoRetentionDays"),
		SlowTraceThresholdMillis: r.positive("slowTraceThresholdMillis"),
		TraceSamplePercent:       float64(r.positive("traceSamplePercent")),
		NodeTolerations: []telemetry.Toleration{
			{Key: mlTaint.key, Value: mlTaint.value, Effect: mlTaint.effect},
			{Key: systemTaint.key, Value: systemTaint.value, Effect: systemTaint.effect},
		},
		ForceDestroy: !cfg.ProtectData,
	}
	s.Falco = falco.FalcoArgs{
		ChartVersion:          r.str("falcoChartVersion"),
		ApplicationNamespaces: appNamespaces,
	}
	extraRegistries := r.strings("gatekeeperExtraImageRegistries")
	s.Gatekeeper = gatekeeper.GatekeeperArgs{
		ChartVersion:          r.str("gatekeeperChartVersion"),
		ApplicationNamespaces: appNamespaces,
		// Falco Talon's chart runs in its own namespace, held to the platform's rules too.
		PlatformNamespaces:        append(slices.Clone(gatekeeper.DefaultPlatformNamespaces), falcotalon.DefaultNamespace),
		PlatformEnforcementAction: r.str("gatekeeperPlatformEnforcementAction"),
		// The stack's own ECR repositories come first; the composition adds them, since the
		// registry host names the account, which only the provider knows.
		ImageRegistries:          extraRegistries,
		AllowImagesWithoutDigest: r.boolean("gatekeeperAllowImagesWithoutDigest"),
		FailurePolicy:            r.str("gatekeeperFailurePolicy"),
		GPUNodeLabelKey:          "workload",
		GPUNodeLabelValue:        "ml",
		GPUTaintKey:              mlTaint.key,
		GPUTaintValue:            mlTaint.value,
		GPUTaintEffect:           mlTaint.effect,
	}
	s.Talon = falcotalon.TalonArgs{
		ChartVersion:                r.str("falcoTalonChartVersion"),
		ApplicationNamespaces:       appNamespaces,
		TerminateGracePeriodSeconds: r.positive("falcoTalonTerminateGracePeriodSeconds"),
		DryRun:                      r.boolean("falcoTalonDryRun"),
	}

	// The ALB of the load balancer controller sends traffic from the public subnets (IP target
	// mode), so they are the default ingress source of the API.
	ingressCIDRs := r.strings("ingressSourceCidrs")
	var layout network.Layout
	if l, err := network.PlanSubnets(cfg.Network.CidrBlock, len(cfg.Network.AvailabilityZones)); err == nil {
		layout = l
	}
	if len(ingressCIDRs) == 0 {
		ingressCIDRs = layout.Public
	}
	s.NetworkPolicies = netpol.NetworkPoliciesArgs{
		CreateNamespaces:   true,
		Namespaces:         appNamespaces,
		IngressSourceCIDRs: ingressCIDRs,
		DatabaseCIDRs:      layout.Database,
		TelemetryNamespace: telemetry.DefaultNamespace,
	}

	hostedZone := r.optionalStr("ingressHostedZoneId")
	r.matches("ingressHostedZoneId", hostedZonePattern, "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ", hostedZone)
	s.Ingress = ingress.LoadBalancerControllerArgs{
		Region:            cfg.Region,
		ChartVersion:      r.str("albControllerChartVersion"),
		CertificateDomain: r.optionalStr("ingressCertificateDomain"),
	}
	if hostedZone != "" {
		s.Ingress.HostedZoneId = pulumi.String(hostedZone)
	}

	var appSecrets []secrets.SecretSpec
	for _, name := range r.strings("applicationSecrets") {
		appSecrets = append(appSecrets, secrets.SecretSpec{
			Name:        name,
			Description: "NovaCron " + name + "; value set out of band, read in-cluster through External Secrets",
		})
	}
	keyAdmins := r.strings("kmsKeyAdministratorArns")
	r.matches("kmsKeyAdministratorArns", principalPattern, "IAM role, user or account-root ARNs", keyAdmins...)
	s.Secrets = secrets.SecretsArgs{
		KeyAdministratorArns:        pulumi.ToStringArray(keyAdmins),
		KeyAliasPrefix:              "alias/novacron/" + cfg.Stack + "/",
		KeyDeletionWindowDays:       r.positive("kmsKeyDeletionWindowDays"),
		SecretNamePrefix:            "novacron/" + cfg.Stack + "/",
		Secrets:                     appSecrets,
		ExternalSecretsChartVersion: r.str("externalSecretsChartVersion"),
		Protect:                     cfg.ProtectData,
		// A secret scheduled for deletion keeps its name: a disposable stack could not be
		// created again for up to 30 days.
		DeleteSecretsWithoutRecovery: !cfg.ProtectData,
	}

	s.Registry = registry.RepositoriesArgs{
		Services: r.strings("registryServices"),
		// The stack in the name lets staging and production share an account.
		NamePrefix:         "novacron/" + cfg.Stack + "/",
		KeepTaggedImages:   r.positive("registryKeepTaggedImages"),
		UntaggedExpiryDays: r.positive("registryUntaggedExpiryDays"),
		EnhancedScanning:   r.boolean("registryEnhancedScanning"),
		Protect:            cfg.ProtectData,
		ForceDelete:        !cfg.ProtectData,
	}
	if ci := r.optionalStr("ciRoleArn"); ci != "" {
		r.matches("ciRoleArn", roleArnPattern, "an IAM role ARN", ci)
		s.Registry.CiRoleArn = pulumi.String(ci)
	}

	lifecycle := storage.BucketArgs{
		StandardIaAfterDays:         r.positive("bucketStandardIaAfterDays"),
		GlacierAfterDays:            r.positive("bucketGlacierAfterDays"),
		NoncurrentVersionExpiryDays: r.positive("bucketNoncurrentVersionExpiryDays"),
		Backup:                      true,
		Protect:                     cfg.ProtectData,
		ForceDestroy:                !cfg.ProtectData,
	}
	seen := map[string]bool{"logs": true}
	for _, name := range r.strings("buckets") {
		switch {
		case !bucketNamePattern.MatchString(name):
			r.fail("buckets", "must be names of 3 to 32 lowercase letters, digits or '-', got %q", name)
		case seen[name]:
			r.fail("buckets", "must be unique and not %q (the access-log bucket), got %q twice or reserved", "logs", name)
		}
		seen[name] = true
		s.Buckets = append(s.Buckets, BucketConfig{Name: name, Args: lifecycle})
	}
	s.LogsBucket = storage.BucketArgs{
		AccessLogsTarget:         true,
		DisableGlacierTransition: true,
		ExpireAfterDays:          r.positive("accessLogRetentionDays"),
		Protect:                  cfg.ProtectData,
		ForceDestroy:             !cfg.ProtectData,
	}

	s.Backup = backup.PlanArgs{
		// The provider's default tags put the environment on every resource; the selection
		// requires it, so that stacks sharing an account never back up each other.
		Environment:             cfg.Environment,
		Region:                  cfg.Region,
		DailyRetentionDays:      r.positive("backupDailyRetentionDays"),
		MonthlyRetentionMonths:  r.positive("backupMonthlyRetentionMonths"),
		VaultLock:               r.boolean("backupVaultLock"),
		CopyDestinationVaultArn: r.optionalStr("backupCopyDestinationVaultArn"),
		ForceDestroy:            !cfg.ProtectData,
	}
	return s
}

// validate runs the components' own rules on copies whose wired inputs are stood in for.
func (r *reader) validateServices(s Services) {
	mon := s.Monitoring
	r.component(mon.Validate(), keyMapper("", map[string]string{
		"webhookUrl": "alertWebhookUrl", "apiNamespaces": "applicationNamespaces", "disableControlPlaneMetrics": "eksControlPlaneMetrics",
	}))
	tel := s.Telemetry
	// The key ARN is checked for its shape when it is a plain string, so it stands in as an output.
	tel.LogsKmsKeyArn = wired.ToStringOutput()
	tel.ClusterName, tel.AccessLogsBucket = wired, wired
	tel.ClusterNameValue = string(wired)
	r.component(tel.Validate(), keyMapper("", map[string]string{
		"lokiChartVersion": "lokiChartVersion", "tempoChartVersion": "tempoChartVersion",
		"collectorChartVersion": "otelCollectorChartVersion", "logsRetentionDays": "lokiRetentionDays",
		"tracesRetentionDays": "tempoRetentionDays", "region": "aws:region", "forceDestroy": "protectData",
	}))
	fal := s.Falco
	r.component(fal.Validate(), keyMapper("", map[string]string{"chartVersion": "falcoChartVersion"}))
	gk := s.Gatekeeper
	// The stack's own registry is wired by the composition; a registry host stands in for it.
	gk.ImageRegistries = append(slices.Clone(gk.ImageRegistries), "000000000000.dkr.ecr.us-east-1.amazonaws.com")
	r.component(gk.Validate(), keyMapper("gatekeeper", map[string]string{
		"applicationNamespaces": "applicationNamespaces", "imageRegistries": "gatekeeperExtraImageRegistries",
	}))
	talon := s.Talon
	r.component(talon.Validate(), keyMapper("falcoTalon", map[string]string{
		"applicationNamespaces": "applicationNamespaces",
	}))
	// Without a valid VPC there are no database CIDRs; the network's problem is already reported.
	if np := s.NetworkPolicies; len(np.DatabaseCIDRs) > 0 {
		r.component(np.Validate(), keyMapper("", map[string]string{
			"namespaces": "applicationNamespaces", "ingressSource": "ingressSourceCidrs",
			"ingressSourceCIDRs": "ingressSourceCidrs", "databaseCIDRs": "vpcCidr",
		}))
	}
	ing := s.Ingress
	ing.ClusterName, ing.VpcId = wired, wired
	ing.ClusterNameValue = string(wired)
	r.component(ing.Validate(), keyMapper("", map[string]string{
		"region": "aws:region", "chartVersion": "albControllerChartVersion",
		"certificateDomain": "ingressCertificateDomain", "hostedZoneId": "ingressHostedZoneId",
	}))
	sec := s.Secrets
	r.component(sec.Validate(), keyMapper("", map[string]string{
		"secrets": "applicationSecrets", "keyDeletionWindowDays": "kmsKeyDeletionWindowDays",
		"deleteSecretsWithoutRecovery": "protectData",
	}))
	reg := s.Registry
	reg.KmsKeyArn, reg.NodeRoleArn = wired, wired
	r.component(reg.Validate(), keyMapper("registry", map[string]string{"forceDelete": "protectData"}))
	for _, b := range s.Buckets {
		args := b.Args
		args.KmsKeyArn, args.AccessLogsBucket = wired, wired
		r.component(args.Validate(), keyMapper("bucket", map[string]string{"forceDestroy": "protectData"}))
	}
	logs := s.LogsBucket
	r.component(logs.Validate(), keyMapper("", map[string]string{
		"expireAfterDays": "accessLogRetentionDays", "forceDestroy": "protectData",
	}))
	bk := s.Backup
	bk.KmsKeyArn = wired
	r.component(bk.Validate(), keyMapper("backup", map[string]string{
		"copyDestinationVaultArn": "backupCopyDestinationVaultArn", "region": "aws:region",
		"environment": "environment", "forceDestroy": "protectData",
	}))
}

var indexSuffix = regexp.MustCompile(`\[[0-9]+\].*$`)

// keyMapper maps a component's field ("services[2]", "keepTaggedImages") to a config key: a
// rename when listed, otherwise prefix + the field ("registryKeepTaggedImages").
func keyMapper(prefix string, renames map[string]string) func(string) string {
	return func(field string) string {
		field = indexSuffix.ReplaceAllString(field, "")
		if key, ok := renames[field]; ok {
			return key
		}
		if prefix == "" {
			return field
		}
		return prefix + upperFirst(field)
	}
}

// optionalStr reads a string that may be empty.
func (r *reader) optionalStr(key string) string {
	v, _ := r.raw(key)
	return strings.TrimSpace(v)
}
