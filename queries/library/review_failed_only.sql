-- @name review_failed_only
-- @description Quarterly review: principals whose every call in the period
-- @description failed (denied access, missing resources): probing or
-- @description broken credentials.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
WITH ev AS (
  -- Each event once: a partition may hold a repeated or not yet compacted
  -- copy. Filtering on day first lets the engine prune partitions.
  SELECT *
  FROM (
    SELECT
      e.*,
      row_number() OVER (PARTITION BY e.day, e.event_id, e.event_name, e.event_time, e.request_id ORDER BY e.source_object, e.source_index) AS dup_rank
    FROM events e
    WHERE e.day BETWEEN ? AND ?
      AND e.event_time >= ? AND e.event_time < ?
  ) d
  WHERE dup_rank = 1
)
SELECT
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
