package main

import (
	"context"
	"strings"
	"testing"
)

// Configuration errors stop the cold start, naming the variable.
func TestSetupRejectsBadConfiguration(t *testing.T) {
	good := map[string]string{
		"KEYTRAIL_LAKE": "s3://lake-bucket/keytrail", "KEYTRAIL_LAKE_KMS_KEY_ARN": "arn:aws:kms:us-east-1:111122223333:key/0b3c7f4e-1111-2222-3333-444455556666",
		"KEYTRAIL_REGIONS": "us-east-1,eu-west-1", "KEYTRAIL_MEMBER_ROLE_NAME": "keytrail/keytrail-inventory-reader",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x",
	}
	for _, tc := range []struct{ name, key, value, want string }{
		{"lake", "KEYTRAIL_LAKE", "/tmp/lake", "KEYTRAIL_LAKE"},
		{"key", "KEYTRAIL_LAKE_KMS_KEY_ARN", "", "KEYTRAIL_LAKE_KMS_KEY_ARN"},
		{"key arn", "KEYTRAIL_LAKE_KMS_KEY_ARN", "alias/lake", "not a key ARN"},
		{"regions", "KEYTRAIL_REGIONS", " , ", "KEYTRAIL_REGIONS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range good {
				env[k] = v
			}
			env[tc.key] = tc.value
			_, err := setup(context.Background(), func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	h, err := setup(context.Background(), func(k string) string { return good[k] })
	if err != nil {
		t.Fatal(err)
	}
	c := h.collector
	if c.Self != "111122223333" || c.Partition != "aws" || strings.Join(c.Regions, ",") != "us-east-1,eu-west-1" ||
		c.MemberRole != "keytrail/keytrail-inventory-reader" || len(c.Accounts) != 0 || c.Org == nil || c.STS == nil {
		t.Errorf("collector %+v", c)
	}
}
