package inventory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/keytrail/keytrail/internal/lake"
)

// SecretsAPI is what the inventory asks of Secrets Manager.
type SecretsAPI interface {
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetResourcePolicy(ctx context.Context, in *secretsmanager.GetResourcePolicyInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error)
}

// KMSAPI is what the inventory asks of KMS: metadata only, never a
// cryptographic operation.
type KMSAPI interface {
	ListKeys(ctx context.Context, in *kms.ListKeysInput, optFns ...func(*kms.Options)) (*kms.ListKeysOutput, error)
	ListAliases(ctx context.Context, in *kms.ListAliasesInput, optFns ...func(*kms.Options)) (*kms.ListAliasesOutput, error)
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	GetKeyRotationStatus(ctx context.Context, in *kms.GetKeyRotationStatusInput, optFns ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error)
	ListGrants(ctx context.Context, in *kms.ListGrantsInput, optFns ...func(*kms.Options)) (*kms.ListGrantsOutput, error)
	ListResourceTags(ctx context.Context, in *kms.ListResourceTagsInput, optFns ...func(*kms.Options)) (*kms.ListResourceTagsOutput, error)
}

// IAMAPI is what the inventory asks of IAM.
type IAMAPI interface {
	GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, optFns ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
}

// OrgAPI lists the organization's accounts.
type OrgAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

// AssumeRoleAPI obtains a member account's credentials.
type AssumeRoleAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// Clients are the service clients for one account and region.
type Clients struct {
	Secrets SecretsAPI
	KMS     KMSAPI
	IAM     IAMAPI
}

// Connect returns the clients for a region with the given credentials
// (nil: the caller's own, for the deployment's account).
type Connect func(region string, creds aws.CredentialsProvider) Clients

// Collector takes the inventory of every account and region it covers.
type Collector struct {
	// Self is the deployment's account (12 digits), read with the
	// caller's own credentials.
	Self string
	// Accounts are the member accounts to read when Organizations cannot
	// list them (Org nil, access denied, or no organization).
	Accounts []string
	// Regions are the regions to read in every account (at least one);
	// IAM, being global, is read once per account.
	Regions []string
	// MemberRole is the role name (path allowed: "keytrail/inventory")
	// assumed in member accounts: arn:<partition>:iam::<account>:role/<MemberRole>.
	MemberRole string
	// Partition of the ARNs built ("aws" when empty).
	Partition string
	Org       OrgAPI        // nil: use Accounts
	STS       AssumeRoleAPI // required when there are member accounts
	Connect   Connect
	// PageSize asks the list calls for pages this size (0: each API's
	// largest); tests make it small to exercise pagination.
	PageSize int32
	// Concurrency bounds the accounts × regions read at once (default 4).
	Concurrency int
	Now         func() time.Time // nil means time.Now
	Logger      *slog.Logger     // nil means slog.Default()
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	roleRE    = regexp.MustCompile(`^([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$`)
)

// Snapshot is one run's inventory.
type Snapshot struct {
	At          time.Time // the run's time, every row's collected_at
	Day         string    // its UTC day, the partition
	Accounts    []string  // accounts covered, sorted
	AccountsBy  string    // "organizations" or "configured"
	OrgError    string    // why Organizations did not list them, if it did not
	Secrets     []Secret
	Keys        []Key
	Principals  []Principal
	Permissions []Permission
	Coverage    []Coverage

	identities []identity // for the permission evaluation
}

// Failures returns the coverage rows of what could not be read.
func (s *Snapshot) Failures() []Coverage {
	var out []Coverage
	for _, c := range s.Coverage {
		if c.Status == StatusDenied || c.Status == StatusError {
			out = append(out, c)
		}
	}
	return out
}

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Collector) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Collector) partition() string { return cmp.Or(c.Partition, "aws") }

func (c *Collector) validate() error {
	if !accountRE.MatchString(c.Self) {
		return fmt.Errorf("own account %q: want 12 digits", c.Self)
	}
	for _, a := range c.Accounts {
		if !accountRE.MatchString(a) {
			return fmt.Errorf("account %q: want 12 digits", a)
		}
	}
	if len(c.Regions) == 0 {
		return errors.New("no regions to read")
	}
	for _, r := range c.Regions {
		if !regionRE.MatchString(r) {
			return fmt.Errorf("region %q: want a region name like eu-west-1", r)
		}
	}
	if c.Connect == nil {
		return errors.New("no Connect function")
	}
	return nil
}

// Collect reads every covered account and region. It fails only when it
// cannot start (a bad configuration); what cannot be read is in the
// snapshot's coverage rows.
func (c *Collector) Collect(ctx context.Context) (*Snapshot, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	at := c.now().UTC().Truncate(time.Millisecond)
	snap := &Snapshot{At: at, Day: lake.Day(at)}
	snap.Accounts, snap.AccountsBy, snap.OrgError = c.accounts(ctx)
	if len(snap.Accounts) > 1 {
		if c.STS == nil {
			return nil, errors.New("member accounts to read but no STS client to assume their role")
		}
		if !roleRE.MatchString(c.MemberRole) {
			return nil, fmt.Errorf("member role name %q: want a role name (path/name)", c.MemberRole)
		}
	}
	type job struct {
		account, region string
	}
	var jobs []job
	for _, a := range snap.Accounts {
		jobs = append(jobs, job{a, Global})
		for _, r := range c.Regions {
			jobs = append(jobs, job{a, r})
		}
	}
	creds := c.credentials(ctx, snap.Accounts)
	var mu sync.Mutex
	sem := make(chan struct{}, max(1, cmp.Or(c.Concurrency, 4)))
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cr := creds[j.account]
			var part result
			if cr.err != nil {
				part = failed(at, j.account, j.region, cr.via, cr.err)
			} else {
				part = c.read(ctx, at, j.account, j.region, cr)
			}
			mu.Lock()
			defer mu.Unlock()
			snap.Secrets = append(snap.Secrets, part.secrets...)
			snap.Keys = append(snap.Keys, part.keys...)
			snap.Principals = append(snap.Principals, part.principals...)
			snap.identities = append(snap.identities, part.identities...)
			snap.Coverage = append(snap.Coverage, part.coverage...)
		}()
	}
	wg.Wait()
	snap.sort()
	snap.evaluate()
	for _, f := range snap.Failures() {
		c.logger().WarnContext(ctx, "inventory: not read", slog.String("account", f.Account), slog.String("region", f.Region),
			slog.String("table", f.Table), slog.String("status", f.Status), slog.String("error", f.Error))
	}
	return snap, nil
}

// accounts returns the accounts to read: the organization's active
// accounts when Organizations lists them, else the configured ones; the
// deployment's own always.
func (c *Collector) accounts(ctx context.Context) (accounts []string, by, orgErr string) {
	set := map[string]bool{c.Self: true}
	by = "configured"
	if c.Org != nil {
		var listed []string
		p := organizations.NewListAccountsPaginator(c.Org, &organizations.ListAccountsInput{MaxResults: pageSize(c.PageSize, 20)})
		var err error
		for p.HasMorePages() {
			var page *organizations.ListAccountsOutput
			if page, err = p.NextPage(ctx); err != nil {
				break
			}
			for _, a := range page.Accounts {
				// Suspended and closing accounts cannot be read.
				if a.State == orgtypes.AccountStateActive || a.State == "" && a.Status == orgtypes.AccountStatusActive {
					listed = append(listed, aws.ToString(a.Id))
				}
			}
		}
		if err == nil {
			by = "organizations"
			for _, a := range listed {
				if accountRE.MatchString(a) {
					set[a] = true
				}
			}
		} else {
			orgErr = "organizations ListAccounts: " + errorText(err)
			c.logger().InfoContext(ctx, "inventory: organizations cannot list the accounts; using the configured ones", slog.String("error", orgErr))
		}
	}
	if by == "configured" {
		for _, a := range c.Accounts {
			set[a] = true
		}
	}
	for a := range set {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	return accounts, by, orgErr
}

// creds are one account's credentials, or why there are none.
type creds struct {
	provider aws.CredentialsProvider // nil: the caller's own
	via      string
	err      error
}

// credentials assumes the member role in every account but the
// deployment's own, once per account and before any read, so that a
// role that cannot be assumed is reported as such for every region.
func (c *Collector) credentials(ctx context.Context, accounts []string) map[string]creds {
	out := map[string]creds{}
	for _, a := range accounts {
		if a == c.Self {
			out[a] = creds{via: "self"}
			continue
		}
		arn := "arn:" + c.partition() + ":iam::" + a + ":role/" + c.MemberRole
		rp := &roleProvider{api: c.STS, arn: arn}
		// A method value, not the provider itself: the cache calls it,
		// and infra's call graph sees the AssumeRole it makes.
		p := aws.NewCredentialsCache(aws.CredentialsProviderFunc(rp.Retrieve))
		_, err := p.Retrieve(ctx)
		if err != nil {
			err = fmt.Errorf("assume role %s: %w", arn, err)
		}
		out[a] = creds{provider: p, via: arn, err: err}
	}
	return out
}

// roleProvider is the credentials of an assumed member role, renewed by
// aws.CredentialsCache before they expire.
type roleProvider struct {
	api AssumeRoleAPI
	arn string
}

// SessionName is the inventory's session name in member accounts: their
// CloudTrail shows it, and infra/member-role.yaml trusts only it.
const SessionName = "keytrail-inventory"

func (p *roleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	out, err := p.api.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(p.arn), RoleSessionName: aws.String(SessionName)})
	if err != nil {
		return aws.Credentials{}, err
	}
	cr := out.Credentials
	if cr == nil || cr.AccessKeyId == nil || cr.SecretAccessKey == nil {
		return aws.Credentials{}, errors.New("AssumeRole returned no credentials")
	}
	return aws.Credentials{AccessKeyID: *cr.AccessKeyId, SecretAccessKey: *cr.SecretAccessKey, SessionToken: aws.ToString(cr.SessionToken),
		Source: SessionName, CanExpire: cr.Expiration != nil, Expires: aws.ToTime(cr.Expiration)}, nil
}

// result is what one account × region job read.
type result struct {
	secrets    []Secret
	keys       []Key
	principals []Principal
	identities []identity
	coverage   []Coverage
}

// tablesOf are the tables read per job: IAM's for Global, the rest per region.
func tablesOf(region string) []string {
	if region == Global {
		return []string{"principals"}
	}
	return []string{"secrets", "keys"}
}

// failed is a job that could not start: every table of it not read.
func failed(at time.Time, account, region, via string, err error) result {
	var r result
	for _, t := range tablesOf(region) {
		r.coverage = append(r.coverage, coverageOf(at, account, region, t, via, 0, 0, err))
	}
	return r
}

func coverageOf(at time.Time, account, region, table, via string, rows, itemErrors int, err error) Coverage {
	c := Coverage{CollectedAt: at, Account: account, Region: region, Table: table, Via: via, Rows: int64(rows), ItemErrors: int64(itemErrors), Status: StatusOK}
	switch {
	case err != nil && (errors.Is(err, errPartial)):
		c.Status, c.Error = StatusPartial, errorText(err)
	case err != nil && isAccessDenied(err):
		c.Status, c.Error = StatusDenied, errorText(err)
	case err != nil:
		c.Status, c.Error = StatusError, errorText(err)
	case itemErrors > 0:
		c.Status = StatusPartial
	}
	return c
}

// errPartial marks a table read with a region-wide gap (the aliases could
// not be listed, say) but read nonetheless.
var errPartial = errors.New("partial")

func (c *Collector) read(ctx context.Context, at time.Time, account, region string, cr creds) result {
	var r result
	if region == Global {
		// IAM is global: its endpoint is reached through any region.
		cl := c.Connect(c.Regions[0], cr.provider)
		ps, ids, itemErrs, err := collectPrincipals(ctx, cl.IAM, c.PageSize, at, account)
		r.principals, r.identities = ps, ids
		r.coverage = append(r.coverage, coverageOf(at, account, region, "principals", cr.via, len(ps), itemErrs, err))
		return r
	}
	cl := c.Connect(region, cr.provider)
	secrets, itemErrs, err := collectSecrets(ctx, cl.Secrets, c.PageSize, at, account, region)
	r.secrets = secrets
	r.coverage = append(r.coverage, coverageOf(at, account, region, "secrets", cr.via, len(secrets), itemErrs, err))
	keys, itemErrs, err := collectKeys(ctx, cl.KMS, c.PageSize, at, account, region)
	r.keys = keys
	r.coverage = append(r.coverage, coverageOf(at, account, region, "keys", cr.via, len(keys), itemErrs, err))
	return r
}

func (s *Snapshot) sort() {
	slices.SortFunc(s.Secrets, func(a, b Secret) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(s.Keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(s.Principals, func(a, b Principal) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(s.identities, func(a, b identity) int { return cmp.Compare(a.ARN, b.ARN) })
	slices.SortFunc(s.Coverage, func(a, b Coverage) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Table, b.Table))
	})
}

// isAccessDenied reports whether err is AWS refusing the call.
func isAccessDenied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "AccessDeniedForDependencyException":
		return true
	}
	return false
}

// errorText is an error for a row or a log: the AWS error code and message
// when there is one, on one line and bounded. It stays data: the writers
// escape it where people read it.
func errorText(err error) string {
	s := err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.Contains(s, ae.ErrorCode()) {
		s = ae.ErrorCode() + ": " + s
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "…"
	}
	return s
}

// itemError is what a row's errors column says of a failed call.
func itemError(op string, err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return op + ": " + ae.ErrorCode()
	}
	return op + ": " + errorText(err)
}

// pageSize is the page size to ask for: n, or the API's largest.
func pageSize(n, largest int32) *int32 {
	if n <= 0 || n > largest {
		n = largest
	}
	return &n
}
