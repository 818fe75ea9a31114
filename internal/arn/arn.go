// Package arn reads the fields of Amazon Resource Names that keytrail's
// stages ask about: an ARN's account and partition, and whether a string
// is an account id. The detector asks for every call it evaluates, so
// these allocate nothing (the SDK's aws/arn.Parse splits into a slice).
//
// ingest.ParseARN stays with ingest: it is the full parse its normalizer
// builds principals from.
package arn

import "strings"

// Account returns the account field of an ARN (arn:partition:service:
// region:account:resource), or "" when s is no ARN or has none.
func Account(s string) string {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return ""
	}
	for range 3 {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return ""
	}
	return rest[:i]
}

// Partition returns an ARN's partition (aws, aws-cn, aws-us-gov), or ""
// when s is no ARN.
func Partition(s string) string {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return ""
	}
	p, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return p
}

// IsAccountID says whether s is an AWS account id: twelve digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
