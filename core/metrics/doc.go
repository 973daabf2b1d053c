// Package metrics holds the host's Prometheus metrics on a private registry
// and serves them at /metrics.
//
// The rest of the code reports through small typed methods (ItemsSynced,
// ObserveJob, ObserveCall, ObserveWebhook…) and never touches a prometheus
// type, so the metric names and labels live in one place. Values that are
// cheaper to read than to push — queue depth, lag since the last successful
// run, connector processes — are computed when Prometheus scrapes, from
// callbacks the host sets once.
//
// Labels are bounded: links, flows, job kinds, connector names and methods,
// error classes and HTTP status codes. Never pass an item key, an error
// message or anything a customer typed as a label.
package metrics
