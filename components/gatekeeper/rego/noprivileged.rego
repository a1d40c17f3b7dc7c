package novacronnoprivileged

# Pods may not run privileged containers nor share the host's PID, IPC or network namespace:
# each of those gives the pod the node.

containers contains c if some c in input.review.object.spec.containers

containers contains c if some c in input.review.object.spec.initContainers

containers contains c if some c in input.review.object.spec.ephemeralContainers

violation contains {"msg": msg} if {
	some c in containers
	c.securityContext.privileged == true
	msg := sprintf("container %s is privileged", [c.name])
}

violation contains {"msg": msg} if {
	some field in ["hostPID", "hostIPC", "hostNetwork"]
	input.review.object.spec[field] == true
	msg := sprintf("the pod shares a host namespace: %s is true", [field])
}
