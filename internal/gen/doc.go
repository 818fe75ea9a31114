// Package gen writes a deterministic synthetic organization's CloudTrail:
// log files shaped like the real thing, with labeled incidents and decoys,
// for keytrail's detector evaluation, the demo and the benchmarks.
//
// Why synthetic: real trails with known incidents do not exist in public,
// and the detector needs weeks of routine (baselines) around a few known
// bad events. Every record is modelled on the real samples in
// shared/data/real (identity shapes, Secrets Manager's KMS calls on the
// caller's behalf, rotation steps, cross-account sharedEventID, digests),
// and the files follow the org-trail layout and delivery timing, so
// ingest reads them as it reads a real bucket. Nothing downstream may read
// the labels except evaluation code.
//
// Org generates Config.Days UTC days from Config.Seed alone (no clock):
// applications reading their secrets and keys at hour-of-day-shaped rates,
// people in office hours (Config.Location, Mon–Fri 09:00–18:00, holidays
// excluded), AWS services, keytrail's own roles, noise from other services
// at Config.NoiseShare, and verbatim repeats at Config.DuplicateRate. After
// Config.Warmup days it places incidents of every finding kind, and labels
// the routine activity that looks suspicious as decoys (nightly batch,
// rotation, deploy bursts, service decrypts, a retrying app).
//
// Labels are written to labels.jsonl next to AWSLogs/. Principal and
// Resource are the identifiers keytrail's ingest produces: the role ARN of
// an assumed role (never the session), the IAM user or root ARN, an AWS
// service's principal; the secret ARN without its random suffix; the key
// ARN. EventIDs are the principal's own calls (not the KMS calls Secrets
// Manager makes on its behalf).
//
// Matching rule for evaluation: a finding matches a label when their kinds
// and principals are equal, the label's Resource (if set) is among the
// finding's resources, and the time ranges [Start, End] overlap once each
// is widened by one hour. A decoy matches nothing: any finding whose
// principal equals the decoy's principal and whose time range overlaps the
// decoy's (with the same hour of slack) is a false positive.
//
// Inventory returns what the same organization holds on its last day —
// secrets, keys, IAM principals and the policies that let them act — as
// keytrail's inventory would collect it, consistent with Org's events and
// with cases planted for the access review (see Inventory).
//
// Corpus writes a benchmark corpus instead: copies of rendered records with
// fresh ids and times, streamed through gzip to a target size, with exact
// counts for checking counts in against counts out.
package gen
