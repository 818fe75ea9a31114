package policy

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		want       []Statement
	}{
		{"object, statement list, principal map with a list",
			`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":["arn:aws:iam::111111111111:role/app","999999999999"]},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`,
			[]Statement{{Sid: "A", Effect: "Allow", Principal: []string{"arn:aws:iam::111111111111:role/app", "999999999999", "lambda.amazonaws.com"},
				Action: []string{"secretsmanager:GetSecretValue"}, Resource: []string{"*"}}}},
		{"a JSON string holding the policy, one statement object, lower-case element names",
			`"{\"statement\":{\"effect\":\"Deny\",\"principal\":\"*\",\"notaction\":[\"kms:Decrypt\",\"kms:Encrypt\"],\"notresource\":\"arn:aws:kms:*\"}}"`,
			[]Statement{{Effect: "Deny", Principal: []string{"*"}, NotAction: []string{"kms:Decrypt", "kms:Encrypt"}, NotResource: []string{"arn:aws:kms:*"}}}},
		{"conditions sorted by key, values as lists, an AWS wildcard principal",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"],"aws:PrincipalOrgID":"o-1"},"Bool":{"aws:SecureTransport":true}}}]}`,
			[]Statement{{Effect: "Allow", Principal: []string{"*"}, Action: []string{"*"}, Conditions: []Condition{
				{Operator: "StringEquals", Key: "aws:PrincipalOrgID", Values: []string{"o-1"}},
				{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
				{Operator: "StringEquals", Key: "aws:SourceVpce", Values: []string{"vpce-1", "vpce-2"}},
			}}}},
		{"NotPrincipal present but empty is still a NotPrincipal; indexes count statements",
			`{"Statement":[{"Effect":"Deny","Action":"*"},{"Effect":"Allow","NotPrincipal":{},"Action":"*"}]}`,
			[]Statement{{Effect: "Deny", Action: []string{"*"}}, {Effect: "Allow", NotPrincipal: []string{}, Action: []string{"*"}, Index: 1}}},
		{"a malformed Condition block is dropped, not the statement",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":"always"}]}`,
			[]Statement{{Effect: "Allow", Principal: []string{"*"}, Action: []string{"*"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Statements, tt.want) {
				t.Errorf("Parse =\n%#v\nwant\n%#v", d.Statements, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, text := range []string{``, `not json`, `"not json either"`, `[]`, `{"Version":"2012-10-17"}`, `{"Statement":"x"}`, `{"Statement":[1]}`} {
		if d, err := Parse(text); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", text, d)
		}
	}
	if _, err := Parse(`{"Version":"2012-10-17"}`); !errors.Is(err, ErrNoStatement) {
		t.Errorf("Parse without Statement: %v, want ErrNoStatement", err)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"kms:*", "kms:Decrypt", true},
		{"kms:Generate*", "kms:GenerateDataKeyWithoutPlaintext", true},
		{"kms:Generate*", "kms:Decrypt", false},
		{"kms:?ecrypt", "kms:Decrypt", true},
		{"kms:?ecrypt", "kms:Encrypt", false},
		{"arn:aws:secretsmanager:*:111111111111:secret:prod/*", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/db-AbCdEf", true},
		{"arn:aws:secretsmanager:*:111111111111:secret:prod/*", "arn:aws:secretsmanager:eu-west-1:222222222222:secret:prod/db-AbCdEf", false},
		{"*:*:*", "a:b", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		if got := Match(tt.p, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}
