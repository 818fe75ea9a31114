-- @name resource_access
-- @description Who accessed a secret or key in a window: one row per
-- @description principal with its calls, failures, first and last call and
-- @description the actions it used, busiest first.
-- @param resource string ARN of the secret or key.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to resource resource
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
  caller_kind,
  count(*) AS calls,
  sum(CASE WHEN failed THEN 1 ELSE 0 END) AS failures,
  min(event_time) AS first_call,
  max(event_time) AS last_call,
  array_join(array_sort(array_agg(DISTINCT event_name)), ', ') AS event_names
FROM ev
WHERE resource_arn = ? OR contains(resource_arns, ?)
GROUP BY principal_arn, principal_account_id, caller_kind
ORDER BY calls DESC, principal_arn
