package compliance

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/novacron/platform/internal/mock"
)

func TestWithDefaultProviders(t *testing.T) {
	const prefix = "urn:pulumi:bootstrap::novacron-bootstrap::"
	bucket := &mock.Resource{Type: "aws:s3/bucketV2:BucketV2", Name: "state", URN: prefix + "aws:s3/bucketV2:BucketV2::state",
		Custom: true, Inputs: resource.PropertyMap{}}
	explicit := &mock.Resource{Type: "aws:kms/key:Key", Name: "k", URN: prefix + "aws:kms/key:Key::k", Custom: true,
		Provider: prefix + "pulumi:providers:aws::aws::id"}
	component := &mock.Resource{Type: "novacron:state:Backend", Name: "b", URN: prefix + "novacron:state:Backend::b"}
	config := map[string]string{"aws:defaultTags": `{"tags":{"Owner":"platform-team"}}`, "novacron-bootstrap:x": "y"}

	got := WithDefaultProviders([]*mock.Resource{bucket, explicit, component}, config)
	require.Len(t, got, 4)
	assert.Empty(t, bucket.Provider, "the input records are not modified")
	assert.Same(t, explicit, got[1])
	assert.Same(t, component, got[2])
	p := got[3]
	assert.Equal(t, prefix+"pulumi:providers:aws::default", p.URN)
	assert.Equal(t, resource.PropertyMap{"defaultTags": resource.NewStringProperty(config["aws:defaultTags"])}, p.Inputs)
	assert.Equal(t, p.URN+"::default-id", got[0].Provider)

	// The tags policy now sees the provider's tags: Owner is present, the rest missing.
	rep := Evaluate(got, "bootstrap", DefaultConfig())
	var msgs []string
	for _, v := range rep.Violations {
		if v.Policy == "required-tags" && v.Name == "state" {
			msgs = append(msgs, v.Message)
		}
	}
	require.Len(t, msgs, 1)
	assert.NotContains(t, msgs[0], "Owner")
	assert.Contains(t, msgs[0], "CostCenter")
}
