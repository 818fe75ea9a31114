package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/keytrail/keytrail/internal/arn"
	"github.com/keytrail/keytrail/internal/cloudtrail"
	"github.com/keytrail/keytrail/internal/event"
	"github.com/keytrail/keytrail/internal/source"
)

// DefaultSources are the event sources kept when none are configured: the
// registry's (internal/source).
var DefaultSources = source.EventSources()

// Normalize turns one decoded record into a row. raw is the record's JSON,
// used only to derive a stable id for records that lack an eventID.
// Lineage (source object, index) is the caller's to set.
func Normalize(rec *cloudtrail.Record, raw []byte) (event.Event, error) {
	e, _, err := normalize(rec, raw)
	return e, err
}

// normalize is Normalize, also reporting whether the row's resource_arns
// was cut to maxResources.
func normalize(rec *cloudtrail.Record, raw []byte) (_ event.Event, capped bool, err error) {
	t, err := rec.Time()
	if err != nil {
		return event.Event{}, false, err
	}
	e := event.Event{
		EventID:         rec.EventID,
		EventTime:       t,
		EventVersion:    rec.EventVersion,
		EventSource:     rec.EventSource,
		EventName:       rec.EventName,
		EventType:       rec.EventType,
		EventCategory:   rec.EventCategory,
		ReadOnly:        rec.ReadOnly,
		ManagementEvent: rec.ManagementEvent,
		AWSRegion:       rec.AWSRegion,
		RecipientAcct:   rec.RecipientAccountID,
		RequestID:       rec.RequestID,
		SharedEventID:   rec.SharedEventID,
		ErrorCode:       rec.ErrorCode,
		ErrorMessage:    rec.ErrorMessage,
		SourceIP:        rec.SourceIPAddress,
		UserAgent:       rec.UserAgent,
		VPCEndpointID:   rec.VPCEndpointID,
		FromConsole:     rec.SessionCredentialFromConsole == "true",
	}
	// A failed call carries an errorCode; some producers write an empty or
	// numeric one ("200") for success.
	e.Failed = rec.ErrorCode != "" && rec.ErrorCode != "200"
	if e.EventID == "" {
		sum := sha256.Sum256(raw)
		e.EventID = "keytrail-" + hex.EncodeToString(sum[:16])
	}
	if e.EventCategory == "" {
		e.EventCategory = "Management"
	}
	part := partitionOf(rec)
	setPrincipal(&e, rec, part)
	var p requestRefs
	p.decode(rec.RequestParameters)
	capped = setResources(&e, rec, &p, part)
	e.RequestParameters = jsonText(rec.RequestParameters)
	e.ResponseElements = jsonText(rec.ResponseElements)
	e.AdditionalEventData = jsonText(rec.AdditionalEventData)
	// For a KMS call the encryption context says which S3 object, secret
	// or volume the data key protected.
	e.EncryptionContext = jsonText(p.EncryptionContext)
	return e, capped, nil
}

// partitionOf returns the ARN partition (aws, aws-cn, aws-us-gov) of the
// record's account, from an ARN it carries or else from its region.
func partitionOf(rec *cloudtrail.Record) string {
	if ui := rec.UserIdentity; ui != nil {
		if p := arn.Partition(ui.ARN); p != "" {
			return p
		}
	}
	for _, r := range rec.Resources {
		if p := arn.Partition(r.Arn()); p != "" {
			return p
		}
	}
	switch {
	case strings.HasPrefix(rec.AWSRegion, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(rec.AWSRegion, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(rec.AWSRegion, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(rec.AWSRegion, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN into its six fields.
func ParseARN(s string) (ARN, bool) {
	var f [5]string
	rest, ok := strings.CutPrefix(s, "arn:")
	for i := 0; ok && i < 4; i++ {
		f[i], rest, ok = strings.Cut(rest, ":")
	}
	if !ok || f[0] == "" || f[1] == "" {
		return ARN{}, false
	}
	return ARN{f[0], f[1], f[2], f[3], rest}, true
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// setPrincipal fills the principal columns. See the README's schema section
// for the canonical principal of each identity type.
func setPrincipal(e *event.Event, rec *cloudtrail.Record, part string) {
	ui := rec.UserIdentity
	if ui == nil {
		ui = &cloudtrail.UserIdentity{}
	}
	e.IdentityType = ui.Type
	e.PrincipalID = ui.PrincipalID
	e.PrincipalAccount = ui.AccountID
	e.CallerARN = ui.ARN
	e.AccessKeyID = ui.AccessKeyID
	e.InvokedBy = ui.InvokedBy
	var issuer *cloudtrail.SessionIssuer
	if sc := ui.SessionContext; sc != nil {
		issuer = sc.SessionIssuer
		if sc.Attributes != nil {
			switch sc.Attributes.MFAAuthenticated {
			case "true":
				e.MFAAuthenticated = new(true)
			case "false":
				e.MFAAuthenticated = new(false)
			}
		}
	}
	if issuer != nil {
		e.SessionIssuerARN = issuer.ARN
	}
	arn, _ := ParseARN(ui.ARN)
	if e.PrincipalAccount == "" {
		e.PrincipalAccount = arn.Account
	}
	switch ui.Type {
	case "AssumedRole":
		// arn:aws:sts::111122223333:assumed-role/ROLE/SESSION: the role is
		// the principal, the session only evidence.
		role, session := "", ""
		if rest, ok := strings.CutPrefix(arn.Resource, "assumed-role/"); ok {
			role, session, _ = strings.Cut(rest, "/")
		}
		if session == "" {
			_, session, _ = strings.Cut(ui.PrincipalID, ":")
		}
		e.SessionName = session
		switch {
		case issuer != nil && issuer.ARN != "":
			e.PrincipalARN = issuer.ARN
			e.PrincipalName = issuer.UserName
		case role != "":
			// Without the issuer the role's path is unknown.
			e.PrincipalARN = ARN{orDefault(arn.Partition, part), "iam", "", e.PrincipalAccount, "role/" + role}.String()
		default:
			e.PrincipalARN = ui.ARN
		}
		if e.PrincipalName == "" {
			e.PrincipalName = firstNonEmpty(role, ui.UserName, lastSegment(e.PrincipalARN))
		}
	case "IAMUser":
		e.PrincipalARN = ui.ARN
		if e.PrincipalARN == "" && ui.UserName != "" && e.PrincipalAccount != "" {
			e.PrincipalARN = ARN{part, "iam", "", e.PrincipalAccount, "user/" + ui.UserName}.String()
		}
		e.PrincipalName = firstNonEmpty(ui.UserName, lastSegment(ui.ARN))
	case "Root":
		if e.PrincipalAccount != "" {
			e.PrincipalARN = ARN{orDefault(arn.Partition, part), "iam", "", e.PrincipalAccount, "root"}.String()
		} else {
			e.PrincipalARN = ui.ARN
		}
		e.PrincipalName = "root"
	case "FederatedUser":
		// arn:aws:sts::ACCT:federated-user/NAME — a GetFederationToken
		// session; the issuing IAM user is in session_issuer_arn.
		e.PrincipalARN = ui.ARN
		e.PrincipalName = lastSegment(ui.ARN)
		if issuer != nil && issuer.UserName != "" {
			e.SessionName = e.PrincipalName
		}
	case "AWSService":
		e.PrincipalARN = ui.InvokedBy
		e.PrincipalName = ui.InvokedBy
	case "AWSAccount":
		e.PrincipalARN = ui.ARN
		if e.PrincipalARN == "" && e.PrincipalAccount != "" {
			e.PrincipalARN = ARN{part, "iam", "", e.PrincipalAccount, "root"}.String()
		}
		e.PrincipalName = e.PrincipalAccount
	default:
		// SAMLUser, WebIdentityUser, IdentityCenterUser, records without a
		// type (service-initiated), and types CloudTrail adds later.
		switch {
		case ui.ARN != "":
			e.PrincipalARN = ui.ARN
		case ui.Type == "" && ui.InvokedBy != "":
			e.PrincipalARN = ui.InvokedBy
		case ui.OnBehalfOf != nil && ui.OnBehalfOf.UserID != "":
			e.PrincipalARN = ui.OnBehalfOf.IdentityStoreARN + "/user/" + ui.OnBehalfOf.UserID
		case ui.PrincipalID != "":
			e.PrincipalARN = ui.Type + ":" + ui.PrincipalID
		case ui.UserName != "":
			e.PrincipalARN = ui.Type + ":" + ui.UserName
		}
		e.PrincipalName = firstNonEmpty(ui.UserName, ui.InvokedBy, lastSegment(ui.ARN), ui.PrincipalID)
	}
	if e.PrincipalARN == "" {
		switch {
		case rec.UserAgent == "AWS Internal" || ui.InvokedBy == "AWS Internal":
			e.PrincipalARN, e.PrincipalName = "AWS Internal", "AWS Internal"
		case ui.UserName != "":
			// Records edited by other tools sometimes keep only a name.
			e.PrincipalARN = ui.Type + ":" + ui.UserName
		case ui.PrincipalID != "":
			e.PrincipalARN = ui.Type + ":" + ui.PrincipalID
		}
	}
	e.CallerKind = callerKind(rec, ui, issuer)
}

// callerKind classifies the caller: an AWS service acting for someone, a
// person, or a workload.
func callerKind(rec *cloudtrail.Record, ui *cloudtrail.UserIdentity, issuer *cloudtrail.SessionIssuer) string {
	switch {
	case ui.Type == "AWSService", ui.InvokedBy != "",
		strings.HasSuffix(rec.SourceIPAddress, ".amazonaws.com"),
		rec.SourceIPAddress == "AWS Internal",
		ui.Type == "" && rec.UserAgent == "AWS Internal":
		return event.CallerService
	}
	switch ui.Type {
	case "Root", "IAMUser", "SAMLUser", "IdentityCenterUser", "FederatedUser":
		return event.CallerPerson
	case "AssumedRole":
		role := ""
		if issuer != nil {
			role = issuer.UserName
		}
		if role == "" {
			if a, ok := ParseARN(ui.ARN); ok {
				role, _, _ = strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
			}
		}
		// IAM Identity Center permission sets and console sessions are
		// people; every other role session is a workload.
		if strings.HasPrefix(role, "AWSReservedSSO_") || rec.SessionCredentialFromConsole == "true" {
			return event.CallerPerson
		}
		return event.CallerWorkload
	case "WebIdentityUser":
		return event.CallerWorkload
	}
	return event.CallerUnknown
}

// maxResources caps resource_arns. A call names one to three secrets or
// keys, BatchGetSecretValue at most twenty; a record naming thousands is
// broken or hostile, and a row holding them all would cost a part's worth
// of memory and every query that unnests the column. A row keeps the first
// maxResources in resource_arns order; the ingest result counts the rows
// cut (Result.CappedRows), since the schema has no column to mark them.
const maxResources = 1000

// smallRefs is how many distinct references setResources finds by
// scanning its lists, as records name a handful and a set would cost an
// allocation; past it a set keeps a record naming many linear.
const smallRefs = 16

// refKey is a reference in the set: its kind (source.Order) and canonical
// ARN.
type refKey struct {
	kind  int
	canon string
}

// refSet returns the set of the references in lists, with room to grow.
func refSet(lists *[source.NumTypes][]string, n int) map[refKey]struct{} {
	seen := make(map[refKey]struct{}, 2*n)
	for k, list := range lists {
		for _, s := range list {
			seen[refKey{k, s}] = struct{}{}
		}
	}
	return seen
}

// The positions of the resource types in resource_arns order.
var (
	kindSecret = source.Order(event.ResourceSecret)
	kindKey    = source.Order(event.ResourceKey)
	kindAlias  = source.Order(event.ResourceAlias)
)

// setResources finds every secret or key the record names, canonicalises
// them and picks the primary one. It reports whether resource_arns was cut
// to maxResources. The record's fields that name resources are its
// source's (source.Source.Refs); a record of a source keytrail does not
// know names resources through resources[] only.
func setResources(e *event.Event, rec *cloudtrail.Record, p *requestRefs, part string) (capped bool) {
	region, account := rec.AWSRegion, rec.RecipientAccountID
	src := source.Of(e.EventSource)
	// Records name one or two of each kind; the lists stay on the stack,
	// and the row gets one slice of them all. Each list keeps distinct
	// references in the order first named, at most maxResources.
	var bufs [source.NumTypes][4]string
	var lists [source.NumTypes][]string // by source.Order
	for k := range lists {
		lists[k] = bufs[k][:0]
	}
	var (
		n       int                   // references kept, of all kinds
		seen    map[refKey]struct{}   // every kept reference, once n passes smallRefs
		dropped [source.NumTypes]bool // a kind dropped a reference for the cap
	)
	addRef := func(ref string) {
		k, canon := canonicalRef(src, ref, part, region, account)
		if k < 0 {
			return
		}
		if seen != nil {
			if _, dup := seen[refKey{k, canon}]; dup {
				return
			}
		} else if slices.Contains(lists[k], canon) {
			return
		}
		if len(lists[k]) == maxResources {
			dropped[k] = true
			return
		}
		lists[k] = append(lists[k], canon)
		n++
		switch {
		case seen != nil:
			seen[refKey{k, canon}] = struct{}{}
		case n > smallRefs:
			seen = refSet(&lists, n)
		}
	}
	for _, r := range rec.Resources {
		if a := r.Arn(); strings.HasPrefix(a, "arn:") {
			addRef(a)
		}
	}
	if src != nil {
		var resp responseRefs
		resp.decode(rec.ResponseElements)
		var extra extraRefs
		extra.decode(rec.AdditionalEventData)
		for _, ref := range src.Refs {
			switch ref {
			case source.ResponseARN:
				addRef(resp.ARN)
			case source.RequestSecretID:
				addRef(p.SecretID)
			case source.RequestSecretIDList:
				for _, id := range p.SecretIDList {
					addRef(id)
				}
			case source.CreatedName:
				if resp.ARN == "" && p.SecretID == "" && e.EventName == src.Create {
					addRef(p.Name)
				}
			case source.ExtraSecretID:
				addRef(extra.SecretID)
			case source.ResponseKeyMetadataARN:
				if resp.KeyMetadata != nil {
					addRef(resp.KeyMetadata.ARN)
				}
			case source.RequestKeyID:
				addRef(p.KeyID)
			case source.RequestSourceKeyID:
				addRef(p.SourceKeyID)
			case source.RequestDestinationKeyID:
				addRef(p.DestinationKeyID)
			case source.RequestTargetKeyID:
				addRef(p.TargetKeyID)
			case source.RequestPrimaryKeyARN:
				addRef(p.PrimaryKeyARN)
			case source.RequestAliasName:
				addRef(p.AliasName)
			default:
				panic("ingest: no decoder for " + ref.String()) // TestEveryRefIsDecoded
			}
		}
	}
	secrets, keys, aliases := lists[kindSecret], lists[kindKey], lists[kindAlias]
	capped = dropped[kindKey] || dropped[kindAlias]
	if len(aliases) > 0 {
		e.KeyAlias = aliasName(aliases[0])
	}
	// An alias resolves to the key when the record names exactly one key.
	// (Each list holds at most maxResources, so one is exactly one.)
	if len(keys) == 1 {
		secrets = nil
	} else {
		capped = capped || dropped[kindSecret]
	}
	n = len(secrets) + len(keys) + len(aliases)
	if n > maxResources {
		n, capped = maxResources, true
	}
	all := make([]string, 0, n)
	for _, list := range [...][]string{secrets, keys, aliases} {
		all = append(all, list[:min(len(list), n-len(all))]...)
	}
	e.ResourceARNs = all
	if len(all) == 0 {
		return capped
	}
	e.ResourceARN = all[0]
	a, _ := ParseARN(e.ResourceARN)
	e.ResourceAccount = a.Account
	// Every kept reference is an ARN of a kept source. Its resource part
	// starts with its type's prefix, unless the record's region or account
	// held a colon: that is of the source's last type, the catch-all (a
	// KMS alias).
	s := source.ByPrefix(a.Service)
	if s == nil {
		return capped
	}
	t, _, ok := s.TypeOf(a.Resource)
	if !ok {
		t = &s.Types[len(s.Types)-1]
	}
	e.ResourceType = t.Name
	if t.Bare {
		// Named as the reference is: "alias/NAME".
		e.ResourceName = a.Resource
	} else {
		e.ResourceName = strings.TrimPrefix(a.Resource, t.ARNPrefix)
	}
	return capped
}

// trimSecretSuffix drops the hyphen and six random letters or digits
// Secrets Manager appends to a secret's name in its ARN.
func trimSecretSuffix(s string) string {
	n := len(s) - 7
	if n < 0 || s[n] != '-' {
		return s
	}
	for _, c := range []byte(s[n+1:]) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return s
		}
	}
	return s[:n]
}

// canonicalRef resolves one way of naming a secret or key to its canonical
// ARN, and gives its kind (source.Order); kind is -1 for a reference to
// nothing keytrail keeps. Secrets: arn:P:secretsmanager:REGION:ACCOUNT:
// secret:NAME — the random suffix is dropped (source.Type.Suffixed), so a
// secret named by name, full ARN or partial ARN comes out the same. (A
// partial ARN whose name itself ends in a hyphen and six letters or digits
// is indistinguishable from a full ARN; AWS warns against such names for
// the same reason.) Keys: arn:P:kms:REGION:ACCOUNT:key/ID; aliases:
// arn:P:kms:REGION:ACCOUNT:alias/NAME. Bare names and ids are of the
// record's source (src; nil names none) and take the record's region and
// recipient account.
func canonicalRef(src *source.Source, ref, part, region, account string) (kind int, canon string) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return -1, ""
	}
	if a, ok := ParseARN(ref); ok {
		s := source.ByPrefix(a.Service)
		if s == nil {
			return -1, ""
		}
		t, kind, ok := s.TypeOf(a.Resource)
		switch {
		case !ok:
			return -1, ""
		case t.Suffixed:
			// The name ends ref: dropping its suffix shortens ref.
			trimmed := trimSecretSuffix(a.Resource)
			return kind, ref[:len(ref)-len(a.Resource)+len(trimmed)]
		}
		return kind, ref
	}
	if region == "" || account == "" || src == nil {
		return -1, ""
	}
	t, kind := src.BareType(ref)
	if t.Bare {
		return kind, ARN{part, src.Prefix, region, account, ref}.String()
	}
	return kind, ARN{part, src.Prefix, region, account, t.ARNPrefix + ref}.String()
}

func aliasName(aliasARN string) string {
	if a, ok := ParseARN(aliasARN); ok {
		return a.Resource
	}
	return aliasARN
}

// jsonText returns raw JSON as text, as the record carried it; "" for null
// or absent. Bytes that are not UTF-8 (encoding/json keeps them in raw
// values) become U+FFFD: Parquet strings must be UTF-8, and engines reject
// a file that breaks the rule.
func jsonText(raw cloudtrail.RawJSON) string {
	s := strings.TrimSpace(string(raw))
	if s == "null" {
		return ""
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

func lastSegment(s string) string {
	if i := strings.LastIndexAny(s, "/:"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
