package compliance

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated tables in policy/README.md and README.md")

// readmePaths are the documents that carry the mapping table: the pack's README and the
// repository's front door.
var readmePaths = []string{"../README.md", "../../README.md"}

const (
	beginMarker = "<!-- BEGIN generated policy table (go test ./policy/compliance -update) -->\n"
	endMarker   = "<!-- END generated policy table -->\n"
)

// mappingTable renders the policies and their control mapping as the README shows them.
func mappingTable() string {
	var b strings.Builder
	b.WriteString("| Policy | Level | Severity | Checks | SOC 2 | ISO 27001:2022 | PCI DSS v4.0 | CIS | GDPR |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	ids := func(p *Policy, fs ...Framework) string {
		var out []string
		for _, c := range p.Controls {
			for _, f := range fs {
				if c.Framework != f {
					continue
				}
				switch f {
				case CISAWS:
					out = append(out, "AWS "+c.ID)
				case CISEKS:
					out = append(out, "EKS "+c.ID)
				default:
					out = append(out, c.ID)
				}
			}
		}
		if len(out) == 0 {
			return "–"
		}
		return strings.Join(out, ", ")
	}
	for _, p := range Policies() {
		scope := ""
		if p.IsStack() {
			scope = " (stack)"
		}
		if p.ProductionOnly {
			scope += " (production)"
		}
		if p.NonProductionOnly {
			scope += " (outside production)"
		}
		fmt.Fprintf(&b, "| `%s`%s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.Name, scope, p.Level, p.Severity,
			p.Description, ids(p, SOC2), ids(p, ISO27001), ids(p, PCIDSS), ids(p, CISAWS, CISEKS), ids(p, GDPR))
	}
	b.WriteString("\n| Policy | Remediation |\n|---|---|\n")
	for _, p := range Policies() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", p.Name, p.Remediation)
	}
	return b.String()
}

// The README's mapping table is generated from the policies, so the documented mapping is the
// one the report scores.
func TestReadmeMappingTable(t *testing.T) {
	for _, path := range readmePaths {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		doc := string(raw)
		i, j := strings.Index(doc, beginMarker), strings.Index(doc, endMarker)
		require.True(t, i >= 0 && j > i, "%s lacks the generated table markers", path)
		want := doc[:i+len(beginMarker)] + mappingTable() + doc[j:]
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		assert.Equal(t, want, doc, "%s: run go test ./policy/compliance -update", path)
	}
}

func TestPulumiPolicyYAML(t *testing.T) {
	proj, err := workspace.LoadPolicyPack("../PulumiPolicy.yaml")
	require.NoError(t, err)
	assert.Equal(t, "go", proj.Runtime.Name())
	assert.Equal(t, PackVersion, proj.Version)
}
