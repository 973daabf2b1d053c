// Package benchconnector is a connector for measuring the process boundary
// between the host and a connector. It generates a catalogue of N
// realistic products (a title, a description of a few hundred bytes, three
// variants with prices, cost, weight, barcode and options) on the fly as
// they are read, without storing them, so the measurement is of the SDK,
// go-plugin and gRPC rather than of a channel; writes are accepted, counted
// and answered with channel ids. It is used by the benchmarks of
// core/plugin and by `make bench`, never in production.
package benchconnector
