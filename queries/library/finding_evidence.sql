-- @name finding_evidence
-- @description The raw records behind a finding: every call by the
-- @description principal (a role matches its sessions) on the resource in
-- @description the finding's window, oldest first.
-- @param principal string Principal ARN of the finding.
-- @param resource string= ARN of the secret or key; empty means any resource.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to principal principal resource resource resource
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
  event_time, event_id, event_source, event_name, failed, error_code,
  error_message, principal_arn, session_name, caller_kind, resource_arn,
  resource_arns, source_ip, user_agent, vpc_endpoint_id, aws_region,
  encryption_context, request_parameters, source_object, source_index
FROM ev
WHERE (principal_arn = ? OR session_issuer_arn = ?)
  AND (? = '' OR resource_arn = ? OR contains(resource_arns, ?))
ORDER BY event_time, event_id
