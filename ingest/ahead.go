package ingest

import "io"

// aheadReader reads from r directly at first, and once more than
// aheadAfter bytes have been read switches to a goroutine that reads ahead
// into a few chunks: a large file is then inflated on one core while it is
// parsed on another, and a small one (most CloudTrail files) costs no
// goroutine and no buffers.
type aheadReader struct {
	r      io.Reader
	n      int64
	chunks chan chunk
	free   chan []byte
	cur    chunk
	off    int
	stop   chan struct{}
}

type chunk struct {
	b   []byte
	err error
}

const (
	aheadAfter  = 4 << 20
	aheadChunk  = 512 << 10
	aheadChunks = 4
)

func newAheadReader(r io.Reader) *aheadReader { return &aheadReader{r: r} }

func (a *aheadReader) Read(p []byte) (int, error) {
	if a.chunks == nil {
		n, err := a.r.Read(p)
		a.n += int64(n)
		if a.n > aheadAfter && err == nil {
			a.start()
		}
		return n, err
	}
	for a.off == len(a.cur.b) {
		if a.cur.err != nil {
			return 0, a.cur.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)]
		}
		a.cur, a.off = <-a.chunks, 0
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

func (a *aheadReader) start() {
	a.chunks = make(chan chunk, aheadChunks)
	a.free = make(chan []byte, aheadChunks+1)
	a.stop = make(chan struct{})
	for range aheadChunks + 1 {
		a.free <- make([]byte, aheadChunk)
	}
	go func() {
		defer close(a.chunks)
		for {
			var b []byte
			select {
			case b = <-a.free:
			case <-a.stop:
				return
			}
			n, err := io.ReadFull(a.r, b)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			select {
			case a.chunks <- chunk{b: b[:n], err: err}:
			case <-a.stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
}

// Close stops the read-ahead goroutine, if any.
func (a *aheadReader) Close() error {
	if a.stop != nil {
		close(a.stop)
		for range a.chunks { // let the goroutine finish
		}
		a.stop = nil
	}
	return nil
}
