package backup

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/novacron/platform/internal/validate"
)

// Defaults for PlanArgs. The daily run starts at 05:00 UTC, after the database's own backup
// window (03:00-04:00) and maintenance window (Sun 04:00-05:00); the monthly run on the 1st.
const (
	DefaultDailySchedule          = "cron(0 5 ? * * *)"
	DefaultDailyRetentionDays     = 35
	DefaultMonthlySchedule        = "cron(0 5 1 * ? *)"
	DefaultMonthlyRetentionMonths = 12
)

// SelectionTagKey and SelectionTagValue select what is backed up; storage.BackupTagKey and
// storage.BackupTagValue put buckets into the selection with the same pair. EnvironmentTagKey is
// the tag (a provider default tag of every stack) whose value must equal PlanArgs.Environment.
const (
	SelectionTagKey   = "backup"
	SelectionTagValue = "true"
	EnvironmentTagKey = "Environment"
)

// maxRetentionDays is the longest retention AWS Backup and Vault Lock accept (100 years), and
// minChangeableForDays the shortest grace period of a compliance-mode lock: AWS Backup enforces
// a 72-hour cooling-off period (AWS Backup API Reference, PutBackupVaultLockConfiguration).
const (
	maxRetentionDays     = 36500
	minChangeableForDays = 3
)

// PlanArgs configures the backup vault, plan and selection.
type PlanArgs struct {
	// KmsKeyArn is the customer-managed KMS key that encrypts the vault. Required.
	KmsKeyArn pulumi.StringInput
	// VaultName is the vault's name. Default: "" (auto-named from the component name).
	VaultName string
	// DailySchedule is the AWS Backup cron expression (UTC) of the daily rule.
	// Default: "cron(0 5 ? * * *)".
	DailySchedule string
	// DailyRetentionDays is how long daily recovery points are kept. Default: 35.
	DailyRetentionDays int
	// MonthlySchedule is the AWS Backup cron expression (UTC) of the monthly rule.
	// Default: "cron(0 5 1 * ? *)".
	MonthlySchedule string
	// MonthlyRetentionMonths is how long monthly recovery points are kept, in months of 365/12
	// days rounded up (12 months = 365 days); must exceed the daily retention. Default: 12.
	MonthlyRetentionMonths int
	// Environment is the value of the Environment tag of this stack's resources. The selection
	// only takes resources that carry it (and backup=true): tag selections are account-wide, and
	// without it the stacks sharing an account back up each other. Required.
	Environment string
	// BucketArns are the S3 buckets to back up (each must also carry both tags). Default: none.
	BucketArns pulumi.StringArrayInput
	// Region is the stack's region; required with CopyDestinationVaultArn, which must name a
	// vault in another region. Default: "".
	Region string
	// CopyDestinationVaultArn is a vault in another region that receives a copy of every recovery
	// point, kept as long as the original. Default: "" (no copy).
	CopyDestinationVaultArn string
	// ForceDestroy deletes every recovery point in the vault when the vault is deleted, so that a
	// disposable stack can be destroyed and created again: AWS Backup deletes only empty vaults
	// (AWS Backup API Reference, DeleteBackupVault). Not with a compliance-mode lock.
	// Default: false.
	ForceDestroy bool
	// VaultLock locks the vault so that recovery points cannot be deleted before
	// VaultLockMinRetentionDays nor kept beyond VaultLockMaxRetentionDays. Default: false.
	VaultLock bool
	// VaultLockMinRetentionDays is the lock's minimum retention; at most DailyRetentionDays.
	// Default: DailyRetentionDays.
	VaultLockMinRetentionDays int
	// VaultLockMaxRetentionDays is the lock's maximum retention; at least the monthly retention
	// in days. Default: the monthly retention in days.
	VaultLockMaxRetentionDays int
	// VaultLockChangeableForDays puts the lock in compliance mode: after this many days (at
	// least 3) it can no longer be changed or removed, by anyone. Default: 0 (governance mode,
	// removable by principals allowed to).
	VaultLockChangeableForDays int
}

// Plan is the backup vault with its plan, selection and service role.
type Plan struct {
	pulumi.ResourceState

	// VaultArn is the backup vault's ARN.
	VaultArn pulumi.StringOutput
	// VaultName is the backup vault's name.
	VaultName pulumi.StringOutput
	// PlanId is the backup plan's ID.
	PlanId pulumi.StringOutput
	// RoleArn is the ARN of the IAM role AWS Backup uses.
	RoleArn pulumi.StringOutput
}

// MonthsToDays converts a retention in months into days, rounding up so that a recovery point is
// never kept shorter than the months asked for (12 months = 365 days, 1 month = 31 days).
func MonthsToDays(months int) int {
	return (months*365 + 11) / 12
}

// Validate reports every problem with the arguments; fields are named as in config.
func (a *PlanArgs) Validate() validate.Problems {
	var p validate.Problems
	d := a.withDefaults()
	if a.KmsKeyArn == nil {
		p.Addf("kmsKeyArn", "must be set: the vault is encrypted with a customer-managed KMS key")
	}
	if a.VaultName != "" && !validVaultName(a.VaultName) {
		p.Addf("vaultName", "must be 2 to 50 letters, digits, hyphens or underscores, got %q", a.VaultName)
	}
	if strings.TrimSpace(a.Environment) == "" {
		p.Addf("environment", "must be set: it keeps the selection to this stack's resources")
	}
	checkCopyDestination(&p, a.CopyDestinationVaultArn, a.Region)
	checkSchedule(&p, "dailySchedule", d.DailySchedule)
	checkSchedule(&p, "monthlySchedule", d.MonthlySchedule)
	p.IntRange("dailyRetentionDays", d.DailyRetentionDays, 1, maxRetentionDays)
	p.IntRange("monthlyRetentionMonths", d.MonthlyRetentionMonths, 1, maxRetentionDays*12/365)
	monthlyDays := MonthsToDays(d.MonthlyRetentionMonths)
	if d.MonthlyRetentionMonths > 0 && d.DailyRetentionDays > 0 && monthlyDays <= d.DailyRetentionDays {
		p.Addf("monthlyRetentionMonths", "must keep monthly recovery points longer than daily ones (%d days), got %d months (%d days)",
			d.DailyRetentionDays, d.MonthlyRetentionMonths, monthlyDays)
	}
	if a.ForceDestroy && a.VaultLock && a.VaultLockChangeableForDays != 0 {
		// A compliance-mode lock cannot be removed once its grace period ends, and the recovery
		// points under it cannot be deleted before their retention ends (AWS Backup Developer
		// Guide, "AWS Backup Vault Lock").
		p.Addf("forceDestroy", "must not be set with a compliance-mode vault lock (vaultLockChangeableForDays %d): its recovery points cannot be deleted",
			a.VaultLockChangeableForDays)
	}
	if !a.VaultLock {
		for _, f := range []struct {
			field string
			v     int
		}{
			{"vaultLockMinRetentionDays", a.VaultLockMinRetentionDays},
			{"vaultLockMaxRetentionDays", a.VaultLockMaxRetentionDays},
			{"vaultLockChangeableForDays", a.VaultLockChangeableForDays},
		} {
			if f.v != 0 {
				p.Addf(f.field, "must not be set without vaultLock, got %d", f.v)
			}
		}
		return p
	}
	if d.VaultLockMinRetentionDays < 1 || d.VaultLockMinRetentionDays > d.DailyRetentionDays {
		p.Addf("vaultLockMinRetentionDays", "must be between 1 and dailyRetentionDays (%d) so that daily backups are accepted, got %d",
			d.DailyRetentionDays, d.VaultLockMinRetentionDays)
	}
	if d.VaultLockMaxRetentionDays < monthlyDays || d.VaultLockMaxRetentionDays > maxRetentionDays {
		p.Addf("vaultLockMaxRetentionDays", "must be between the monthly retention (%d days) and %d so that monthly backups are accepted, got %d",
			monthlyDays, maxRetentionDays, d.VaultLockMaxRetentionDays)
	}
	if c := a.VaultLockChangeableForDays; c != 0 && (c < minChangeableForDays || c > maxRetentionDays) {
		p.Addf("vaultLockChangeableForDays", "must be 0 (governance mode) or between %d and %d (compliance mode), got %d",
			minChangeableForDays, maxRetentionDays, c)
	}
	return p
}

// vaultNamePattern is the BackupVaultName pattern of the AWS Backup API (CreateBackupVault).
var vaultNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{2,50}$`)

// vaultArnPattern is a backup vault's ARN, arn:<partition>:backup:<region>:<account>:backup-vault:<name>
// (Service Authorization Reference, "Resource types defined by AWS Backup"); group 1 is the region.
var vaultArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:backup:([a-z]{2}(?:-[a-z]+)+-[0-9]+):[0-9]{12}:backup-vault:[A-Za-z0-9_-]{2,50}$`)

// checkCopyDestination accepts an empty destination or a vault ARN in another region than the
// stack's: the copy exists to survive the loss of the stack's region, which a vault in the same
// region does not.
func checkCopyDestination(p *validate.Problems, arn, region string) {
	if arn == "" {
		return
	}
	m := vaultArnPattern.FindStringSubmatch(arn)
	switch {
	case m == nil:
		p.Addf("copyDestinationVaultArn", "must be an AWS Backup vault ARN, got %q", arn)
	case region == "":
		p.Addf("region", "must be set with copyDestinationVaultArn: the copy must go to another region")
	case m[1] == region:
		p.Addf("copyDestinationVaultArn", "must be a vault in another region than the stack's (%s), got one in %s: a copy in the same region does not survive the loss of the region",
			region, m[1])
	}
}

func validVaultName(s string) bool {
	return vaultNamePattern.MatchString(s)
}

// checkSchedule accepts AWS Backup cron expressions (six fields: minutes hours day-of-month month
// day-of-week year) whose minutes field is one number, so that a rule runs at most hourly, the
// shortest interval AWS Backup allows between scheduled backups.
func checkSchedule(p *validate.Problems, field, expr string) {
	inner, ok := strings.CutPrefix(expr, "cron(")
	if ok {
		inner, ok = strings.CutSuffix(inner, ")")
	}
	fields := strings.Fields(inner)
	if !ok || len(fields) != 6 {
		p.Addf(field, "must be a cron expression with six fields such as %q, got %q", DefaultDailySchedule, expr)
		return
	}
	if m, err := strconv.Atoi(fields[0]); err != nil || m < 0 || m > 59 {
		p.Addf(field, "must run at most hourly: the minutes field must be one number from 0 to 59, got %q", fields[0])
	}
}

func (a PlanArgs) withDefaults() PlanArgs {
	if a.DailySchedule == "" {
		a.DailySchedule = DefaultDailySchedule
	}
	if a.DailyRetentionDays == 0 {
		a.DailyRetentionDays = DefaultDailyRetentionDays
	}
	if a.MonthlySchedule == "" {
		a.MonthlySchedule = DefaultMonthlySchedule
	}
	if a.MonthlyRetentionMonths == 0 {
		a.MonthlyRetentionMonths = DefaultMonthlyRetentionMonths
	}
	if a.VaultLockMinRetentionDays == 0 {
		a.VaultLockMinRetentionDays = a.DailyRetentionDays
	}
	if a.VaultLockMaxRetentionDays == 0 {
		a.VaultLockMaxRetentionDays = MonthsToDays(a.MonthlyRetentionMonths)
	}
	return a
}

// selectionResources are the resource types the plan may back up: this account's RDS DB
// instances and DB clusters in the stack's region, and the stack's buckets. AWS Backup ORs the
// entries of Resources with each other, ANDs the result with every Conditions entry, but ORs
// ListOfTags (selectionTags) with Resources, which would widen the selection to every resource
// so tagged (AWS Backup Developer Guide, "Assign resources with AWS CLI" and BackupSelection;
// AWS re:Post knowledge center, "backup-assign-resources", examples 1 and 2). So the selection
// uses Resources and Conditions only.
func selectionResources(partition, region, account string, buckets pulumi.StringArrayInput) pulumi.StringArrayOutput {
	rds := []string{
		"arn:" + partition + ":rds:" + region + ":" + account + ":db:*",
		"arn:" + partition + ":rds:" + region + ":" + account + ":cluster:*",
	}
	if buckets == nil {
		return pulumi.ToStringArray(rds).ToStringArrayOutput()
	}
	return buckets.ToStringArrayOutput().ApplyT(func(arns []string) []string {
		return append(slices.Clone(rds), arns...)
	}).(pulumi.StringArrayOutput)
}

// selectionConditions require both tags: backup=true and the stack's environment. Condition keys
// name tags as aws:ResourceTag/<key> (AWS Backup API Reference, BackupSelection, Conditions).
func selectionConditions(environment string) backup.SelectionConditionArray {
	return backup.SelectionConditionArray{&backup.SelectionConditionArgs{
		StringEquals: backup.SelectionConditionStringEqualArray{
			&backup.SelectionConditionStringEqualArgs{
				Key:   pulumi.String("aws:ResourceTag/" + SelectionTagKey),
				Value: pulumi.String(SelectionTagValue),
			},
			&backup.SelectionConditionStringEqualArgs{
				Key:   pulumi.String("aws:ResourceTag/" + EnvironmentTagKey),
				Value: pulumi.String(environment),
			},
		},
	}}
}

// managedPolicies are the AWS managed policies of the backup role. The general pair does not
// cover S3, which has its own pair (AWS Backup Developer Guide, "Managed policies for AWS
// Backup"; note the S3 ones live outside the service-role/ path).
var managedPolicies = []struct{ name, path string }{
	{"backup", "service-role/AWSBackupServiceRolePolicyForBackup"},
	{"restores", "service-role/AWSBackupServiceRolePolicyForRestores"},
	{"s3-backup", "AWSBackupServiceRolePolicyForS3Backup"},
	{"s3-restore", "AWSBackupServiceRolePolicyForS3Restore"},
}

// assumeRolePolicy lets only the AWS Backup service assume the role.
func assumeRolePolicy() (string, error) {
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "backup.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}},
	})
	return string(b), err
}

// NewPlan creates the vault, the optional vault lock, the plan, the service role and the
// selection of this stack's databases and buckets.
func NewPlan(ctx *pulumi.Context, name string, args *PlanArgs, opts ...pulumi.ResourceOption) (*Plan, error) {
	if args == nil {
		args = &PlanArgs{}
	}
	if err := args.Validate().Err("backup", name); err != nil {
		return nil, err
	}
	a := args.withDefaults()
	trust, err := assumeRolePolicy()
	if err != nil {
		return nil, err
	}

	pl := &Plan{}
	if err := ctx.RegisterComponentResource("novacron:backup:Plan", name, pl, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(pl)

	vaultArgs := &backup.VaultArgs{KmsKeyArn: a.KmsKeyArn}
	if a.ForceDestroy {
		vaultArgs.ForceDestroy = pulumi.Bool(true)
	}
	if a.VaultName != "" {
		vaultArgs.Name = pulumi.String(a.VaultName)
	}
	vault, err := backup.NewVault(ctx, name, vaultArgs, parent)
	if err != nil {
		return nil, err
	}

	if a.VaultLock {
		lockArgs := &backup.VaultLockConfigurationArgs{
			BackupVaultName:  vault.Name,
			MinRetentionDays: pulumi.Int(a.VaultLockMinRetentionDays),
			MaxRetentionDays: pulumi.Int(a.VaultLockMaxRetentionDays),
		}
		if a.VaultLockChangeableForDays > 0 {
			lockArgs.ChangeableForDays = pulumi.Int(a.VaultLockChangeableForDays)
		}
		if _, err := backup.NewVaultLockConfiguration(ctx, name+"-lock", lockArgs, parent); err != nil {
			return nil, err
		}
	}

	rule := func(ruleName, schedule string, days int) *backup.PlanRuleArgs {
		r := &backup.PlanRuleArgs{
			RuleName:        pulumi.String(ruleName),
			TargetVaultName: vault.Name,
			Schedule:        pulumi.String(schedule),
			Lifecycle:       &backup.PlanRuleLifecycleArgs{DeleteAfter: pulumi.Int(days)},
		}
		if a.CopyDestinationVaultArn != "" {
			r.CopyActions = backup.PlanRuleCopyActionArray{&backup.PlanRuleCopyActionArgs{
				DestinationVaultArn: pulumi.String(a.CopyDestinationVaultArn),
				Lifecycle:           &backup.PlanRuleCopyActionLifecycleArgs{DeleteAfter: pulumi.Int(days)},
			}}
		}
		return r
	}
	plan, err := backup.NewPlan(ctx, name, &backup.PlanArgs{
		Rules: backup.PlanRuleArray{
			rule("daily", a.DailySchedule, a.DailyRetentionDays),
			rule("monthly", a.MonthlySchedule, MonthsToDays(a.MonthlyRetentionMonths)),
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.String(fmt.Sprintf("AWS Backup service role of backup plan %s", name)),
	}, parent)
	if err != nil {
		return nil, err
	}
	partition, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, err
	}
	attachments := make([]pulumi.Resource, 0, len(managedPolicies))
	for _, mp := range managedPolicies {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-role-"+mp.name, &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String("arn:" + partition.Partition + ":iam::aws:policy/" + mp.path),
		}, parent)
		if err != nil {
			return nil, err
		}
		attachments = append(attachments, att)
	}

	region, err := aws.GetRegion(ctx, nil, parent)
	if err != nil {
		return nil, err
	}
	caller, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, err
	}
	// After the attachments: AWS Backup checks the role's permissions when the selection is created.
	// A selection holds no data, and every change to it replaces it: delete first, so that the
	// old and the new one never coexist in the plan.
	if _, err := backup.NewSelection(ctx, name+"-tagged", &backup.SelectionArgs{
		Name:       pulumi.String("tag-" + SelectionTagKey + "-" + SelectionTagValue + "-and-environment"),
		PlanId:     plan.ID().ToStringOutput(),
		IamRoleArn: role.Arn,
		Resources:  selectionResources(partition.Partition, region.Name, caller.AccountId, a.BucketArns),
		Conditions: selectionConditions(a.Environment),
	}, parent, pulumi.DependsOn(attachments), pulumi.DeleteBeforeReplace(true)); err != nil {
		return nil, err
	}

	pl.VaultArn = vault.Arn
	pl.VaultName = vault.Name
	pl.PlanId = plan.ID().ToStringOutput()
	pl.RoleArn = role.Arn
	if err := ctx.RegisterResourceOutputs(pl, pulumi.Map{
		"vaultArn":  pl.VaultArn,
		"vaultName": pl.VaultName,
		"planId":    pl.PlanId,
		"roleArn":   pl.RoleArn,
	}); err != nil {
		return nil, err
	}
	return pl, nil
}
