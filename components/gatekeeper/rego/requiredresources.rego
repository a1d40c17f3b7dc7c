package novacronrequiredresources

# Every container and init container declares the listed resource requests and limits
# (ephemeral containers cannot have resources).

containers contains c if some c in input.review.object.spec.containers

containers contains c if some c in input.review.object.spec.initContainers

declared(c, section, name) if {
	v := c.resources[section][name]
	v != ""
}

violation contains {"msg": msg} if {
	some c in containers
	some name in object.get(input.parameters, "requests", [])
	not declared(c, "requests", name)
	msg := sprintf("container %s has no %s request", [c.name, name])
}

violation contains {"msg": msg} if {
	some c in containers
	some name in object.get(input.parameters, "limits", [])
	not declared(c, "limits", name)
	msg := sprintf("container %s has no %s limit", [c.name, name])
}
