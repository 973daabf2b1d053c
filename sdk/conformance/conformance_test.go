package conformance_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/sdk/conformance"
	"github.com/shopbridge/shopbridge/sdk/internal/testconnector"
)

const pkg = "github.com/shopbridge/shopbridge/sdk/internal/testconnector"

func buildTestConnector(t *testing.T, broken string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shopbridge-connector-test_v1.4.2")
	ld := "-X " + pkg + ".Version=1.4.2 -X " + pkg + ".Broken=" + broken
	cmd := exec.Command("go", "build", "-ldflags", ld, "-o", bin, pkg+"/cmd/shopbridge-connector-test")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building the test connector: %v", err)
	}
	return bin
}

func TestTestConnectorConforms(t *testing.T) {
	bin := buildTestConnector(t, os.Getenv("CONFORMANCE_TEST_BROKEN"))
	const token = "conformance-token"
	conformance.Run(t, bin, json.RawMessage(`{"shop": "conformance", "token": "`+token+`", "products": 17, "orders": 8}`),
		conformance.WithSignedWebhook(func(body []byte) http.Header { return testconnector.Sign(token, body) }),
		conformance.WithWebhookBody([]byte(`{"topic": "orders/create", "id": "o000001"}`)),
	)
}

// TestKitCatchesBrokenConnectors runs the kit against builds of the test
// connector with one fault each, in a child test process, and expects it
// to fail naming the fault.
func TestKitCatchesBrokenConnectors(t *testing.T) {
	if os.Getenv("CONFORMANCE_TEST_BROKEN") != "" {
		t.Skip("inside a child run")
	}
	if testing.Short() {
		t.Skip("builds four connectors")
	}
	for fault, want := range map[string]string{
		"cursor":      "repeated [p",
		"idempotency": "must not apply again",
		"signature":   "does not match its signature",
		"settings":    `OpenLink accepted settings that break the schema (without shop)`,
	} {
		t.Run(fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestTestConnectorConforms$", "-test.v")
			cmd.Env = append(os.Environ(), "CONFORMANCE_TEST_BROKEN="+fault)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the kit passed a connector with the %q fault:\n%s", fault, out)
			}
			if !strings.Contains(string(out), want) {
				t.Errorf("the kit failed the %q fault without saying %q:\n%s", fault, want, out)
			}
		})
	}
}
