// Package config loads and validates the host's declarative configuration:
// one YAML file, overridable by SHOPBRIDGE_* environment variables.
//
// Loading is strict so that a typo or a wrong value fails `shopbridge validate`
// at the desk instead of a sync at night: unknown keys, missing required keys,
// wrong types, bad enum values and bad formats are all reported together, each
// naming its key path (for example `links[0].orders.numbering`).
//
// # Environment overrides
//
// Any key can be overridden by an environment variable named SHOPBRIDGE_
// followed by the key path in upper case, with "__" (two underscores) between
// levels and list indices written as numbers:
//
//	SHOPBRIDGE_SERVER__LISTEN=0.0.0.0:8080
//	SHOPBRIDGE_LINKS__0__ORDERS__STATE=booked
//	SHOPBRIDGE_LINKS__1__SETTINGS__SHOP=example.myshopify.com
//
// Single underscores stay part of a key name (public_url is PUBLIC_URL).
// Overrides can change links that the file declares but cannot add links.
// Values are converted to the type of the key they override; structured values
// (a stock location list, a rules map) are written in YAML flow syntax, e.g.
// SHOPBRIDGE_LINKS__0__STOCK__LOCATIONS='[{rackbeat: [1, 2], channel: "77"}]'.
// Environment variables whose first level is not a top-level key (state,
// server, plugins, rackbeat, log, links) are not overrides and are left alone.
//
// # Secrets
//
// Secret fields never hold a secret literally. They take a reference:
// "${NAME}" reads the environment variable NAME, "file:/path" reads a file
// (one trailing newline trimmed; relative paths resolve against the base
// directory). A secret set by an environment override is itself a reference
// to that variable and may hold the value. Resolved secrets are kept in Secret
// values that print, log and marshal as "[redacted]".
//
// String values in a link's connector settings may use the same references;
// they are resolved and remembered as secrets, so Link.SettingsJSON gives the
// connector its plaintext while Link.RedactedSettings shows the references.
package config

//go:generate go test -run TestReferenceDocUpToDate -update .
