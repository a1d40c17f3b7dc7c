package stacks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDatabaseConfigRefusedByRDS feeds the database keys values RDS would refuse halfway through
// an update, and expects one error naming the stack and the key before anything is registered.
func TestDatabaseConfigRefusedByRDS(t *testing.T) {
	tests := []struct {
		name, stack string
		edit        map[string]string
		want        string
	}{
		{"the previous production shape: an instance with a read replica", "production",
			map[string]string{"dbDeployment": "instance", "dbInstanceClass": "db.r6g.xlarge", "dbEngineVersion": "17", "dbReadReplicaCount": "1"},
			`production: novacron-platform:dbReadReplicaCount must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages; use deployment "cluster" for two readable standbys, got 1`},
		{"unknown deployment", "production", map[string]string{"dbDeployment": "aurora"},
			`production: novacron-platform:dbDeployment must be one of [instance cluster], got "aurora"`},
		{"cluster on the plan's class", "production", map[string]string{"dbInstanceClass": "db.r6g.xlarge"},
			`production: novacron-platform:dbInstanceClass must be a class a Multi-AZ DB cluster runs on`},
		{"cluster on a major version only", "production", map[string]string{"dbEngineVersion": "17"},
			`production: novacron-platform:dbEngineVersion must be an exact major.minor version such as "17.9" for a Multi-AZ DB cluster, got "17"`},
		{"cluster with storage autoscaling", "production", map[string]string{"dbMaxAllocatedStorageGb": "2000"},
			`production: novacron-platform:dbMaxAllocatedStorageGb must be unset (0) for a Multi-AZ DB cluster`},
		{"single-AZ cluster", "production", map[string]string{"dbMultiAz": "false"},
			`production: novacron-platform:dbMultiAz must be false for a Multi-AZ DB cluster`},
		{"cluster in two zones", "production", map[string]string{"availabilityZones": `["us-east-1a","us-east-1b"]`},
			`production: novacron-platform:dbDeployment "cluster" needs database subnets in at least three zones, got 2 in availabilityZones`},
		{"cluster on small gp3", "production", map[string]string{"dbAllocatedStorageGb": "200"},
			`production: novacron-platform:dbAllocatedStorageGb must be at least 400 GiB for gp3 storage in a Multi-AZ DB cluster`},
		{"log retention", "production", map[string]string{"dbLogRetentionDays": "100"},
			`production: novacron-platform:dbLogRetentionDays must be a CloudWatch Logs retention, one of`},
		{"gp3 IOPS on a small instance", "staging", map[string]string{"dbIops": "3000"},
			`staging: novacron-platform:dbIops must be 0 for gp3 storage below 400 GiB (3,000 IOPS baseline, not provisionable), got 3000`},
		{"io1 without IOPS", "staging", map[string]string{"dbStorageType": "io1"},
			`staging: novacron-platform:dbIops must be set for io1 storage (1000 to 256000 IOPS), got 0`},
		{"unknown storage type", "staging", map[string]string{"dbStorageType": "standard"},
			`staging: novacron-platform:dbStorageType must be one of [gp3 io1 io2], got "standard"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, err := runWith(t, tt.stack, tt.edit)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, eng.Resources(), "nothing is registered when the configuration is invalid")
		})
	}
}
