package shopbox

// Version is the connector's semver; the Makefile reads it to name the binary.
const Version = "1.0.0"
