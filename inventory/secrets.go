package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// collectSecrets lists a region's secrets (those scheduled for deletion
// included) and describes each. It returns the rows, how many of them
// have errors, and the error that stopped the listing (no rows then).
func collectSecrets(ctx context.Context, api SecretsAPI, size int32, at time.Time, account, region string) ([]Secret, int, error) {
	var rows []Secret
	itemErrs := 0
	p := secretsmanager.NewListSecretsPaginator(api, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true), MaxResults: pageSize(size, 100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("secretsmanager ListSecrets: %w", err)
		}
		for _, e := range page.SecretList {
			row := secretFromList(at, account, region, e)
			d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: e.ARN})
			if err != nil {
				row.Errors = append(row.Errors, itemError("DescribeSecret", err))
			} else {
				fillSecret(&row, d)
			}
			pol, err := api.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: e.ARN})
			if err != nil {
				row.Errors = append(row.Errors, itemError("GetResourcePolicy", err))
			} else {
				row.ResourcePolicy = aws.ToString(pol.ResourcePolicy)
			}
			if len(row.Errors) > 0 {
				itemErrs++
			}
			rows = append(rows, row)
		}
	}
	return rows, itemErrs, nil
}

// secretFromList is a secret's row from its ListSecrets entry, which
// DescribeSecret then completes (replication) and corrects.
func secretFromList(at time.Time, account, region string, e smtypes.SecretListEntry) Secret {
	row := Secret{CollectedAt: at, Account: account, Region: region, Replicas: []string{}, Errors: []string{}}
	fillSecret(&row, &secretsmanager.DescribeSecretOutput{
		ARN: e.ARN, Name: e.Name, Description: e.Description, KmsKeyId: e.KmsKeyId, OwningService: e.OwningService, Type: e.Type,
		RotationEnabled: e.RotationEnabled, RotationLambdaARN: e.RotationLambdaARN, RotationRules: e.RotationRules,
		LastRotatedDate: e.LastRotatedDate, NextRotationDate: e.NextRotationDate, LastAccessedDate: e.LastAccessedDate,
		LastChangedDate: e.LastChangedDate, CreatedDate: e.CreatedDate, DeletedDate: e.DeletedDate,
		PrimaryRegion: e.PrimaryRegion, Tags: e.Tags,
	})
	return row
}

func fillSecret(row *Secret, d *secretsmanager.DescribeSecretOutput) {
	row.ARN, row.Name, row.Description = aws.ToString(d.ARN), aws.ToString(d.Name), aws.ToString(d.Description)
	row.KMSKeyID, row.OwningService, row.Type = aws.ToString(d.KmsKeyId), aws.ToString(d.OwningService), aws.ToString(d.Type)
	row.RotationEnabled, row.RotationLambdaARN = aws.ToBool(d.RotationEnabled), aws.ToString(d.RotationLambdaARN)
	row.RotationDays, row.RotationSchedule, row.RotationWindow = nil, "", ""
	if r := d.RotationRules; r != nil {
		row.RotationDays = r.AutomaticallyAfterDays
		row.RotationSchedule, row.RotationWindow = aws.ToString(r.ScheduleExpression), aws.ToString(r.Duration)
	}
	row.LastRotated, row.NextRotation = ms(d.LastRotatedDate), ms(d.NextRotationDate)
	row.LastAccessed, row.LastChanged, row.Created = ms(d.LastAccessedDate), ms(d.LastChangedDate), ms(d.CreatedDate)
	row.DeletionDate = ms(d.DeletedDate)
	row.PendingDeletion = d.DeletedDate != nil
	row.PrimaryRegion = aws.ToString(d.PrimaryRegion)
	if d.ReplicationStatus != nil {
		row.Replicas = row.Replicas[:0]
		for _, r := range d.ReplicationStatus {
			row.Replicas = append(row.Replicas, aws.ToString(r.Region)+":"+string(r.Status))
		}
		slices.Sort(row.Replicas)
	}
	tags := map[string]string{}
	for _, t := range d.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	row.Tags = jsonText(tags)
}

// ms is t in UTC at the lake's millisecond precision, nil for nil.
func ms(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

// jsonText is v as JSON (map keys sorted, so the same input gives the same
// bytes); HTML characters are left as they are: the text is data.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("inventory: marshal %T: %v", v, err)) // only maps and slices of strings reach here
	}
	return string(b)
}
