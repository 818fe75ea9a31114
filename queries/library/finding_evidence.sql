-- @name finding_evidence
-- @description The raw records behind a finding: every call by the
-- @description principal (a role matches its sessions) on the resource in
-- @description the finding's window, oldest first.
-- @param principal string Principal ARN of the finding.
-- @param resource string= ARN of the secret or key; empty means any resource.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to principal resource resource resource from:day to:day from to principal principal principal resource resource resource
WITH ev AS (
  -- @unique events
  -- Two scans, each filtering one principal column, rather than an OR
  -- across two: engines prune row groups one column at a time, and
  -- compacted files cluster by principal_arn.
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.principal_arn = ?
    AND (? = '' OR e.resource_arn = ? OR contains(e.resource_arns, ?))
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
    AND (? = '' OR e.resource_arn = ? OR contains(e.resource_arns, ?))
)
SELECT
  event_time, event_id, event_source, event_name, failed, error_code,
  error_message, principal_arn, session_name, caller_kind, resource_arn,
  resource_arns, source_ip, user_agent, vpc_endpoint_id, aws_region,
  encryption_context, request_parameters, source_object, source_index
FROM ev
ORDER BY event_time, event_id
