// Package conformance checks a connector binary black-box, through the same
// plugin machinery the shopbridge host uses (hashicorp/go-plugin, gRPC,
// AutoMTLS, protocol version 1). Every connector must pass it; run it from
// your connector's own tests:
//
//	func TestConformance(t *testing.T) {
//		bin := buildMyConnector(t) // e.g. go build -o into t.TempDir()
//		settings := json.RawMessage(`{"shop": "…", "token": "…"}`)
//		conformance.Run(t, bin, settings,
//			conformance.WithSignedWebhook(func(body []byte) http.Header { … }),
//			conformance.WithWebhookBody([]byte(`{…}`)),
//		)
//	}
//
// Run checks, each as a subtest named after what it checks:
//
//   - describe: a lower-case name, a semver version, only known capabilities,
//     a settings schema that compiles as JSON Schema and accepts the given
//     settings, secret settings that the schema defines, and a `describe`
//     command that agrees with the Describe call.
//   - settings: OpenLink refuses settings that break the schema and names the
//     key: each required key dropped in turn, and each typed key given a
//     value of the wrong type.
//   - link: a link opens, reports its account, passes Check, and is gone
//     after CloseLink.
//   - many-links: many links (20 by default) open at once in one process,
//     each usable, all closed again.
//   - one subtest per declared capability: reads stream pages whose cursors
//     resume with nothing lost or repeated; writes with an idempotency key
//     sent twice are applied once (read back to verify); a batch with an
//     unknown SKU or location fails on that row only; webhooks with a
//     missing or bad signature are refused as unauthenticated; subscribing
//     webhooks twice creates nothing the second time.
//
// The kit derives what it can from the connector itself (bad settings from
// the schema, stock rows from a stock read); Options supply what it cannot,
// such as how to sign a webhook delivery.
//
// The checks write to the channel (a product, stock levels it then
// restores), so point the settings at a test account or a sandbox.
package conformance
