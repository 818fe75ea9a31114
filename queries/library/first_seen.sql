-- @name first_seen
-- @description Principals that used a secret or key for the first time in a
-- @description window, compared with a baseline that starts at baseline_from.
-- @param resource string= ARN of a secret or key; empty means every resource.
-- @param baseline_from timestamp Start of the history to compare with (RFC 3339).
-- @param from timestamp Window start, inclusive (RFC 3339).
-- @param to timestamp Window end, exclusive (RFC 3339).
-- @bind baseline_from:day to:day baseline_from to resource resource from resource resource from
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    -- Only events naming the resource; the unnested name is checked below.
    AND (? = '' OR contains(e.resource_arns, ?))
),
per AS (
  SELECT
    r.arn AS resource_arn,
    ev.principal_arn,
    min(ev.event_time) AS first_seen,
    sum(CASE WHEN ev.event_time >= ? THEN 1 ELSE 0 END) AS calls_in_window
  FROM ev
  CROSS JOIN UNNEST(ev.resource_arns) AS r (arn)
  WHERE ? = '' OR r.arn = ?
  GROUP BY r.arn, ev.principal_arn
)
SELECT resource_arn, principal_arn, first_seen, calls_in_window
FROM per
WHERE first_seen >= ?
ORDER BY first_seen, resource_arn, principal_arn
