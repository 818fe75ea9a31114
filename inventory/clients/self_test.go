package clients

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Whoami asks STS through the real client, here a loopback server
// speaking STS's query protocol.
func TestWhoami(t *testing.T) {
	const identity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws-cn:sts::111122223333:assumed-role/Admin/me</Arn><UserId>AROAX:me</UserId><Account>111122223333</Account>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	denied := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("Action") != "GetCallerIdentity" || !strings.Contains(r.Header.Get("Authorization"), "/sts/aws4_request") {
			http.Error(w, "unexpected request "+url.Values(r.Form).Encode(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		if denied {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>bad token</Message></Error><RequestId>r2</RequestId></ErrorResponse>`))
			return
		}
		w.Write([]byte(identity))
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "cn-north-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	o := Options{Endpoints: map[string]string{"sts": srv.URL}}
	account, partition, err := Whoami(context.Background(), cfg, o)
	if err != nil || account != "111122223333" || partition != "aws-cn" {
		t.Errorf("Whoami = %q, %q, %v", account, partition, err)
	}
	denied = true
	if _, _, err := Whoami(context.Background(), cfg, o); err == nil || !strings.Contains(err.Error(), "who am I (sts GetCallerIdentity)") ||
		!strings.Contains(err.Error(), "InvalidClientTokenId") {
		t.Errorf("denied: %v", err)
	}
}

func TestCollector(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	for _, org := range []bool{true, false} {
		c := Collector(cfg, Options{}, "111122223333", "aws-cn", org)
		if c.Self != "111122223333" || c.Partition != "aws-cn" || c.STS == nil || c.Connect == nil || (c.Org != nil) != org {
			t.Errorf("Collector(org %v) = %+v", org, c)
		}
		if cl := c.Connect("us-east-1", nil); cl.Secrets == nil || cl.KMS == nil || cl.IAM == nil {
			t.Errorf("Connect gives %+v", cl)
		}
	}
}
