package awslimits

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/novacron/platform/internal/validate"
)

// AutoscalerChartImageTags maps cluster-autoscaler chart versions to the image tag each
// installs when image.tag is not set: values.yaml image.tag of kubernetes/autoscaler
// charts/cluster-autoscaler at tag cluster-autoscaler-chart-<version> (read for every chart
// release from 9.45.0 to 9.59.0; 9.59.0's Chart.yaml says appVersion 1.35.0). The autoscaler's
// versions match Kubernetes minors and the project recommends "the latest Cluster Autoscaler
// release that corresponds to the minor version of Kubernetes that their cluster is running",
// without cross-version testing (cluster-autoscaler README, "Releases"), so a chart whose default
// image is another minor needs image.tag set. Add a row, read from that chart's values.yaml, to
// use another chart.
var AutoscalerChartImageTags = map[string]string{
	"9.45.0": "v1.32.0", "9.45.1": "v1.32.0", "9.46.0": "v1.32.0", "9.46.1": "v1.32.0",
	"9.46.2": "v1.32.0", "9.46.3": "v1.32.0", "9.46.4": "v1.32.0", "9.46.5": "v1.32.0",
	"9.46.6": "v1.32.0",
	"9.47.0": "v1.33.0", "9.48.0": "v1.33.0", "9.49.0": "v1.33.0", "9.50.0": "v1.33.0",
	"9.50.1": "v1.33.0", "9.51.0": "v1.33.0",
	"9.52.0": "v1.34.1", "9.52.1": "v1.34.1", "9.53.0": "v1.34.2", "9.54.0": "v1.34.2",
	"9.54.1": "v1.34.2", "9.55.0": "v1.34.2",
	"9.55.1": "v1.35.0", "9.56.0": "v1.35.0", "9.57.0": "v1.35.0", "9.58.0": "v1.35.0",
	"9.59.0": "v1.35.0",
}

// autoscalerTag is a cluster-autoscaler release tag: v1.<minor>.<patch>.
var autoscalerTag = regexp.MustCompile(`^v1\.([0-9]+)\.[0-9]+$`)

// CheckAutoscalerImage records a problem unless the autoscaler image runs the cluster's
// Kubernetes minor: imageTag, when set, must be v<kubernetesVersion>.<patch>; when empty, the
// chart's default image must be of that minor, or the tag must be set. kubernetesVersion is
// "1.NN"; a malformed one is reported elsewhere and skipped here.
func CheckAutoscalerImage(p *validate.Problems, tagField, kubernetesVersion, chartVersion, imageTag string) {
	minor := kubernetesMinor(kubernetesVersion)
	if minor < 0 {
		return
	}
	want := fmt.Sprintf("v1.%d.x", minor)
	if imageTag != "" {
		m := autoscalerTag.FindStringSubmatch(imageTag)
		switch {
		case m == nil:
			p.Addf(tagField, "must be an autoscaler release tag such as v%s.0, got %q", kubernetesVersion, imageTag)
		case m[1] != strconv.Itoa(minor):
			p.Addf(tagField, "must be a %s release to match kubernetesVersion %s, got %q", want, kubernetesVersion, imageTag)
		}
		return
	}
	def, known := AutoscalerChartImageTags[chartVersion]
	switch {
	case !known:
		p.Addf(tagField, "must be set (a %s release): the default image of cluster-autoscaler chart %s is not known here", want, chartVersion)
	case autoscalerTag.FindStringSubmatch(def)[1] != strconv.Itoa(minor):
		p.Addf(tagField, "must be set to a %s release: cluster-autoscaler chart %s installs %s, which does not match kubernetesVersion %s",
			want, chartVersion, def, kubernetesVersion)
	}
}
