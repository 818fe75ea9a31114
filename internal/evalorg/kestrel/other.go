package kestrel

import "time"

// runOther adds other services' records, about a quarter of all records:
// what an organization trail carries beside Secrets Manager and KMS.
func (w *world) runOther() {
	kept := 0
	for i := range w.evs {
		if w.evs[i].kept() {
			kept++
		}
	}
	n := kept / 3
	o := w.org
	asg := service("autoscaling.amazonaws.com", "")
	lambda := service("lambda.amazonaws.com", "")
	config := service("config.amazonaws.com", "")
	type tmpl struct {
		acct, region, src, name string
		req                     om
		ro                      bool
		who                     func(d int) *caller
	}
	svcPod := func(d int) *caller {
		s := o.svcs[w.rng.IntN(len(o.svcs))]
		return w.podSession(s, w.rng.IntN(s.pods), d)
	}
	ts := []tmpl{
		{acctProd, south, "sts.amazonaws.com", "GetCallerIdentity", om{}, true, svcPod},
		{acctProd, south, "ec2.amazonaws.com", "DescribeInstances", om{"instancesSet", om{}, "filterSet", om{}}, true, func(int) *caller { return asg }},
		{acctProd, south, "sts.amazonaws.com", "AssumeRole", om{"roleArn", o.lambdas[0].role.arn, "roleSessionName", o.lambdas[0].role.name}, true, func(int) *caller { return lambda }},
		{acctProd, south, "ssm.amazonaws.com", "GetParameters", om{"names", []string{"/prod/feature-flags"}, "withDecryption", false}, true, svcPod},
		{acctProd, south, "eks.amazonaws.com", "DescribeCluster", om{"name", "kestrel-prod"}, true, svcPod},
		{acctDev, south, "ec2.amazonaws.com", "DescribeInstances", om{"instancesSet", om{}, "filterSet", om{}}, true, func(int) *caller { return asg }},
		{acctLogging, south, "s3.amazonaws.com", "GetBucketAcl", om{"bucketName", bucket, "Host", bucket + ".s3.ap-south-1.amazonaws.com", "acl", ""}, true, func(int) *caller { return config }},
		{acctAudit, south, "config.amazonaws.com", "PutEvaluations", om{"resultToken", "token"}, false, func(int) *caller { return config }},
		{acctProd, east, "ec2.amazonaws.com", "DescribeInstances", om{"instancesSet", om{}, "filterSet", om{}}, true, func(int) *caller { return asg }},
	}
	span := w.end.Sub(w.start)
	for range n {
		t := w.start.Add(w.jitter(span))
		d := int(t.Sub(w.day(0)) / (24 * time.Hour))
		x := ts[w.rng.IntN(len(ts))]
		w.call(0, t, x.who(d), x.region, x.acct, x.src, x.name, mustJSON(x.req), nil, x.ro)
	}
}
