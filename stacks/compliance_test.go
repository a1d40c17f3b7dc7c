package stacks

import (
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
	"github.com/novacron/platform/policy/compliance"
)

func TestStacksPassThePolicyPack(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			require.NoError(t, compliance.CheckMandatory(eng.Resources(), stack, "../policy/config."+stack+".json"))
		})
	}
}

// TestBrokenStacksFailThePolicyPack breaks a copy of each real stack in three ways and expects
// exactly the three matching mandatory violations.
func TestBrokenStacksFailThePolicyPack(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			eng := runStack(t, stack)
			var broken []*mock.Resource
			for _, r := range eng.Resources() {
				c := *r
				c.Inputs = r.Inputs.Copy()
				switch {
				case (r.Type == rdsType || r.Type == rdsClusterType) && r.Name == "postgres":
					c.Inputs["storageEncrypted"] = resource.NewProperty(false)
					delete(c.Inputs, "kmsKeyId")
				case r.Type == "eks:index:Cluster":
					c.Inputs["endpointPublicAccess"] = resource.NewProperty(true)
					c.Inputs["publicAccessCidrs"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty("0.0.0.0/0")})
				case r.Type == nodeGroupType && r.Name == "cluster-ml":
					delete(c.Inputs, "taints")
				}
				broken = append(broken, &c)
			}
			cfg, err := compliance.LoadConfigFile("../policy/config." + stack + ".json")
			require.NoError(t, err)
			report := compliance.Evaluate(broken, stack, cfg)
			var got []string
			for _, v := range report.Mandatory() {
				got = append(got, v.Policy+" "+v.Name)
			}
			sort.Strings(got)
			assert.Equal(t, []string{
				"eks-endpoint-access cluster",
				"eks-gpu-nodes-tainted cluster-ml",
				"rds-storage-encrypted postgres",
			}, got, "%v", report.Mandatory())
		})
	}
}
