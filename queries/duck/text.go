package duck

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Text formats a DuckDB value as Athena shows it in query results, so
// both runners print the same thing: NULL as "", timestamps as
// "2006-01-02 15:04:05.000", arrays as "[a, b]".
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format("2006-01-02 15:04:05.000")
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = Text(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}
