package main

import (
	"github.com/novacron/platform/bootstrap/state"
)

// bootstrapProject is the bootstrap project (bootstrap/): the state backend and the CI roles.
// Its policy settings are policy/config.<stack>.json, beside the platform stacks' files.
var bootstrapProject = &project{
	name:    state.Project,
	program: state.Program,
	readStack: func(dir, stack string) (*projectConfig, error) {
		cfg, err := state.ReadStackConfig(dir, stack)
		if err != nil {
			return nil, err
		}
		// The bootstrap declares no secret keys.
		return &projectConfig{Values: cfg.Values, FromStackFile: cfg.FromStackFile}, nil
	},
	policyConfig: func(stack string) string { return "config." + stack + ".json" },
}
