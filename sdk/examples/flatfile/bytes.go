package flatfile

import (
	"bytes"
	"io"
)

// bytesReader treats absent settings as an empty object, so the error is
// about the missing key rather than about JSON.
func bytesReader(b []byte) io.Reader {
	if len(bytes.TrimSpace(b)) == 0 {
		return bytes.NewReader([]byte("{}"))
	}
	return bytes.NewReader(b)
}
