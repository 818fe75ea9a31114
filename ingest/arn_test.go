package ingest

import "testing"

func TestParseARN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ARN
		ok   bool
	}{
		{"arn:aws:kms:us-east-1:111122223333:key/abcd", ARN{"aws", "kms", "us-east-1", "111122223333", "key/abcd"}, true},
		{"arn:aws:iam::111122223333:role/a:b", ARN{"aws", "iam", "", "111122223333", "role/a:b"}, true},
		{"arn:aws-cn:s3:::bucket", ARN{"aws-cn", "s3", "", "", "bucket"}, true},
		{"arn:aws:kms:us-east-1:111122223333:", ARN{"aws", "kms", "us-east-1", "111122223333", ""}, true},
		{"arn::kms:us-east-1:1:key/x", ARN{}, false},
		{"arn:aws::us-east-1:1:key/x", ARN{}, false},
		{"arn:aws:kms:us-east-1:1", ARN{}, false},
		{"ARN:aws:kms:us-east-1:1:key/x", ARN{}, false},
		{"alias/prod", ARN{}, false},
		{"", ARN{}, false},
	} {
		got, ok := ParseARN(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseARN(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.String() != tc.in {
			t.Errorf("ParseARN(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestTrimSecretSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"secret:prod/db-AbC123": "secret:prod/db",
		"secret:prod/db":        "secret:prod/db",
		"secret:prod/db-AbC12":  "secret:prod/db-AbC12",
		"secret:prod/db-AbC12!": "secret:prod/db-AbC12!",
		"secret:prod/db_AbC123": "secret:prod/db_AbC123",
		"-abcdef":               "",
		"abcdef":                "abcdef",
		"secret:x-y-zzzzzz":     "secret:x-y",
		"secret:prod/db-AbC1é":  "secret:prod/db-AbC1é",
	} {
		if got := trimSecretSuffix(in); got != want {
			t.Errorf("trimSecretSuffix(%q) = %q, want %q", in, got, want)
		}
	}
}
