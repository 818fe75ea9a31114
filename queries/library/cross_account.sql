-- @name cross_account
-- @description Calls on a secret or key by a principal of another account,
-- @description per principal and resource.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
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
  principal_account_id,
  principal_arn,
  resource_account_id,
  resource_arn,
  count(*) AS calls,
  sum(CASE WHEN failed THEN 1 ELSE 0 END) AS failures,
  min(event_time) AS first_call,
  max(event_time) AS last_call,
  array_join(array_sort(array_agg(DISTINCT event_name)), ', ') AS event_names
FROM ev
WHERE principal_account_id <> ''
  AND resource_account_id <> ''
  AND principal_account_id <> resource_account_id
GROUP BY principal_account_id, principal_arn, resource_account_id, resource_arn
ORDER BY principal_account_id, principal_arn, resource_arn
