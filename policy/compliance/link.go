package compliance

import "slices"

// linked finds the resources that property prop of r refers to (a bucket policy's bucket, an RDS
// instance's parameter group or a DB cluster's cluster parameter group, a flow log's VPC), among
// targets.
//
// The linking rule, in order:
//
//  1. Property dependencies. When the engine recorded which resources prop's value came from
//     (stack policies under the engine), those are the links. This holds whether or not the value
//     is known yet.
//  2. Value. When prop is a known string, a target links if one of its idKeys properties, or its
//     name, equals it. Its name matters offline: the mock answers an unset "name" or "bucket"
//     output with the resource name, so an input wired from that output carries the name.
//  3. Dependencies. Otherwise a target links if r depends on it. Offline this is the only way to
//     follow an id (the mock makes ids up), and the mock folds property dependencies into them.
//
// known is false when prop is unknown (preview) and no rule found a link: the caller reports that
// it cannot check yet. An absent prop gives no links and known true.
func linked(r *Resource, prop string, targets []*Resource, idKeys ...string) (out []*Resource, known bool) {
	if deps := r.PropertyDependencies[prop]; len(deps) > 0 {
		for _, t := range targets {
			if slices.Contains(deps, t.URN) {
				out = append(out, t)
			}
		}
		return out, true
	}
	v := r.get(prop)
	s, st := asString(v)
	switch st {
	case absent:
		return nil, true
	case present:
		for _, t := range targets {
			if t.Name == s || slices.ContainsFunc(idKeys, func(k string) bool {
				id, ist := asString(t.get(k))
				return ist == present && id == s
			}) {
				out = append(out, t)
			}
		}
		if len(out) > 0 {
			return out, true
		}
	}
	for _, t := range targets {
		if slices.Contains(r.Dependencies, t.URN) {
			out = append(out, t)
		}
	}
	return out, len(out) > 0 || st == present || st == wrongType
}

// ofType returns the resources with one of the given type tokens, in order.
func ofType(rs []*Resource, types ...string) []*Resource {
	var out []*Resource
	for _, r := range rs {
		if slices.Contains(types, r.Type) {
			out = append(out, r)
		}
	}
	return out
}
