package evalorg

import "time"

// Policy documents as the console and Terraform send them: a JSON text
// inside requestParameters.

// defaultKeyPolicy is KMS's default key policy for acct, with extra
// statements (already JSON, comma-joined) after it.
func defaultKeyPolicy(acct, extra string) string {
	s := "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::" + acct + ":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }"
	if extra != "" {
		s += ", " + extra
	}
	return s + " ]\n}"
}

// orgPolicy lets any principal of the organization read a secret.
func orgPolicy(arn string) string {
	return "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\n    \"Sid\" : \"OrgRead\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : \"*\",\n    \"Action\" : \"secretsmanager:GetSecretValue\",\n    \"Resource\" : \"" + arn + "\",\n    \"Condition\" : {\n      \"StringEquals\" : {\n        \"aws:PrincipalOrgID\" : \"" + orgID + "\"\n      }\n    }\n  } ]\n}"
}

func keyMetadata(k *key, created time.Time, state string) raw {
	return obj("AWSAccountId", k.acct, "keyId", k.id, "arn", k.arn,
		"creationDate", awsDate(created), "enabled", state == "Enabled",
		"description", "", "keyUsage", "ENCRYPT_DECRYPT", "keyState", state, "origin", k.origin,
		"keyManager", "CUSTOMER", "customerMasterKeySpec", "SYMMETRIC_DEFAULT", "keySpec", "SYMMETRIC_DEFAULT",
		"encryptionAlgorithms", []string{"SYMMETRIC_DEFAULT"}, "multiRegion", false)
}
