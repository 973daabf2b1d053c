// Package host wires shopbridge together: the store and the scheduler on
// one database, the Rackbeat client, the connector processes, the flows of
// every link, and the HTTP port. `shopbridge run` is Host.Run; the other
// commands (orders import, check, quarantine, status) open the same Host
// without starting its workers, so they act exactly as the running host
// would.
package host
