// Package configtext renders stack-file values the way the Pulumi CLI hands them to a program,
// for the tools that read Pulumi.yaml and Pulumi.<stack>.yaml without the CLI (preflight, the
// stack tests) in every Pulumi project of the repository. ReadProjectFiles reads the files of the
// projects beside the platform (bootstrap, account), which share one layout.
package configtext

import (
	"encoding/json"
	"strconv"
)

// Text renders a YAML value as the CLI passes it: strings as they are, numbers and booleans as
// text, lists and maps as JSON.
func Text(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case int:
		return strconv.Itoa(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	default:
		b, err := json.Marshal(t)
		return string(b), err
	}
}
