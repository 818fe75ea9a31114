package queries_test

import (
	"fmt"

	"github.com/keytrail/keytrail/queries"
)

// A query marks the select that reads a table with -- @unique and keeps its
// filters in it; Parse places the one dedup window around that select, and
// Render fills the parameters with literals. What prints is what Athena and
// DuckDB run.
func ExampleParse() {
	q, err := queries.Parse("failed_calls", `-- @name failed_calls
-- @description Failed calls by a principal on one day.
-- @param principal string Principal ARN.
-- @param day timestamp The day (YYYY-MM-DD).
-- @bind day:day principal
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day = ?
    AND e.principal_arn = ?
    AND e.failed
)
SELECT event_time, event_name, error_code
FROM ev
ORDER BY event_time, event_id
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	sql, err := q.Render(map[string]string{"principal": "arn:aws:iam::111122223333:user/o'brien", "day": "2026-07-03"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(sql)
	// Output:
	// -- @name failed_calls
	// -- @description Failed calls by a principal on one day.
	// -- @param principal string Principal ARN.
	// -- @param day timestamp The day (YYYY-MM-DD).
	// -- @bind day:day principal
	// WITH ev AS (
	//   -- Each event once: copies (a repeated delivery, a file not yet compacted)
	//   -- pass the filters below together; the first copy stays.
	//   SELECT *
	//   FROM (
	//     SELECT
	//       u.*,
	//       row_number() OVER (PARTITION BY u.day, u.event_id, u.event_name, u.event_time, u.request_id ORDER BY u.source_object, u.source_index) AS dup_rank
	//     FROM (
	//       SELECT *
	//       FROM events e
	//       WHERE e.day = '2026-07-03'
	//         AND e.principal_arn = 'arn:aws:iam::111122223333:user/o''brien'
	//         AND e.failed
	//     ) u
	//   ) d
	//   WHERE dup_rank = 1
	// )
	// SELECT event_time, event_name, error_code
	// FROM ev
	// ORDER BY event_time, event_id
}
