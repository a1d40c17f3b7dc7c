package novacronallowedimages

# Images come only from the listed registries (a registry host, or a repository prefix under
# one), and, when requireDigest is set, are pinned by an image digest.

containers contains c if some c in input.review.object.spec.containers

containers contains c if some c in input.review.object.spec.initContainers

containers contains c if some c in input.review.object.spec.ephemeralContainers

# A prefix matches only at a path boundary: "registry.example" must not admit
# "registry.example.attacker.net/x".
from_allowed_registry(image) if {
	some registry in input.parameters.registries
	startswith(image, concat("", [trim_suffix(registry, "/"), "/"]))
}

violation contains {"msg": msg} if {
	some c in containers
	not from_allowed_registry(c.image)
	msg := sprintf("container %s image %s is not from an allowed registry (%s)",
		[c.name, c.image, concat(", ", input.parameters.registries)])
}

violation contains {"msg": msg} if {
	input.parameters.requireDigest == true
	some c in containers
	not regex.match(`@sha256:[0-9a-f]{64}$`, c.image)
	msg := sprintf("container %s image %s is not pinned by digest (@sha256:...)", [c.name, c.image])
}
