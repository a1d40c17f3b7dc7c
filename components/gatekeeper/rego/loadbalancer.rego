package novacronloadbalancer

# A Service of type LoadBalancer must be one the AWS Load Balancer Controller reconciles: its
# loadBalancerClass is the controller's, or the aws-load-balancer-type annotation hands it to
# the controller. Anything else falls to the in-tree cloud provider (a Classic Load Balancer
# outside our configuration) or to nobody.

type_annotation := "service.beta.kubernetes.io/aws-load-balancer-type"

through_controller if {
	input.review.object.spec.loadBalancerClass == input.parameters.loadBalancerClass
}

through_controller if {
	not input.review.object.spec.loadBalancerClass
	value := input.review.object.metadata.annotations[type_annotation]
	value in input.parameters.typeAnnotationValues
}

violation contains {"msg": msg} if {
	input.review.object.spec.type == "LoadBalancer"
	not through_controller
	msg := sprintf("a LoadBalancer Service must set loadBalancerClass %s or annotation %s: %s",
		[input.parameters.loadBalancerClass, type_annotation, concat(" or ", input.parameters.typeAnnotationValues)])
}
