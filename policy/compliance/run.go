package compliance

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// run is what a check sees: the settings, the stack, and where to report. The engine adapter and
// the offline evaluator each build one per policy call.
type run struct {
	cfg        Config
	stack      string
	production bool
	// settingsErr is the problem with the settings, reported once by the settings policy:
	// firstSettingsReport returns true on the first call of one analyzer or evaluation only.
	settingsErr         error
	firstSettingsReport func() bool

	// violate reports a violation (r is nil for a stack-wide finding); pend notes a check that
	// cannot run yet because a value is unknown.
	violate func(r *Resource, msg string)
	pend    func(r *Resource, msg string)
	// exempt records that the settings exempt r from the policy, for the evidence (nil under
	// the engine, which reports only violations).
	exempt func(r *Resource, reason string)
	// notApplicable is set by a stack policy with nothing to check (for the report only).
	notApplicable bool
}

func (c *run) violation(r *Resource, format string, args ...any) {
	c.violate(r, fmt.Sprintf(format, args...))
}

// exempted records an exception the settings grant, with its reason.
func (c *run) exempted(r *Resource, reason string) {
	if c.exempt != nil {
		c.exempt(r, reason)
	}
}

func (c *run) cannotCheck(r *Resource, format string, args ...any) {
	if c.pend != nil {
		c.pend(r, fmt.Sprintf(format, args...))
	}
}

// boolField reads a boolean, def when absent. ok is false when the caller must stop: the value is
// unknown (noted) or of a wrong type (reported).
func (c *run) boolField(r *Resource, path string, def bool) (val, ok bool) {
	v := r.get(path)
	b, st := asBool(v)
	switch st {
	case absent:
		return def, true
	case unknown:
		c.cannotCheck(r, "%s is not known yet", path)
		return false, false
	case wrongType:
		c.violation(r, "%s must be a boolean, got a %s", path, kind(v))
		return false, false
	}
	return b, true
}

// stringField reads a non-empty string; set is false when absent or empty.
func (c *run) stringField(r *Resource, path string) (val string, set, ok bool) {
	v := r.get(path)
	s, st := asString(v)
	switch st {
	case absent:
		return "", false, true
	case unknown:
		c.cannotCheck(r, "%s is not known yet", path)
		return "", false, false
	case wrongType:
		c.violation(r, "%s must be a string, got a %s", path, kind(v))
		return "", false, false
	}
	return s, true, true
}

// numberField reads a number; set is false when absent.
func (c *run) numberField(r *Resource, path string) (val float64, set, ok bool) {
	v := r.get(path)
	n, st := asNumber(v)
	switch st {
	case absent:
		return 0, false, true
	case unknown:
		c.cannotCheck(r, "%s is not known yet", path)
		return 0, false, false
	case wrongType:
		c.violation(r, "%s must be a number, got a %s", path, kind(v))
		return 0, false, false
	}
	return n, true, true
}

// stringsField reads a list of strings; set is false when absent.
func (c *run) stringsField(r *Resource, path string) (val []string, set, ok bool) {
	v := r.get(path)
	l, st := asStrings(v)
	switch st {
	case absent:
		return nil, false, true
	case unknown:
		c.cannotCheck(r, "%s is not known yet", path)
		return nil, false, false
	case wrongType:
		c.violation(r, "%s must be a list of strings, got a %s", path, kind(v))
		return nil, false, false
	}
	return l, true, true
}

// listField reads a list of values; set is false when absent.
func (c *run) listField(r *Resource, path string) (val []property.Value, set, ok bool) {
	v := r.get(path)
	l, st := asList(v)
	switch st {
	case absent:
		return nil, false, true
	case unknown:
		c.cannotCheck(r, "%s is not known yet", path)
		return nil, false, false
	case wrongType:
		c.violation(r, "%s must be a list, got a %s", path, kind(v))
		return nil, false, false
	}
	return l, true, true
}
