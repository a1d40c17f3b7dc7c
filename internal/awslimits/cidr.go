package awslimits

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/novacron/platform/internal/validate"
)

// namedPrefix is an IPv4 range with what it is reserved for.
type namedPrefix struct {
	prefix netip.Prefix
	what   string
}

func mustPrefixes(list ...[2]string) []namedPrefix {
	out := make([]namedPrefix, len(list))
	for i, l := range list {
		out[i] = namedPrefix{netip.MustParsePrefix(l[0]), l[1]}
	}
	return out
}

// vpcRanges are where a VPC of ours may take its range: the RFC 1918 private ranges that the VPC
// User Guide recommends for VPC IPv4 CIDR blocks ("VPC CIDR blocks"), and RFC 6598 shared
// address space, which VPCs and EKS also accept (Amazon EKS networking requirements; "Amazon EKS
// now supports additional VPC CIDR blocks", 2018). A publicly routable range is legal in a VPC
// but shadows real internet addresses for everything inside it, so it is refused.
var vpcRanges = mustPrefixes(
	[2]string{"10.0.0.0/8", "RFC 1918"},
	[2]string{"172.16.0.0/12", "RFC 1918"},
	[2]string{"192.168.0.0/16", "RFC 1918"},
	[2]string{"100.64.0.0/10", "RFC 6598 shared address space"},
)

// vpcConflicts are ranges a VPC must not overlap even though they lie in vpcRanges or next to
// them.
var vpcConflicts = mustPrefixes(
	// Amazon EKS networking requirements: "Docker runs in the 172.17.0.0/16 CIDR range in Amazon
	// EKS clusters. We recommend that your cluster's VPC subnets do not overlap this range",
	// otherwise kubectl exec and logs fail with "dial tcp 172.17.x.x:10250: no route to host".
	[2]string{"172.17.0.0/16", "the Docker bridge range EKS nodes reserve"},
	// RFC 3927 link-local: instance metadata (169.254.169.254), the Amazon DNS server
	// (169.254.169.253) and the time service live here.
	[2]string{"169.254.0.0/16", "link-local addresses (instance metadata, DNS, NTP)"},
)

// The Kubernetes service range needs no check: without serviceIpv4Cidr EKS assigns service
// addresses from 10.100.0.0/16 or 172.20.0.0/16, whichever does not overlap the VPC (Amazon EKS
// API Reference, KubernetesNetworkConfigRequest), and a /16 to /20 VPC cannot overlap both.

// CheckVPCCIDR records a problem unless the VPC range lies in a private range a VPC accepts and
// clear of the ranges EKS and EC2 reserve.
func CheckVPCCIDR(p *validate.Problems, field string, vpc netip.Prefix) {
	for _, c := range vpcConflicts {
		if c.prefix.Overlaps(vpc) {
			p.Addf(field, "must not overlap %s (%s), got %q", c.prefix, c.what, vpc)
			return
		}
	}
	for _, r := range vpcRanges {
		if r.prefix.Contains(vpc.Addr()) && r.prefix.Bits() <= vpc.Bits() {
			return
		}
	}
	p.Addf(field, "must lie in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10), got %q", vpc)
}

// MaxPublicAccessCIDRs is the number of CIDR blocks EKS accepts in a cluster's publicAccessCidrs
// (aws/containers-roadmap#2174: "only supports 40 CIDR blocks").
const MaxPublicAccessCIDRs = 40

// nonPublic are the IPv4 special-purpose ranges (RFC 6890 and its registry) that never appear as
// the source address of a request reaching a public endpoint over the internet. A request from
// inside the VPC reaches the public endpoint from its NAT gateway's public address, and the
// private endpoint serves the VPC anyway, so a private range in a public access list never
// matches anything: refused rather than silently useless.
var nonPublic = mustPrefixes(
	[2]string{"0.0.0.0/8", "\"this network\""},
	[2]string{"10.0.0.0/8", "RFC 1918 private"},
	[2]string{"100.64.0.0/10", "RFC 6598 shared address space"},
	[2]string{"127.0.0.0/8", "loopback"},
	[2]string{"169.254.0.0/16", "link-local"},
	[2]string{"172.16.0.0/12", "RFC 1918 private"},
	[2]string{"192.0.0.0/24", "IETF protocol assignments"},
	[2]string{"192.0.2.0/24", "documentation (TEST-NET-1)"},
	[2]string{"192.168.0.0/16", "RFC 1918 private"},
	[2]string{"198.18.0.0/15", "benchmarking"},
	[2]string{"198.51.100.0/24", "documentation (TEST-NET-2)"},
	[2]string{"203.0.113.0/24", "documentation (TEST-NET-3)"},
	[2]string{"224.0.0.0/4", "multicast"},
	[2]string{"240.0.0.0/4", "reserved"},
)

// CheckPublicAccessCIDRs records the problems of the CIDR list that may reach a public EKS API
// endpoint: each must be a canonical IPv4 network (EKS accepts only IPv4 blocks for an IPv4
// cluster, Amazon EKS User Guide, "Cluster API server endpoint"; a block with host bits set
// would be rewritten or refused), a public range, the list within EKS's count, and the list
// together must not cover every public address, which is 0.0.0.0/0 spelt differently
// (0.0.0.0/1 + 128.0.0.0/1).
func CheckPublicAccessCIDRs(p *validate.Problems, field string, cidrs []string) {
	if len(cidrs) > MaxPublicAccessCIDRs {
		p.Addf(field, "must list at most %d CIDR blocks (EKS's limit), got %d", MaxPublicAccessCIDRs, len(cidrs))
	}
	var valid []netip.Prefix
	for _, cidr := range cidrs {
		prefix, ok := p.CIDR(field, cidr)
		if !ok {
			continue
		}
		if r, inside := within(prefix, nonPublic); inside {
			p.Addf(field, "must be public address ranges: %q is %s, which never reaches the public endpoint "+
				"(clients inside the VPC use the private endpoint)", cidr, r.what)
			continue
		}
		valid = append(valid, prefix)
	}
	if len(valid) == 0 {
		return
	}
	covering := make([]netip.Prefix, 0, len(valid)+len(nonPublic))
	covering = append(covering, valid...)
	for _, r := range nonPublic {
		covering = append(covering, r.prefix)
	}
	switch {
	case !CoversAllIPv4(covering):
	case len(valid) == 1:
		p.Addf(field, "must not open the API server to the whole internet, got %q", valid[0])
	default:
		// Name a few blocks, not a list of 40, so that the message stays readable.
		const named = 3
		names := make([]string, 0, named+1)
		for _, v := range valid[:min(len(valid), named)] {
			names = append(names, v.String())
		}
		if len(valid) > named {
			names = append(names, fmt.Sprintf("%d more", len(valid)-named))
		}
		p.Addf(field, "must not open the API server to the whole internet: together %s cover every public IPv4 address, like 0.0.0.0/0",
			strings.Join(names, ", "))
	}
}

// within returns the range of list that contains the whole prefix.
func within(prefix netip.Prefix, list []namedPrefix) (namedPrefix, bool) {
	for _, r := range list {
		if r.prefix.Bits() <= prefix.Bits() && r.prefix.Contains(prefix.Addr()) {
			return r, true
		}
	}
	return namedPrefix{}, false
}

// CoversAllIPv4 reports whether the IPv4 prefixes together contain every IPv4 address. It merges
// the address intervals, so 0.0.0.0/1 and 128.0.0.0/1 cover everything as 0.0.0.0/0 does.
// Non-IPv4 prefixes are ignored.
func CoversAllIPv4(prefixes []netip.Prefix) bool {
	type interval struct{ lo, hi uint64 } // inclusive; uint64 so that hi+1 cannot overflow
	var ivs []interval
	for _, pr := range prefixes {
		if !pr.Addr().Is4() || !pr.IsValid() {
			continue
		}
		pr = pr.Masked()
		b := pr.Addr().As4()
		lo := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		ivs = append(ivs, interval{lo, lo + (uint64(1) << (32 - pr.Bits())) - 1})
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo < ivs[j].lo })
	var next uint64 // the lowest address not yet covered
	for _, iv := range ivs {
		if iv.lo > next {
			return false
		}
		next = max(next, iv.hi+1)
	}
	return next > 0xFFFFFFFF
}
