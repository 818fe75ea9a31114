package gen

import "testing"

func TestSummaryText(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"corpus", CorpusSummary{Files: 40, Records: 1200, Kept: 240, Bytes: 1e6}.Text("out"),
			"Wrote a benchmark corpus to out: 40 files, 1200 records (240 Secrets Manager/KMS), 1000000 bytes uncompressed."},
		{"org", Summary{Files: 9, Records: 100, Kept: 20, Duplicates: 1, Digests: 6, Insights: 1, Accounts: []string{"111", "222"}, Partner: "999",
			Labels: []Label{{Kind: "off_hours"}, {Kind: KindDecoy, Detail: DecoyNightlyBatch + ": the 02:00 job"}, {Kind: "off_hours"}, {Kind: "bulk"}}}.Text(21, "gen"),
			"Wrote 21 days of CloudTrail for accounts 111, 222 (partner 999) to gen: 9 log files, 100 records (20 Secrets Manager/KMS, 1 repeated), " +
				"6 digest and 1 insight files. Labels in labels.jsonl: bulk 1, decoy/nightly_batch 1, off_hours 2."},
		{"org without labels", Summary{Accounts: []string{"111"}}.Text(1, "g"),
			"Wrote 1 days of CloudTrail for accounts 111 (partner ) to g: 0 log files, 0 records (0 Secrets Manager/KMS, 0 repeated), 0 digest and 0 insight files. Labels in labels.jsonl: ."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
}
