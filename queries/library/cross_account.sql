-- @name cross_account
-- @description Calls on a secret or key by a principal of another account,
-- @description per principal and resource.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.principal_account_id <> ''
    AND e.resource_account_id <> ''
    AND e.principal_account_id <> e.resource_account_id
)
SELECT
  principal_account_id,
  coalesce(nullif(max(principal_name), ''), regexp_extract(principal_arn, '[^/:]+$')) AS principal_name,
  principal_arn,
  resource_account_id,
  resource_arn,
  count(*) AS calls,
  sum(CASE WHEN failed THEN 1 ELSE 0 END) AS failures,
  min(event_time) AS first_call,
  max(event_time) AS last_call,
  array_join(array_sort(array_agg(DISTINCT event_name)), ', ') AS event_names
FROM ev
GROUP BY principal_account_id, principal_arn, resource_account_id, resource_arn
ORDER BY principal_account_id, principal_arn, resource_arn
