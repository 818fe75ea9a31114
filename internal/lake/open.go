package lake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// Open returns the store for a lake location: a folder path or a file://
// URL gives a Dir; s3://bucket/prefix gives an S3 store using s3client,
// which may be nil when the location is a folder.
func Open(ctx context.Context, uri string, s3client S3API, opts S3Options) (Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case uri == "":
		return nil, errors.New("lake: no location given")
	case strings.HasPrefix(uri, "s3://"):
		bucket, prefix, err := ParseS3URI(uri)
		if err != nil {
			return nil, fmt.Errorf("lake %w", err)
		}
		if s3client == nil {
			return nil, fmt.Errorf("lake %s: no S3 client", uri)
		}
		s, err := NewS3(s3client, bucket, prefix, opts)
		if err != nil {
			return nil, err
		}
		return s, nil
	case strings.HasPrefix(uri, "file:"):
		u, err := url.Parse(uri)
		if err != nil {
			return nil, fmt.Errorf("lake %s: %w", uri, err)
		}
		if u.Opaque != "" || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
			return nil, fmt.Errorf("lake %s: want file:///absolute/path", uri)
		}
		return openDir(filepath.FromSlash(u.Path))
	case strings.Contains(uri, "://"):
		scheme, _, _ := strings.Cut(uri, "://")
		return nil, fmt.Errorf("lake %s: unsupported scheme %q (want a folder, file:// or s3://)", uri, scheme)
	}
	return openDir(uri)
}

func openDir(root string) (Store, error) {
	d, err := NewDir(root)
	if err != nil {
		return nil, fmt.Errorf("lake %s: %w", root, err)
	}
	return d, nil
}

// ParseS3URI splits s3://bucket/prefix into the bucket and the prefix,
// which is returned as written ("" for the whole bucket, a trailing slash
// kept) so that it can also be a partial key prefix for listing.
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%s: not an s3:// URI", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%s: missing bucket", uri)
	}
	if err := checkBucket(bucket); err != nil {
		return "", "", fmt.Errorf("%s: %w", uri, err)
	}
	return bucket, prefix, nil
}

// checkBucket applies S3's naming rules for general purpose buckets: 3 to 63
// lower-case letters, digits, dots and hyphens, beginning and ending with a
// letter or digit, no "..", not an IP address.
func checkBucket(b string) error {
	bad := func(why string) error { return fmt.Errorf("invalid bucket name %q: %s", b, why) }
	if len(b) < 3 || len(b) > 63 {
		return bad("length must be 3 to 63")
	}
	for _, c := range []byte(b) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("only lower-case letters, digits, dots and hyphens")
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return bad("must begin and end with a letter or digit")
	}
	if strings.Contains(b, "..") {
		return bad("two adjacent dots")
	}
	if net.ParseIP(b) != nil {
		return bad("an IP address")
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
