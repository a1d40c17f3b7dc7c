package mock

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testComponent struct{ pulumi.ResourceState }

func TestEngineRecordsRegistrations(t *testing.T) {
	eng := NewEngine("proj", "dev", nil)
	err := eng.Run(map[string]string{"proj:answer": "42"}, nil, func(ctx *pulumi.Context) error {
		answer, _ := ctx.GetConfig("proj:answer")
		comp := &testComponent{}
		if err := ctx.RegisterComponentResource("test:index:Component", "parent", comp); err != nil {
			return err
		}
		var first pulumi.CustomResourceState
		if err := ctx.RegisterResource("test:index:Thing", "first", pulumi.Map{
			"answer": pulumi.String(answer),
			"secret": pulumi.ToSecret(pulumi.String("hunter2")),
		}, &first, pulumi.Parent(comp), pulumi.Protect(true)); err != nil {
			return err
		}
		var waiter pulumi.CustomResourceState
		if err := ctx.RegisterResource("test:index:Thing", "second", pulumi.Map{
			"ref": first.ID(),
		}, &waiter, pulumi.DependsOn([]pulumi.Resource{comp}), pulumi.IgnoreChanges([]string{"ref"})); err != nil {
			return err
		}
		var third pulumi.CustomResourceState
		return ctx.RegisterResource("test:index:Thing", "third", pulumi.Map{},
			&third, pulumi.DependsOn([]pulumi.Resource{&first}))
	})
	require.NoError(t, err)

	comp := eng.Find("test:index:Component", "parent")
	first := eng.Find("test:index:Thing", "first")
	second := eng.Find("test:index:Thing", "second")
	require.NotNil(t, comp)
	require.NotNil(t, first)
	require.NotNil(t, second)

	assert.False(t, comp.Custom)
	assert.Equal(t, comp.URN, first.Parent)
	assert.Equal(t, "urn:pulumi:dev::proj::test:index:Component$test:index:Thing::first", first.URN)
	assert.True(t, first.Protect)
	assert.Equal(t, "42", first.Inputs["answer"].StringValue())
	assert.True(t, first.Inputs["secret"].IsSecret(), "secrets stay wrapped")

	// The SDK expands a dependency on a local component into its children.
	assert.Equal(t, []string{first.URN}, second.Dependencies)
	assert.Equal(t, []string{first.URN}, second.PropertyDependencies["ref"])
	assert.Empty(t, second.ExplicitDependencies, "an input already accounts for the only dependency")
	third := eng.Find("test:index:Thing", "third")
	require.NotNil(t, third)
	assert.Equal(t, []string{first.URN}, third.ExplicitDependencies)
	assert.Equal(t, []string{"ref"}, second.IgnoreChanges)
	assert.Same(t, first, eng.ByURN(first.URN))
	assert.Len(t, eng.ByType("test:index:Thing"), 3)

	v, ok := first.Input("secret")
	require.True(t, ok)
	assert.Equal(t, "hunter2", v.StringValue(), "Input unwraps secrets for inspection")
}

func TestChild(t *testing.T) {
	v := resource.NewObjectProperty(resource.NewPropertyMapFromMap(map[string]any{
		"blockDeviceMappings": []any{map[string]any{"ebs": map[string]any{"volumeSize": 100}}},
	}))
	list, ok := Child(v, "blockDeviceMappings")
	require.True(t, ok)
	first, ok := Child(list, "0")
	require.True(t, ok)
	ebs, ok := Child(first, "ebs")
	require.True(t, ok)
	size, ok := Child(ebs, "volumeSize")
	require.True(t, ok)
	assert.Equal(t, 100.0, size.NumberValue())
	for _, bad := range []string{"1", "-1", "x"} {
		_, ok := Child(list, bad)
		assert.False(t, ok, bad)
	}
	_, ok = Child(size, "anything")
	assert.False(t, ok, "a scalar has no children")
}

func TestProviderURN(t *testing.T) {
	r := &Resource{Provider: "urn:pulumi:dev::proj::pulumi:providers:aws::aws::04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
	assert.Equal(t, "urn:pulumi:dev::proj::pulumi:providers:aws::aws", r.ProviderURN())
	assert.Empty(t, (&Resource{}).ProviderURN())
}

func TestEngineAnswersDataSources(t *testing.T) {
	eng := NewEngine("proj", "dev", nil)
	_, err := eng.Call(pulumi.MockCallArgs{Token: "aws:unknown/thing:thing"})
	require.ErrorContains(t, err, "no answer for data source aws:unknown/thing:thing")
	out, err := eng.Call(pulumi.MockCallArgs{Token: "aws:index/getCallerIdentity:getCallerIdentity"})
	require.NoError(t, err)
	assert.Equal(t, AccountID, out["accountId"].StringValue())
}
