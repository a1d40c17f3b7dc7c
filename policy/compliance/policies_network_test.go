package compliance

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/novacron/platform/internal/mock"
)

func ingressRule(name string, props map[string]any) *mock.Resource {
	return res(tSGIngressRule, name, set(map[string]any{"securityGroupId": "sg-id"}, flatten(props)...))
}

func egressRule(name string, props map[string]any) *mock.Resource {
	return res(tSGEgressRule, name, set(map[string]any{"securityGroupId": "sg-id"}, flatten(props)...))
}

func flatten(m map[string]any) []any {
	out := make([]any, 0, 2*len(m))
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

func init() { policyCases = append(policyCases, networkCases...) }

var networkCases = []policyCase{
	// --- network-no-public-ingress (Checkov CKV_AWS_260, CKV_AWS_277; Pulumi aws-ec2-securitygroup-disallow-public-internet-ingress)
	{policy: "network-no-public-ingress", kind: compliant, name: "security group and VPC CIDR sources",
		resources: []*mock.Resource{
			ingressRule("db-from-nodes", map[string]any{"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "referencedSecurityGroupId": "nodes-id"}),
			ingressRule("api-from-vpc", map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.0.0.0/16"}),
			res(tSGRule, "nodes-self", map[string]any{"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "self": true}),
			res(tSGRule, "nodes-egress", map[string]any{"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": []any{"0.0.0.0/0"}}),
		}},
	{policy: "network-no-public-ingress", kind: compliant, name: "listed public port",
		cfg: func(c *Config) { c.AllowedPublicIngressPorts = []int{80, 443} },
		resources: []*mock.Resource{res(tSecurityGroup, "alb", map[string]any{"ingress": []any{
			map[string]any{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": []any{"0.0.0.0/0"}, "ipv6CidrBlocks": []any{"::/0"}},
			map[string]any{"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": []any{"0.0.0.0/0"}},
		}})}},
	{policy: "network-no-public-ingress", kind: violating, name: "HTTPS from the internet, nothing allowed by default",
		resources: []*mock.Resource{ingressRule("web", map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv6": "::/0"})},
		want:      []string{"web: the rule admits ::/0 to port(s) 443, which allowedPublicIngressPorts does not list"}},
	{policy: "network-no-public-ingress", kind: violating, name: "range beyond the allowed ports, every protocol, ICMP",
		cfg: func(c *Config) { c.AllowedPublicIngressPorts = []int{443} },
		resources: []*mock.Resource{res(tSecurityGroup, "web", map[string]any{"ingress": []any{
			map[string]any{"protocol": "tcp", "fromPort": 440, "toPort": 445, "cidrBlocks": []any{"0.0.0.0/0"}},
			map[string]any{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": []any{"10.0.0.0/8", "0.0.0.0/0"}},
			map[string]any{"protocol": "icmp", "fromPort": 8, "toPort": 0, "cidrBlocks": []any{"0.0.0.0/0"}},
		}}), res(tSGRule, "old-style", map[string]any{"type": "ingress", "protocol": "udp", "fromPort": 53, "toPort": 53, "cidrBlocks": []any{"0.0.0.0/0"}})},
		want: []string{
			"web: ingress[0] admits 0.0.0.0/0 to port(s) 440-442, 444-445, which allowedPublicIngressPorts does not list",
			"web: ingress[1] admits 0.0.0.0/0 on every protocol and port",
			"web: ingress[2] admits 0.0.0.0/0 for protocol icmp",
			"old-style: the rule admits 0.0.0.0/0 to port(s) 53, which allowedPublicIngressPorts does not list",
		}},
	{policy: "network-no-public-ingress", kind: unknownIn, name: "CIDR unknown",
		resources: []*mock.Resource{ingressRule("web", map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": unknownValue})},
		pending:   []string{"web: the rule: cidrIpv4 is not known yet"}},

	// --- network-no-unrestricted-egress (Checkov CKV_AWS_382)
	{policy: "network-no-unrestricted-egress", kind: compliant, name: "HTTPS out, everything to the VPC",
		resources: []*mock.Resource{
			egressRule("https", map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}),
			egressRule("vpc", map[string]any{"ipProtocol": "-1", "cidrIpv4": "10.0.0.0/16"}),
			ingressRule("in", map[string]any{"ipProtocol": "-1", "cidrIpv4": "10.0.0.0/16"}),
		}},
	{policy: "network-no-unrestricted-egress", kind: violating, name: "all traffic out, in each shape",
		resources: []*mock.Resource{
			egressRule("nodes-egress", map[string]any{"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}),
			res(tSGRule, "eks-egress", map[string]any{"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": []any{"0.0.0.0/0"}}),
			res(tSecurityGroup, "legacy", map[string]any{"egress": []any{
				map[string]any{"protocol": "tcp", "fromPort": 0, "toPort": 65535, "ipv6CidrBlocks": []any{"::/0"}},
			}}),
		},
		want: []string{
			"nodes-egress: the rule allows every port to 0.0.0.0/0",
			"eks-egress: the rule allows every port to 0.0.0.0/0",
			"legacy: egress[0] allows every port to ::/0",
		}},
	{policy: "network-no-unrestricted-egress", kind: unknownIn, name: "protocol unknown",
		resources: []*mock.Resource{egressRule("out", map[string]any{"ipProtocol": unknownValue, "cidrIpv4": "0.0.0.0/0"})},
		pending:   []string{"out: the rule: ipProtocol is not known yet"}},

	// --- network-subnet-no-public-ip-on-launch (Checkov CKV_AWS_130)
	{policy: "network-subnet-no-public-ip-on-launch", kind: compliant, name: "false or unset",
		resources: []*mock.Resource{res(tSubnet, "public-a", map[string]any{"mapPublicIpOnLaunch": false}),
			res(tSubnet, "private-a", map[string]any{"cidrBlock": "10.0.0.0/19"})}},
	{policy: "network-subnet-no-public-ip-on-launch", kind: violating, name: "public IP on launch",
		resources: []*mock.Resource{res(tSubnet, "public-a", map[string]any{"mapPublicIpOnLaunch": true})},
		want:      []string{"public-a: mapPublicIpOnLaunch is true: every instance launched in the subnet gets a public IPv4 address"}},
	{policy: "network-subnet-no-public-ip-on-launch", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tSubnet, "public-a", map[string]any{"mapPublicIpOnLaunch": unknownValue})},
		pending:   []string{"public-a: mapPublicIpOnLaunch is not known yet"}},

	// --- network-instances-no-public-ip (Checkov CKV_AWS_88; Pulumi aws-ec2-launchtemplate-disallow-public-ip)
	{policy: "network-instances-no-public-ip", kind: compliant, name: "no interfaces, private interface, private instance",
		resources: []*mock.Resource{res(tLaunchTemplate, "general", launchTemplateOK),
			res(tLaunchTemplate, "ml", set(launchTemplateOK, "networkInterfaces", []any{map[string]any{"associatePublicIpAddress": "false"}})),
			res(tInstance, "bastion", map[string]any{"associatePublicIpAddress": false})}},
	{policy: "network-instances-no-public-ip", kind: violating, name: "public address on a template and an instance",
		resources: []*mock.Resource{
			res(tLaunchTemplate, "general", set(launchTemplateOK, "networkInterfaces", []any{map[string]any{"associatePublicIpAddress": "true"}})),
			res(tInstance, "bastion", map[string]any{"associatePublicIpAddress": true})},
		want: []string{"general: networkInterfaces[0].associatePublicIpAddress is true: every instance launched from the template gets a public IPv4 address",
			"bastion: associatePublicIpAddress is true: the instance gets a public IPv4 address"}},
	{policy: "network-instances-no-public-ip", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tLaunchTemplate, "general", set(launchTemplateOK, "networkInterfaces",
			[]any{map[string]any{"associatePublicIpAddress": unknownValue}}))},
		pending: []string{"general: networkInterfaces[0].associatePublicIpAddress is not known yet"}},

	// --- eks-node-imds-hop-limit (Checkov CKV_AWS_341)
	{policy: "eks-node-imds-hop-limit", kind: compliant, name: "hop limit 1, or EC2's default",
		resources: []*mock.Resource{res(tLaunchTemplate, "general", launchTemplateOK),
			res(tLaunchTemplate, "ml", set(launchTemplateOK, "metadataOptions.httpPutResponseHopLimit", del)),
			res(tInstance, "bastion", map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"}})}},
	{policy: "eks-node-imds-hop-limit", kind: violating, name: "hop limit 2",
		resources: []*mock.Resource{res(tLaunchTemplate, "general", set(launchTemplateOK, "metadataOptions.httpPutResponseHopLimit", 2))},
		want:      []string{"general: metadataOptions.httpPutResponseHopLimit is 2: containers on the node can fetch the node role's credentials from IMDS"}},
	{policy: "eks-node-imds-hop-limit", kind: unknownIn, name: "unknown",
		resources: []*mock.Resource{res(tLaunchTemplate, "general", set(launchTemplateOK, "metadataOptions.httpPutResponseHopLimit", unknownValue))},
		pending:   []string{"general: metadataOptions.httpPutResponseHopLimit is not known yet"}},
}

func TestAllowedPublicIngressPortsValidation(t *testing.T) {
	c := DefaultConfig()
	c.AllowedPublicIngressPorts = []int{443, 22, 70000}
	err := c.Validate()
	assert.ErrorContains(t, err, "allowedPublicIngressPorts: 22 is also in restrictedPorts, which no rule may open to the internet")
	assert.ErrorContains(t, err, "allowedPublicIngressPorts: 70000 is not a port number")
	assert.NotContains(t, err.Error(), "443")
}

func TestPortsOutside(t *testing.T) {
	for _, tc := range []struct {
		from, to int
		allowed  []int
		want     string
	}{
		{443, 443, []int{443}, ""},
		{443, 443, nil, "443"},
		{80, 443, []int{80, 443}, "81-442"},
		{0, 65535, []int{443}, "0-442, 444-65535"},
	} {
		assert.Equal(t, tc.want, portsOutside(tc.from, tc.to, tc.allowed), "%d-%d %v", tc.from, tc.to, tc.allowed)
	}
}
