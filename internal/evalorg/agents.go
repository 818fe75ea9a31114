package evalorg

import "strings"

// Client user agents, as the SDKs and tools of the period write them.

func apiName(src string) string { return strings.TrimSuffix(src, ".amazonaws.com") }

// sdkUA is the user agent of an application SDK calling src; env is the
// execution environment ("AWS_ECS_FARGATE", "AWS_Lambda_python3.12", "").
func sdkUA(lang, src, env string) string {
	e := ""
	if env != "" {
		e = " exec-env/" + env
	}
	api := apiName(src)
	switch lang {
	case "go":
		return "aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/" + api + "#1.34.8" + e
	case "java":
		return "aws-sdk-java/2.29.34 ua/2.1 os/Linux#5.10.230-223.885.amzn2.x86_64 lang/java#21.0.5 md/OpenJDK_64-Bit_Server_VM#21.0.5+11-LTS md/vendor#Amazon.com_Inc. md/en_US" + e + " m/D,N"
	case "node":
		if api == "secretsmanager" {
			api = "secrets-manager"
		}
		return "aws-sdk-js/3.716.0 ua/2.1 os/linux#5.10.230-223.885.amzn2.x86_64 lang/js md/nodejs#20.18.1 api/" + api + "#3.716.0" + e
	}
	return "Boto3/1.35.81 md/Botocore#1.35.81 ua/2.0 os/linux#5.10.230-223.885.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython" + e + " cfg/retry-mode#legacy Botocore/1.35.81"
}

func lambdaEnv(lang string) string {
	switch lang {
	case "go":
		return "AWS_Lambda_provided.al2023"
	case "java":
		return "AWS_Lambda_java21"
	case "node":
		return "AWS_Lambda_nodejs20.x"
	}
	return "AWS_Lambda_python3.12"
}

// cliCommand is the AWS CLI v2 command suffix for an API call
// (GetSecretValue → secretsmanager.get-secret-value).
func cliCommand(src, action string) string {
	var b strings.Builder
	b.WriteString(apiName(src))
	b.WriteByte('.')
	for i, r := range action {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

const (
	// The ECS agent fetching a Fargate task's secrets.
	uaECSAgent  = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64)"
	uaTerraform = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/"
	uaJenkins   = "aws-cli/1.29.62 Python/3.8.10 Linux/5.4.0-1103-aws botocore/1.31.62"
	uaGrafana   = "aws-sdk-go/1.51.24 (go1.22.5; linux; amd64) Grafana/11.3.1"
)

func ciCLI(src, action string) string {
	return "aws-cli/2.24.5 md/awscrt#0.23.8 ua/2.1 os/linux#6.8.0-1021-azure md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#" + cliCommand(src, action)
}
