-- @name review_failed_only
-- @description Quarterly review: principals whose every call in the period
-- @description failed (denied access, missing resources): probing or
-- @description broken credentials.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
)
SELECT
  coalesce(nullif(max(principal_name), ''), regexp_extract(principal_arn, '[^/:]+$')) AS principal_name,
  principal_arn,
  principal_account_id,
  count(*) AS calls,
  count(DISTINCT resource_arn) AS resources,
  array_join(array_sort(array_agg(DISTINCT error_code)), ', ') AS error_codes,
  min(event_time) AS first_call,
  max(event_time) AS last_call
FROM ev
GROUP BY principal_arn, principal_account_id
HAVING count(*) = sum(CASE WHEN failed THEN 1 ELSE 0 END)
ORDER BY calls DESC, principal_arn
