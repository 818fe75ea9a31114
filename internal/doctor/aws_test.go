package doctor

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Every client a check needs is wired: a nil one would skip its checks
// without a word.
func TestNewWiresEveryClient(t *testing.T) {
	d := reflect.ValueOf(New(aws.Config{Region: "eu-central-1"})).Elem()
	for i := range d.NumField() {
		if f := d.Field(i); f.Kind() == reflect.Interface && f.IsNil() {
			t.Errorf("New leaves %s nil", d.Type().Field(i).Name)
		}
	}
}

func TestOverride(t *testing.T) {
	stack := Deployment{TrailBucket: "trail", LakeBucket: "lake", Workgroup: "keytrail", Database: "kt", QueueARN: "arn:q"}
	tests := []struct {
		name    string
		flags   map[string]string
		want    Deployment
		wantErr bool
	}{
		{"nothing given keeps the stack's, with the prefix default", nil,
			Deployment{TrailBucket: "trail", TrailPrefix: "AWSLogs/", LakeBucket: "lake", Workgroup: "keytrail", Database: "kt", QueueARN: "arn:q"}, false},
		{"flags win, an empty one too", map[string]string{"trail-bucket": "other", "workgroup": "", "lake": "s3://b/p/", "trail-prefix": "logs/AWSLogs/o-1/"},
			Deployment{TrailBucket: "other", TrailPrefix: "logs/AWSLogs/o-1/", LakeBucket: "b", LakePrefix: "p/", Database: "kt", QueueARN: "arn:q"}, false},
		{"a bad lake", map[string]string{"lake": "b/p"}, Deployment{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := stack
			err := d.Override(tt.flags)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && !reflect.DeepEqual(d, tt.want) {
				t.Errorf("got %+v\nwant %+v", d, tt.want)
			}
		})
	}
	var none Deployment
	none.Override(nil)
	if none.Database != "keytrail" {
		t.Errorf("database default %q", none.Database)
	}
}
