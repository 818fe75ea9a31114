package inventory

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// identity is a principal with its identity policies' documents, for the
// permission evaluation: inline, attached managed, and its groups'.
type identity struct {
	ARN, Account, Kind string
	Policies           []namedPolicy
}

type namedPolicy struct {
	Name     string // "inline:<name>", the managed policy's ARN, "group:<group>/…"
	Document string // JSON
}

// collectPrincipals reads an account's users, roles, groups and managed
// policies with GetAccountAuthorizationDetails (one paginated call for
// all of IAM's authorization data).
func collectPrincipals(ctx context.Context, api IAMAPI, size int32, at time.Time, account string) ([]Principal, []identity, int, error) {
	var users []iamtypes.UserDetail
	var roles []iamtypes.RoleDetail
	groups := map[string]iamtypes.GroupDetail{}
	managed := map[string]string{} // policy ARN → default version's document
	p := iam.NewGetAccountAuthorizationDetailsPaginator(api, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup,
			iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy},
		MaxItems: pageSize(size, 1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("iam GetAccountAuthorizationDetails: %w", err)
		}
		users = append(users, page.UserDetailList...)
		roles = append(roles, page.RoleDetailList...)
		for _, g := range page.GroupDetailList {
			groups[aws.ToString(g.GroupName)] = g
		}
		for _, mp := range page.Policies {
			for _, v := range mp.PolicyVersionList {
				if v.IsDefaultVersion {
					managed[aws.ToString(mp.Arn)] = aws.ToString(v.Document)
				}
			}
		}
	}
	var rows []Principal
	var ids []identity
	itemErrs := 0
	for _, u := range users {
		row := Principal{CollectedAt: at, Account: account, ARN: aws.ToString(u.Arn), Kind: KindUser, Name: aws.ToString(u.UserName),
			Path: aws.ToString(u.Path), ID: aws.ToString(u.UserId), Created: ms(u.CreateDate), Tags: iamTags(u.Tags), Errors: []string{},
			Groups: append([]string{}, u.GroupList...), Policies: attachedARNs(u.AttachedManagedPolicies), InlinePolicies: inlineNames(u.UserPolicyList)}
		if b := u.PermissionsBoundary; b != nil {
			row.PermissionsBoundary = aws.ToString(b.PermissionsBoundaryArn)
		}
		slices.Sort(row.Groups)
		id := identity{ARN: row.ARN, Account: account, Kind: KindUser}
		id.Policies = append(id.Policies, inlineDocs("inline:", u.UserPolicyList)...)
		id.Policies = append(id.Policies, managedDocs("", u.AttachedManagedPolicies, managed)...)
		for _, gn := range row.Groups {
			g := groups[gn]
			id.Policies = append(id.Policies, inlineDocs("group:"+gn+"/inline:", g.GroupPolicyList)...)
			id.Policies = append(id.Policies, managedDocs("group:"+gn+"/", g.AttachedManagedPolicies, managed)...)
		}
		if len(row.Errors) > 0 {
			itemErrs++
		}
		rows, ids = append(rows, row), append(ids, id)
	}
	for _, r := range roles {
		row := Principal{CollectedAt: at, Account: account, ARN: aws.ToString(r.Arn), Kind: KindRole, Name: aws.ToString(r.RoleName),
			Path: aws.ToString(r.Path), ID: aws.ToString(r.RoleId), Created: ms(r.CreateDate), Tags: iamTags(r.Tags), Groups: []string{}, Errors: []string{},
			Policies: attachedARNs(r.AttachedManagedPolicies), InlinePolicies: inlineNames(r.RolePolicyList)}
		if b := r.PermissionsBoundary; b != nil {
			row.PermissionsBoundary = aws.ToString(b.PermissionsBoundaryArn)
		}
		if lu := r.RoleLastUsed; lu != nil {
			row.LastUsed, row.LastUsedRegion = ms(lu.LastUsedDate), aws.ToString(lu.Region)
		}
		if doc, err := policyText(aws.ToString(r.AssumeRolePolicyDocument)); err != nil {
			row.Errors = append(row.Errors, "AssumeRolePolicyDocument: "+err.Error())
		} else {
			row.TrustPolicy = doc
		}
		id := identity{ARN: row.ARN, Account: account, Kind: KindRole}
		id.Policies = append(id.Policies, inlineDocs("inline:", r.RolePolicyList)...)
		id.Policies = append(id.Policies, managedDocs("", r.AttachedManagedPolicies, managed)...)
		if len(row.Errors) > 0 {
			itemErrs++
		}
		rows, ids = append(rows, row), append(ids, id)
	}
	return rows, ids, itemErrs, nil
}

// policyText decodes a policy document as IAM returns it: URL-encoded
// (RFC 3986) JSON.
func policyText(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return url.QueryUnescape(s)
}

func iamTags(tags []iamtypes.Tag) string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return jsonText(m)
}

func attachedARNs(ps []iamtypes.AttachedPolicy) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, aws.ToString(p.PolicyArn))
	}
	slices.Sort(out)
	return out
}

func inlineNames(ps []iamtypes.PolicyDetail) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, aws.ToString(p.PolicyName))
	}
	slices.Sort(out)
	return out
}

func inlineDocs(prefix string, ps []iamtypes.PolicyDetail) []namedPolicy {
	var out []namedPolicy
	for _, p := range ps {
		if doc, err := policyText(aws.ToString(p.PolicyDocument)); err == nil && doc != "" {
			out = append(out, namedPolicy{Name: prefix + aws.ToString(p.PolicyName), Document: doc})
		}
	}
	return out
}

func managedDocs(prefix string, ps []iamtypes.AttachedPolicy, docs map[string]string) []namedPolicy {
	var out []namedPolicy
	for _, p := range ps {
		arn := aws.ToString(p.PolicyArn)
		if doc, err := policyText(docs[arn]); err == nil && doc != "" {
			out = append(out, namedPolicy{Name: prefix + arn, Document: doc})
		}
	}
	return out
}
