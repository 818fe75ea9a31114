-- @name review_coverage
-- @description The days of a period on which the lake holds events: what
-- @description the review's numbers rest on.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
-- A day counts when it holds one row in the period, repeated or not, so no
-- dedup step: the engine reads the day and event_time columns only.
SELECT e.day
FROM events e
WHERE e.day BETWEEN ? AND ?
  AND e.event_time >= ? AND e.event_time < ?
GROUP BY e.day
ORDER BY e.day
