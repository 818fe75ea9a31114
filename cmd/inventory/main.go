// Command inventory is keytrail's daily inventory Lambda: on each
// EventBridge schedule tick it takes the inventory of the secrets, keys and
// IAM principals of every account and region the deployment covers, works
// out who may read each secret and use each key, and writes the day's
// snapshot into the lake's inventory/ tables, replacing an earlier run of
// the same day. Member accounts are read through a read-only role
// (infra/member-role.yaml); the accounts come from Organizations where the
// function may list them, else from KEYTRAIL_ACCOUNTS. It only reads:
// List*, Describe* and Get* calls, never a secret's value.
//
// Configuration, validated at cold start:
//
//	KEYTRAIL_LAKE               s3://bucket/prefix of the lake (required)
//	KEYTRAIL_LAKE_KMS_KEY_ARN   the lake's customer-managed key (required)
//	KEYTRAIL_REGIONS            regions to read, comma-separated (required)
//	KEYTRAIL_MEMBER_ROLE_NAME   role assumed in member accounts (path/name)
//	KEYTRAIL_ACCOUNTS           member account ids, comma-separated, used when
//	                            Organizations cannot list them (optional)
//
// The function's own account is read with its own role. AWS access follows
// the SDK's standard chain, including AWS_ENDPOINT_URL_S3.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keytrail/keytrail/internal/lambdaenv"
	"github.com/keytrail/keytrail/internal/memlimit"
	"github.com/keytrail/keytrail/inventory"
	"github.com/keytrail/keytrail/inventory/clients"
)

func main() {
	lambdaenv.Main(memlimit.Function, func(ctx context.Context, e *lambdaenv.Env) (any, error) {
		h, err := newHandler(e)
		if err != nil {
			return nil, err
		}
		return h.handle, nil
	})
}

// setup is the cold start: the shared Lambda environment, then the
// inventory's own settings.
func setup(ctx context.Context, getenv func(string) string) (*handler, error) {
	e, err := lambdaenv.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return newHandler(e)
}

// handler runs one inventory per invocation.
type handler struct {
	collector *inventory.Collector
	store     inventory.Putter
	logger    *slog.Logger
}

func newHandler(e *lambdaenv.Env) (*handler, error) {
	self, partition, err := ownAccount(e.Getenv("KEYTRAIL_LAKE_KMS_KEY_ARN"))
	if err != nil {
		return nil, err
	}
	c, err := newCollector(e.Getenv, e.AWS, clients.Options{}, self, partition)
	if err != nil {
		return nil, err
	}
	return &handler{collector: c, store: e.Lake, logger: e.Logger}, nil
}

// ownAccount is the function's account and partition, from the lake key's
// ARN (same account: the stack creates both), so no call is needed to learn it.
func ownAccount(keyARN string) (account, partition string, err error) {
	parts := strings.Split(keyARN, ":")
	if len(parts) < 6 || parts[0] != "arn" || len(parts[4]) != 12 {
		return "", "", fmt.Errorf("KEYTRAIL_LAKE_KMS_KEY_ARN %q: not a key ARN", keyARN)
	}
	return parts[4], parts[1], nil
}

// newCollector reads the inventory's settings.
func newCollector(getenv func(string) string, cfg aws.Config, o clients.Options, self, partition string) (*inventory.Collector, error) {
	regions := list(getenv("KEYTRAIL_REGIONS"))
	if len(regions) == 0 {
		return nil, errors.New("KEYTRAIL_REGIONS must list the regions to read")
	}
	c := clients.Collector(cfg, o, self, partition, true)
	c.Regions, c.Accounts, c.MemberRole = regions, list(getenv("KEYTRAIL_ACCOUNTS")), getenv("KEYTRAIL_MEMBER_ROLE_NAME")
	return c, nil
}

func list(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// summary is the invocation's result, also logged.
type summary struct {
	Day         string               `json:"day"`
	Accounts    int                  `json:"accounts"`
	AccountsBy  string               `json:"accounts_by"`
	Secrets     int                  `json:"secrets"`
	Keys        int                  `json:"keys"`
	Principals  int                  `json:"principals"`
	Permissions int                  `json:"permissions"`
	Objects     int                  `json:"objects"`
	NotRead     []inventory.Coverage `json:"not_read,omitempty"`
}

func (h *handler) handle(ctx context.Context, ev events.CloudWatchEvent) (summary, error) {
	snap, err := h.collector.Collect(ctx)
	if err != nil {
		return summary{}, err
	}
	keys, err := snap.Write(ctx, h.store)
	s := summary{Day: snap.Day, Accounts: len(snap.Accounts), AccountsBy: snap.AccountsBy, Secrets: len(snap.Secrets), Keys: len(snap.Keys),
		Principals: len(snap.Principals), Permissions: len(snap.Permissions), Objects: len(keys), NotRead: snap.Failures()}
	if err != nil {
		return s, err
	}
	h.logger.InfoContext(ctx, "inventory run", slog.String("schedule_event", ev.ID), slog.String("day", s.Day), slog.Int("accounts", s.Accounts),
		slog.String("accounts_by", s.AccountsBy), slog.Int("secrets", s.Secrets), slog.Int("keys", s.Keys), slog.Int("principals", s.Principals),
		slog.Int("permissions", s.Permissions), slog.Int("objects", s.Objects), slog.Int("not_read", len(s.NotRead)))
	return s, nil
}
