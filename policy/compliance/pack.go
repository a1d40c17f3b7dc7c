package compliance

import (
	"context"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// NewPack is the factory for policyx.Main. policyx calls it from ConfigureStack, after the engine
// has said which stack it analyses, so ctx.Stack() is the stack name.
func NewPack(ctx *pulumi.Context) (policyx.PolicyPack, error) {
	return newPack(ctx.Stack())
}

// packState is shared by the policies of one analyzer process: the settings arrive with the
// settings policy's config on each Analyze call and are read by every other policy.
type packState struct {
	mu         sync.Mutex
	stack      string
	configured bool
	cfg        Config
	cfgErr     error
	reported   bool
}

func (s *packState) firstReport() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := !s.reported
	s.reported = true
	return first
}

func (s *packState) configure(props map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.configured {
		return
	}
	s.configured = true
	cfg, err := settingsFromProperties(props)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		cfg = DefaultConfig()
	}
	s.cfg, s.cfgErr = cfg, err
}

// newRun builds the check context for one policy call. The caller must hold no lock.
func (s *packState) newRun(m policyx.PolicyManager) *run {
	s.mu.Lock()
	cfg, cfgErr := s.cfg, s.cfgErr
	s.mu.Unlock()
	return &run{
		cfg: cfg, stack: s.stack, production: cfg.IsProduction(s.stack),
		settingsErr: cfgErr, firstSettingsReport: s.firstReport,
		violate: func(r *Resource, msg string) {
			urn := ""
			if r != nil {
				urn = r.URN
			}
			m.ReportViolation(msg, urn)
		},
		// Unknown values are not violations; the engine path stays silent about them.
		pend: nil,
	}
}

func newPack(stack string) (policyx.PolicyPack, error) {
	st := &packState{stack: stack, cfg: DefaultConfig()}
	var ps []policyx.Policy
	for _, p := range Policies() {
		ps = append(ps, adapt(p, st))
	}
	// The pack-level level is ignored by policyx (every policy sets its own); pass the strictest.
	return policyx.NewPolicyPack(PackName, semver.MustParse(PackVersion), policyx.EnforcementLevelMandatory, ps)
}

func (l Level) policyx() policyx.EnforcementLevel {
	switch l {
	case Advisory:
		return policyx.EnforcementLevelAdvisory
	case Disabled:
		return policyx.EnforcementLevelDisabled
	default:
		return policyx.EnforcementLevelMandatory
	}
}

// adapt wraps one policy for policyx.
func adapt(p *Policy, st *packState) policyx.Policy {
	if p.IsStack() {
		return policyx.NewStackValidationPolicy(p.Name, policyx.StackValidationPolicyArgs{
			Description:      p.Description,
			EnforcementLevel: p.Level.policyx(),
			ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
				c := st.newRun(args.Manager)
				if p.skips(c.production) {
					return nil
				}
				rs := make([]*Resource, 0, len(args.Resources))
				for _, r := range args.Resources {
					rs = append(rs, fromAnalyzer(r))
				}
				p.checkStack(c, exemptResources(c.cfg, p, rs, c.exempted))
				return nil
			},
		})
	}
	var schema *policyx.ConfigSchema
	if p.Name == SettingsPolicyName {
		schema = &policyx.ConfigSchema{Properties: settingsSchema()}
	}
	return policyx.NewResourceValidationPolicy(p.Name, policyx.ResourceValidationPolicyArgs{
		Description:      p.Description,
		EnforcementLevel: p.Level.policyx(),
		ConfigSchema:     schema,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			if p.Name == SettingsPolicyName {
				st.configure(args.Config)
			}
			c := st.newRun(args.Manager)
			if p.skips(c.production) {
				return nil
			}
			r := fromAnalyzer(args.Resource)
			if p.matches(r) {
				if _, exempt := c.cfg.exceptionFor(p.Name, r); !exempt {
					p.checkResource(c, r)
				}
			}
			return nil
		},
	})
}
