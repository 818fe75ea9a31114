package arn

import "testing"

func TestFields(t *testing.T) {
	for _, tt := range []struct{ in, account, partition string }{
		{"arn:aws:iam::111122223333:user/a", "111122223333", "aws"},
		{"arn:aws-cn:sts::111122223333:assumed-role/x/s", "111122223333", "aws-cn"},
		{"arn:aws-us-gov:iam::111122223333:root", "111122223333", "aws-us-gov"},
		{"arn:aws:kms:eu-central-1:111122223333:key/k", "111122223333", "aws"},
		{"arn:aws:s3:::bucket/obj", "", "aws"},
		{"arn:aws:iam::111122223333", "", "aws"}, // no resource field
		{"arn:aws", "", ""},
		{"not an arn", "", ""},
		{"", "", ""},
	} {
		if got := Account(tt.in); got != tt.account {
			t.Errorf("Account(%q) = %q, want %q", tt.in, got, tt.account)
		}
		if got := Partition(tt.in); got != tt.partition {
			t.Errorf("Partition(%q) = %q, want %q", tt.in, got, tt.partition)
		}
	}
}

func TestIsAccountID(t *testing.T) {
	for in, want := range map[string]bool{
		"111122223333": true, "11112222333": false, "1111222233334": false,
		"11112222333a": false, "": false, "*": false,
	} {
		if got := IsAccountID(in); got != want {
			t.Errorf("IsAccountID(%q) = %v", in, got)
		}
	}
}

func BenchmarkAccount(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		Account("arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/db-AbCdEf")
	}
}
