package novacronnohostpath

# Pods may not mount directories of the node.

violation contains {"msg": msg} if {
	some v in input.review.object.spec.volumes
	v.hostPath
	msg := sprintf("volume %s mounts the node's %s", [v.name, v.hostPath.path])
}
