// Command shopbridge-sandbox starts the Rackbeat, Shopify and Shopbox sandboxes
// on loopback ports, seeded from one generated catalogue, prints each base URL
// with its credentials (or one JSON object with --json), optionally places
// orders and moves stock on a timer, and runs until SIGINT or SIGTERM. With
// --state FILE it restores all three from FILE at start and saves them there
// on exit.
package main
