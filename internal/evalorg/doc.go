// Package evalorg builds an independent, labelled organization to evaluate
// keytrail's detector against.
//
// keytrail's own generator (internal/gen) and its rules were written by the
// same hands, so a perfect score on one against the other says little.
// This world was written the other way round: from a description of how a
// company behaves, as its SRE and red team would tell it, without reading
// the rules. Its records copy the shapes of real CloudTrail (field order,
// userIdentity variants, service calls on a caller's behalf, errors as the
// services word them, VPC endpoint ids, network-activity events), and its
// files are named and foldered as CloudTrail delivers them. The labels say
// what a team would want caught and what it would be annoyed to be paged
// for; how the detector gets there is its own business.
//
// # The organization
//
// Tavor Pay is a payments fintech in Israel. Time zone Asia/Jerusalem;
// the work week is Sunday to Thursday, 08:30 to 17:30; on public holidays
// nobody works but every job runs. Its own accounts are prod, staging,
// shared-services (CI, monitoring) and security (the organization trail,
// the SIEM). A payment processor's account reads one shared secret every
// morning through a cross-account role; one unrelated account belongs to
// the attacker. Almost everything runs in eu-central-1; prod also runs an
// FX feed and a DR check in us-east-1, and IAM's global events land there.
//
// Workloads (about forty), each with its own secrets and keys:
//   - ECS services in prod (payments-api, ledger-service, merchant-portal,
//     notifications, card-vault, kyc-service, auth-gateway,
//     webhooks-dispatcher; fx-rates in us-east-1) and staging (six), and
//     grafana and atlantis in shared-services. Tasks follow the traffic
//     curve (a night trough, a quieter Friday afternoon and Saturday),
//     read their secrets at start and every hour through the VPC endpoints,
//     and call KMS in proportion to traffic. The task execution role reads
//     a task's secrets when it starts.
//   - EKS pods through IRSA (risk-scoring, fraud-engine, reporting-api,
//     search-indexer), whose credentials are renewed hourly.
//   - Lambda functions: nightly batches at fixed local times
//     (ledger-reconcile 02:00, ledger-eod-export 02:30, statements 03:00
//     and Friday 06:00, settlement 05:00 and Saturday 04:00), periodic ones
//     (chargeback-sync every 15 minutes, the audit archiver hourly, the DR
//     checker hourly in us-east-1, the SIEM shipper), event-driven ones.
//   - CI: GitHub Actions through an OIDC role in shared-services; builds
//     read the CI secrets; releases (about every other workday in prod, a
//     few a day in staging) assume the deployer role, read the deploy
//     secrets and roll the services.
//   - AWS services on the organization's behalf: Secrets Manager
//     decrypting for every read, rotating four database secrets weekly
//     through a rotation function; AWS Backup and RDS snapshots at night;
//     EC2 decrypting EKS nodes' volumes; S3 decrypting SSE-KMS objects;
//     CloudTrail encrypting each log file; the AWS Config recorder
//     describing every key and secret daily.
//   - A legacy IAM user, svc-reporting-export, read by an on-premises job
//     every morning; a legacy Jenkins instance role that polls EC2 and S3
//     and never touched a secret.
//
// People (25) sign in through IAM Identity Center
// (AWSReservedSSO_<PermissionSet>_<hash> roles, session name the e-mail):
// fourteen developers reading their team's staging secrets in office
// hours from the console or the CLI (with the odd typo, AccessDenied while
// exploring, and scratch secrets created and deleted), five SREs reading a
// few prod credentials, one of them on call each week and paged on a
// couple of nights, three admins describing, tagging and creating secrets
// and keys, two data engineers, and a security engineer who reviews every
// key and secret policy weekly.
//
// # The incident week
//
// The last seven days hold eighteen incidents (a new role decrypting in
// bulk, mass reads by a role with no history, a person reading secrets they
// never read on a holiday, a stolen access key, an outside account
// reading a secret after a resource policy and a grant opened it, a
// public key policy, a key disabled then scheduled for deletion, a secret
// force-deleted, the two outages those cause, an AccessDenied burst, a
// match-all BatchGetSecretValue, reads across seven regions, imported key
// material, a VPC endpoint denial, a key created with a public policy) and
// about twenty look-alikes a team sees every week (the big release, a
// scale-out, the partner's read, nightly batches, rotation, backups, the
// on-call night, organization-scoped policies, a new staging service,
// exploring developers, scratch secrets, break-glass, remediation). Each
// label's span is that of its own events; World lists them.
//
// # Delivery
//
// Files are gzip JSON {"Records":[...]} named
// AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz,
// one per account and region for each five minutes with events, stamped a
// few minutes after them (the folders are the delivery date). Now and then
// an event is delivered again in the next file. Digest files sit under
// CloudTrail-Digest/. About a third of the records are other services'.
//
// Everything is a function of Config: the same seed gives the same bytes.
// Identifiers are hashes of names (ids.go), so they do not move when a
// scenario is added; behaviour draws from one random stream in a fixed
// order; local times go through time.LoadLocation, so summer time (from
// the last Friday of March) moves the UTC times of local schedules.
package evalorg
