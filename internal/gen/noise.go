package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// noise generates the calls to other services that make up most of a real
// trail, in proportion to the day's Secrets Manager and KMS records so the
// configured share holds day by day.
func (g *orgGen) noise(d int) {
	share := g.cfg.NoiseShare
	if share <= 0 || g.dayKept == 0 {
		return
	}
	n := int(math.Round(float64(g.dayKept) * share / (1 - share)))
	r := newRand(g.cfg.Seed, "noise", d)
	start := g.dayStart(d)
	var weights [24]float64
	total := 0.0
	for h := range 24 {
		weights[h] = g.shape(start.Add(time.Duration(h) * time.Hour))
		total += weights[h]
	}
	for emitted := 0; emitted < n; {
		x, h := r.Float64()*total, 0
		for h < 23 && x >= weights[h] {
			x -= weights[h]
			h++
		}
		t := within(r, start.Add(time.Duration(h)*time.Hour), time.Hour)
		emitted += g.noiseCall(r, t)
	}
}

// Only global services (IAM, sign-in) log to the second region, us-east-1,
// as they do in a real trail; the rest happens where the workloads run.

// noiseCall emits one call (two for a cross-account AssumeRole) and says
// how many records it wrote.
func (g *orgGen) noiseCall(r *rand.Rand, t time.Time) int {
	pop := g.pop
	region := g.home
	x := r.IntN(100)
	switch {
	case x < 30 && g.businessHours(t):
		ps := pop.people[r.IntN(len(pop.people))]
		return g.personNoise(r, ps, t, region)
	case x < 45:
		// AWS services acting as themselves.
		acct := pop.accounts[r.IntN(len(pop.accounts))].id
		a := pop.apps[r.IntN(len(pop.apps))]
		switch r.IntN(4) {
		case 0, 1:
			svc := pop.services["ecs-tasks.amazonaws.com"]
			if a.lambda {
				svc = pop.services["lambda.amazonaws.com"]
			}
			sess := a.sessionFor(g.cfg.Seed, t, r)
			g.emit(r, call{t: t, p: svc, recipient: a.p.account, region: region, source: "sts", name: "AssumeRole", readOnly: true,
				params: obj{{"roleArn", a.p.ARN()}, {"roleSessionName", sess}},
				resp: obj{{"credentials", obj{{"accessKeyId", "ASIA" + randString(r, upperAlnum, 16)}, {"sessionToken", "IQoJb3JpZ2luX2VjE" + randString(r, alnum, 40)},
					{"expiration", t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")}}},
					{"assumedRoleUser", obj{{"assumedRoleId", a.p.uniqueID() + ":" + sess}, {"arn", "arn:aws:sts::" + a.p.account + ":assumed-role/" + a.p.name + "/" + sess}}}},
				res: []resource{{AccountID: a.p.account, Type: "AWS::IAM::Role", ARN: a.p.ARN()}}})
		case 2:
			g.emit(r, call{t: t, p: pop.services["config.amazonaws.com"], recipient: acct, region: region, source: "ec2",
				name: "DescribeSecurityGroups", readOnly: true, params: obj{{"securityGroupSet", obj{}}, {"filterSet", obj{}}}})
		default:
			g.emit(r, call{t: t, p: pop.services["config.amazonaws.com"], recipient: acct, region: region, source: "s3",
				name: "GetBucketAcl", readOnly: true, params: obj{{"bucketName", "app-data-" + acct}, {"Host", "app-data-" + acct + ".s3." + region + ".amazonaws.com"}, {"acl", ""}}})
		}
		return 1
	case x < 47 && g.businessHours(t):
		// A partner's role assumes a role in prod: logged as AWSAccount.
		p := &principal{kind: kindRole, account: pop.partner.id}
		sess := "partner-sync-" + randHex(r, 8)
		g.emit(r, call{t: t, p: p, recipient: pop.prod, region: region, source: "sts", name: "AssumeRole", readOnly: true,
			params:  obj{{"roleArn", "arn:aws:iam::" + pop.prod + ":role/integrations/partner-readonly"}, {"roleSessionName", sess}},
			errCode: "AccessDenied", errMsg: "User: " + pop.partnerRole.ARN() + " is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + pop.prod + ":role/integrations/partner-readonly",
			agent: pop.partnerRole.agents[0], ip: pop.partnerRole.ips[0], accountIdentity: pop.partnerRole.uniqueID() + ":" + sess})
		return 1
	}
	// Workloads.
	a := pop.apps[r.IntN(len(pop.apps))]
	sess := a.sessionFor(g.cfg.Seed, t, r)
	c := call{t: t, p: a.p, sess: sess, region: region, readOnly: true}
	switch r.IntN(9) {
	case 0:
		c.source, c.name = "logs", "CreateLogStream"
		c.readOnly = false
		c.params = obj{{"logGroupName", "/ecs/" + a.p.name}, {"logStreamName", "ecs/" + a.name + "/" + randHex(r, 32)}}
	case 1:
		c.source, c.name = "ssm", "GetParameter"
		c.params = obj{{"name", "/" + a.p.name + "/config/feature-flags"}, {"withDecryption", false}}
	case 2:
		c.source, c.name = "ssm", "GetParameters"
		c.params = obj{{"names", []string{"/" + a.p.name + "/config/endpoint", "/" + a.p.name + "/config/timeout"}}, {"withDecryption", false}}
	case 3:
		c.source, c.name = "ecr", "GetAuthorizationToken"
		c.params, c.resp = obj{{"registryIds", []string{a.p.account}}}, nil
	case 4:
		c.source, c.name = "sts", "GetCallerIdentity"
	case 5:
		c.source, c.name = "dynamodb", "DescribeTable"
		c.params = obj{{"tableName", a.name + "-state"}}
	case 6:
		c.source, c.name = "ec2", "DescribeNetworkInterfaces"
		c.params = obj{{"networkInterfaceIdSet", obj{}}, {"filterSet", obj{{"items", []obj{{{"name", "attachment.instance-id"}}}}}}}
	case 7:
		c.source, c.name = "sqs", "GetQueueAttributes"
		c.params = obj{{"queueUrl", fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s-jobs", region, a.p.account, a.name)}, {"attributeNames", []string{"All"}}}
	default:
		c.source, c.name = "s3", "ListBuckets"
		c.params = obj{{"Host", "s3." + region + ".amazonaws.com"}}
		if r.IntN(10) == 0 {
			c.errCode, c.errMsg = "AccessDenied", "Access Denied"
		}
	}
	g.emit(r, c)
	return 1
}

func (g *orgGen) personNoise(r *rand.Rand, ps *person, t time.Time, region string) int {
	c := call{t: t, p: ps.p, sess: ps.session, region: region, readOnly: true}
	switch r.IntN(10) {
	case 0:
		c.source, c.name, c.eventType, c.region = "signin", "ConsoleLogin", "AwsConsoleSignIn", g.global
		c.console = true
		c.params = nil
		c.resp = obj{{"ConsoleLogin", "Success"}}
		c.extra = obj{{"LoginTo", "https://console.aws.amazon.com/console/home"}, {"MobileVersion", "No"}, {"MFAUsed", "No"}}
	case 1:
		c.source, c.name, c.region = "iam", "ListRoles", g.global
		c.params = obj{{"maxItems", 1000}}
	case 2:
		c.source, c.name, c.region = "iam", "GetRole", g.global
		a := g.pop.apps[r.IntN(len(g.pop.apps))]
		c.params = obj{{"roleName", a.p.name}}
	case 3:
		c.source, c.name = "cloudformation", "DescribeStacks"
	case 4:
		c.source, c.name = "lambda", "ListFunctions20150331"
	case 5:
		c.source, c.name = "logs", "FilterLogEvents"
		c.params = obj{{"logGroupName", "/ecs/" + g.pop.apps[r.IntN(len(g.pop.apps))].p.name}, {"startTime", t.Add(-time.Hour).UnixMilli()}}
	case 6:
		c.source, c.name = "ec2", "DescribeInstances"
		c.params = obj{{"instancesSet", obj{}}, {"filterSet", obj{}}}
		if r.IntN(8) == 0 {
			c.errCode, c.errMsg = "Client.UnauthorizedOperation", "You are not authorized to perform this operation."
		}
	case 7:
		c.source, c.name = "sts", "GetCallerIdentity"
	case 8:
		c.source, c.name = "ecs", "DescribeServices"
		c.params = obj{{"cluster", "main"}, {"services", []string{g.pop.apps[r.IntN(len(g.pop.apps))].name}}}
	default:
		c.source, c.name = "monitoring", "DescribeAlarms"
		c.params = obj{{"maxRecords", 100}}
	}
	g.emit(r, c)
	return 1
}
