-- @name failures_by_principal
-- @description Failed calls in a window by principal and error code, most
-- @description failures first: probing, stale credentials, broken deploys.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.failed
)
SELECT
  principal_arn,
  error_code,
  count(*) AS failures,
  count(DISTINCT resource_arn) AS resources,
  min(event_time) AS first_failure,
  max(event_time) AS last_failure,
  array_join(array_sort(array_agg(DISTINCT event_name)), ', ') AS event_names
FROM ev
GROUP BY principal_arn, error_code
ORDER BY failures DESC, principal_arn, error_code
