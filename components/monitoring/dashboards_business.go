package monitoring

import (
	"fmt"

	"github.com/novacron/platform/metrics"
)

// businessBoard is the business KPI dashboard: jobs run and failed by job type, the failure
// ratio against its objective, queue depth and active users. Every series is one the metrics
// package defines.
func businessBoard(s DashboardSettings) *board {
	r := s.Rules
	b := newBoard(BusinessDashboardUID, "NovaCron / Business",
		"Jobs run and failed by job type, queue depth and active users, from the NovaCron services' own metrics.", "business")
	b.doc.Time = timeRange{From: "now-7d", To: "now"}
	b.doc.Templating.List = []variable{
		labelValuesVariable("job_type", "Job type", metrics.JobsProcessedTotal, metrics.LabelJobType, true),
	}
	types := fmt.Sprintf(`%s=~"$job_type"`, metrics.LabelJobType)
	failed := fmt.Sprintf(`%s, %s=%q`, types, metrics.LabelStatus, metrics.StatusFailure)
	increase := func(selector string) string {
		return fmt.Sprintf("sum(increase(%s{%s}[$__range]))", metrics.JobsProcessedTotal, selector)
	}
	perMinute := func(selector string) string {
		return fmt.Sprintf("sum by (%s) (rate(%s{%s}[$__rate_interval])) * 60", metrics.LabelJobType, metrics.JobsProcessedTotal, selector)
	}
	failureSteps := steps("green", step{r.JobFailureRatio, "red"})

	b.row("Over the selected range")
	b.add(statPanel(viz{title: "Jobs run", unit: "short"}, promQuery(increase(types)).instant()), 6, 5)
	b.add(statPanel(viz{title: "Jobs failed", unit: "short"}, promQuery(increase(failed)).instant()), 6, 5)
	b.add(statPanel(viz{title: "Failure ratio", unit: "percentunit", thresholds: failureSteps,
		description: "Objective: at most " + percent(r.JobFailureRatio) + " of jobs fail."},
		promQuery(increase(failed)+" / "+increase(types)).instant()), 6, 5)
	b.add(statPanel(viz{title: "Active users", unit: "short"},
		promQuery("sum("+metrics.ActiveUsers+")").instant()), 6, 5)

	b.row("Jobs by type")
	b.add(timeseriesPanel(viz{title: "Jobs run per minute", unit: "short", minZero: true},
		promQuery(perMinute(types))), 12, 8)
	b.add(timeseriesPanel(viz{title: "Job failures per minute", unit: "short", minZero: true},
		promQuery(perMinute(failed))), 12, 8)
	b.add(timeseriesPanel(viz{title: "Job failure ratio (15m)", unit: "percentunit", minZero: true, thresholdLine: true,
		thresholds: failureSteps},
		promQuery(fmt.Sprintf("%s{%s}", jobFailureRecord, types))), 12, 8)
	b.add(timeseriesPanel(viz{title: "Queue depth", unit: "short", minZero: true,
		description: "Jobs waiting to run. A queue that grows while jobs run at a steady rate needs more workers."},
		promQuery(fmt.Sprintf("sum by (%s) (%s{%s})", metrics.LabelJobType, metrics.JobQueueDepth, types))), 12, 8)

	b.row("Users")
	b.add(timeseriesPanel(viz{title: "Active users", unit: "short", minZero: true},
		promQuery("sum("+metrics.ActiveUsers+")").legend("active users")), 24, 8)
	return b
}
