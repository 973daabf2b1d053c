// Package check verifies, against the live systems, what the setup guides
// ask a user to create by hand before a link starts: the product group with
// stock, a Rackbeat location for each channel location, the two Shopbox
// custom fields, the shipping product, the employee, the payment terms and
// the customer group — plus the connector's own reachability checks.
//
// Each finding is one line, passed or failed, with what to do when it
// failed; `shopbridge check` prints them and exits non-zero on any failure.
package check
