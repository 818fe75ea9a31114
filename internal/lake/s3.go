package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3API is the part of *s3.Client that S3 uses.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// Part sizes of multipart uploads.
const (
	DefaultPartSize = 8 << 20 // 8 MiB
	MinPartSize     = 5 << 20 // S3's minimum for every part but the last
	maxParts        = 10000   // S3's maximum number of parts
	maxPutSize      = 5 << 30 // S3's maximum for a single PutObject
)

// S3Options configures an S3 store.
type S3Options struct {
	// KMSKeyID (key ID, ARN or alias ARN), when set, makes every write ask
	// for SSE-KMS with that customer-managed key. When empty the bucket's
	// default encryption applies and no encryption headers are sent.
	KMSKeyID string
	// PartSize is the part size for bodies that are not an io.ReadSeeker;
	// 0 means DefaultPartSize. It is also the most a Put holds in memory.
	PartSize int64
}

// S3 is a lake under a prefix of an S3 bucket.
//
// Put streams. A body that is an io.ReadSeeker (a file, bytes.Reader) of
// up to 5 GiB goes out as one PutObject, read straight from the caller (the
// SDK seeks it to sign the payload over plain HTTP, and rewinds it to
// retry); a *bytes.Buffer is sent from its bytes. Any other body is read
// PartSize bytes at a time: if it ends within the first part it is one
// PutObject, else a multipart upload with one part in memory at a time.
// Conditional writes use If-None-Match: * and If-Match (on PutObject or
// CompleteMultipartUpload), so they hold for large bodies too.
//
// ETags are S3's, quoted, as Get and List return them; pass them back to
// PutIfMatch unchanged.
type S3 struct {
	client S3API
	bucket string
	root   string // "" or a prefix ending in "/"
	opts   S3Options
}

// NewS3 returns a store over bucket whose keys live under prefix (with or
// without a trailing slash; empty for the whole bucket).
func NewS3(client S3API, bucket, prefix string, opts S3Options) (*S3, error) {
	if client == nil {
		return nil, errors.New("lake s3: no S3 client")
	}
	if err := checkBucket(bucket); err != nil {
		return nil, fmt.Errorf("lake s3://%s: %w", bucket, err)
	}
	root := strings.TrimSuffix(prefix, "/")
	if root != "" {
		if err := checkKey(root); err != nil {
			return nil, fmt.Errorf("lake s3://%s/%s: invalid prefix", bucket, prefix)
		}
		root += "/"
	}
	if opts.PartSize == 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.PartSize < MinPartSize || opts.PartSize > maxPutSize {
		return nil, fmt.Errorf("lake s3: part size %d outside [%d, %d]", opts.PartSize, MinPartSize, int64(maxPutSize))
	}
	return &S3{client: client, bucket: bucket, root: root, opts: opts}, nil
}

// Bucket returns the bucket.
func (s *S3) Bucket() string { return s.bucket }

// Prefix returns the key prefix of the lake root: "" or ending in "/".
func (s *S3) Prefix() string { return s.root }

func (s *S3) objectKey(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return s.root + key, nil
}

// Put writes body at key, replacing any object there.
func (s *S3) Put(ctx context.Context, key string, body io.Reader) error {
	return s.put(ctx, key, body, nil, nil)
}

// PutIfAbsent writes body at key unless an object is there already, in
// which case it returns ErrPrecondition.
func (s *S3) PutIfAbsent(ctx context.Context, key string, body io.Reader) error {
	return s.put(ctx, key, body, aws.String("*"), nil)
}

// PutIfMatch replaces the object at key only if its ETag is still etag; a
// missing object does not match. An empty etag means "only if absent".
func (s *S3) PutIfMatch(ctx context.Context, key string, body io.Reader, etag string) error {
	if etag == "" {
		return s.PutIfAbsent(ctx, key, body)
	}
	return s.put(ctx, key, body, nil, aws.String(etag))
}

func (s *S3) put(ctx context.Context, key string, body io.Reader, ifNoneMatch, ifMatch *string) error {
	okey, err := s.objectKey(key)
	if err != nil {
		return err
	}
	if b, ok := body.(*bytes.Buffer); ok {
		body = bytes.NewReader(b.Bytes())
	}
	if size, ok := seekableSize(body); ok && size <= maxPutSize {
		err = s.putObject(ctx, okey, body, size, ifNoneMatch, ifMatch)
	} else {
		err = s.putStream(ctx, okey, body, ifNoneMatch, ifMatch)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", key, s3Error(err, ifNoneMatch != nil || ifMatch != nil))
	}
	return nil
}

// seekableSize returns the bytes left in body if it can seek.
func seekableSize(body io.Reader) (int64, bool) {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		return 0, false
	}
	cur, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, false
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, false
	}
	if _, err := rs.Seek(cur, io.SeekStart); err != nil {
		return 0, false
	}
	return end - cur, true
}

func (s *S3) putObject(ctx context.Context, okey string, body io.Reader, size int64, ifNoneMatch, ifMatch *string) error {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(okey),
		Body:          body,
		ContentLength: aws.Int64(size),
		IfNoneMatch:   ifNoneMatch,
		IfMatch:       ifMatch,
	}
	if s.opts.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(s.opts.KMSKeyID)
	}
	_, err := s.client.PutObject(ctx, in)
	return err
}

// putStream sends a body of unknown length: one PutObject if it fits in a
// part, else a multipart upload. One part buffer is used throughout.
func (s *S3) putStream(ctx context.Context, okey string, body io.Reader, ifNoneMatch, ifMatch *string) error {
	part, eof, err := fill(body, nil, int(s.opts.PartSize))
	if err != nil {
		return err
	}
	if eof {
		return s.putObject(ctx, okey, bytes.NewReader(part), int64(len(part)), ifNoneMatch, ifMatch)
	}
	create := &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(okey)}
	if s.opts.KMSKeyID != "" {
		create.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		create.SSEKMSKeyId = aws.String(s.opts.KMSKeyID)
	}
	up, err := s.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return err
	}
	err = s.uploadParts(ctx, okey, up.UploadId, part, body, ifNoneMatch, ifMatch)
	if err != nil {
		// Abort even if ctx ended, or the parts would be billed until a
		// lifecycle rule removes them.
		_, aerr := s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(s.bucket), Key: aws.String(okey), UploadId: up.UploadId,
		})
		if aerr != nil {
			return errors.Join(err, fmt.Errorf("abort upload: %w", aerr))
		}
	}
	return err
}

// uploadParts sends part, then the rest of body part by part reusing part's
// buffer, and completes the upload with the write's condition.
func (s *S3) uploadParts(ctx context.Context, okey string, uploadID *string, part []byte, body io.Reader, ifNoneMatch, ifMatch *string) error {
	var parts []types.CompletedPart
	eof := false
	for num := int32(1); ; num++ {
		if num > maxParts {
			return fmt.Errorf("body larger than %d parts of %d bytes", maxParts, s.opts.PartSize)
		}
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(s.bucket),
			Key:           aws.String(okey),
			UploadId:      uploadID,
			PartNumber:    aws.Int32(num),
			Body:          bytes.NewReader(part),
			ContentLength: aws.Int64(int64(len(part))),
		})
		if err != nil {
			return fmt.Errorf("upload part %d: %w", num, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		if eof {
			break
		}
		if part, eof, err = fill(body, part, int(s.opts.PartSize)); err != nil {
			return err
		}
		if len(part) == 0 {
			break
		}
	}
	_, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.bucket),
		Key:             aws.String(okey),
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     ifNoneMatch,
		IfMatch:         ifMatch,
	})
	return err
}

// fill reads from r into buf (reusing its memory) until it holds size bytes
// or r ends, and reports whether r ended. The buffer grows as data arrives,
// so a small body costs a small buffer, and never beyond size.
func fill(r io.Reader, buf []byte, size int) ([]byte, bool, error) {
	buf = buf[:0]
	for len(buf) < size {
		if len(buf) == cap(buf) {
			next := 64 << 10
			if c := cap(buf); c >= 1<<20 {
				next = size
			} else if c > 0 {
				next = 2 * c
			}
			grown := make([]byte, len(buf), min(next, size))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, false, nil
}

// Get opens the object at key. The body streams from S3; close it.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	okey, err := s.objectKey(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(okey)})
	if err != nil {
		err = s3Error(err, false)
		if isAccessDenied(err) && s.absent(ctx, okey) {
			// S3 answers 403, not 404, for a missing key unless the caller
			// may list the bucket for that very request; a prefix-scoped
			// s3:ListBucket grant does not count. A listing settles it.
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	return out.Body, ObjectInfo{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		ETag:     aws.ToString(out.ETag),
		Modified: aws.ToTime(out.LastModified),
	}, nil
}

// List returns the objects whose keys start with prefix, sorted by key,
// reading every page. Keys ending in "/" (folder markers made by consoles)
// are not objects and are skipped.
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.root + prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, s3Error(err, false))
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), s.root)
			if !ok || key == "" || strings.HasSuffix(key, "/") {
				continue
			}
			out = append(out, ObjectInfo{
				Key:      key,
				Size:     aws.ToInt64(o.Size),
				ETag:     aws.ToString(o.ETag),
				Modified: aws.ToTime(o.LastModified),
			})
		}
	}
	// S3 lists in UTF-8 byte order already; sorting makes the contract
	// independent of the server.
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes the object at key; a missing object is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	okey, err := s.objectKey(key)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(okey)})
	if err != nil {
		if err := s3Error(err, false); errors.Is(err, ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, s3Error(err, false))
	}
	return nil
}

// s3Error maps S3's answers to the store's sentinel errors, keeping the
// original error in the chain. For a conditional write, 412 (condition
// false), 409 (a concurrent conditional write won) and 404 (If-Match on a
// missing object) all mean the caller's view is stale: ErrPrecondition.
func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"
}

// absent reports whether a listing shows no object named okey; a failed
// listing says nothing, so the access error stands.
func (s *S3) absent(ctx context.Context, okey string) bool {
	out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(okey), MaxKeys: aws.Int32(1)})
	if err != nil {
		return false
	}
	return len(out.Contents) == 0 || aws.ToString(out.Contents[0].Key) != okey
}

func s3Error(err error, conditional bool) error {
	code, status := "", 0
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case conditional && (status == http.StatusPreconditionFailed || code == "PreconditionFailed" ||
		code == "ConditionalRequestConflict" || code == "NoSuchKey"):
		return fmt.Errorf("%w: %w", ErrPrecondition, err)
	case code == "NoSuchKey" || code == "NotFound":
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

var _ Store = (*S3)(nil)
