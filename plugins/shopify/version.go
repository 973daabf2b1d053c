package shopify

// Version is the connector's semver; the Makefile reads it from this line.
const Version = "1.0.0"
