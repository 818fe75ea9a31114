package evalorg

import (
	"strconv"
	"strings"
	"time"
)

// The organization's accounts, identities, secrets and keys. Names are
// what a platform team would choose; ids are derived from the names and
// the seed (see ids.go).

const (
	euc1 = "eu-central-1"
	use1 = "us-east-1"

	domain = "tavorpay.example"
	orgID  = "o-t4v0rp4y7q"
)

// Account ids. The first four are the organization's own.
const (
	acctProd     = "418295037461"
	acctStaging  = "730184526903"
	acctShared   = "265019384752"
	acctSecurity = "591726830415"
	acctPartner  = "804512937620" // the payment processor
	acctOutside  = "377104859262" // unrelated; the attacker's
)

// OwnAccounts are the organization's own accounts, in keytrail's terms.
var ownAccounts = []string{acctProd, acctStaging, acctShared, acctSecurity}

type role struct {
	acct, path, name, id, arn string
}

func (w *world) role(acct, path, name string) *role {
	arn := "arn:aws:iam::" + acct + ":role" + path + name
	if r, ok := w.roles[arn]; ok {
		return r
	}
	r := &role{acct: acct, path: path, name: name, arn: arn,
		id: "AROA" + w.h.chars(17, base32, "role", arn)}
	w.roles[arn] = r
	return r
}

// sso returns the role IAM Identity Center provisions for a permission set
// in an account.
func (w *world) sso(acct, permissionSet string) *role {
	return w.role(acct, "/aws-reserved/sso.amazonaws.com/"+euc1+"/",
		"AWSReservedSSO_"+permissionSet+"_"+w.h.chars(16, hexLow, "sso", acct, permissionSet))
}

type key struct {
	acct, region, alias, id, arn string
	origin                       string
	created                      time.Time  // zero: before the period
	states                       []keyState // when it could not be used
}

func (w *world) key(acct, region, alias string) *key {
	k := w.keyNamed(acct, region, alias)
	if k == nil {
		id := w.h.uuid("key", acct, region, alias)
		k = &key{acct: acct, region: region, alias: alias, id: id, origin: "AWS_KMS",
			arn: "arn:aws:kms:" + region + ":" + acct + ":key/" + id}
		w.keys = append(w.keys, k)
	}
	return k
}

func (w *world) keyNamed(acct, region, alias string) *key {
	for _, k := range w.keys {
		if k.acct == acct && k.region == region && k.alias == alias {
			return k
		}
	}
	return nil
}

func (k *key) aliasARN() string {
	return "arn:aws:kms:" + k.region + ":" + k.acct + ":alias/" + k.alias
}

// resources is the key as a record's resources array.
func (k *key) resources() raw {
	return raw(`[{"accountId":"` + k.acct + `","type":"AWS::KMS::Key","ARN":"` + k.arn + `"}]`)
}

type secret struct {
	acct, region, name, arn string
	key                     *key
	rotations               []time.Time // successful rotations, in order
	// goneFrom..goneTo is when the secret did not exist (deleted, then
	// recreated under the same name as replacement).
	goneFrom, goneTo time.Time
	replacement      *secret
	created          time.Time // zero: before the period
}

func (w *world) secret(acct, region, name string, k *key) *secret {
	suffix := w.h.chars(6, alnum, "secret", acct, region, name)
	s := &secret{acct: acct, region: region, name: name, key: k,
		arn: "arn:aws:secretsmanager:" + region + ":" + acct + ":secret:" + name + "-" + suffix}
	w.secrets = append(w.secrets, s)
	return s
}

// replica is the secret's replica in another region: same name and
// suffix, that region's key.
func (w *world) replica(s *secret, region string, k *key) *secret {
	r := &secret{acct: s.acct, region: region, name: s.name, key: k,
		arn: strings.Replace(s.arn, ":"+s.region+":", ":"+region+":", 1)}
	w.secrets = append(w.secrets, r)
	return r
}

// version is the secret's AWSCURRENT version id at t.
func (w *world) version(s *secret, t time.Time) string {
	n := 0
	for _, r := range s.rotations {
		if !t.Before(r) {
			n++
		}
	}
	return w.h.uuid("version", s.arn, string(rune('a'+n)))
}

// at resolves the secret in effect at t: s itself, its replacement, or
// nil while it does not exist.
func (s *secret) at(t time.Time) *secret {
	if s.goneFrom.IsZero() || t.Before(s.goneFrom) {
		return s
	}
	if s.replacement != nil && !t.Before(s.goneTo) {
		return s.replacement
	}
	return nil
}

// person is someone with an SSO login.
type person struct {
	email   string
	home    string // home IP (on-call nights, evenings)
	laptop  string // CLI user agent
	browser string // console user agent
	team    []*secret
}

var (
	officeIPs = []string{"212.199.61.18", "212.199.61.19", "212.199.61.21"}
)

// The organization's catalog, filled by newOrg.
type org struct {
	devs, sres, admins, data []*person
	security                 *person
	onCall                   []*person // rotation order, one week each

	// Endpoints by account and region.
	net map[string]*endpoints
}

func (w *world) endpointsOf(acct, region string) *endpoints {
	return w.org.net[acct+"/"+region]
}

// vpceDenied returns the endpoint a network-activity event was denied at.
func (w *world) vpceDenied(e *ev) (id, owner string) {
	if p := w.endpointsOf(e.acct, e.region); p != nil {
		return p.forSource(e.src), p.acct
	}
	return "", ""
}

func (w *world) newOrg() {
	o := &org{net: map[string]*endpoints{}}
	w.org = o
	for _, a := range []string{acctProd, acctStaging, acctShared, acctSecurity} {
		for _, r := range []string{euc1, use1} {
			o.net[a+"/"+r] = &endpoints{acct: a,
				sm:  "vpce-0" + w.h.chars(16, hexLow, "vpce-sm", a, r),
				kms: "vpce-0" + w.h.chars(16, hexLow, "vpce-kms", a, r)}
		}
	}
	browsers := []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:136.0) Gecko/20100101 Firefox/136.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36",
	}
	clis := []string{
		"aws-cli/2.24.10 md/awscrt#0.23.8 ua/2.1 os/macos#24.3.0 md/arch#arm64 lang/python#3.12.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#",
		"aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-52-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#",
		"aws-cli/2.24.2 md/awscrt#0.23.8 ua/2.0 os/macos#23.6.0 md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#",
	}
	mk := func(name string, i int) *person {
		return &person{email: name + "@" + domain,
			home:    "79." + strconv.Itoa(176+i%40) + "." + strconv.Itoa(int(w.h.of("home", name)%250)+2) + "." + strconv.Itoa(int(w.h.of("home2", name)%250)+2),
			laptop:  clis[int(w.h.of("cli", name)%uint64(len(clis)))],
			browser: browsers[int(w.h.of("browser", name)%uint64(len(browsers)))]}
	}
	for i, n := range []string{"noa.cohen", "yossi.mizrahi", "shira.bendavid", "lior.peretz", "maya.friedman",
		"amit.biton", "tamar.goldberg", "omer.azoulay", "dana.levi", "itay.shalom", "roni.avraham",
		"gal.dahan", "yael.weiss", "nadav.katz"} {
		o.devs = append(o.devs, mk(n, i))
	}
	for i, n := range []string{"eitan.shapiro", "ron.katz", "michal.rosen", "avi.hadad", "keren.segal"} {
		o.sres = append(o.sres, mk(n, 20+i))
	}
	for i, n := range []string{"oren.malka", "hila.barak", "guy.ohana"} {
		o.admins = append(o.admins, mk(n, 30+i))
	}
	for i, n := range []string{"inbar.golan", "elad.nachum"} {
		o.data = append(o.data, mk(n, 35+i))
	}
	o.security = mk("sivan.tal", 38)
	o.onCall = []*person{o.sres[2], o.sres[3], o.sres[0], o.sres[4], o.sres[1]}
}
