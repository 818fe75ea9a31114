-- @name off_hours_access
-- @description Calls made outside business hours in a local time zone:
-- @description before start_hour, at or after end_hour, or on a Saturday or
-- @description Sunday. AWS services calling on someone's behalf are left out.
-- @param tz zone IANA time zone of the business hours, such as Europe/Paris.
-- @param start_hour integer=8 First business hour (0-23), local time.
-- @param end_hour integer=18 Hour business ends (1-24), local time.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to tz start_hour end_hour
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.caller_kind <> 'service'
),
local_ev AS (
  SELECT ev.*, at_timezone(with_timezone(ev.event_time, 'UTC'), ?) AS local_time
  FROM ev
)
SELECT
  event_time,
  date_format(local_time, '%Y-%m-%d %H:%i') AS local_time,
  day_of_week(local_time) AS local_weekday,
  principal_arn, session_name, event_name, resource_arn, failed,
  source_ip, user_agent, event_id
FROM local_ev
WHERE hour(local_time) < ? OR hour(local_time) >= ? OR day_of_week(local_time) IN (6, 7)
ORDER BY event_time, event_id
