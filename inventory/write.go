package inventory

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// Putter stores an object (lake.Store does).
type Putter interface {
	Put(ctx context.Context, key string, body io.Reader) error
}

// ObjectKey names a table's object for one account and region of a day:
// <prefix>day=D/<account>-<region>.parquet. Nothing of the run is in the
// name, so a rerun the same day replaces it.
func ObjectKey(prefix, day, account, region string) string {
	return prefix + "day=" + day + "/" + account + "-" + region + ".parquet"
}

// Write stores the snapshot: for every account × region of its coverage,
// one object per table (empty ones too, so a rerun replaces everything an
// earlier run of the day wrote for that place), then that place's
// coverage object, last, so a coverage row never describes tables that
// were not written. It returns the keys written.
func (s *Snapshot) Write(ctx context.Context, store Putter) ([]string, error) {
	type place struct{ account, region string }
	var places []place
	seen := map[place]bool{}
	for _, c := range s.Coverage {
		p := place{c.Account, c.Region}
		if !seen[p] {
			seen[p] = true
			places = append(places, p)
		}
	}
	var keys []string
	put := func(prefix string, p place, write func(w io.Writer) error) error {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return err
		}
		key := ObjectKey(prefix, s.Day, p.account, p.region)
		if err := store.Put(ctx, key, bytes.NewReader(buf.Bytes())); err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		keys = append(keys, key)
		return nil
	}
	for _, p := range places {
		var err error
		if p.region == Global {
			err = put(PrincipalsPrefix, p, func(w io.Writer) error {
				return WriteParquet(w, where(s.Principals, func(r Principal) bool { return r.Account == p.account }))
			})
		} else {
			err = put(SecretsPrefix, p, func(w io.Writer) error {
				return WriteParquet(w, where(s.Secrets, func(r Secret) bool { return r.Account == p.account && r.Region == p.region }))
			})
			if err == nil {
				err = put(KeysPrefix, p, func(w io.Writer) error {
					return WriteParquet(w, where(s.Keys, func(r Key) bool { return r.Account == p.account && r.Region == p.region }))
				})
			}
			if err == nil {
				err = put(PermissionsPrefix, p, func(w io.Writer) error {
					return WriteParquet(w, where(s.Permissions, func(r Permission) bool { return r.Account == p.account && r.Region == p.region }))
				})
			}
		}
		if err == nil {
			err = put(CoveragePrefix, p, func(w io.Writer) error {
				return WriteParquet(w, where(s.Coverage, func(r Coverage) bool { return r.Account == p.account && r.Region == p.region }))
			})
		}
		if err != nil {
			return keys, err
		}
	}
	return keys, nil
}

func where[T any](rows []T, keep func(T) bool) []T {
	out := []T{}
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}
