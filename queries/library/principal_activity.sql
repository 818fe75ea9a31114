-- @name principal_activity
-- @description Everything a principal did in a window, oldest first: each
-- @description call with its resource, outcome and origin.
-- @param principal string Principal ARN; a role ARN also matches its sessions.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to principal principal
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
  event_time, event_source, event_name, resource_type, resource_arn,
  failed, error_code, principal_arn, session_name, source_ip, user_agent,
  vpc_endpoint_id, aws_region, event_id
FROM ev
WHERE principal_arn = ? OR session_issuer_arn = ?
ORDER BY event_time, event_id
