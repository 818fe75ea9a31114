-- @name principal_activity
-- @description Everything a principal did in a window, oldest first: each
-- @description call with its resource, outcome and origin.
-- @param principal string Principal ARN; a role ARN also matches its sessions.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to principal from:day to:day from to principal principal principal
WITH ev AS (
  -- @unique events
  -- Two scans, each filtering one column, rather than one scan with an OR
  -- across two: an engine prunes row groups by one column's statistics and
  -- bloom filter at a time, and compacted files cluster by principal_arn.
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.principal_arn = ?
  UNION ALL
  -- Sessions whose principal is another ARN: a user's federated sessions.
  -- Ingest writes an assumed role's sessions with the role as principal_arn,
  -- so for a role this branch holds nothing: the guard on the parameter
  -- lets the planner drop the branch, and its scan, before reading a byte.
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND strpos(?, ':role/') = 0
    AND e.session_issuer_arn = ? AND e.principal_arn <> ?
)
SELECT
  event_time, event_source, event_name, resource_type, resource_arn,
  failed, error_code, principal_arn, session_name, source_ip, user_agent,
  vpc_endpoint_id, aws_region, event_id
FROM ev
ORDER BY event_time, event_id
