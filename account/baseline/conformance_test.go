package baseline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/novacron/platform/policy/compliance"
)

// managedRules reads testdata/managed-rules.txt: AWS managed rule identifiers, one a line.
func managedRules(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/managed-rules.txt")
	require.NoError(t, err)
	defer f.Close()
	out := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	require.NoError(t, s.Err())
	require.Greater(t, len(out), 300)
	return out
}

// packTemplate is the conformance pack template as AWS Config reads it; decoding is strict, so
// a field this type does not know fails the test.
type packTemplate struct {
	Resources map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			ConfigRuleName  string            `yaml:"ConfigRuleName"`
			Description     string            `yaml:"Description"`
			InputParameters map[string]string `yaml:"InputParameters"`
			Source          struct {
				Owner            string `yaml:"Owner"`
				SourceIdentifier string `yaml:"SourceIdentifier"`
			} `yaml:"Source"`
		} `yaml:"Properties"`
	} `yaml:"Resources"`
}

func parseTemplate(t *testing.T) packTemplate {
	t.Helper()
	body, err := conformancePackTemplate(ConfigRules)
	require.NoError(t, err)
	// ConformancePack.TemplateBody accepts at most 51,200 characters (pulumi-aws cfg.ConformancePack).
	require.LessOrEqual(t, len(body), 51200)
	dec := yaml.NewDecoder(bytes.NewReader([]byte(body)))
	dec.KnownFields(true)
	var tpl packTemplate
	require.NoError(t, dec.Decode(&tpl))
	return tpl
}

func TestConformancePackTemplateHoldsEveryRule(t *testing.T) {
	tpl := parseTemplate(t)
	known := managedRules(t)
	byName := map[string]ConfigRule{}
	for _, r := range ConfigRules {
		require.NotContains(t, byName, r.Name, "rule names are unique")
		byName[r.Name] = r
	}
	require.Len(t, tpl.Resources, len(ConfigRules))
	logical := regexp.MustCompile(`^[A-Za-z0-9]+$`)
	for id, res := range tpl.Resources {
		assert.Regexp(t, logical, id)
		assert.Equal(t, "AWS::Config::ConfigRule", res.Type, id)
		p := res.Properties
		rule, ok := byName[p.ConfigRuleName]
		require.True(t, ok, "template rule %s is not in ConfigRules", p.ConfigRuleName)
		assert.Equal(t, "AWS", p.Source.Owner, id)
		assert.Equal(t, rule.Identifier, p.Source.SourceIdentifier, id)
		assert.True(t, known[p.Source.SourceIdentifier], "%s is not an AWS managed rule identifier", p.Source.SourceIdentifier)
		assert.Equal(t, rule.Parameters, p.InputParameters, id)
		assert.LessOrEqual(t, len(p.Description), 256, id)
		for _, c := range rule.Controls {
			assert.Contains(t, p.Description, c.String(), "the rule says which controls it serves")
		}
	}
}

func TestConformancePackTemplateGolden(t *testing.T) {
	body, err := conformancePackTemplate(ConfigRules)
	require.NoError(t, err)
	var doc any
	require.NoError(t, yaml.Unmarshal([]byte(body), &doc))
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	assertGoldenJSON(t, "conformance-pack.json", string(b))
}

// controlID is the shape of each framework's identifiers, as the policy pack writes them.
var controlID = map[Framework]*regexp.Regexp{
	SOC2:     regexp.MustCompile(`^(CC[1-9]\.[0-9]|A1\.[1-3]|C1\.[12]|PI1\.[1-5]|P[1-8]\.[0-9])$`),
	ISO27001: regexp.MustCompile(`^A\.[5-8]\.[0-9]{1,2}$`),
	PCIDSS:   regexp.MustCompile(`^(1[0-2]|[1-9])(\.[0-9]{1,2}){1,3}$`),
	CISAWS:   regexp.MustCompile(`^[1-5](\.[0-9]{1,2}){1,2}$`),
	CISEKS:   regexp.MustCompile(`^[2-5](\.[0-9]{1,2}){1,2}$`),
}

// TestControlsUseThePolicyPackVocabulary: the table's frameworks are the pack's, spelled alike,
// and each control id has its framework's shape, so a report can join the two mappings.
func TestControlsUseThePolicyPackVocabulary(t *testing.T) {
	var packFrameworks []Framework
	for _, f := range compliance.Frameworks {
		packFrameworks = append(packFrameworks, Framework(f))
	}
	for f := range controlID {
		assert.Contains(t, packFrameworks, f, "the pack spells the framework the same way")
	}
	check := func(where string, cs []Control) {
		require.NotEmpty(t, cs, where)
		for _, c := range cs {
			assert.Contains(t, packFrameworks, c.Framework, where)
			assert.Regexp(t, controlID[c.Framework], c.ID, "%s: %s", where, c)
		}
	}
	for _, r := range ConfigRules {
		check(r.Name, r.Controls)
	}
	for _, f := range CISMetricFilters {
		check(f.Name, f.Controls())
	}

	// Where the pack and the table serve the same requirement, they name the same controls of
	// the frameworks the table maps to: the pack's encryption, TLS and rotation policies and the
	// matching Config rules.
	pack := map[string][]compliance.Control{}
	for _, p := range compliance.Policies() {
		pack[p.Name] = p.Controls
	}
	same := map[string]string{
		"s3-tls-only":             "s3-bucket-ssl-requests-only",
		"kms-key-rotation":        "cmk-backing-key-rotation-enabled",
		"secretsmanager-rotation": "secretsmanager-rotation-enabled-check",
		"secretsmanager-cmk":      "secretsmanager-using-cmk",
		"ecr-immutable-tags":      "ecr-private-tag-immutability-enabled",
		"s3-versioning":           "s3-bucket-versioning-enabled",
		"s3-public-access-block":  "s3-bucket-level-public-access-prohibited",
		"s3-encryption":           "s3-bucket-server-side-encryption-enabled",
	}
	for policy, rule := range same {
		require.Contains(t, pack, policy)
		var want []Control
		for _, c := range pack[policy] {
			if controlID[Framework(c.Framework)] != nil {
				want = append(want, Control{Framework: Framework(c.Framework), ID: c.ID})
			}
		}
		var got []Control
		for _, r := range ConfigRules {
			if r.Name == rule {
				got = r.Controls
			}
		}
		assert.ElementsMatch(t, want, got, "%s and %s serve the same requirement", policy, rule)
	}
}

func TestRulesFor(t *testing.T) {
	got := RulesFor(Control{Framework: CISAWS, ID: "3.1"})
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"cloudtrail-enabled", "multi-region-cloudtrail-enabled"}, names)
	assert.Empty(t, RulesFor(Control{Framework: CISAWS, ID: "9.9"}))
	assert.True(t, slices.ContainsFunc(RulesFor(Control{Framework: SOC2, ID: "CC7.2"}), func(r ConfigRule) bool {
		return r.Identifier == "SECURITYHUB_ENABLED"
	}))
}
