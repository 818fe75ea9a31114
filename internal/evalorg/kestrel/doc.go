// Package kestrel generates a held-out, labelled organization for
// evaluating keytrail's detector: written from a description of behaviour,
// independently of the worlds the detector was tuned against, so that a
// score on it says something about organizations nobody has seen.
//
// Kestrel Health is a healthcare SaaS run from India (Asia/Kolkata, work
// week Monday to Saturday 10:00-19:00; Republic Day, 26 January, is a
// public holiday). Its accounts are prod (ap-south-1, with a stack for a
// US customer in us-east-1), dev, a shared logging account and an audit
// account. A log-analytics vendor reads the logging account's shared KMS
// key by cross-account Decrypt many times an hour, every hour; an
// unrelated attacker account appears only in the incidents.
//
// What runs:
//   - API services on EKS (IRSA roles) read their database and API-key
//     secrets at pod start and every half hour; a fleet of Kafka
//     consumers decrypts event payloads all day and now and then throttles;
//   - Lambda functions read their secrets and decrypt their configuration
//     on each cold start, in bursts when they scale out after a deploy;
//   - ETL jobs at 01:00 and 04:00 local read their secrets and decrypt
//     data files; S3 (SSE-KMS) and RDS call KMS for the workloads, at
//     night too;
//   - CI (a GitHub Actions OIDC role) deploys several times a day, Monday
//     to Saturday, reading its deploy secrets;
//   - a DR role reads a set of secrets in both regions every Sunday night;
//     rotation Lambdas rotate the database secrets weekly;
//   - about twenty people sign in through SSO (AWSReservedSSO_<set>_<hash>
//     roles, session named by e-mail) in office hours; one SRE is on call
//     21:00-01:00 on weeknights; an admin edits key policies a few times a
//     week; developers create, read and delete test secrets in dev.
//
// The noise a real trail has is there: scattered AccessDenied and
// ResourceNotFound from people, throttling bursts, other services' records
// (about a quarter of all records), a digest file per account and region
// a day, and now and then an event delivered twice.
//
// The incidents are all in the last seven days (the evaluation week, from
// 26 January 2026), each labelled with who did it, what it touched and
// when; beside them are labelled look-alikes a detector must not alert on
// at medium or higher. Everything is derived from the seed: the same
// Config writes the same bytes.
package kestrel
