package compliance

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/novacron/platform/internal/awslimits"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	assert.Equal(t, []string{"Project", "Environment", "ManagedBy", "CostCenter", "Owner"}, c.RequiredTags)
	assert.Equal(t, []string{"falco", "kube-prometheus-stack"}, c.RequiredHelmCharts)
	assert.Equal(t, 7, c.MinBackupRetentionDays)
	assert.Equal(t, 30, c.ProductionMinBackupRetentionDays)
	assert.Empty(t, c.ApplicationNamespaces)
	assert.NoError(t, c.Validate())

	assert.True(t, c.IsProduction("production"))
	assert.True(t, c.IsProduction("prod"))
	assert.False(t, c.IsProduction("staging"))
	assert.False(t, c.IsProduction("production-copy"))

	// A zero Config means the defaults, but an explicit empty list stays empty.
	z := Config{AllowedInstanceFamilies: []string{}}.withDefaults()
	assert.Equal(t, c.RequiredTags, z.RequiredTags)
	assert.Empty(t, z.AllowedInstanceFamilies)
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{
			name: "levels and settings",
			in: `{"all": "advisory", "rds-storage-encrypted": {"enforcementLevel": "mandatory"},
				"secretsmanager-rotation": "disabled",
				"compliance-settings": {"enforcementLevel": "mandatory", "applicationNamespaces": ["novacron"], "restrictedPorts": [22]}}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, map[string]Level{"all": Advisory, "rds-storage-encrypted": Mandatory,
					"secretsmanager-rotation": Disabled, SettingsPolicyName: Mandatory}, c.Levels)
				assert.Equal(t, []string{"novacron"}, c.ApplicationNamespaces)
				assert.Equal(t, []int{22}, c.RestrictedPorts)
				assert.Equal(t, DefaultConfig().RequiredTags, c.RequiredTags, "unset settings keep their defaults")
				assert.Equal(t, Mandatory, c.level(PolicyByName("rds-storage-encrypted")))
				assert.Equal(t, Advisory, c.level(PolicyByName("eks-endpoint-access")))
				assert.Equal(t, Disabled, c.level(PolicyByName("secretsmanager-rotation")))
			},
		},
		{name: "empty object", in: `{}`, check: func(t *testing.T, c Config) {
			assert.Equal(t, DefaultConfig().SupportedKubernetesVersions, c.SupportedKubernetesVersions)
		}},
		{name: "misspelt setting", in: `{"compliance-settings": {"requiredTag": ["Owner"]}}`,
			wantErr: `policy pack config: compliance-settings: json: unknown field "requiredTag"`},
		{name: "settings on another policy", in: `{"required-tags": {"requiredTags": ["Owner"]}}`,
			wantErr: `policy pack config: "required-tags" takes no properties (got requiredTags); settings belong under "compliance-settings"`},
		{name: "unknown policy", in: `{"rds-encryption": "advisory"}`,
			wantErr: `policy pack config: unknown policy "rds-encryption"`},
		{name: "bad level", in: `{"rds-storage-encrypted": "warn"}`,
			wantErr: `policy pack config: policy "rds-storage-encrypted": enforcement level "warn" is not advisory, mandatory or disabled`},
		{name: "bad values", in: `{"compliance-settings": {"productionStackPattern": "[", "restrictedPorts": [70000], "minBackupRetentionDays": 40}}`,
			wantErr: "policy pack config: productionStackPattern \"[\" is not a valid regular expression: error parsing regexp: missing closing ]: `[`\n" +
				"restrictedPorts: 70000 is not a port number\n" +
				"minBackupRetentionDays must be between 1 and 35 (the RDS limit), got 40"},
		{name: "not an object", in: `[]`, wantErr: "policy pack config: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.in))
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

// The example files in policy/ are valid, and they are the ones the README tells users to pass.
func TestExampleConfigFiles(t *testing.T) {
	for _, f := range []string{"../config.production.json", "../config.staging.json"} {
		t.Run(f, func(t *testing.T) {
			c, err := LoadConfigFile(f)
			require.NoError(t, err)
			assert.Equal(t, []string{"novacron"}, c.ApplicationNamespaces)
			assert.Equal(t, Advisory, c.level(PolicyByName("secretsmanager-rotation")))
			assert.True(t, c.IsProduction("production"))
			assert.False(t, c.IsProduction("staging"))
		})
	}
}

// The schema travels to the engine as a protobuf Struct (policyx GetAnalyzerInfo): every value
// must convert, and the defaults it declares must decode to DefaultConfig.
func TestSettingsSchema(t *testing.T) {
	schema := settingsSchema()
	m := map[string]any{}
	defaults := map[string]any{}
	for k, v := range schema {
		m[k] = v
		defaults[k] = v["default"]
	}
	_, err := structpb.NewStruct(m)
	require.NoError(t, err)

	// What the engine sends when nothing is configured: the schema defaults, JSON-decoded.
	raw, err := json.Marshal(defaults)
	require.NoError(t, err)
	var props map[string]any
	require.NoError(t, json.Unmarshal(raw, &props))
	got, err := settingsFromProperties(props)
	require.NoError(t, err)
	assert.Equal(t, DefaultConfig(), got)

	// Every settings field is in the schema.
	var fields map[string]any
	b, _ := json.Marshal(DefaultConfig())
	require.NoError(t, json.Unmarshal(b, &fields))
	for k := range fields {
		assert.Contains(t, schema, k)
	}
}

// No family the pack allows, by default or in the example files, is one AWS retired: the stack
// configuration refuses every type of such a family (internal/awslimits), so allowing it here
// would only contradict that.
func TestAllowedFamiliesAreOffered(t *testing.T) {
	offered, catalogued := map[string]bool{}, map[string]bool{}
	for _, it := range awslimits.InstanceTypes() {
		catalogued[it.Family()] = true
		if it.Retired == "" {
			offered[it.Family()] = true
		}
	}
	require.True(t, catalogued["p3"] && !offered["p3"], "the catalogue no longer marks p3 retired")

	lists := map[string][]string{"defaults": DefaultConfig().AllowedInstanceFamilies}
	for _, f := range []string{"../config.production.json", "../config.staging.json"} {
		c, err := LoadConfigFile(f)
		require.NoError(t, err)
		lists[f] = c.AllowedInstanceFamilies
	}
	for name, families := range lists {
		for _, f := range families {
			assert.False(t, catalogued[f] && !offered[f], "%s allows %s, a family AWS retired", name, f)
		}
	}
}

// The settings table of policy/README.md shows the defaults the code uses.
func TestReadmeSettingsDefaults(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) < 4 || !strings.HasPrefix(cells[0], "| `") {
			continue
		}
		rows[strings.Trim(cells[0], "| `")] = strings.Trim(cells[2], "`")
	}
	var defaults map[string]any
	b, err := json.Marshal(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &defaults))
	for key, v := range defaults {
		want := fmt.Sprint(v)
		if list, ok := v.([]any); ok {
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = fmt.Sprint(e)
			}
			want = strings.Join(parts, ", ")
			if len(list) == 0 {
				want = "none"
			}
		}
		if assert.Contains(t, rows, key, "policy/README.md has no settings row for %s", key) {
			assert.Equal(t, want, rows[key], "policy/README.md: default of %s", key)
		}
	}
}
