package stacks

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

// TestDatabaseReaderEndpoint: read-only clients get the cluster's reader endpoint where the
// topology has readable standbys, and nothing where it has none.
func TestDatabaseReaderEndpoint(t *testing.T) {
	tests := []struct {
		stack      string
		deployment string
		reader     string
	}{
		// The mock answers with the DNS names RDS gives a cluster: writer "<id>.cluster-...",
		// reader "<id>.cluster-ro-...".
		{"production", "cluster", "postgres.cluster-ro-c0ffee." + mock.Region + ".rds.amazonaws.com:5432"},
		{"staging", "instance", ""},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			files := readStack(t, tt.stack)
			cfg, err := Load(tt.stack, files)
			require.NoError(t, err)
			require.Equal(t, tt.deployment, cfg.Database.Deployment)

			var reader, writer string
			eng := mock.NewEngine(Project, tt.stack, nil)
			require.NoError(t, eng.Run(files.Values, files.SecretKeys, func(ctx *pulumi.Context) error {
				p, err := Deploy(ctx, cfg)
				if err != nil {
					return err
				}
				pulumi.All(p.databaseReaderEndpoint(cfg), p.Database.Endpoint).ApplyT(func(vs []any) error {
					reader, writer = vs[0].(string), vs[1].(string)
					return nil
				})
				return nil
			}))
			assert.Equal(t, tt.reader, reader)
			assert.NotEmpty(t, writer)
			if tt.reader != "" {
				assert.NotEqual(t, writer, reader, "the reader endpoint is not the writer's")
			}
		})
	}
}
