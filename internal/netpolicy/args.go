package netpolicy

import (
	"fmt"
	"reflect"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	netv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	networkingv1 "k8s.io/api/networking/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Args converts one API object into pulumi-kubernetes arguments. It carries the metadata's
// name, namespace and labels and the whole spec (selectors by matchLabels and
// matchExpressions, ipBlock with except, numbered and named ports, endPort, protocols). It
// refuses any other metadata, and selectors the API server would refuse, rather than dropping
// them; errors name the field.
func Args(p networkingv1.NetworkPolicy) (*netv1.NetworkPolicyArgs, error) {
	rest := p.ObjectMeta
	rest.Name, rest.Namespace, rest.Labels = "", "", nil
	if !reflect.DeepEqual(rest, k8smeta.ObjectMeta{}) {
		return nil, fmt.Errorf("metadata: only name, namespace and labels are supported")
	}
	podSelector, err := selector("spec.podSelector", p.Spec.PodSelector)
	if err != nil {
		return nil, err
	}
	spec := &netv1.NetworkPolicySpecArgs{PodSelector: podSelector}
	types := pulumi.StringArray{}
	for _, t := range p.Spec.PolicyTypes {
		types = append(types, pulumi.String(string(t)))
	}
	spec.PolicyTypes = types
	if len(p.Spec.Ingress) > 0 {
		rules := netv1.NetworkPolicyIngressRuleArray{}
		for i, r := range p.Spec.Ingress {
			from, err := peers(fmt.Sprintf("spec.ingress[%d].from", i), r.From)
			if err != nil {
				return nil, err
			}
			rules = append(rules, netv1.NetworkPolicyIngressRuleArgs{From: from, Ports: ports(r.Ports)})
		}
		spec.Ingress = rules
	}
	if len(p.Spec.Egress) > 0 {
		rules := netv1.NetworkPolicyEgressRuleArray{}
		for i, r := range p.Spec.Egress {
			to, err := peers(fmt.Sprintf("spec.egress[%d].to", i), r.To)
			if err != nil {
				return nil, err
			}
			rules = append(rules, netv1.NetworkPolicyEgressRuleArgs{To: to, Ports: ports(r.Ports)})
		}
		spec.Egress = rules
	}
	return &netv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(p.Name),
			Namespace: pulumi.String(p.Namespace),
			Labels:    pulumi.ToStringMap(p.Labels),
		},
		Spec: spec,
	}, nil
}

func selector(field string, s k8smeta.LabelSelector) (metav1.LabelSelectorArgs, error) {
	// The API server's own conversion refuses an unknown operator, values on Exists or
	// DoesNotExist, and no values on In or NotIn; refuse them here, before registration.
	if _, err := k8smeta.LabelSelectorAsSelector(&s); err != nil {
		return metav1.LabelSelectorArgs{}, fmt.Errorf("%s: %w", field, err)
	}
	out := metav1.LabelSelectorArgs{}
	if len(s.MatchLabels) > 0 {
		out.MatchLabels = pulumi.ToStringMap(s.MatchLabels)
	}
	if len(s.MatchExpressions) > 0 {
		exprs := metav1.LabelSelectorRequirementArray{}
		for _, e := range s.MatchExpressions {
			req := metav1.LabelSelectorRequirementArgs{Key: pulumi.String(e.Key), Operator: pulumi.String(string(e.Operator))}
			if len(e.Values) > 0 {
				req.Values = pulumi.ToStringArray(e.Values)
			}
			exprs = append(exprs, req)
		}
		out.MatchExpressions = exprs
	}
	return out, nil
}

func peers(field string, in []networkingv1.NetworkPolicyPeer) (netv1.NetworkPolicyPeerArray, error) {
	out := netv1.NetworkPolicyPeerArray{}
	for i, p := range in {
		peer := netv1.NetworkPolicyPeerArgs{}
		if p.IPBlock != nil {
			block := netv1.IPBlockArgs{Cidr: pulumi.String(p.IPBlock.CIDR)}
			if len(p.IPBlock.Except) > 0 {
				block.Except = pulumi.ToStringArray(p.IPBlock.Except)
			}
			peer.IpBlock = block
		}
		if p.NamespaceSelector != nil {
			s, err := selector(fmt.Sprintf("%s[%d].namespaceSelector", field, i), *p.NamespaceSelector)
			if err != nil {
				return nil, err
			}
			peer.NamespaceSelector = s
		}
		if p.PodSelector != nil {
			s, err := selector(fmt.Sprintf("%s[%d].podSelector", field, i), *p.PodSelector)
			if err != nil {
				return nil, err
			}
			peer.PodSelector = s
		}
		out = append(out, peer)
	}
	return out, nil
}

func ports(in []networkingv1.NetworkPolicyPort) netv1.NetworkPolicyPortArray {
	out := netv1.NetworkPolicyPortArray{}
	for _, p := range in {
		arg := netv1.NetworkPolicyPortArgs{}
		if p.Protocol != nil {
			arg.Protocol = pulumi.String(string(*p.Protocol))
		}
		if p.Port != nil {
			if p.Port.Type == intstr.String {
				arg.Port = pulumi.String(p.Port.StrVal)
			} else {
				arg.Port = pulumi.Int(int(p.Port.IntVal))
			}
		}
		if p.EndPort != nil {
			arg.EndPort = pulumi.Int(int(*p.EndPort))
		}
		out = append(out, arg)
	}
	return out
}
