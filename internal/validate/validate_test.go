package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProblemsErr(t *testing.T) {
	var p Problems
	require.NoError(t, p.Err("network", "main"))

	p.IntRange("azCount", 9, 2, 6)
	p.NotEmpty("instanceType", " ")
	p.IntRange("minSize", 3, 0, 10) // in range: no problem
	err := p.Err("network", "main")
	require.Error(t, err)
	assert.Equal(t, "network \"main\": azCount must be between 2 and 6, got 9\n"+
		"network \"main\": instanceType must not be empty", err.Error())
}

func TestCIDR(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		message string
	}{
		{"10.0.0.0/16", true, ""},
		{"10.0.0.0/33", false, `must be an IPv4 CIDR block such as 10.0.0.0/16, got "10.0.0.0/33"`},
		{"banana", false, `must be an IPv4 CIDR block such as 10.0.0.0/16, got "banana"`},
		{"fd00::/8", false, `must be an IPv4 CIDR block, got "fd00::/8"`},
		{"10.0.1.0/16", false, `must be a network address (10.0.0.0/16), got "10.0.1.0/16"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var p Problems
			prefix, ok := p.CIDR("vpcCidr", tt.in)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Empty(t, p)
				assert.Equal(t, tt.in, prefix.String())
				return
			}
			require.Len(t, p, 1)
			assert.Equal(t, Problem{Field: "vpcCidr", Message: tt.message}, p[0])
		})
	}
}

func TestPrefixedAndOneOf(t *testing.T) {
	var p Problems
	p.OneOf("retentionDays", 8, []int{7, 14})
	p = p.Prefixed("flowLogs")
	require.Len(t, p, 1)
	assert.Equal(t, "flowLogs.retentionDays", p[0].Field)
	assert.Equal(t, "must be one of [7 14], got 8", p[0].Message)
}
