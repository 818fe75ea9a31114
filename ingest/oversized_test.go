package ingest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keytrail/keytrail/internal/cloudtrail"
)

// An object with a record over the scanner's limit (8 MiB) loses that
// record only: it is reported with its index and byte offset, and the
// records after it are ingested. The hostile files are built here, gzipped
// as CloudTrail delivers them.
func TestOversizedRecord(t *testing.T) {
	ua := strings.Replace(string(kmsRecord(1)), `"userAgent":"cli"`, `"userAgent":"`+strings.Repeat("A", 10<<20)+`"`, 1)
	var res strings.Builder
	res.WriteString(`"resources":[`)
	for i := range 1_000_000 {
		if i > 0 {
			res.WriteByte(',')
		}
		res.WriteString(`{"ARN":"arn:aws:kms:eu-central-1:111122223333:key/k"}`)
	}
	res.WriteString(`],`)
	many := strings.Replace(string(kmsRecord(1)), `"eventType"`, res.String()+`"eventType"`, 1)
	head := `{"Records":[` + string(kmsRecord(0)) + `,`
	tests := []struct {
		name     string
		json     string
		status   Status
		kept     []string // event ids
		records  int
		truncErr bool // the object stops inside the oversized record
	}{
		{"10 MB user agent", head + ua + `,` + string(kmsRecord(2)) + `]}`, StatusPartial, []string{"e-0", "e-2"}, 3, false},
		{"1,000,000 resources", head + many + `,` + string(s3Record(2)) + `,` + string(kmsRecord(3)) + `]}`, StatusPartial, []string{"e-0", "e-3"}, 4, false},
		{"the last record", head + ua + `]}`, StatusPartial, []string{"e-0"}, 2, false},
		{"truncated inside it", head + ua[:9<<20], StatusPartial, []string{"e-0"}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newLake(t)
			r, err := New(d, Config{}).Ingest(context.Background(), "big.json.gz", bytes.NewReader(gzipBytes(t, []byte(tt.json))))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.status || r.Records != tt.records || r.Kept != len(tt.kept) {
				t.Fatalf("status %s (%s), %d records, %d kept; want %s, %d, %d", r.Status, r.Reason, r.Records, r.Kept, tt.status, tt.records, len(tt.kept))
			}
			if got := eventIDs(readLake(t, d)); fmt.Sprint(got) != fmt.Sprint(tt.kept) {
				t.Errorf("lake holds %v, want %v", got, tt.kept)
			}
			if r.RecordErrorCount != 1 || len(r.RecordErrors) != 1 {
				t.Fatalf("record errors %d %+v, want the oversized one", r.RecordErrorCount, r.RecordErrors)
			}
			re := r.RecordErrors[0]
			if re.Index != 1 || re.Offset != int64(len(head)) || !strings.Contains(re.Err, cloudtrail.ErrRecordTooLarge.Error()) {
				t.Errorf("record error %+v, want record 1 at offset %d, too large", re, len(head))
			}
			if tt.truncErr != strings.Contains(r.Reason, "unexpected end of input") {
				t.Errorf("reason %q: truncated %v", r.Reason, tt.truncErr)
			}
		})
	}
}
