// Package browsertest is what the browser tests of the status page share:
// finding the headless Chromium to drive (Debian's chromium package), the
// rule that a missing browser skips the test locally but fails it under CI,
// starting a chromedp session with the flags a shared machine needs, and the
// folder screenshots go to so CI can keep them.
//
// It is test support: only _test.go files import it.
package browsertest
