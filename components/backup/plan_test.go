package backup

import (
	"flag"
	"testing"

	"github.com/novacron/platform/internal/golden"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/internal/mock/mocktest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	dataKey   = "arn:aws:kms:us-east-1:123456789012:key/data"
	drVault   = "arn:aws:backup:us-west-2:123456789012:backup-vault:novacron-dr"
	typVault  = "aws:backup/vault:Vault"
	typLock   = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
	typPlan   = "aws:backup/plan:Plan"
	typSelect = "aws:backup/selection:Selection"
	typRole   = "aws:iam/role:Role"
	typAttach = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
)

// assertGoldenJSON compares a rendered JSON document with testdata/<name>.
func assertGoldenJSON(t *testing.T, name, got string) {
	t.Helper()
	golden.JSON(t, name, got, *update)
}

func construct(t *testing.T, args *PlanArgs) (*mock.Engine, error) {
	t.Helper()
	eng := mock.NewEngine("novacron-platform", "test", nil)
	err := eng.Run(nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewPlan(ctx, "platform", args)
		return err
	})
	return eng, err
}

// rules returns the plan's rules by name, as plain maps.
func rules(t *testing.T, eng *mock.Engine) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range mocktest.Input(t, mocktest.Find(t, eng, typPlan, "platform"), "rules").ArrayValue() {
		m := r.ObjectValue().Mappable()
		out[m["ruleName"].(string)] = m
	}
	return out
}

func TestDefaults(t *testing.T) {
	eng, err := construct(t, &PlanArgs{KmsKeyArn: pulumi.String(dataKey), Environment: "staging"})
	require.NoError(t, err)

	comp := mocktest.Find(t, eng, "novacron:backup:Plan", "platform")
	for _, r := range eng.Resources() {
		if r != comp {
			assert.Equal(t, comp.URN, r.Parent, "%s %s must be a child of the component", r.Type, r.Name)
		}
	}

	vault := mocktest.Find(t, eng, typVault, "platform")
	assert.Equal(t, dataKey, mocktest.Input(t, vault, "kmsKeyArn").StringValue())
	_, forceDestroy := vault.Input("forceDestroy")
	assert.False(t, forceDestroy)
	assert.Empty(t, eng.ByType(typLock), "no vault lock unless asked")

	assert.Equal(t, map[string]map[string]any{
		"daily": {
			"ruleName":        "daily",
			"targetVaultName": "platform",
			"schedule":        "cron(0 5 ? * * *)",
			"lifecycle":       map[string]any{"deleteAfter": float64(35)},
		},
		"monthly": {
			"ruleName":        "monthly",
			"targetVaultName": "platform",
			"schedule":        "cron(0 5 1 * ? *)",
			"lifecycle":       map[string]any{"deleteAfter": float64(365)},
		},
	}, rules(t, eng), "no cold storage and no copy by default")

	role := mocktest.Find(t, eng, typRole, "platform-role")
	assertGoldenJSON(t, "backup-role-trust-policy.json", mocktest.Input(t, role, "assumeRolePolicy").StringValue())

	var attached []string
	var attachmentURNs []string
	for _, att := range eng.ByType(typAttach) {
		assert.Equal(t, "platform-role", mocktest.Input(t, att, "role").StringValue())
		attached = append(attached, mocktest.Input(t, att, "policyArn").StringValue())
		attachmentURNs = append(attachmentURNs, att.URN)
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
		"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
		"arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
		"arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
	}, attached)

	sel := mocktest.Find(t, eng, typSelect, "platform-tagged")
	assert.Equal(t, "platform-id", mocktest.Input(t, sel, "planId").StringValue())
	assert.Equal(t, "arn:aws:iam:us-east-1:123456789012:platform-role", mocktest.Input(t, sel, "iamRoleArn").StringValue())
	for _, urn := range attachmentURNs {
		assert.Contains(t, sel.Dependencies, urn, "the selection waits for the role's policies")
	}
	assert.True(t, sel.DeleteBeforeReplace, "a replaced selection is deleted first")
}

// TestSelectionStaysInTheStack checks that the selection takes only this stack's databases and
// buckets: explicit resource types, both tags as Conditions (ANDed with Resources), and no
// selectionTags (ListOfTags), which AWS Backup ORs with Resources and which would select every
// resource tagged backup=true in the account.
func TestSelectionStaysInTheStack(t *testing.T) {
	buckets := []string{"arn:aws:s3:::artifacts-1a2b3c", "arn:aws:s3:::backups-4d5e6f"}
	tests := []struct {
		name    string
		buckets pulumi.StringArrayInput
		want    []string
	}{
		{"databases only", nil, nil},
		{"databases and buckets", pulumi.ToStringArray(buckets), buckets},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, err := construct(t, &PlanArgs{KmsKeyArn: pulumi.String(dataKey), Environment: "production", BucketArns: tt.buckets})
			require.NoError(t, err)
			sel := mocktest.Find(t, eng, typSelect, "platform-tagged")

			_, hasTags := sel.Input("selectionTags")
			assert.False(t, hasTags, "selectionTags are ORed with resources and would widen the selection to the account")
			_, hasNot := sel.Input("notResources")
			assert.False(t, hasNot)

			want := append([]string{
				"arn:aws:rds:us-east-1:123456789012:db:*",
				"arn:aws:rds:us-east-1:123456789012:cluster:*",
			}, tt.want...)
			var got []string
			for _, v := range mocktest.Input(t, sel, "resources").ArrayValue() {
				got = append(got, v.StringValue())
			}
			assert.Equal(t, want, got, "RDS of this account and region, and exactly the stack's buckets")
			for _, r := range got {
				assert.NotEqual(t, "*", r, "never every resource of the account")
			}

			var conditions []any
			for _, v := range mocktest.Input(t, sel, "conditions").ArrayValue() {
				conditions = append(conditions, v.ObjectValue().Mappable())
			}
			assert.Equal(t, []any{map[string]any{"stringEquals": []any{
				map[string]any{"key": "aws:ResourceTag/backup", "value": "true"},
				map[string]any{"key": "aws:ResourceTag/Environment", "value": "production"},
			}}}, conditions, "both tags must match (Conditions are ANDed)")
		})
	}
}

func TestForceDestroy(t *testing.T) {
	for _, force := range []bool{false, true} {
		eng, err := construct(t, &PlanArgs{KmsKeyArn: pulumi.String(dataKey), Environment: "staging", ForceDestroy: force})
		require.NoError(t, err)
		v, ok := mocktest.Find(t, eng, typVault, "platform").Input("forceDestroy")
		assert.Equal(t, force, ok && v.BoolValue(), "forceDestroy %t", force)
	}
}

func TestProductionSettings(t *testing.T) {
	eng, err := construct(t, &PlanArgs{
		KmsKeyArn:                  pulumi.String(dataKey),
		Environment:                "production",
		VaultName:                  "novacron-production",
		MonthlyRetentionMonths:     24,
		Region:                     "us-east-1",
		CopyDestinationVaultArn:    drVault,
		VaultLock:                  true,
		VaultLockChangeableForDays: 3,
	})
	require.NoError(t, err)

	assert.Equal(t, "novacron-production", mocktest.Input(t, mocktest.Find(t, eng, typVault, "platform"), "name").StringValue())
	lock := mocktest.Find(t, eng, typLock, "platform-lock")
	assert.Equal(t, map[string]any{
		"backupVaultName":   "novacron-production",
		"minRetentionDays":  float64(35),
		"maxRetentionDays":  float64(730),
		"changeableForDays": float64(3),
	}, lock.Inputs.Mappable())

	got := rules(t, eng)
	for name, days := range map[string]float64{"daily": 35, "monthly": 730} {
		assert.Equal(t, "novacron-production", got[name]["targetVaultName"])
		assert.Equal(t, map[string]any{"deleteAfter": days}, got[name]["lifecycle"])
		assert.Equal(t, []any{map[string]any{
			"destinationVaultArn": drVault,
			"lifecycle":           map[string]any{"deleteAfter": days},
		}}, got[name]["copyActions"], "%s recovery points are copied and kept as long", name)
	}
}

func TestGovernanceLockWithExplicitBounds(t *testing.T) {
	eng, err := construct(t, &PlanArgs{
		KmsKeyArn:                 pulumi.String(dataKey),
		Environment:               "production",
		DailyRetentionDays:        14,
		MonthlyRetentionMonths:    6,
		VaultLock:                 true,
		VaultLockMinRetentionDays: 7,
		VaultLockMaxRetentionDays: 400,
	})
	require.NoError(t, err)
	lock := mocktest.Find(t, eng, typLock, "platform-lock")
	assert.Equal(t, map[string]any{
		"backupVaultName":  "platform",
		"minRetentionDays": float64(7),
		"maxRetentionDays": float64(400),
	}, lock.Inputs.Mappable(), "without changeableForDays the lock stays in governance mode")
	got := rules(t, eng)
	assert.Equal(t, map[string]any{"deleteAfter": float64(14)}, got["daily"]["lifecycle"])
	assert.Equal(t, map[string]any{"deleteAfter": float64(183)}, got["monthly"]["lifecycle"])
}

func TestMonthsToDays(t *testing.T) {
	for months, days := range map[int]int{1: 31, 2: 61, 6: 183, 12: 365, 24: 730, 120: 3650} {
		assert.Equal(t, days, MonthsToDays(months), "%d months", months)
		assert.GreaterOrEqual(t, float64(days), float64(months)*365/12, "never shorter than asked")
	}
}

func TestInvalidArgs(t *testing.T) {
	key := pulumi.String(dataKey)
	tests := []struct {
		name string
		args PlanArgs
		want string
	}{
		{"no key", PlanArgs{Environment: "staging"},
			`backup "platform": kmsKeyArn must be set: the vault is encrypted with a customer-managed KMS key`},
		{"no environment", PlanArgs{KmsKeyArn: key},
			`backup "platform": environment must be set: it keeps the selection to this stack's resources`},
		{"copy destination not a vault ARN", PlanArgs{KmsKeyArn: key, Environment: "staging", Region: "us-east-1", CopyDestinationVaultArn: "us-west-2"},
			`backup "platform": copyDestinationVaultArn must be an AWS Backup vault ARN, got "us-west-2"`},
		{"copy destination in the stack's region", PlanArgs{KmsKeyArn: key, Environment: "staging", Region: "us-east-1",
			CopyDestinationVaultArn: "arn:aws:backup:us-east-1:123456789012:backup-vault:novacron-dr"},
			`backup "platform": copyDestinationVaultArn must be a vault in another region than the stack's (us-east-1), got one in us-east-1`},
		{"copy destination without the stack's region", PlanArgs{KmsKeyArn: key, Environment: "staging", CopyDestinationVaultArn: drVault},
			`backup "platform": region must be set with copyDestinationVaultArn`},
		{"force destroy under a compliance lock", PlanArgs{KmsKeyArn: key, Environment: "staging", ForceDestroy: true, VaultLock: true, VaultLockChangeableForDays: 3},
			`backup "platform": forceDestroy must not be set with a compliance-mode vault lock (vaultLockChangeableForDays 3)`},
		{"bad vault name", PlanArgs{KmsKeyArn: key, Environment: "staging", VaultName: "novacron production"},
			`backup "platform": vaultName must be 2 to 50 letters, digits, hyphens or underscores, got "novacron production"`},
		{"rate expression", PlanArgs{KmsKeyArn: key, Environment: "staging", DailySchedule: "rate(1 day)"},
			`backup "platform": dailySchedule must be a cron expression with six fields such as "cron(0 5 ? * * *)", got "rate(1 day)"`},
		{"five fields", PlanArgs{KmsKeyArn: key, Environment: "staging", MonthlySchedule: "cron(0 5 1 * ?)"},
			`backup "platform": monthlySchedule must be a cron expression with six fields such as "cron(0 5 ? * * *)", got "cron(0 5 1 * ?)"`},
		{"every minute", PlanArgs{KmsKeyArn: key, Environment: "staging", DailySchedule: "cron(* 5 ? * * *)"},
			`backup "platform": dailySchedule must run at most hourly: the minutes field must be one number from 0 to 59, got "*"`},
		{"negative daily", PlanArgs{KmsKeyArn: key, Environment: "staging", DailyRetentionDays: -1},
			`backup "platform": dailyRetentionDays must be between 1 and 36500, got -1`},
		{"monthly not longer than daily", PlanArgs{KmsKeyArn: key, Environment: "staging", DailyRetentionDays: 400, MonthlyRetentionMonths: 12},
			`backup "platform": monthlyRetentionMonths must keep monthly recovery points longer than daily ones (400 days), got 12 months (365 days)`},
		{"lock bounds without lock", PlanArgs{KmsKeyArn: key, Environment: "staging", VaultLockMaxRetentionDays: 900},
			`backup "platform": vaultLockMaxRetentionDays must not be set without vaultLock, got 900`},
		{"lock min above daily", PlanArgs{KmsKeyArn: key, Environment: "staging", VaultLock: true, VaultLockMinRetentionDays: 60},
			`backup "platform": vaultLockMinRetentionDays must be between 1 and dailyRetentionDays (35) so that daily backups are accepted, got 60`},
		{"lock max below monthly", PlanArgs{KmsKeyArn: key, Environment: "staging", VaultLock: true, VaultLockMaxRetentionDays: 100},
			`backup "platform": vaultLockMaxRetentionDays must be between the monthly retention (365 days) and 36500 so that monthly backups are accepted, got 100`},
		{"compliance grace too short", PlanArgs{KmsKeyArn: key, Environment: "staging", VaultLock: true, VaultLockChangeableForDays: 1},
			`backup "platform": vaultLockChangeableForDays must be 0 (governance mode) or between 3 and 36500 (compliance mode), got 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			require.Len(t, args.Validate(), 1, "%v", args.Validate())
			eng, err := construct(t, &args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, eng.Resources(), "nothing may be registered when the arguments are invalid")
		})
	}
}
