package compliance

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func init() {
	register(
		&Policy{
			Name:        "network-no-public-admin-ports",
			Area:        "network",
			Description: "No security group rule opens an administration or database port to 0.0.0.0/0 or ::/0.",
			Level:       Mandatory,
			Severity:    Critical,
			Remediation: "Restrict the rule to a security group or a known CIDR; reach nodes through SSM Session Manager.",
			Controls:    join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1"), cisAWS("5.2", "5.3")),
			Types:       []string{tSecurityGroup, tSGIngressRule, tSGRule},
			checkResource: func(c *run, r *Resource) {
				switch r.Type {
				case tSecurityGroup:
					rules, _, ok := c.listField(r, "ingress")
					if !ok {
						return
					}
					for i, rule := range rules {
						checkOpenRule(c, r, fmt.Sprintf("ingress[%d]", i), rule, "protocol", "cidrBlocks", "ipv6CidrBlocks")
					}
				case tSGIngressRule:
					checkOpenRule(c, r, "the rule", property.New(r.Props), "ipProtocol", "cidrIpv4", "cidrIpv6")
				case tSGRule:
					typ, _, ok := c.stringField(r, "type")
					if !ok || typ != "ingress" {
						return
					}
					checkOpenRule(c, r, "the rule", property.New(r.Props), "protocol", "cidrBlocks", "ipv6CidrBlocks")
				}
			},
		},
		&Policy{
			Name:        "network-vpc-flow-logs",
			Area:        "network",
			Description: "Every VPC has a flow log that records rejected (or all) traffic.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Attach an aws.ec2.FlowLog with trafficType ALL to the VPC.",
			Controls:    join(soc2("CC7.2"), iso("A.8.15", "A.8.16"), pci("10.2.1"), cisAWS("3.7")),
			Types:       []string{tVpc},
			checkStack:  checkFlowLogs,
		},
		&Policy{
			Name:        "network-default-security-group-closed",
			Area:        "network",
			Description: "The default security group of every VPC has no rules.",
			Level:       Mandatory,
			Severity:    Medium,
			Remediation: "Manage the VPC's aws.ec2.DefaultSecurityGroup without ingress or egress blocks.",
			Controls:    join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1", "1.3.2"), cisAWS("5.4")),
			Types:       []string{tDefaultSG},
			checkResource: func(c *run, r *Resource) {
				in, _, ok := c.listField(r, "ingress")
				if !ok {
					return
				}
				out, _, ok := c.listField(r, "egress")
				if !ok {
					return
				}
				if len(in)+len(out) > 0 {
					c.violation(r, "the default security group keeps %d ingress and %d egress rule(s): it must have none", len(in), len(out))
				}
			},
		},
	)
}

// checkOpenRule reports an ingress rule that lets an all-addresses CIDR reach a restricted port.
func checkOpenRule(c *run, r *Resource, label string, rule property.Value, protoKey string, cidrKeys ...string) {
	var open []string
	for _, key := range cidrKeys {
		v := at(rule, key)
		var cidrs []string
		if s, st := asString(v); st == present {
			cidrs = []string{s}
		} else if l, lst := asStrings(v); lst == present {
			cidrs = l
		} else if st == unknown || lst == unknown {
			c.cannotCheck(r, "%s: %s is not known yet", label, key)
			return
		}
		for _, cidr := range cidrs {
			if p, err := netip.ParsePrefix(cidr); err == nil && p.Bits() == 0 {
				open = append(open, cidr)
			}
		}
	}
	if len(open) == 0 {
		return
	}
	proto, pst := asString(at(rule, protoKey))
	if pst == unknown {
		c.cannotCheck(r, "%s: %s is not known yet", label, protoKey)
		return
	}
	switch strings.ToLower(proto) {
	case "icmp", "icmpv6", "1", "58":
		return // no ports
	}
	allPorts := proto == "-1" || strings.EqualFold(proto, "all")
	from, fst := asNumber(at(rule, "fromPort"))
	to, tst := asNumber(at(rule, "toPort"))
	if fst == unknown || tst == unknown {
		c.cannotCheck(r, "%s: the port range is not known yet", label)
		return
	}
	if fst != present || tst != present {
		allPorts = true
	}
	var hit []string
	for _, p := range c.cfg.RestrictedPorts {
		if allPorts || (float64(p) >= from && float64(p) <= to) {
			hit = append(hit, strconv.Itoa(p))
		}
	}
	if len(hit) > 0 {
		c.violation(r, "%s allows %s to port(s) %s", label, strings.Join(open, " and "), strings.Join(hit, ", "))
	}
}

// checkFlowLogs links flow logs to VPCs through vpcId (see linked).
func checkFlowLogs(c *run, rs []*Resource) {
	flowLogs := ofType(rs, tFlowLog)
	for _, vpc := range ofType(rs, tVpc) {
		var logged, acceptOnly, pending bool
		for _, fl := range flowLogs {
			targets, known := linked(fl, "vpcId", []*Resource{vpc}, "id")
			if !known {
				pending = true
				continue
			}
			if len(targets) == 0 {
				continue
			}
			traffic, st := asString(fl.get("trafficType"))
			switch {
			case st == unknown:
				pending = true
			case strings.EqualFold(traffic, "ACCEPT"):
				acceptOnly = true
			default:
				logged = true
			}
		}
		switch {
		case logged:
		case pending:
			c.cannotCheck(vpc, "the VPC of a flow log is not known yet")
		case acceptOnly:
			c.violation(vpc, "the VPC's flow logs record accepted traffic only: log ALL (or at least REJECT) traffic")
		default:
			c.violation(vpc, "no flow log is attached to this VPC")
		}
	}
}
