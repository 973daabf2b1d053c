package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// FindChromium returns the Chromium to drive. Locally a missing browser
// skips the test; under CI (CI set) it fails it, so a browser test can never
// silently stop running there.
func FindChromium(t testing.TB) string {
	t.Helper()
	candidates := []string{os.Getenv("SHOPBRIDGE_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "no Chromium found (looked for $SHOPBRIDGE_CHROMIUM, /usr/bin/chromium, chromium, chromium-browser); " +
		"install it with: apt-get update && apt-get install -y chromium"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so the browser test must run)")
	}
	t.Skip(msg)
	return ""
}

// ArtifactDir is where screenshots go: $SHOPBRIDGE_ARTIFACTS for CI to
// keep, otherwise the test's temporary directory.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("SHOPBRIDGE_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// Browser starts headless Chromium at path and returns a tab's context,
// bounded by limit. The browser is closed when the test ends. The limit only
// bounds a hang: two shared cores under -race start Chromium slowly, so pass
// something generous.
func Browser(t testing.TB, path string, limit time.Duration) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancel := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancel(); cancelTab(); cancelAlloc() })
	return ctx
}

// Screenshot saves a full-page PNG of the tab under name in ArtifactDir and
// logs its path.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", p)
	return p
}

// JSString quotes s as a JavaScript string literal, for selectors passed to
// chromedp.Evaluate.
func JSString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
