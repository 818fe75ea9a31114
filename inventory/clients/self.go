package clients

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/inventory"
)

// Whoami returns the account and the partition of cfg's credentials
// (STS GetCallerIdentity): the account an inventory run from a laptop
// reads directly.
func Whoami(ctx context.Context, cfg aws.Config, o Options) (account, partition string, err error) {
	id, err := STS(cfg, o).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("who am I (sts GetCallerIdentity): %w", err)
	}
	return aws.ToString(id.Account), arn.Partition(aws.ToString(id.Arn)), nil
}

// Collector is an inventory of account self (in partition) over cfg: its
// clients, the STS client that assumes the member roles and, with org,
// Organizations to list the member accounts. The caller sets what to read.
func Collector(cfg aws.Config, o Options, self, partition string, org bool) *inventory.Collector {
	c := &inventory.Collector{Self: self, Partition: partition, STS: STS(cfg, o), Connect: Connect(cfg, o)}
	if org {
		c.Org = Organizations(cfg, o)
	}
	return c
}
