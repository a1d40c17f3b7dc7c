package mocktest

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/novacron/platform/internal/mock"
)

func mockRecord(inputs resource.PropertyMap) mock.Resource {
	return mock.Resource{Type: "aws:rds/instance:Instance", Name: "postgres", Inputs: inputs}
}
