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
	eng, err := construct(t, &PlanArgs{KmsKeyArn: pulumi.String(dataKey)})
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
	var tags []any
	for _, v := range mocktest.Input(t, sel, "selectionTags").ArrayValue() {
		tags = append(tags, v.ObjectValue().Mappable())
	}
	assert.Equal(t, []any{map[string]any{"type": "STRINGEQUALS", "key": "backup", "value": "true"}}, tags)
	for _, urn := range attachmentURNs {
		assert.Contains(t, sel.Dependencies, urn, "the selection waits for the role's policies")
	}
}

func TestProductionSettings(t *testing.T) {
	eng, err := construct(t, &PlanArgs{
		KmsKeyArn:                  pulumi.String(dataKey),
		VaultName:                  "novacron-production",
		MonthlyRetentionMonths:     24,
		CopyDestinationVaultArn:    pulumi.String(drVault),
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
		{"no key", PlanArgs{},
			`backup "platform": kmsKeyArn must be set: the vault is encrypted with a customer-managed KMS key`},
		{"bad vault name", PlanArgs{KmsKeyArn: key, VaultName: "novacron production"},
			`backup "platform": vaultName must be 2 to 50 letters, digits, hyphens or underscores, got "novacron production"`},
		{"rate expression", PlanArgs{KmsKeyArn: key, DailySchedule: "rate(1 day)"},
			`backup "platform": dailySchedule must be a cron expression with six fields such as "cron(0 5 ? * * *)", got "rate(1 day)"`},
		{"five fields", PlanArgs{KmsKeyArn: key, MonthlySchedule: "cron(0 5 1 * ?)"},
			`backup "platform": monthlySchedule must be a cron expression with six fields such as "cron(0 5 ? * * *)", got "cron(0 5 1 * ?)"`},
		{"every minute", PlanArgs{KmsKeyArn: key, DailySchedule: "cron(* 5 ? * * *)"},
			`backup "platform": dailySchedule must run at most hourly: the minutes field must be one number from 0 to 59, got "*"`},
		{"negative daily", PlanArgs{KmsKeyArn: key, DailyRetentionDays: -1},
			`backup "platform": dailyRetentionDays must be between 1 and 36500, got -1`},
		{"monthly not longer than daily", PlanArgs{KmsKeyArn: key, DailyRetentionDays: 400, MonthlyRetentionMonths: 12},
			`backup "platform": monthlyRetentionMonths must keep monthly recovery points longer than daily ones (400 days), got 12 months (365 days)`},
		{"lock bounds without lock", PlanArgs{KmsKeyArn: key, VaultLockMaxRetentionDays: 900},
			`backup "platform": vaultLockMaxRetentionDays must not be set without vaultLock, got 900`},
		{"lock min above daily", PlanArgs{KmsKeyArn: key, VaultLock: true, VaultLockMinRetentionDays: 60},
			`backup "platform": vaultLockMinRetentionDays must be between 1 and dailyRetentionDays (35) so that daily backups are accepted, got 60`},
		{"lock max below monthly", PlanArgs{KmsKeyArn: key, VaultLock: true, VaultLockMaxRetentionDays: 100},
			`backup "platform": vaultLockMaxRetentionDays must be between the monthly retention (365 days) and 36500 so that monthly backups are accepted, got 100`},
		{"compliance grace too short", PlanArgs{KmsKeyArn: key, VaultLock: true, VaultLockChangeableForDays: 1},
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
