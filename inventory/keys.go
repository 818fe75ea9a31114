package inventory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// collectKeys lists a region's keys and their aliases and reads each
// key's metadata, rotation status, policy, grants and tags.
func collectKeys(ctx context.Context, api KMSAPI, size int32, at time.Time, account, region string) ([]Key, int, error) {
	var ids []string
	p := kms.NewListKeysPaginator(api, &kms.ListKeysInput{Limit: pageSize(size, 1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("kms ListKeys: %w", err)
		}
		for _, k := range page.Keys {
			ids = append(ids, aws.ToString(k.KeyId))
		}
	}
	// One listing of the region's aliases rather than one per key.
	aliases := map[string][]string{}
	var aliasErr error
	ap := kms.NewListAliasesPaginator(api, &kms.ListAliasesInput{Limit: pageSize(size, 100)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			aliasErr = fmt.Errorf("%w: kms ListAliases: %s: the keys' aliases are missing", errPartial, errorText(err))
			break
		}
		for _, a := range page.Aliases {
			if a.TargetKeyId != nil {
				aliases[*a.TargetKeyId] = append(aliases[*a.TargetKeyId], aws.ToString(a.AliasName))
			}
		}
	}
	var rows []Key
	itemErrs := 0
	for _, id := range ids {
		row := readKey(ctx, api, size, at, account, region, id)
		row.Aliases = append(row.Aliases, aliases[id]...)
		slices.Sort(row.Aliases)
		if len(row.Errors) > 0 {
			itemErrs++
		}
		rows = append(rows, row)
	}
	return rows, itemErrs, aliasErr
}

func readKey(ctx context.Context, api KMSAPI, size int32, at time.Time, account, region, id string) Key {
	row := Key{CollectedAt: at, Account: account, Region: region, KeyID: id, Aliases: []string{}, Tags: "{}", Grants: "[]", Errors: []string{}}
	fail := func(op string, err error) { row.Errors = append(row.Errors, itemError(op, err)) }
	d, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil || d.KeyMetadata == nil {
		if err == nil {
			err = fmt.Errorf("no key metadata")
		}
		fail("DescribeKey", err)
		row.ARN = "arn:aws:kms:" + region + ":" + account + ":key/" + id
	} else {
		m := d.KeyMetadata
		row.ARN, row.Description = aws.ToString(m.Arn), aws.ToString(m.Description)
		row.State, row.Manager, row.Origin = string(m.KeyState), string(m.KeyManager), string(m.Origin)
		row.Spec, row.Usage, row.MultiRegion = string(m.KeySpec), string(m.KeyUsage), aws.ToBool(m.MultiRegion)
		row.Created, row.DeletionDate = ms(m.CreationDate), ms(m.DeletionDate)
	}
	// Only symmetric keys with KMS's own key material rotate.
	if row.Spec == string(kmstypes.KeySpecSymmetricDefault) && (row.Origin == string(kmstypes.OriginTypeAwsKms) || row.Origin == "") &&
		row.State != string(kmstypes.KeyStatePendingDeletion) {
		r, err := api.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)})
		if err != nil {
			fail("GetKeyRotationStatus", err)
		} else {
			on := r.KeyRotationEnabled
			row.RotationEnabled = &on
			if r.RotationPeriodInDays != nil {
				days := int64(*r.RotationPeriodInDays)
				row.RotationDays = &days
			}
			row.NextRotation = ms(r.NextRotationDate)
		}
	}
	pol, err := api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default")})
	if err != nil {
		fail("GetKeyPolicy", err)
	} else {
		row.KeyPolicy = aws.ToString(pol.Policy)
	}
	var grants []grantJSON
	gp := kms.NewListGrantsPaginator(api, &kms.ListGrantsInput{KeyId: aws.String(id), Limit: pageSize(size, 100)})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			fail("ListGrants", err)
			break
		}
		for _, g := range page.Grants {
			grants = append(grants, grantOf(g))
		}
	}
	row.GrantCount = int64(len(grants))
	if grants != nil {
		row.Grants = jsonText(grants)
	}
	// AWS managed keys cannot be tagged.
	if row.Manager == string(kmstypes.KeyManagerTypeCustomer) {
		tags := map[string]string{}
		tp := kms.NewListResourceTagsPaginator(api, &kms.ListResourceTagsInput{KeyId: aws.String(id), Limit: pageSize(size, 50)})
		for tp.HasMorePages() {
			page, err := tp.NextPage(ctx)
			if err != nil {
				fail("ListResourceTags", err)
				break
			}
			for _, t := range page.Tags {
				tags[aws.ToString(t.TagKey)] = aws.ToString(t.TagValue)
			}
		}
		row.Tags = jsonText(tags)
	}
	return row
}

// grantJSON is a grant as the grants column stores it (ListGrants' names).
type grantJSON struct {
	GrantID           string            `json:"GrantId"`
	Name              string            `json:"Name,omitempty"`
	GranteePrincipal  string            `json:"GranteePrincipal,omitempty"`
	RetiringPrincipal string            `json:"RetiringPrincipal,omitempty"`
	IssuingAccount    string            `json:"IssuingAccount,omitempty"`
	Operations        []string          `json:"Operations"`
	ContextEquals     map[string]string `json:"EncryptionContextEquals,omitempty"`
	ContextSubset     map[string]string `json:"EncryptionContextSubset,omitempty"`
	Created           *time.Time        `json:"CreationDate,omitempty"`
}

func grantOf(g kmstypes.GrantListEntry) grantJSON {
	out := grantJSON{GrantID: aws.ToString(g.GrantId), Name: aws.ToString(g.Name), GranteePrincipal: aws.ToString(g.GranteePrincipal),
		RetiringPrincipal: aws.ToString(g.RetiringPrincipal), IssuingAccount: aws.ToString(g.IssuingAccount), Operations: []string{}, Created: ms(g.CreationDate)}
	for _, op := range g.Operations {
		out.Operations = append(out.Operations, string(op))
	}
	if c := g.Constraints; c != nil {
		out.ContextEquals, out.ContextSubset = c.EncryptionContextEquals, c.EncryptionContextSubset
	}
	return out
}
