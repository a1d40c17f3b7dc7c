package awslimits

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/validate"
)

// messages runs check on fresh problems and returns their "field message" lines.
func messages(check func(p *validate.Problems)) []string {
	var p validate.Problems
	check(&p)
	out := make([]string, len(p))
	for i, pr := range p {
		out[i] = pr.Field + " " + pr.Message
	}
	return out
}

// assertOne expects no problem when want is empty, otherwise exactly one containing want.
func assertOne(t *testing.T, got []string, want string) {
	t.Helper()
	if want == "" {
		assert.Empty(t, got)
		return
	}
	require.Len(t, got, 1, "%v", got)
	assert.Contains(t, got[0], want)
}

func TestCheckLogRetention(t *testing.T) {
	tests := []struct {
		days int
		want string
	}{
		{1, ""}, {90, ""}, {400, ""}, {3653, ""},
		{0, "got 0"}, {2, "got 2"}, {42, "must be a CloudWatch Logs retention, one of [1 3 5"},
		{366, "got 366"}, {3650, "got 3650"}, {-7, "got -7"},
	}
	for _, tt := range tests {
		assertOne(t, messages(func(p *validate.Problems) { CheckLogRetention(p, "days", tt.days) }), tt.want)
	}
}

func TestCatalogueFacts(t *testing.T) {
	tests := []struct {
		name     string
		arch     Arch
		gpus     int
		model    string
		vcpus    int
		retired  bool
		family   string
		size     string
		rendered string
	}{
		{"m5.xlarge", ArchX86, 0, "", 4, false, "m5", "xlarge", "m5.xlarge"},
		{"m7g.large", ArchARM, 0, "", 2, false, "m7g", "large", "m7g.large"},
		{"p3.2xlarge", ArchX86, 1, "V100", 8, true, "p3", "2xlarge", "p3.2xlarge (1 V100)"},
		{"g5.xlarge", ArchX86, 1, "A10G", 4, false, "g5", "xlarge", "g5.xlarge (1 A10G)"},
		{"g5.12xlarge", ArchX86, 4, "A10G", 48, false, "g5", "12xlarge", "g5.12xlarge (4 A10G)"},
		{"g6.xlarge", ArchX86, 1, "L4", 4, false, "g6", "xlarge", "g6.xlarge (1 L4)"},
		{"g6e.48xlarge", ArchX86, 8, "L40S", 192, false, "g6e", "48xlarge", "g6e.48xlarge (8 L40S)"},
		{"g5g.xlarge", ArchARM, 1, "T4G", 4, false, "g5g", "xlarge", "g5g.xlarge (1 T4G)"},
		{"p4d.24xlarge", ArchX86, 8, "A100", 96, false, "p4d", "24xlarge", "p4d.24xlarge (8 A100)"},
		{"p5.48xlarge", ArchX86, 8, "H100", 192, false, "p5", "48xlarge", "p5.48xlarge (8 H100)"},
		{"g4dn.12xlarge", ArchX86, 4, "T4", 48, false, "g4dn", "12xlarge", "g4dn.12xlarge (4 T4)"},
		{"t3.medium", ArchX86, 0, "", 2, false, "t3", "medium", "t3.medium"},
		{"c7i.metal-48xl", ArchX86, 0, "", 192, false, "c7i", "metal-48xl", "c7i.metal-48xl"},
	}
	for _, tt := range tests {
		it, ok := LookupInstanceType(tt.name)
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.arch, it.Arch, tt.name)
		assert.Equal(t, tt.gpus, it.GPUs, tt.name)
		assert.Equal(t, tt.model, it.GPUModel, tt.name)
		assert.Equal(t, tt.vcpus, it.VCPUs, tt.name)
		assert.Equal(t, tt.retired, it.Retired != "", tt.name)
		assert.Equal(t, tt.family, it.Family(), tt.name)
		assert.Equal(t, tt.size, it.Size(), tt.name)
		assert.Equal(t, tt.rendered, it.String(), tt.name)
	}

	// The families the platform may use are all there, and nothing is listed twice.
	for _, f := range []string{"m5", "m6i", "m6a", "m7i", "m7g", "c5", "c6i", "c7i", "r5", "r6i", "r7i",
		"t3", "p3", "p4d", "p5", "g4dn", "g5", "g6", "g6e"} {
		assert.Contains(t, Families(), f)
	}
	seen := map[string]bool{}
	for _, it := range InstanceTypes() {
		assert.False(t, seen[it.Name], "listed twice: %s", it.Name)
		seen[it.Name] = true
		assert.Positive(t, it.VCPUs, it.Name)
		assert.Positive(t, it.MemoryMiB, it.Name)
		assert.Equal(t, it.GPUs > 0, it.GPUModel != "", it.Name)
	}
}

func TestCheckInstanceType(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"m5.xlarge", ""},
		{"g6e.2xlarge", ""},
		{"m7g.medium", ""},
		{"m5.xlage", `got "m5.xlage" (did you mean "m5.xlarge"?)`},
		{"m5.xlarg", `(did you mean "m5.xlarge"?)`},
		{"m5.2x", `(did you mean "m5.2xlarge"?)`},
		{"g5.2xl", `(did you mean "g5.2xlarge"?)`},
		{"M5.XLARGE", `(did you mean "m5.xlarge"?)`},
		{"p3.2xl", `(did you mean "p3.2xlarge", which is retired by AWS`},
		{"p3.2xlarge", `"p3.2xlarge" is retired by AWS: P3 instances are no longer offered`},
		{"p3dn.24xlarge", `is retired by AWS`},
		{"m5.huge", `got "m5.huge" (m5 sizes: large, xlarge, 2xlarge`},
		{"x2idn.metal", `must be an EC2 instance type of a catalogued family (general purpose t3, t3a, t4g, m5 to m7; compute c5 to c7; ` +
			`memory r5 to r7; NVIDIA GPU g4dn, g5, g5g, g6, g6e, gr6, p4d to p5en; internal/awslimits), got "x2idn.metal"`},
		{"", `must be an EC2 instance type of a catalogued family`},
	}
	for _, tt := range tests {
		got := messages(func(p *validate.Problems) { CheckInstanceType(p, "instanceTypes", tt.name) })
		assertOne(t, got, tt.want)
	}
}

func TestCheckTag(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             string
	}{
		{"plain", "Owner", "platform-team", ""},
		{"every allowed symbol", "a_b.c:d/e=f+g-h@i", "x y_z.1:2/3=4+5-6@7", ""},
		{"Unicode letters", "Équipe", "données 東京", ""},
		{"empty value", "CostCenter", "", ""},
		{"value of 256", "Owner", strings.Repeat("a", 256), ""},
		{"value of 257", "Owner", strings.Repeat("a", 257), "must be at most 256 characters (an AWS tag value), got 257"},
		{"256 runes of 3 bytes", "Owner", strings.Repeat("é", 256), ""},
		{"key of 129", strings.Repeat("k", 129), "v", "must be an AWS tag key of 1 to 128 characters, got 129"},
		{"empty key", "", "v", "must be an AWS tag key of 1 to 128 characters, got 0"},
		{"comma", "Owner", "platform,team", `must be an AWS tag value of letters, digits, spaces and _ . : / = + - @, got "platform,team"`},
		{"newline", "Owner", "a\nb", "must be an AWS tag value of letters"},
		{"hash", "Owner", "#team", "must be an AWS tag value of letters"},
		{"star in key", "Own*er", "x", "must be an AWS tag key of letters"},
		{"reserved key", "aws:owner", "x", `must not start with "aws:"`},
		{"reserved key, other case", "AWS:Owner", "x", `must not start with "aws:"`},
		{"reserved value", "Owner", "Aws:team", `which AWS reserves in tag values`},
		{"long bad value shortened", "Owner", strings.Repeat("b", 60) + "!", `got "` + strings.Repeat("b", 40) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messages(func(p *validate.Problems) { CheckTag(p, "tag", tt.key, tt.value) })
			assertOne(t, got, tt.want)
		})
	}
}

func TestCheckVPCCIDR(t *testing.T) {
	tests := []struct {
		cidr string
		want string
	}{
		{"10.0.0.0/16", ""},
		{"10.1.0.0/16", ""},
		{"172.16.0.0/16", ""},
		{"172.31.0.0/16", ""},
		{"192.168.0.0/20", ""},
		{"100.64.0.0/16", ""},
		{"172.17.0.0/16", `must not overlap 172.17.0.0/16 (the Docker bridge range EKS nodes reserve)`},
		{"172.17.128.0/20", `must not overlap 172.17.0.0/16`},
		{"172.16.0.0/12", `must not overlap 172.17.0.0/16`},
		{"169.254.0.0/16", `must not overlap 169.254.0.0/16 (link-local`},
		{"8.8.0.0/16", `must lie in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10), got "8.8.0.0/16"`},
		{"198.19.0.0/16", `must lie in a private range`},
		{"100.128.0.0/16", `must lie in a private range`},
	}
	for _, tt := range tests {
		got := messages(func(p *validate.Problems) { CheckVPCCIDR(p, "cidrBlock", netip.MustParsePrefix(tt.cidr)) })
		assertOne(t, got, tt.want)
	}
}

func TestCoversAllIPv4(t *testing.T) {
	pfx := func(list ...string) []netip.Prefix {
		out := make([]netip.Prefix, len(list))
		for i, s := range list {
			out[i] = netip.MustParsePrefix(s)
		}
		return out
	}
	tests := []struct {
		name string
		list []netip.Prefix
		want bool
	}{
		{"nothing", nil, false},
		{"everything", pfx("0.0.0.0/0"), true},
		{"two halves", pfx("128.0.0.0/1", "0.0.0.0/1"), true},
		{"one half", pfx("0.0.0.0/1"), false},
		{"quarters, one missing", pfx("0.0.0.0/2", "64.0.0.0/2", "192.0.0.0/2"), false},
		{"overlapping pieces", pfx("0.0.0.0/1", "64.0.0.0/2", "127.0.0.0/8", "128.0.0.0/2", "192.0.0.0/2"), true},
		{"the last address missing", pfx("0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5",
			"248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8"), false},
		{"unnormalised prefix", []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr("1.2.3.4"), 0)}, true},
		{"IPv6 ignored", pfx("::/0"), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, CoversAllIPv4(tt.list), tt.name)
	}
}

func TestCheckPublicAccessCIDRs(t *testing.T) {
	many := make([]string, 41)
	for i := range many {
		many[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{203, 1, byte(i), 0}), 24).String()
	}
	tests := []struct {
		name  string
		cidrs []string
		want  string
	}{
		{"office and CI", []string{"203.0.112.0/24", "198.51.99.7/32"}, ""},
		{"forty", many[:40], ""},
		{"forty-one", many, "must list at most 40 CIDR blocks (EKS's limit), got 41"},
		{"the world", []string{"0.0.0.0/0"}, `must not open the API server to the whole internet, got "0.0.0.0/0"`},
		{"the world in halves", []string{"0.0.0.0/1", "128.0.0.0/1"},
			"must not open the API server to the whole internet: together 0.0.0.0/1, 128.0.0.0/1 cover every public IPv4 address"},
		{"the world around the private ranges", []string{"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4",
			"32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"},
			"together 0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8, 5 more cover every public IPv4 address"},
		{"half the world", []string{"0.0.0.0/1"}, ""},
		{"host bits set", []string{"203.0.112.7/24"}, `must be a network address (203.0.112.0/24), got "203.0.112.7/24"`},
		{"not a CIDR", []string{"office"}, `must be an IPv4 CIDR block such as 10.0.0.0/16, got "office"`},
		{"IPv6", []string{"2001:db8::/32"}, `must be an IPv4 CIDR block, got "2001:db8::/32"`},
		{"private range", []string{"10.20.0.0/16"}, `must be public address ranges: "10.20.0.0/16" is RFC 1918 private`},
		{"shared address space", []string{"100.64.0.0/10"}, `is RFC 6598 shared address space`},
		{"documentation range", []string{"192.0.2.0/24"}, `is documentation (TEST-NET-1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messages(func(p *validate.Problems) { CheckPublicAccessCIDRs(p, "cidrs", tt.cidrs) })
			assertOne(t, got, tt.want)
		})
	}
}

// TestFamilySummary keeps the one-line summary of the catalogue in step with it: every live
// family is named, or inside one of the summary's ranges.
func TestFamilySummary(t *testing.T) {
	ranges := map[byte][2]int{'m': {5, 7}, 'c': {5, 7}, 'r': {5, 7}, 'p': {4, 5}}
	named := regexp.MustCompile(`[a-z]+[0-9][a-z0-9]*`).FindAllString(familySummary, -1)
	for _, f := range Families() {
		if f == "p3" || f == "p3dn" {
			continue // retired, refused by name
		}
		if slices.Contains(named, f) {
			continue
		}
		r, ok := ranges[f[0]]
		gen := int(f[1] - '0')
		assert.True(t, ok && gen >= r[0] && gen <= r[1], "%s is named in the summary or inside one of its ranges", f)
	}
}
