package novacrongpupool

# The GPU node pool is only for pods that need a GPU: a pod that selects the pool must
# tolerate its taint and request a GPU, and a pod that tolerates the taint must request a GPU
# (else it may take a GPU node's room).

spec := input.review.object.spec

params := input.parameters

selects_pool if spec.nodeSelector[params.nodeLabelKey] == params.nodeLabelValue

selects_pool if {
	some term in spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
	some expr in term.matchExpressions
	expr.key == params.nodeLabelKey
	expr.operator == "In"
	params.nodeLabelValue in expr.values
}

effect_matches(t) if object.get(t, "effect", "") in {"", params.taintEffect}

# Kubernetes toleration semantics: Exists with no key tolerates every taint; Equal (the
# default operator) needs the key and the value.
tolerates(t) if {
	t.operator == "Exists"
	object.get(t, "key", "") in {"", params.taintKey}
	effect_matches(t)
}

tolerates(t) if {
	object.get(t, "operator", "Equal") == "Equal"
	t.key == params.taintKey
	object.get(t, "value", "") == params.taintValue
	effect_matches(t)
}

tolerates_taint if {
	some t in object.get(spec, "tolerations", [])
	tolerates(t)
}

# An extended resource is set in limits (requests default to them) or in both.
requests_gpu if {
	some c in spec.containers
	some section in ["limits", "requests"]
	to_number(c.resources[section][params.gpuResource]) > 0
}

taint := sprintf("%s=%s:%s", [params.taintKey, params.taintValue, params.taintEffect])

violation contains {"msg": msg} if {
	selects_pool
	not tolerates_taint
	msg := sprintf("the pod selects the GPU pool (%s=%s) but does not tolerate its taint %s",
		[params.nodeLabelKey, params.nodeLabelValue, taint])
}

violation contains {"msg": msg} if {
	selects_pool
	not requests_gpu
	msg := sprintf("the pod selects the GPU pool (%s=%s) but requests no %s",
		[params.nodeLabelKey, params.nodeLabelValue, params.gpuResource])
}

violation contains {"msg": msg} if {
	not selects_pool
	tolerates_taint
	not requests_gpu
	msg := sprintf("the pod tolerates the GPU taint %s but requests no %s", [taint, params.gpuResource])
}
