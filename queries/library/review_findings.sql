-- @name review_findings
-- @description Quarterly review: the detector's findings that started in
-- @description the period, most severe first. Shadow findings are included
-- @description and marked.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
WITH fu AS (
  -- @unique findings
  SELECT *
  FROM findings f
  WHERE f.day BETWEEN ? AND ?
    AND f."start" >= ? AND f."start" < ?
)
SELECT
  id, kind, severity, principal, resource,
  "start" AS first_event, "end" AS last_event, "count" AS events,
  title, shadow
FROM fu
ORDER BY
  CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC,
  "start", id
