package baseline

import "encoding/json"

// FindingRoute is an EventBridge rule that sends findings to the alerts topic, and so to on-call.
type FindingRoute struct {
	// Name names the rule.
	Name string
	// Description says what the rule routes.
	Description string
	// Pattern is the rule's event pattern.
	Pattern map[string]any
}

// GuardDutyMinSeverity is the lowest GuardDuty severity that pages: 7.0 is where GuardDuty's High
// band starts (GuardDuty User Guide, "Severity levels of GuardDuty findings": Low 1.0-3.9, Medium
// 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0).
const GuardDutyMinSeverity = 7

// FindingRoutes are the high-severity findings routed to on-call. GuardDuty findings reach
// EventBridge as source aws.guardduty, detail-type "GuardDuty Finding", severity a number in
// detail.severity (GuardDuty User Guide, "Processing GuardDuty findings with Amazon
// EventBridge"); Security Hub CSPM findings (the service securityhub.Account enables) as source
// aws.securityhub, detail-type "Security Hub Findings - Imported", one finding per event in the
// detail.findings list, in the ASFF (Severity.Label, Workflow.Status, RecordState) (Security Hub
// User Guide, "EventBridge event formats for Security Hub CSPM"). A
// Security Hub finding is routed only while it is new and active, so an acknowledged or
// resolved finding does not page again when it is updated.
var FindingRoutes = []FindingRoute{
	{
		Name:        "guardduty-high",
		Description: "GuardDuty findings of severity 7 or more (High, Critical) to on-call",
		Pattern: map[string]any{
			"source":      []any{"aws.guardduty"},
			"detail-type": []any{"GuardDuty Finding"},
			"detail": map[string]any{
				"severity": []any{map[string]any{"numeric": []any{">=", GuardDutyMinSeverity}}},
			},
		},
	},
	{
		Name:        "securityhub-high",
		Description: "New, active Security Hub control findings labelled HIGH or CRITICAL to on-call",
		Pattern: map[string]any{
			"source":      []any{"aws.securityhub"},
			"detail-type": []any{"Security Hub Findings - Imported"},
			"detail": map[string]any{
				"findings": map[string]any{
					// Security Hub's own control findings only. GuardDuty, Inspector and Access
					// Analyzer findings are imported into Security Hub too (Security Hub User
					// Guide, "AWS service integrations"): GuardDuty's already page through the
					// route above, and Inspector's image CVEs are triaged from Security Hub,
					// not paged, or every rescan of every image would page again.
					"ProductName": []any{"Security Hub"},
					"Severity":    map[string]any{"Label": []any{"HIGH", "CRITICAL"}},
					"Workflow":    map[string]any{"Status": []any{"NEW"}},
					"RecordState": []any{"ACTIVE"},
				},
			},
		},
	},
}

// PatternJSON renders the route's event pattern as EventBridge takes it.
func (r FindingRoute) PatternJSON() (string, error) {
	b, err := json.Marshal(r.Pattern)
	return string(b), err
}
