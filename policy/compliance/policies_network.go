package compliance

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Network resource types the public-exposure policies read besides those in types.go.
const (
	tSGEgressRule = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tSubnet       = "aws:ec2/subnet:Subnet"
	tInstance     = "aws:ec2/instance:Instance"
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
		&Policy{
			Name:        "network-no-public-ingress",
			Area:        "network",
			Description: "No security group rule admits 0.0.0.0/0 or ::/0, except to the ports listed in allowedPublicIngressPorts.",
			Level:       Mandatory,
			Severity:    High,
			// The platform registers no internet-facing security group: the AWS Load Balancer
			// Controller creates its load balancers' groups itself, so the allow-list is empty
			// by default.
			Remediation: "Restrict the rule to a security group, a prefix list or a known CIDR, or list the port in allowedPublicIngressPorts (a public load balancer's 443).",
			Controls:    join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1")),
			Types:       []string{tSecurityGroup, tSGIngressRule, tSGRule},
			checkResource: func(c *run, r *Resource) {
				forEachRule(c, r, "ingress", func(label string, rule property.Value, protoKey string, cidrKeys ...string) {
					checkPublicRule(c, r, label, rule, protoKey, cidrKeys, func(open []string, p ruleProtocol) {
						if p.noPorts {
							c.violation(r, "%s admits %s for protocol %s", label, strings.Join(open, " and "), p.name)
							return
						}
						if p.from < 0 {
							c.violation(r, "%s admits %s on every protocol and port", label, strings.Join(open, " and "))
							return
						}
						if bad := portsOutside(p.from, p.to, c.cfg.AllowedPublicIngressPorts); bad != "" {
							c.violation(r, "%s admits %s to port(s) %s, which allowedPublicIngressPorts does not list", label, strings.Join(open, " and "), bad)
						}
					})
				})
			},
		},
		&Policy{
			Name:        "network-no-unrestricted-egress",
			Area:        "network",
			Description: "No security group rule allows every port to 0.0.0.0/0 or ::/0 outbound.",
			// Advisory: nodes reach container registries, AWS APIs and third-party endpoints
			// (PagerDuty, Slack) whose addresses change; narrowing egress to 443 and the VPC is
			// guidance, not something every workload can take.
			Level:       Advisory,
			Severity:    Low,
			Remediation: "Allow the ports the workload needs (443 to the internet, the VPC CIDR for the database and DNS), or send traffic through VPC endpoints.",
			Controls:    join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.2")),
			Types:       []string{tSecurityGroup, tSGEgressRule, tSGRule},
			checkResource: func(c *run, r *Resource) {
				forEachRule(c, r, "egress", func(label string, rule property.Value, protoKey string, cidrKeys ...string) {
					checkPublicRule(c, r, label, rule, protoKey, cidrKeys, func(open []string, p ruleProtocol) {
						if p.from < 0 || (p.from <= 1 && p.to >= 65535) {
							c.violation(r, "%s allows every port to %s", label, strings.Join(open, " and "))
						}
					})
				})
			},
		},
		&Policy{
			Name:        "network-subnet-no-public-ip-on-launch",
			Area:        "network",
			Description: "Subnets do not give instances a public IPv4 address at launch (mapPublicIpOnLaunch).",
			Level:       Mandatory,
			Severity:    High,
			// NAT gateways take an Elastic IP and load balancers their own addresses, so even the
			// public subnets need no automatic public address; with it, any node or instance that
			// lands there is reachable from the internet as far as its security groups allow.
			Remediation: "Set mapPublicIpOnLaunch to false; give NAT gateways an Elastic IP.",
			Controls:    join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1")),
			Types:       []string{tSubnet},
			checkResource: func(c *run, r *Resource) {
				if public, ok := c.boolField(r, "mapPublicIpOnLaunch", false); ok && public {
					c.violation(r, "mapPublicIpOnLaunch is true: every instance launched in the subnet gets a public IPv4 address")
				}
			},
		},
		&Policy{
			Name:        "network-instances-no-public-ip",
			Area:        "network",
			Description: "Launch templates and EC2 instances do not attach a public IPv4 address.",
			Level:       Mandatory,
			Severity:    High,
			Remediation: "Remove associatePublicIpAddress (or set it to false); reach nodes through SSM Session Manager and the private EKS endpoint.",
			Controls:    join(soc2("CC6.6"), iso("A.8.20"), pci("1.3.1")),
			Types:       []string{tLaunchTemplate, tInstance},
			checkResource: func(c *run, r *Resource) {
				if r.Type == tInstance {
					if public, ok := c.boolField(r, "associatePublicIpAddress", false); ok && public {
						c.violation(r, "associatePublicIpAddress is true: the instance gets a public IPv4 address")
					}
					return
				}
				nics, _, ok := c.listField(r, "networkInterfaces")
				if !ok {
					return
				}
				for i, nic := range nics {
					// The launch template takes this flag as a string (pulumi/pulumi-aws#2257).
					public, st := asBool(at(nic, "associatePublicIpAddress"))
					switch {
					case st == unknown:
						c.cannotCheck(r, "networkInterfaces[%d].associatePublicIpAddress is not known yet", i)
					case st == present && public:
						c.violation(r, "networkInterfaces[%d].associatePublicIpAddress is true: every instance launched from the template gets a public IPv4 address", i)
					}
				}
			},
		},
		&Policy{
			Name:        "eks-node-imds-hop-limit",
			Area:        "eks",
			Description: "Launch templates and EC2 instances keep the IMDS response hop limit at 1, so containers cannot reach the node's credentials.",
			Level:       Mandatory,
			Severity:    Medium,
			// With a hop limit of 2 or more, a pod on the node network reaches the instance
			// metadata service and the node role's credentials (EKS Best Practices Guide,
			// "Restrict access to the instance profile assigned to the worker node"). Pods that
			// need AWS credentials use EKS Pod Identity and do not need IMDS.
			Remediation: "Set metadataOptions.httpPutResponseHopLimit to 1 and give pods AWS access through EKS Pod Identity.",
			Controls:    join(soc2("CC6.1"), iso("A.8.9"), pci("2.2.6")),
			Types:       []string{tLaunchTemplate, tInstance},
			checkResource: func(c *run, r *Resource) {
				// Unset is EC2's default of 1 for launch templates and instances (EC2 API
				// Reference, InstanceMetadataOptionsRequest, HttpPutResponseHopLimit).
				hops, set, ok := c.numberField(r, "metadataOptions.httpPutResponseHopLimit")
				if ok && set && hops > 1 {
					c.violation(r, "metadataOptions.httpPutResponseHopLimit is %d: containers on the node can fetch the node role's credentials from IMDS", int(hops))
				}
			},
		},
	)
}

// forEachRule calls each for every rule of the given direction ("ingress" or "egress") a security
// group resource carries: the inline rules of a SecurityGroup, a SecurityGroupRule of that type,
// or a SecurityGroupIngressRule / SecurityGroupEgressRule.
func forEachRule(c *run, r *Resource, direction string, each func(label string, rule property.Value, protoKey string, cidrKeys ...string)) {
	switch r.Type {
	case tSecurityGroup:
		rules, _, ok := c.listField(r, direction)
		if !ok {
			return
		}
		for i, rule := range rules {
			each(fmt.Sprintf("%s[%d]", direction, i), rule, "protocol", "cidrBlocks", "ipv6CidrBlocks")
		}
	case tSGIngressRule, tSGEgressRule:
		if (r.Type == tSGIngressRule) == (direction == "ingress") {
			each("the rule", property.New(r.Props), "ipProtocol", "cidrIpv4", "cidrIpv6")
		}
	case tSGRule:
		if typ, _, ok := c.stringField(r, "type"); ok && typ == direction {
			each("the rule", property.New(r.Props), "protocol", "cidrBlocks", "ipv6CidrBlocks")
		}
	}
}

// ruleProtocol is what a rule lets through: noPorts for protocols without ports (ICMP), from -1
// for every protocol and port, otherwise a port range.
type ruleProtocol struct {
	name     string
	noPorts  bool
	from, to int
}

// checkPublicRule calls open with the all-addresses CIDRs of a rule and what it lets through, when
// it has any; unknown values leave the check pending.
func checkPublicRule(c *run, r *Resource, label string, rule property.Value, protoKey string, cidrKeys []string, open func([]string, ruleProtocol)) {
	all, ok := allAddressCIDRs(c, r, label, rule, cidrKeys)
	if !ok || len(all) == 0 {
		return
	}
	proto, pst := asString(at(rule, protoKey))
	if pst == unknown {
		c.cannotCheck(r, "%s: %s is not known yet", label, protoKey)
		return
	}
	switch strings.ToLower(proto) {
	case "icmp", "icmpv6", "1", "58":
		open(all, ruleProtocol{name: proto, noPorts: true})
		return
	case "-1", "all", "":
		open(all, ruleProtocol{name: "all", from: -1})
		return
	}
	from, fst := asNumber(at(rule, "fromPort"))
	to, tst := asNumber(at(rule, "toPort"))
	switch {
	case fst == unknown || tst == unknown:
		c.cannotCheck(r, "%s: the port range is not known yet", label)
	case fst != present || tst != present:
		open(all, ruleProtocol{name: proto, from: -1})
	default:
		open(all, ruleProtocol{name: proto, from: int(from), to: int(to)})
	}
}

// portsOutside renders the part of the range from-to that allowed does not cover ("" when none):
// single ports listed, a wide range summarised.
func portsOutside(from, to int, allowed []int) string {
	var out []string
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		if start == end {
			out = append(out, strconv.Itoa(start))
		} else {
			out = append(out, fmt.Sprintf("%d-%d", start, end))
		}
		start = -1
	}
	for p := from; p <= to; p++ {
		if slices.Contains(allowed, p) {
			flush(p - 1)
			continue
		}
		if start < 0 {
			start = p
		}
	}
	flush(to)
	return strings.Join(out, ", ")
}

// allAddressCIDRs returns the CIDRs of a rule's cidrKeys that cover every address (0.0.0.0/0,
// ::/0). ok is false when one of them is unknown; the check is then noted as pending.
func allAddressCIDRs(c *run, r *Resource, label string, rule property.Value, cidrKeys []string) (all []string, ok bool) {
	for _, key := range cidrKeys {
		v := at(rule, key)
		var cidrs []string
		if s, st := asString(v); st == present {
			cidrs = []string{s}
		} else if l, lst := asStrings(v); lst == present {
			cidrs = l
		} else if st == unknown || lst == unknown {
			c.cannotCheck(r, "%s: %s is not known yet", label, key)
			return nil, false
		}
		for _, cidr := range cidrs {
			if p, err := netip.ParsePrefix(cidr); err == nil && p.Bits() == 0 {
				all = append(all, cidr)
			}
		}
	}
	return all, true
}

// checkOpenRule reports an ingress rule that lets an all-addresses CIDR reach a restricted port.
func checkOpenRule(c *run, r *Resource, label string, rule property.Value, protoKey string, cidrKeys ...string) {
	open, ok := allAddressCIDRs(c, r, label, rule, cidrKeys)
	if !ok || len(open) == 0 {
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
