package monitoring

import (
	"fmt"
	"strconv"

	"github.com/prometheus/common/model"
)

// utilisationFitWindow is the history the utilisation forecasts fit: utilisation follows the
// day, so a day of it, sampled every 10 minutes. Storage and requests forecasts use the capacity
// alerts' windows (capacityLookback, requestsLookback in rules.go), so the dashboard draws what
// the alerts extrapolate. Pools are the alerts' too: nodePoolRecord maps each node to its
// Karpenter NodePool or managed node group, in label nodepool.
const utilisationFitWindow = "1d:10m"

// capacityBoard is the capacity planning dashboard: node, pod and volume utilisation per node
// pool, requests against what the nodes can allocate, each with a predict_linear forecast
// ForecastHorizon ahead and the 80% utilisation target as a threshold line.
func capacityBoard(s DashboardSettings) *board {
	horizon := model.Duration(s.ForecastHorizon).String()
	horizonSeconds := strconv.FormatInt(int64(s.ForecastHorizon.Seconds()), 10)
	b := newBoard(CapacityDashboardUID, "NovaCron / Capacity",
		fmt.Sprintf("Utilisation per node pool against the %s target, with linear forecasts %s ahead (dashed).",
			percent(capacityUtilisationTarget), horizon), "capacity")
	b.doc.Time = timeRange{From: "now-7d", To: "now"}
	b.doc.Templating.List = []variable{
		labelValuesVariable("pool", "Node pool", nodePoolRecord, nodePoolLabel, true),
	}

	pool := fmt.Sprintf(`* on (node) group_left (%s) %s{%s=~"$pool"}`, nodePoolLabel, nodePoolRecord, nodePoolLabel)
	podNode := "* on (namespace, pod) group_left (node) " + podNodeRecord
	active := fmt.Sprintf(`* on (namespace, pod) group_left () max by (namespace, pod) (%s{phase=~"Pending|Running"} == 1)`, ksmPodPhase)
	byPool := func(expr string) string { return fmt.Sprintf("sum by (%s) (%s %s)", nodePoolLabel, expr, pool) }
	forecast := func(expr string) string {
		return fmt.Sprintf("predict_linear((%s)[%s], %s)", expr, utilisationFitWindow, horizonSeconds)
	}
	at80 := steps("green", step{capacityUtilisationTarget, "red"})
	util := func(title, description string, forecastName string) viz {
		return viz{title: title, description: description, unit: "percentunit", minZero: true, thresholdLine: true,
			thresholds: at80, forecastRefs: []string{"B"}, forecastName: forecastName + " +" + horizon}
	}
	poolName := "${__field.labels." + nodePoolLabel + "}"
	pair := func(actual, forecastExpr string) []target {
		return []target{promQuery(actual), promQuery(forecastExpr)}
	}

	b.row("Node pools")
	for _, n := range []struct{ title, record string }{
		{"Node CPU utilisation by pool", nodeCPURecord},
		{"Node memory utilisation by pool", nodeMemoryRecord},
	} {
		expr := fmt.Sprintf("avg by (%s) (%s %s %s)", nodePoolLabel, n.record, podNode, pool)
		b.add(timeseriesPanel(util(n.title, "Average over the pool's nodes (node exporter).", poolName),
			pair(expr, forecast(expr))...), 8, 8)
	}
	b.add(timeseriesPanel(viz{title: "Nodes per pool", unit: "short", minZero: true,
		description: "Nodes in each Karpenter NodePool and managed node group."},
		promQuery(fmt.Sprintf(`count by (%s) (%s{%s=~"$pool"})`, nodePoolLabel, nodePoolRecord, nodePoolLabel))), 8, 8)

	karpenter := s.Rules.KarpenterNamespace != ""
	ceilingText := "the nodes' allocatable"
	if karpenter {
		ceilingText = "the pool's Karpenter limit (a fixed node group: its nodes' allocatable)"
	}
	b.row("Requests against the pool's ceiling")
	for _, r := range []struct{ title, resource string }{
		{"CPU requested / ceiling by pool", "cpu"},
		{"Memory requested / ceiling by pool", "memory"},
	} {
		sel := fmt.Sprintf(`{%s=~"$pool", resource=%q}`, nodePoolLabel, r.resource)
		requested := poolRequestsRecord + sel
		ceiling := poolAllocatableRecord + sel
		if karpenter {
			ceiling = "(" + poolLimitRecord + sel + " or " + ceiling + ")"
		}
		b.add(timeseriesPanel(util(r.title, "Requests of pending and running pods over "+ceilingText+
			", what the capacity alert extrapolates.", poolName),
			pair(requested+" / "+ceiling,
				fmt.Sprintf("predict_linear(%s[%s], %s) / %s", requested, requestsLookback, horizonSeconds, ceiling))...), 8, 8)
	}
	pods := fmt.Sprintf("%s / %s",
		byPool(fmt.Sprintf(`%s{node!=""} %s`, ksmPodInfo, active)),
		byPool(fmt.Sprintf(`%s{resource="pods"}`, ksmNodeAllocatable)))
	b.add(timeseriesPanel(util("Pods / pod capacity by pool", "Pod slots in use; on EKS a node's pod capacity follows its network interfaces.", poolName),
		pair(pods, forecast(pods))...), 8, 8)

	if karpenter {
		karpenterPanels(b, s.Rules.KarpenterNamespace)
	}

	b.row("Pods")
	var podLinks []dashboardLink
	if s.Logs {
		podLinks = []dashboardLink{podLogsLink()}
	}
	for _, p := range []struct{ title, record, resource string }{
		{"CPU used / requested, busiest pods", podCPURecord, "cpu"},
		{"Memory working set / requested, busiest pods", podMemoryRecord, "memory"},
	} {
		expr := fmt.Sprintf(`topk(10, sum by (namespace, pod) (%s %s) / sum by (namespace, pod) (%s{resource=%q}))`,
			p.record, pool, ksmContainerRequests, p.resource)
		b.add(timeseriesPanel(viz{title: p.title, unit: "percentunit", minZero: true, thresholdLine: true, thresholds: at80,
			description: "The ten pods using most of their request; above 100% a pod borrows what others requested.",
			dataLinks:   podLinks},
			promQuery(expr)), 12, 8)
	}

	b.row("Storage")
	volumes := fmt.Sprintf("max by (namespace, persistentvolumeclaim) ((%s / %s) %s)", volumeUsed, volumeCapacity, pool)
	volumesForecast := fmt.Sprintf("max by (namespace, persistentvolumeclaim) ((1 - predict_linear(%s[%s], %s) / %s) %s)",
		volumeAvailable, capacityLookback, horizonSeconds, volumeCapacity, pool)
	b.add(timeseriesPanel(util("Volume utilisation by claim", "Persistent volumes mounted on the pool's nodes (kubelet volume statistics).",
		"${__field.labels.namespace}/${__field.labels.persistentvolumeclaim}"),
		pair(volumes, volumesForecast)...), 9, 8)
	disk := fmt.Sprintf("fstype=~%q", diskFSTypes)
	disks := fmt.Sprintf("max by (node) ((1 - %s{%s} / %s{%s}) %s %s)", fsAvailable, disk, fsSize, disk, podNode, pool)
	disksForecast := fmt.Sprintf("max by (node) ((1 - predict_linear(%s{%s}[%s], %s) / %s{%s}) %s %s)",
		fsAvailable, disk, capacityLookback, horizonSeconds, fsSize, disk, podNode, pool)
	b.add(timeseriesPanel(util("Node disk utilisation", "The fullest disk file system of each node (node exporter).", "${__field.labels.node}"),
		pair(disks, disksForecast)...), 9, 8)
	full := steps("green", step{1, "red"})
	b.add(statPanel(viz{title: "Volumes full within " + horizon, unit: "short", thresholds: full,
		description: "Persistent volumes whose free space, extrapolated linearly, runs out within the forecast horizon."},
		promQuery(fmt.Sprintf("count(predict_linear(%s[%s], %s) < 0) or vector(0)", volumeAvailable, capacityLookback, horizonSeconds)).instant()), 3, 8)
	b.add(statPanel(viz{title: "Node disks full within " + horizon, unit: "short", thresholds: full},
		promQuery(fmt.Sprintf("count(predict_linear(%s{%s}[%s], %s) < 0) or vector(0)", fsAvailable, disk, capacityLookback, horizonSeconds)).instant()), 3, 8)
	return b
}

// karpenterPanels are the pools as Karpenter sees them: what their nodes provide against their
// limits, nodes by capacity type, launches, failed launches and other disruptions, and the
// pods it could not place. The metric names are karpenterRules' (rules.go).
func karpenterPanels(b *board, namespace string) {
	sel := karpenterSelector(namespace)
	poolSel := fmt.Sprintf(`%s, %s=~"$pool"`, sel, nodePoolLabel)
	b.row("Karpenter")
	b.add(timeseriesPanel(viz{title: "Provisioned / limit by pool", unit: "percentunit", minZero: true, thresholdLine: true,
		thresholds:  steps("green", step{karpenterPoolLimitAboveValue, "red"}),
		description: "What the pool's nodes provide over its limit, per resource; at 100% Karpenter launches no further node for the pool."},
		promQuery(fmt.Sprintf("max by (%[1]s, resource_type) (%[2]s{%[4]s})\n/\nmax by (%[1]s, resource_type) (%[3]s{%[4]s} > 0)",
			nodePoolLabel, karpenterPoolUsage, karpenterPoolLimit, poolSel))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Karpenter nodes by capacity type", unit: "short", minZero: true,
		description: "On-demand and Spot nodes per pool (label karpenter.sh/capacity-type)."},
		promQuery(fmt.Sprintf(`count by (%[1]s, capacity_type) (max by (%[1]s, capacity_type, node_name) (%[2]s{%[3]s, managed="true"}))`,
			nodePoolLabel, karpenterNodeLifetime, poolSel))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Pods Karpenter cannot place", unit: "short", minZero: true,
		description: "Pending pods for which no pool offers a fitting node: at a limit, or no pool's requirements and taints allow them."},
		promQuery(fmt.Sprintf("max by (controller) (%s{%s})", karpenterUnschedulablePods, sel))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Nodes launched per hour", unit: "short", minZero: true},
		promQuery(fmt.Sprintf("sum by (%s) (increase(%s{%s}[1h]))", nodePoolLabel, karpenterNodeClaimsCreated, poolSel))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Node disruptions per hour by reason", unit: "short", minZero: true,
		description: "launch_timeout, registration_timeout and nodeclass_not_ready are failed launches; insufficient_capacity a retried offering; " +
			"underutilized, empty and drifted consolidation and AMI updates; expired the 30-day replacement."},
		promQuery(fmt.Sprintf("sum by (%s, reason) (increase(%s{%s}[1h]))", nodePoolLabel, karpenterNodeClaimsDisrupted, poolSel))), 8, 8)
	b.add(timeseriesPanel(viz{title: "Interruption messages per hour", unit: "short", minZero: true,
		description: "Spot interruption warnings, rebalance recommendations, instance state changes and scheduled maintenance taken from the SQS queue."},
		promQuery(fmt.Sprintf("sum by (message_type) (increase(%s{%s}[1h]))", karpenterInterruptionMessages, sel))), 8, 8)
}
