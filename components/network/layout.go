package network

import (
	"fmt"
	"net/netip"
)

// Layout is the subnet plan computed from the VPC CIDR: one public, one private and one database
// subnet per availability zone, in that order of the zones given.
type Layout struct {
	Public   []string
	Private  []string
	Database []string
}

// MinPrefix and MaxPrefix bound the VPC CIDR: AWS allows /16 to /28 for a VPC, and the layout
// needs eight bits below the VPC prefix for its smallest (database) subnets, which AWS allows down
// to /28.
const (
	MinPrefix = 16
	MaxPrefix = 20
	maxZones  = 6
)

// PlanSubnets splits cidr for azCount zones. The VPC is cut into eight equal blocks: blocks 0-5
// hold one private subnet per zone (the largest, because the VPC CNI gives every pod a VPC
// address), block 6 holds the public subnets (an eighth of it each: NAT gateways and load
// balancers only) and block 7 the database subnets (a thirty-second of it each). For a /16 that is
// /19 private, /22 public and /24 database subnets. The plan is deterministic, so subnet CIDRs are
// known before deployment and can be used in NetworkPolicies.
func PlanSubnets(cidr string, azCount int) (Layout, error) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix {
		return Layout{}, fmt.Errorf("cidr must be an IPv4 network address, got %q", cidr)
	}
	bits := prefix.Bits()
	if bits < MinPrefix || bits > MaxPrefix {
		return Layout{}, fmt.Errorf("cidr prefix must be between /%d and /%d, got /%d", MinPrefix, MaxPrefix, bits)
	}
	if azCount < 1 || azCount > maxZones {
		return Layout{}, fmt.Errorf("azCount must be between 1 and %d, got %d", maxZones, azCount)
	}
	base := ipv4ToUint(prefix.Addr())
	blockSize := uint32(1) << (32 - bits - 3)
	subnet := func(start uint32, index int, extraBits int) string {
		size := blockSize >> extraBits
		addr := uintToIPv4(start + uint32(index)*size)
		return netip.PrefixFrom(addr, bits+3+extraBits).String()
	}
	var l Layout
	for i := range azCount {
		l.Private = append(l.Private, subnet(base, i, 0))
		l.Public = append(l.Public, subnet(base+6*blockSize, i, 3))
		l.Database = append(l.Database, subnet(base+7*blockSize, i, 5))
	}
	return l, nil
}

func ipv4ToUint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func uintToIPv4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
