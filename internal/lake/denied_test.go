package lake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestGetAccessDeniedMeansMissing speaks S3's REST protocol as real S3 does
// for a role whose s3:ListBucket is limited by an s3:prefix condition: a
// GET of a missing key answers 403 AccessDenied, and a listing shows
// whether the key exists.
func TestGetAccessDeniedMeansMissing(t *testing.T) {
	existing := "keytrail/state/present.json"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("list-type") == "2" {
			prefix := r.URL.Query().Get("prefix")
			w.Header().Set("Content-Type", "application/xml")
			contents := ""
			if strings.HasPrefix(existing, prefix) {
				contents = "<Contents><Key>" + existing + "</Key><Size>1</Size></Contents>"
			}
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>lake</Name><Prefix>%s</Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated>%s</ListBucketResult>`, prefix, contents)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId></Error>`)
	}))
	defer srv.Close()
	client := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	st, err := NewS3(client, "lake", "keytrail", S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = st.Get(context.Background(), "state/missing.json")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: err %v, want ErrNotFound", err)
	}
	_, _, err = st.Get(context.Background(), "state/present.json")
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("denied existing key: err %v, want the access error", err)
	}
}
