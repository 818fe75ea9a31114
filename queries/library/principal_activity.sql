-- @name principal_activity
-- @description Everything a principal did in a window, oldest first: each
-- @description call with its resource, outcome and origin.
-- @param principal string Principal ARN; a role ARN also matches its sessions.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to principal principal
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND (e.principal_arn = ? OR e.session_issuer_arn = ?)
)
SELECT
  event_time, event_source, event_name, resource_type, resource_arn,
  failed, error_code, principal_arn, session_name, source_ip, user_agent,
  vpc_endpoint_id, aws_region, event_id
FROM ev
ORDER BY event_time, event_id
