package secrets

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Defaults for SecretsArgs and SecretSpec.
const (
	DefaultKeyDeletionWindowDays  = 30
	DefaultKeyRotationPeriodDays  = 365
	DefaultRotationDays           = 30
	DefaultRecoveryWindowDays     = 30
	DefaultExternalSecretsVersion = "2.10.0"
	DefaultExternalSecretsNS      = "external-secrets"
	DefaultClusterSecretStoreName = "aws-secrets-manager"
)

// secretNamePattern is the Secrets Manager name alphabet (AWS Secrets Manager API Reference,
// CreateSecret, Name): letters, digits and /_+=.@- up to 512 characters.
var secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)

// aliasPattern is the KMS alias name alphabet after "alias/" (AWS KMS API Reference, CreateAlias).
var aliasPattern = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]+$`)

// dnsLabel is a Kubernetes namespace name (RFC 1123 label).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// dnsSubdomain is a Kubernetes object name of a cluster-scoped resource (RFC 1123 subdomain).
var dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// SecretSpec declares one Secrets Manager secret. It never carries a plain value.
type SecretSpec struct {
	// Name is the secret's name after SecretNamePrefix, for example "api/database". Required.
	Name string
	// Description says what the secret is for. Default: "".
	Description string
	// Value is the initial secret string, stored as a Pulumi secret whatever its origin (for
	// example a config value set with `pulumi config set --secret`). Default: none (the secret
	// is created empty and filled by its owner or its rotation function).
	Value pulumi.StringInput
	// RotationLambdaArn is the Lambda function that rotates the secret. Default: none (no
	// rotation schedule).
	RotationLambdaArn pulumi.StringInput
	// RotationDays is the rotation interval; only with RotationLambdaArn. Default: 30.
	RotationDays int
	// RecoveryWindowDays is how long a deleted secret can still be restored (7 to 30); not with
	// SecretsArgs.DeleteSecretsWithoutRecovery. Default: 30.
	RecoveryWindowDays int
}

// SecretsArgs configures the keys, the secrets and the External Secrets Operator.
type SecretsArgs struct {
	// KeyAdministratorArns may administer (not use) all three keys, in addition to the account
	// root. Default: none.
	KeyAdministratorArns pulumi.StringArrayInput
	// DataKeyUserArns may use the data key (RDS, S3, ECR, EBS, AWS Backup through their
	// callers). Default: none (only principals the account grants through IAM).
	DataKeyUserArns pulumi.StringArrayInput
	// LogsKeyUserArns may use the logs key, besides CloudWatch Logs. Default: none.
	LogsKeyUserArns pulumi.StringArrayInput
	// SecretsKeyUserArns may use the secrets key through Secrets Manager. Default: none.
	SecretsKeyUserArns pulumi.StringArrayInput
	// KeyAliasPrefix starts each key's alias, followed by the purpose (data, logs, secrets).
	// Default: "alias/<component name>/".
	KeyAliasPrefix string
	// KeyDeletionWindowDays is the waiting period before a deleted key is gone (7 to 30).
	// Default: 30.
	KeyDeletionWindowDays int
	// KeyRotationPeriodDays is the automatic key rotation period (90 to 2560). Default: 365.
	KeyRotationPeriodDays int
	// SecretNamePrefix starts every secret's name, for example "novacron/production/".
	// Default: "".
	SecretNamePrefix string
	// Secrets are the secrets to create. Default: none.
	Secrets []SecretSpec
	// DeleteSecretsWithoutRecovery deletes the secrets at once when they are deleted, instead of
	// scheduling their deletion (recovery window 0). A secret scheduled for deletion keeps its
	// name until the window ends, so a stack that is destroyed and created again could not
	// create it (AWS Secrets Manager API Reference, DeleteSecret and CreateSecret). For
	// disposable stacks; not with Protect. Default: false.
	DeleteSecretsWithoutRecovery bool
	// ExternalSecretsChartVersion pins the external-secrets Helm chart. Default: "2.10.0".
	ExternalSecretsChartVersion string
	// ExternalSecretsNamespace is the operator's namespace. Default: "external-secrets".
	ExternalSecretsNamespace string
	// ClusterSecretStoreName names the ClusterSecretStore that ExternalSecrets reference.
	// Default: "aws-secrets-manager".
	ClusterSecretStoreName string
	// The operator itself is installed by Secrets.InstallExternalSecrets, once the cluster
	// exists; the three settings above are validated here, with the rest of the arguments.
	// Protect marks the three keys and the secrets protected, so that deleting them needs an
	// explicit unprotect: whatever the data key encrypts (databases, buckets, registries,
	// backups) becomes unreadable once the key is gone, as do the logs and the secrets with
	// theirs. Default: false.
	Protect bool
}

// Secrets is the platform's keys, secrets and secret delivery into the cluster.
type Secrets struct {
	pulumi.ResourceState

	// DataKeyArn is the ARN of the data key (databases, buckets, registries, backups).
	DataKeyArn pulumi.StringOutput
	// LogsKeyArn is the ARN of the logs key (CloudWatch log groups).
	LogsKeyArn pulumi.StringOutput
	// SecretsKeyArn is the ARN of the secrets key (Secrets Manager).
	SecretsKeyArn pulumi.StringOutput
	// SecretArns maps each declared secret's Name (without prefix) to its ARN.
	SecretArns pulumi.StringMapOutput

	// What InstallExternalSecrets needs from the construction.
	name       string
	args       SecretsArgs
	region     string
	secretArns pulumi.StringArray
	installed  bool
}

// Validate reports every problem with the arguments; fields are named as in config.
func (a *SecretsArgs) Validate() validate.Problems {
	var p validate.Problems
	d := a.withDefaults("x")
	if a.KeyAliasPrefix != "" && !aliasPattern.MatchString(a.KeyAliasPrefix+PurposeData) {
		p.Addf("keyAliasPrefix", "must start with \"alias/\" and use letters, digits, /, _ or -, got %q", a.KeyAliasPrefix)
	}
	p.IntRange("keyDeletionWindowDays", d.KeyDeletionWindowDays, 7, 30)
	p.IntRange("keyRotationPeriodDays", d.KeyRotationPeriodDays, 90, 2560)

	seen := map[string]bool{}
	for i, s := range a.Secrets {
		field := fmt.Sprintf("secrets[%d]", i)
		full := a.SecretNamePrefix + s.Name
		switch {
		case s.Name == "":
			p.Addf(field+".name", "must not be empty")
		case seen[s.Name]:
			p.Addf(field+".name", "must be unique, got %q twice", s.Name)
		case !secretNamePattern.MatchString(full):
			p.Addf(field+".name", "must give a secret name of up to 512 letters, digits or /_+=.@- characters, got %q", full)
		}
		seen[s.Name] = true
		sd := s.withDefaults()
		if s.RotationLambdaArn == nil && s.RotationDays != 0 {
			p.Addf(field+".rotationDays", "must not be set without rotationLambdaArn, got %d", s.RotationDays)
		} else {
			p.IntRange(field+".rotationDays", sd.RotationDays, 1, 1000)
		}
		// Secrets Manager takes 0 (delete without recovery) or 7 to 30 days (AWS Secrets Manager
		// API Reference, DeleteSecret, RecoveryWindowInDays).
		if a.DeleteSecretsWithoutRecovery && s.RecoveryWindowDays != 0 {
			p.Addf(field+".recoveryWindowDays", "must not be set with deleteSecretsWithoutRecovery, got %d", s.RecoveryWindowDays)
		} else {
			p.IntRange(field+".recoveryWindowDays", sd.RecoveryWindowDays, 7, 30)
		}
	}
	if a.DeleteSecretsWithoutRecovery && a.Protect {
		p.Addf("deleteSecretsWithoutRecovery", "must not be set with protect: protected secrets are never deleted by the program")
	}
	if !dnsLabel.MatchString(d.ExternalSecretsNamespace) {
		p.Addf("externalSecretsNamespace", "must be a Kubernetes namespace name (RFC 1123 label), got %q", d.ExternalSecretsNamespace)
	}
	if !dnsSubdomain.MatchString(d.ClusterSecretStoreName) {
		p.Addf("clusterSecretStoreName", "must be a Kubernetes object name (RFC 1123 subdomain), got %q", d.ClusterSecretStoreName)
	}
	if !semverLike.MatchString(d.ExternalSecretsChartVersion) {
		p.Addf("externalSecretsChartVersion", "must be an exact chart version such as %q, got %q",
			DefaultExternalSecretsVersion, d.ExternalSecretsChartVersion)
	}
	return p
}

// semverLike accepts exact versions only: a range would unpin the chart.
var semverLike = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

func (a SecretsArgs) withDefaults(name string) SecretsArgs {
	if a.KeyAliasPrefix == "" {
		a.KeyAliasPrefix = "alias/" + name + "/"
	}
	if a.KeyDeletionWindowDays == 0 {
		a.KeyDeletionWindowDays = DefaultKeyDeletionWindowDays
	}
	if a.KeyRotationPeriodDays == 0 {
		a.KeyRotationPeriodDays = DefaultKeyRotationPeriodDays
	}
	if a.ExternalSecretsChartVersion == "" {
		a.ExternalSecretsChartVersion = DefaultExternalSecretsVersion
	}
	if a.ExternalSecretsNamespace == "" {
		a.ExternalSecretsNamespace = DefaultExternalSecretsNS
	}
	if a.ClusterSecretStoreName == "" {
		a.ClusterSecretStoreName = DefaultClusterSecretStoreName
	}
	return a
}

func (s SecretSpec) withDefaults() SecretSpec {
	if s.RotationDays == 0 {
		s.RotationDays = DefaultRotationDays
	}
	if s.RecoveryWindowDays == 0 {
		s.RecoveryWindowDays = DefaultRecoveryWindowDays
	}
	return s
}

// NewSecrets creates the keys and the secrets. It needs no cluster, so that the network, the
// cluster and the database can use the keys (the logs key for their log groups); the External
// Secrets Operator follows once the cluster exists, with InstallExternalSecrets. Pass the AWS
// provider, if not the default, with pulumi.Providers.
func NewSecrets(ctx *pulumi.Context, name string, args *SecretsArgs, opts ...pulumi.ResourceOption) (*Secrets, error) {
	if args == nil {
		args = &SecretsArgs{}
	}
	if err := args.Validate().Err("secrets", name); err != nil {
		return nil, err
	}
	a := args.withDefaults(name)

	s := &Secrets{}
	if err := ctx.RegisterComponentResource("novacron:security:Secrets", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)

	// Data sources through the component, so they use the caller's AWS provider.
	region, err := aws.GetRegion(ctx, nil, parent)
	if err != nil {
		return nil, err
	}
	partition, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, err
	}
	caller, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, err
	}
	env := keyPolicy{Partition: partition.Partition, AccountID: caller.AccountId, Region: region.Name}

	// keep are the options of the resources that hold data: the keys and the secrets. Protect is
	// only added when asked for, so that a Protect passed to the component still reaches them.
	keep := []pulumi.ResourceOption{parent}
	if a.Protect {
		keep = append(keep, pulumi.Protect(true))
	}

	keys := map[string]*kms.Key{}
	for _, k := range []struct {
		purpose     string
		users       pulumi.StringArrayInput
		description string
	}{
		{PurposeData, a.DataKeyUserArns, "data at rest: databases, buckets, registries, backups"},
		{PurposeLogs, a.LogsKeyUserArns, "CloudWatch log groups"},
		{PurposeSecrets, a.SecretsKeyUserArns, "Secrets Manager secrets"},
	} {
		kp := env
		kp.Purpose = k.purpose
		policy := pulumi.All(orEmpty(a.KeyAdministratorArns), orEmpty(k.users)).ApplyT(func(v []any) (string, error) {
			kp.Administrators = v[0].([]string)
			kp.Users = v[1].([]string)
			return kp.document()
		}).(pulumi.StringOutput)
		key, err := kms.NewKey(ctx, name+"-"+k.purpose, &kms.KeyArgs{
			Description:          pulumi.String(fmt.Sprintf("%s %s key: %s", name, k.purpose, k.description)),
			EnableKeyRotation:    pulumi.Bool(true),
			RotationPeriodInDays: pulumi.Int(a.KeyRotationPeriodDays),
			DeletionWindowInDays: pulumi.Int(a.KeyDeletionWindowDays),
			Policy:               policy,
		}, keep...)
		if err != nil {
			return nil, err
		}
		if _, err := kms.NewAlias(ctx, name+"-"+k.purpose+"-alias", &kms.AliasArgs{
			Name:        pulumi.String(a.KeyAliasPrefix + k.purpose),
			TargetKeyId: key.KeyId,
		}, parent); err != nil {
			return nil, err
		}
		keys[k.purpose] = key
	}
	secretsKey := keys[PurposeSecrets]

	secretArns := pulumi.StringMap{}
	var arnList pulumi.StringArray
	for _, spec := range a.Secrets {
		sd := spec.withDefaults()
		child := name + "-" + spec.Name
		window := sd.RecoveryWindowDays
		if a.DeleteSecretsWithoutRecovery {
			window = 0
		}
		secretArgs := &secretsmanager.SecretArgs{
			Name:                 pulumi.String(a.SecretNamePrefix + spec.Name),
			KmsKeyId:             secretsKey.Arn,
			RecoveryWindowInDays: pulumi.Int(window),
		}
		if spec.Description != "" {
			secretArgs.Description = pulumi.String(spec.Description)
		}
		secret, err := secretsmanager.NewSecret(ctx, child, secretArgs, keep...)
		if err != nil {
			return nil, err
		}
		var rotationDeps []pulumi.Resource
		if spec.Value != nil {
			version, err := secretsmanager.NewSecretVersion(ctx, child+"-value", &secretsmanager.SecretVersionArgs{
				SecretId: secret.ID().ToStringOutput(),
				// Whatever the caller passed, the value is stored and shown as a secret. The
				// pulumi-aws SDK marks secretString secret too; wrapping here keeps the guarantee
				// independent of the SDK version.
				SecretString: pulumi.ToSecret(spec.Value.ToStringOutput()).(pulumi.StringOutput),
			}, parent)
			if err != nil {
				return nil, err
			}
			rotationDeps = append(rotationDeps, version)
		}
		if spec.RotationLambdaArn != nil {
			// After the initial value: a first rotation must not race the value being set.
			if _, err := secretsmanager.NewSecretRotation(ctx, child+"-rotation", &secretsmanager.SecretRotationArgs{
				SecretId:          secret.ID().ToStringOutput(),
				RotationLambdaArn: spec.RotationLambdaArn,
				RotationRules: &secretsmanager.SecretRotationRotationRulesArgs{
					AutomaticallyAfterDays: pulumi.Int(sd.RotationDays),
				},
			}, parent, pulumi.DependsOn(rotationDeps)); err != nil {
				return nil, err
			}
		}
		secretArns[spec.Name] = secret.Arn
		arnList = append(arnList, secret.Arn)
	}

	s.DataKeyArn = keys[PurposeData].Arn
	s.LogsKeyArn = keys[PurposeLogs].Arn
	s.SecretsKeyArn = secretsKey.Arn
	s.SecretArns = secretArns.ToStringMapOutput()
	s.name, s.args, s.region, s.secretArns = name, a, region.Name, arnList

	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"dataKeyArn":    s.DataKeyArn,
		"logsKeyArn":    s.LogsKeyArn,
		"secretsKeyArn": s.SecretsKeyArn,
		"secretArns":    s.SecretArns,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// orEmpty turns an absent list into an empty one, so that policies can always be rendered.
func orEmpty(in pulumi.StringArrayInput) pulumi.StringArrayOutput {
	if in == nil {
		return pulumi.StringArray{}.ToStringArrayOutput()
	}
	return in.ToStringArrayOutput()
}
