-- @name resource_access
-- @description Who accessed a secret or key in a window: one row per
-- @description principal with its calls, failures, first and last call and
-- @description the actions it used, busiest first.
-- @param resource string ARN of the secret or key.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to resource resource
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND (e.resource_arn = ? OR contains(e.resource_arns, ?))
)
SELECT
  principal_arn,
  principal_account_id,
  caller_kind,
  count(*) AS calls,
  sum(CASE WHEN failed THEN 1 ELSE 0 END) AS failures,
  min(event_time) AS first_call,
  max(event_time) AS last_call,
  array_join(array_sort(array_agg(DISTINCT event_name)), ', ') AS event_names
FROM ev
GROUP BY principal_arn, principal_account_id, caller_kind
ORDER BY calls DESC, principal_arn
