// Package secret reads secrets from AWS Secrets Manager by ARN and keeps
// them in memory for a while.
//
// Credentials such as the Slack token live only in Secrets Manager: the
// environment names the secret's ARN, never its value, so the value is not
// in the Lambda configuration, in config files or in logs, and rotating it
// needs no deployment. A warm Lambda reuses the value until TTL passes and
// then fetches it again, which is how a rotated value is picked up. Errors
// are never cached, and concurrent callers of a cold key share one fetch.
package secret

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultTTL is how long a value is reused when Cache.TTL is zero.
const DefaultTTL = 5 * time.Minute

// Client is the Secrets Manager call the cache makes; *secretsmanager.Client
// implements it.
type Client interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Cache caches secret values by ARN. The zero value (with Client set) is
// ready to use; a Cache must not be copied after first use.
type Cache struct {
	Client Client
	TTL    time.Duration    // 0 means DefaultTTL
	Now    func() time.Time // nil means time.Now

	mu      sync.Mutex
	entries map[string]entry
	calls   map[string]*call
}

type entry struct {
	value   string
	expires time.Time
}

// call is a fetch in flight, shared by the callers that wait for it.
type call struct {
	done    chan struct{}
	value   string
	err     error
	waiters int
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get returns the current value (SecretString, or SecretBinary as bytes)
// of the secret arn. The value is the secret's whole text: callers parse
// it (for example as JSON).
func (c *Cache) Get(ctx context.Context, arn string) (string, error) {
	if arn == "" {
		return "", errors.New("get secret: no ARN")
	}
	c.mu.Lock()
	if e, ok := c.entries[arn]; ok && c.now().Before(e.expires) {
		c.mu.Unlock()
		return e.value, nil
	}
	cl, ok := c.calls[arn]
	if !ok {
		cl = &call{done: make(chan struct{})}
		if c.calls == nil {
			c.calls = map[string]*call{}
		}
		c.calls[arn] = cl
		// The fetch outlives a caller that gives up: others may wait on it.
		go c.fetch(context.WithoutCancel(ctx), arn, cl)
	}
	cl.waiters++
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.value, cl.err
	case <-ctx.Done():
		return "", fmt.Errorf("get secret %s: %w", arn, ctx.Err())
	}
}

// fetchTimeout bounds one fetch that no caller's deadline bounds.
const fetchTimeout = 30 * time.Second

func (c *Cache) fetch(ctx context.Context, arn string, cl *call) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	out, err := c.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	switch {
	case err != nil:
		cl.err = fmt.Errorf("get secret %s: %w", arn, err)
	case out.SecretString != nil:
		cl.value = *out.SecretString
	case out.SecretBinary != nil:
		cl.value = string(out.SecretBinary)
	default:
		cl.err = fmt.Errorf("get secret %s: no value", arn)
	}
	c.mu.Lock()
	if cl.err == nil {
		if c.entries == nil {
			c.entries = map[string]entry{}
		}
		c.entries[arn] = entry{value: cl.value, expires: c.now().Add(cmpOr(c.TTL, DefaultTTL))}
	}
	delete(c.calls, arn)
	c.mu.Unlock()
	close(cl.done)
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// waiting reports how many callers wait on a fetch of arn (for tests).
func (c *Cache) waiting(arn string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.calls[arn]; ok {
		return cl.waiters
	}
	return 0
}
