package novacronnolatestimage

# Images carry an explicit tag other than latest, or a digest. An untagged image means
# :latest. The tag is what follows the last ":" of the last path segment, so that a registry
# port ("host:5000/app") is not read as a tag.

containers contains c if some c in input.review.object.spec.containers

containers contains c if some c in input.review.object.spec.initContainers

containers contains c if some c in input.review.object.spec.ephemeralContainers

tag(image) := t if {
	segments := split(image, "/")
	last := segments[count(segments) - 1]
	parts := split(last, ":")
	count(parts) > 1
	t := parts[count(parts) - 1]
} else := ""

violation contains {"msg": msg} if {
	some c in containers
	not contains(c.image, "@")
	tag(c.image) == ""
	msg := sprintf("container %s image %s has no tag, which means :latest", [c.name, c.image])
}

violation contains {"msg": msg} if {
	some c in containers
	not contains(c.image, "@")
	tag(c.image) == "latest"
	msg := sprintf("container %s image %s uses the :latest tag", [c.name, c.image])
}
