// Package inventory takes a daily snapshot of what exists, as opposed to
// what happened: every Secrets Manager secret and KMS key of the accounts
// and regions a deployment covers, the IAM users and roles of those
// accounts, and who may use each secret and key. The events table says who
// touched a secret; only the inventory says which secrets nobody touched,
// which keys are pending deletion, and which principals could read a
// secret without ever having done so — what an access review needs.
//
// A run (Collector.Collect) reads each account directly (the deployment's
// own) or through a read-only role assumed in it (member accounts: the
// role of infra/member-role.yaml), lists the accounts with Organizations
// where the caller may, and fans out over account × region. Every call is
// a read: List*, Describe*, Get*; never GetSecretValue, never a
// cryptographic operation. Throttling is the SDK retryer's job (the
// clients the caller builds configure it); an account or region that
// cannot be read — the role cannot be assumed, a list call is denied, the
// region is not enabled — is reported precisely in the coverage table and
// the run's summary while the rest is collected. A single item that cannot
// be read in full (a key policy denied, one secret gone between the list
// and the describe) keeps its row, with what failed in its errors column.
//
// A snapshot is one set of objects per day: Snapshot.Write names each
// object by table, day, account and region only
// (inventory/<table>/day=D/<account>-<region>.parquet), so a rerun the same
// day replaces the earlier run's objects instead of adding to them. Every
// covered account × region gets all of its objects, empty ones included,
// and its coverage row last, so what a day partition holds is always the
// last run's view of that account and region: a table never mixes two
// runs' answers for one place.
//
// The core reads no environment variables, builds no AWS clients (the
// caller passes a Connect function; package inventory/clients is the one
// cmd/inventory and the CLI use) and takes its clock from Collector.Now.
package inventory
