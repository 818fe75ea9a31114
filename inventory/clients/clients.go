// Package clients builds the AWS clients the inventory reads with, the
// same way for the Lambda function and the CLI: one aws.Config, a region
// and credentials per account (the caller's own, or a member role's), and
// a retryer sized for an inventory.
//
// An inventory makes thousands of small read calls in bursts (a
// DescribeKey, a GetKeyPolicy and a ListGrants per key), which is exactly
// what the services throttle; a throttled call must wait and retry, not
// fail the account. The SDK's standard retryer does that, but its retry
// quota (a token bucket shared by a client's calls) runs dry after a few
// dozen throttles and then fails calls at once ("retry quota exceeded"),
// so it is turned off, and the attempts raised from 3 to 10 with backoff
// up to 20 s. This lives outside package inventory because the core
// builds no clients.
package clients

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keytrail/keytrail/inventory"
)

// Retry settings for the inventory's clients.
const (
	MaxAttempts = 10
	MaxBackoff  = 20 * time.Second
)

// Options adjust the clients; the zero value is production's.
type Options struct {
	// Backoff replaces the retryer's exponential backoff with jitter
	// (tests: no waiting). The retryable errors and attempts stay.
	Backoff retry.BackoffDelayer
	// Endpoints, by service ("secretsmanager", "kms", "iam",
	// "organizations", "sts"), override the SDK's (tests: loopback
	// servers and local-kms).
	Endpoints map[string]string
}

// Retryer is the retryer every inventory client uses.
func (o Options) Retryer() aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = MaxAttempts
		so.MaxBackoff = MaxBackoff
		so.RateLimiter = ratelimit.None
		if o.Backoff != nil {
			so.Backoff = o.Backoff
		}
	})
}

func (o Options) config(cfg aws.Config, region string, creds aws.CredentialsProvider) aws.Config {
	c := cfg.Copy()
	if region != "" {
		c.Region = region
	}
	if creds != nil {
		c.Credentials = creds
	}
	c.Retryer = o.Retryer
	return c
}

func (o Options) endpoint(svc string) *string {
	if e := o.Endpoints[svc]; e != "" {
		return aws.String(e)
	}
	return nil
}

// Connect returns the inventory's Connect over cfg.
func Connect(cfg aws.Config, o Options) inventory.Connect {
	return func(region string, creds aws.CredentialsProvider) inventory.Clients {
		c := o.config(cfg, region, creds)
		return inventory.Clients{
			Secrets: secretsmanager.NewFromConfig(c, func(so *secretsmanager.Options) { setEndpoint(&so.BaseEndpoint, o.endpoint("secretsmanager")) }),
			KMS:     kms.NewFromConfig(c, func(ko *kms.Options) { setEndpoint(&ko.BaseEndpoint, o.endpoint("kms")) }),
			IAM:     iam.NewFromConfig(c, func(io *iam.Options) { setEndpoint(&io.BaseEndpoint, o.endpoint("iam")) }),
		}
	}
}

// Organizations returns the Organizations client (its endpoint is global).
func Organizations(cfg aws.Config, o Options) *organizations.Client {
	return organizations.NewFromConfig(o.config(cfg, "", nil), func(oo *organizations.Options) { setEndpoint(&oo.BaseEndpoint, o.endpoint("organizations")) })
}

// STS returns the STS client that assumes the member roles, at the
// region's endpoint (the SDK's default for STS).
func STS(cfg aws.Config, o Options) *sts.Client {
	return sts.NewFromConfig(o.config(cfg, "", nil), func(so *sts.Options) { setEndpoint(&so.BaseEndpoint, o.endpoint("sts")) })
}

// setEndpoint overrides an endpoint only where Options name one, leaving
// the configuration's (AWS_ENDPOINT_URL) otherwise.
func setEndpoint(dst **string, e *string) {
	if e != nil {
		*dst = e
	}
}
