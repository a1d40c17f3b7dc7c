package novacronrequiredlabels

# The object carries every listed label with a non-empty value.

violation contains {"msg": msg} if {
	some key in input.parameters.labels
	object.get(object.get(input.review.object.metadata, "labels", {}), key, "") == ""
	msg := sprintf("the %s has no %s label", [lower(input.review.object.kind), key])
}
