package ingest

import (
	"fmt"
	"path"
	"regexp"
	"time"

	"github.com/keytrail/keytrail/internal/lake"
)

// Event times are checked against when the object that carries them was
// delivered, because the lake trusts them twice: a row's event day is its
// partition, and "the latest event day" is where the CLI's detection
// window goes by default. One record dated 9999-12-31 (a forged record, a
// producer with a broken clock) would otherwise sit silently in a
// partition of its own that Athena's projection never reaches and that
// moves that window past every real event. A record whose time is
// implausible for its object is therefore written to the lake's quarantine
// table instead (same row, lake.QuarantineKey, under the object's delivery
// day) and reported in the run's summary; detection and the query library
// never read it, the access review lists it.
//
// The object's delivery time is, in order of trust:
//   - the time in its name, when it is named as CloudTrail names log files
//     (<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz):
//     events must fall in [delivery − MaxDeliveryDelay, delivery +
//     MaxClockSkew];
//   - S3's LastModified, for other names: it bounds events from above only
//     (LastModified + MaxClockSkew), since a copied or restored object is
//     written long after CloudTrail delivered what it holds;
//   - nothing (local files with other names, hand-made data).
//
// Whatever the object, no event is plausible before CloudTrail existed
// (2013-11-01) or more than a day after the run's clock.

// Defaults for Config.MaxDeliveryDelay and Config.MaxClockSkew.
const (
	// CloudTrail delivers most events within about 15 minutes and some
	// hours late. Seven days is far beyond that, so no delivered event is
	// quarantined for being early (a false quarantine hides a real event
	// from detection), while a record dated years back still is. An early
	// record cannot move a detection window anyway: it lands in a past day.
	DefaultMaxDeliveryDelay = 7 * 24 * time.Hour
	// An event is written before the file that holds it; an hour covers
	// the minute the file name is truncated to and clock differences
	// between AWS hosts. A later time is what moves the latest event day.
	DefaultMaxClockSkew = time.Hour
)

// cloudTrailStart is before CloudTrail's launch (13 November 2013): no
// CloudTrail record is older.
var cloudTrailStart = time.Date(2013, 11, 1, 0, 0, 0, 0, time.UTC)

// aheadOfClock is how far past the run's clock an event may be dated: a
// day, for runs on a laptop whose clock is behind.
const aheadOfClock = 24 * time.Hour

// undatedDay is the quarantine partition of objects whose delivery day is
// unknown (no CloudTrail name, no LastModified, no date folders): a fixed
// day, so that ingesting such a file again replaces its quarantined rows.
const undatedDay = "1970-01-01"

// logName matches the file name CloudTrail gives a log file; the
// submatch is its delivery time.
var logName = regexp.MustCompile(`^[0-9]{12}_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4}Z)_[A-Za-z0-9]{16}\.json(\.gz)?$`)

// DeliveryTime returns the delivery time in a CloudTrail log file's name
// (to the minute), and false when key's file name is not one.
func DeliveryTime(key string) (time.Time, bool) {
	m := logName.FindStringSubmatch(path.Base(key))
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", m[1])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// timeBounds are the plausible event times of one object, and why a time
// outside them is not.
type timeBounds struct {
	earliest, latest time.Time // inclusive
	early, late      string    // why a time before earliest, after latest, is implausible
	day              string    // the object's delivery day: its quarantine partition
}

// timeBounds returns the bounds for the object named key, written to S3 at
// modified (zero when unknown).
func (in *Ingester) timeBounds(key string, modified time.Time) timeBounds {
	now := in.now().UTC()
	b := timeBounds{
		earliest: cloudTrailStart, early: "before CloudTrail existed (2013-11-01)",
		latest: now.Add(aheadOfClock), late: fmt.Sprintf("more than a day after this run's clock (%s)", now.Format(time.RFC3339)),
	}
	if d, ok := DeliveryTime(key); ok {
		at := d.Format(time.RFC3339)
		if e := d.Add(-in.maxDelay); e.After(b.earliest) {
			b.earliest, b.early = e, fmt.Sprintf("more than %s before the object's delivery (%s, from its name)", span(in.maxDelay), at)
		}
		if l := d.Add(in.maxSkew); l.Before(b.latest) {
			b.latest, b.late = l, fmt.Sprintf("more than %s after the object's delivery (%s, from its name)", span(in.maxSkew), at)
		}
		b.day = lake.Day(d)
	} else if !modified.IsZero() {
		if l := modified.UTC().Add(in.maxSkew); l.Before(b.latest) {
			b.latest, b.late = l, fmt.Sprintf("more than %s after the object was written (S3 LastModified %s)", span(in.maxSkew), modified.UTC().Format(time.RFC3339))
		}
		b.day = lake.Day(modified)
	}
	if b.day == "" {
		b.day = DeliveryDay(key)
	}
	if b.day == "" {
		b.day = undatedDay
	}
	return b
}

// check returns why t is implausible, or "" when it is not. A time before
// CloudTrail says so, whatever the tighter bound.
func (b *timeBounds) check(t time.Time) string {
	switch {
	case t.Before(cloudTrailStart):
		return "before CloudTrail existed (2013-11-01)"
	case t.Before(b.earliest):
		return b.early
	case t.After(b.latest):
		return b.late
	}
	return ""
}

// span says d in words: "7 days", "1 hour", or Go's notation.
func span(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return d.String()
}
